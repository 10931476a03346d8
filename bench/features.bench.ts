/**
 * Feature extraction throughput on realistic generated records, next to a naive extractor (no
 * caches: parse each address and scan every pre-parsed CIDR, Date/Intl per record) measured in
 * the same run.
 * Target: ≥ 2,000,000 records/s for the notebook configuration.
 */
import { DEFAULT_FEATURE_OPTIONS, FeatureExtractor, type FeatureOptions } from '../src/features/index.js';
import { maskAddress, parseAddress, parseCidr } from '../src/features/ip-address.js';
import { generateDceRpc, NETWORK_GROUPS } from '../src/generate/index.js';
import type { DceRpcRecord } from '../src/zeek/index.js';

const ROWS = 500_000;
const PASSES = 5;

function naiveExtractor(options: FeatureOptions): (r: DceRpcRecord) => string[] {
  // CIDRs are parsed once; what the baseline lacks is the trie and the per-address/per-hour caches.
  const cidrs = options.ipGroups.flatMap((g) =>
    g.cidrs.map((c) => ({ cidr: parseCidr(c), name: g.name })),
  );
  const bins = options.timeBins;
  const format =
    options.timeZone === 'UTC'
      ? null
      : new Intl.DateTimeFormat('en-US', { timeZone: options.timeZone, hour: 'numeric', hourCycle: 'h23' });
  const missing = (v: string | null): string => (v === null || v === '' ? options.missingToken : v);
  const group = (address: string | null): string => {
    if (address === null || address === '') return options.missingToken;
    const a = parseAddress(address);
    if (a === null) return options.missingToken;
    let best = -1;
    let name = 'other';
    for (const c of cidrs) {
      const p = c.cidr;
      if (p === null || p.address.family !== a.family || p.prefixLength <= best) continue;
      const masked = maskAddress(a.words, p.prefixLength);
      if (masked.every((w, i) => w === p.address.words[i])) {
        best = p.prefixLength;
        name = c.name;
      }
    }
    return name;
  };
  return (r) => {
    const hour =
      format === null
        ? new Date(Math.floor(r.ts) * 1000).getUTCHours()
        : Number(format.formatToParts(Math.floor(r.ts) * 1000).find((p) => p.type === 'hour')?.value) % 24;
    const bin = bins.find((b) => b.fromHour <= hour && hour <= b.toHour)?.label ?? options.missingToken;
    const pipe = missing(r.namedPipe);
    return [
      missing(r.endpoint),
      options.foldNamedPipeCase ? pipe.toLowerCase() : pipe,
      missing(r.operation),
      group(r.origHost),
      group(r.respHost),
      bin,
    ];
  };
}

function measure(label: string, records: DceRpcRecord[], passes: number, fn: (r: DceRpcRecord) => string[]): number {
  let sink = 0;
  for (let i = 0; i < Math.min(records.length, 50_000); i++) sink += (fn(records[i] as DceRpcRecord)[0] ?? '').length;
  (globalThis as { gc?: () => void }).gc?.();
  const started = process.hrtime.bigint();
  for (let pass = 0; pass < passes; pass++) {
    for (const record of records) sink += (fn(record)[0] ?? '').length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = (records.length * passes) / seconds;
  process.stdout.write(`${label.padEnd(58)} ${(rate / 1e6).toFixed(2).padStart(7)} M records/s  (checksum ${sink})\n`);
  return rate;
}

const genStarted = process.hrtime.bigint();
const records: DceRpcRecord[] = [...generateDceRpc({ rows: ROWS, seed: 20240304 })];
const genSeconds = Number(process.hrtime.bigint() - genStarted) / 1e9;
process.stdout.write(`generated ${ROWS} records in ${genSeconds.toFixed(2)} s (${(ROWS / genSeconds / 1e6).toFixed(2)} M rows/s, generator core)\n`);

const notebook: FeatureOptions = {
  ...DEFAULT_FEATURE_OPTIONS,
  ipGroups: NETWORK_GROUPS.map((g) => ({ name: g.name, cidrs: [...g.cidrs] })),
};
const zoned: FeatureOptions = {
  ...notebook,
  timeZone: 'Europe/Berlin',
  foldNamedPipeCase: true,
  ipGroupFallback: { kind: 'internal-external' },
};

const fast = new FeatureExtractor(notebook);
const out: string[] = [];
const fastRate = measure('FeatureExtractor.extract (notebook options, UTC)', records, PASSES, (r) => fast.extract(r));
measure('FeatureExtractor.extractInto (reused array)', records, PASSES, (r) => fast.extractInto(r, out));
const zonedExtractor = new FeatureExtractor(zoned);
const zonedRate = measure('FeatureExtractor.extract (Europe/Berlin, fold, int/ext)', records, PASSES, (r) => zonedExtractor.extract(r));
const subset = records.slice(0, 100_000);
// The baseline must compute the same vectors, or the comparison means nothing.
const naiveCheck = naiveExtractor(notebook);
for (const record of subset) {
  if (fast.extract(record).join('\t') !== naiveCheck(record).join('\t')) {
    throw new Error(`baseline disagrees on ${JSON.stringify(record)}`);
  }
}
const naiveRate = measure('baseline: naive, no caches (UTC)', subset, 1, naiveExtractor(notebook));
const naiveZonedRate = measure('baseline: naive, no caches (Europe/Berlin, Intl per record)', subset, 1, naiveExtractor(zoned));
process.stdout.write(
  `ratio vs naive: ${(fastRate / naiveRate).toFixed(1)}x (UTC), ${(zonedRate / naiveZonedRate).toFixed(1)}x (zoned); ` +
    `target >= 2 M records/s: ${fastRate >= 2e6 ? 'met' : 'NOT met'}\n`,
);
