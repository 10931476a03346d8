/**
 * `zeek-anomalyd demo`: the quick start as a live show. A simulated sensor replays the sample week
 * with rotations and a restart while the daemon bootstraps, tails and explains each anomaly.
 */
import { EXIT } from '../errors.js';
import { runDemo } from '../demo/run-demo.js';
import { intOption, parseCommandArgs, runCommand } from './_common.js';

export const summary = 'live demo: a simulated sensor, the daemon, explained anomalies';

const USAGE = `usage: zeek-anomalyd demo [--rows N] [--seconds S] [--keep]

Replays samples/week.log.gz in a temporary directory as a Zeek sensor would write it (hourly
rotations, one restart that truncates the log), runs the daemon on it (bootstrapped from the
week's first three days), prints every anomaly with its explanation as it is written, and ends
with a summary against samples/week.labels. Takes about half a minute; cleans up after itself.
  --rows N      replay only the first N records (at least 1000; default: all 40,000)
  --seconds S   how long the live replay should take (default 25)
  --keep        keep the temporary directory and print its path
`;

export async function run(args: string[]): Promise<number> {
  return runCommand('demo', USAGE, async () => {
    const parsed = parseCommandArgs(
      args,
      {
        rows: { type: 'string' },
        seconds: { type: 'string' },
        keep: { type: 'boolean', default: false },
      },
      USAGE,
      false,
    );
    if (parsed === null) return EXIT.ok;
    const rows = intOption('rows', parsed.values.rows, 1000);
    const seconds = intOption('seconds', parsed.values.seconds, 1);
    const result = await runDemo({
      out: process.stdout,
      keep: parsed.values.keep,
      ...(rows === undefined ? {} : { rows }),
      ...(seconds === undefined ? {} : { seconds }),
    });
    return result.scored === result.liveRecords ? EXIT.ok : EXIT.dataErrors;
  });
}
