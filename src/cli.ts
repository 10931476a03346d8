#!/usr/bin/env node
/**
 * zeek-anomalyd command line: argv → one subcommand module under ./cli/. Each module exports
 * `run(args: string[]): Promise<number>` and returns the exit code; this file owns only the
 * dispatch and the last-resort error handler.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT, exitCodeFor, messageOf } from './errors.js';

interface CommandModule {
  run(args: string[]): Promise<number>;
  summary?: string;
}

const commandDir = new URL('./cli/', import.meta.url);

function availableCommands(): string[] {
  const dir = fileURLToPath(commandDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.js') && !name.startsWith('_'))
    .map((name) => name.slice(0, -3))
    .sort();
}

async function usage(out: NodeJS.WriteStream): Promise<void> {
  const lines = ['usage: zeek-anomalyd <command> [options]', '', 'commands:'];
  for (const name of availableCommands()) {
    const mod = (await import(new URL(`${name}.js`, commandDir).href)) as CommandModule;
    lines.push(`  ${name.padEnd(14)} ${mod.summary ?? ''}`);
  }
  lines.push('', "Run 'zeek-anomalyd <command> --help' for a command's options.");
  out.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    await usage(command === undefined ? process.stderr : process.stdout);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-V') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`zeek-anomalyd ${pkg.version}\n`);
    return EXIT.ok;
  }
  if (!/^[a-z][a-z-]*$/.test(command) || !availableCommands().includes(command)) {
    process.stderr.write(`zeek-anomalyd: unknown command '${command}'\n`);
    await usage(process.stderr);
    return EXIT.usage;
  }
  const mod = (await import(new URL(`${command}.js`, commandDir).href)) as CommandModule;
  return mod.run(rest);
}

// A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do on SIGPIPE,
// instead of reporting the failed writes as bad input.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`zeek-anomalyd: ${messageOf(error)}\n`);
    process.exitCode = exitCodeFor(error);
  },
);
