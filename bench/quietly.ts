/** Shared by the benches that time CLI commands through their own `run()`. */

/** Runs a CLI command with its stderr chatter (summaries) silenced; fails loudly on a bad exit. */
export async function quietly(name: string, body: () => Promise<number>): Promise<void> {
  const write = process.stderr.write.bind(process.stderr);
  let captured = '';
  process.stderr.write = ((chunk: string | Uint8Array): boolean => {
    captured += String(chunk);
    return true;
  });
  let code: number;
  try {
    code = await body();
  } finally {
    process.stderr.write = write;
  }
  if (code !== 0) throw new Error(`bench: ${name} exited ${code}: ${captured}`);
}
