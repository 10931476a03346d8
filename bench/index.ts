/**
 * `npm run bench`: runs every bench/*.bench.js in its own child process (so one benchmark's heap
 * and peak RSS do not colour another's) and passes through what each prints.
 * `npm run bench -- NAME` runs only the benchmarks whose file name contains NAME.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2] ?? '';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js') && f.includes(filter))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n== ${file.replace(/\.bench\.js$/, '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${file}`], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    process.stdout.write(`!! ${file} exited with ${result.status ?? result.signal}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
