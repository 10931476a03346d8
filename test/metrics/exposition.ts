/**
 * Reads Prometheus text exposition (what a scrape returns) into `series → value`, keyed by the
 * series as written (`name` or `name{label="v",…}`), so tests compare figures, not formatting.
 */

/** Every sample line of `text`, keyed by name and labels as they appear. */
export function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    if (cut <= 0) throw new Error(`exposition: no value in '${line}'`);
    const text = line.slice(cut + 1);
    // Prometheus reads NaN in any case; prom-client writes 'Nan'.
    const value = text.toLowerCase() === 'nan' ? Number.NaN : Number(text);
    if (Number.isNaN(value) && text.toLowerCase() !== 'nan') throw new Error(`exposition: bad value in '${line}'`);
    samples.set(line.slice(0, cut), value);
  }
  return samples;
}

/** The value of `series`, failing loudly when the scrape does not hold it. */
export function sample(samples: Map<string, number>, series: string): number {
  const value = samples.get(series);
  if (value === undefined) throw new Error(`exposition: no sample '${series}' in ${[...samples.keys()].slice(0, 40).join(', ')}`);
  return value;
}

/** Names of the metrics a scrape declares (`# TYPE name kind`). */
export function declaredNames(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('# TYPE '))
    .map((line) => line.split(' ')[2] ?? '');
}
