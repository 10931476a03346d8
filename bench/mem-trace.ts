/**
 * A preload for the daemon under the flood bench (`node --import build/bench/mem-trace.js`):
 * every 100 ms the main thread appends one JSON line to `$ZAD_MEM_TRACE` with VmRSS and VmHWM
 * (MB, from /proc/self/status) beside V8's own view (`process.memoryUsage()`: heapUsed,
 * heapTotal, external, arrayBuffers), so a peak can be split into heap, GC headroom and the rest.
 * Worker threads inherit the flag and do nothing. The bench writes its phase changes to the same
 * file (`{"t":…,"phase":…}`).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const out = process.env['ZAD_MEM_TRACE'];
if (isMainThread && out !== undefined && out !== '') {
  const mb = (bytes: number): number => Math.round(bytes / 104_857.6) / 10;
  const statusMb = (status: string, field: string): number => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024);
  setInterval(() => {
    const memory = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const sample = {
      t: Date.now(),
      rss: statusMb(status, 'VmRSS'),
      hwm: statusMb(status, 'VmHWM'),
      heapUsed: mb(memory.heapUsed),
      heapTotal: mb(memory.heapTotal),
      external: mb(memory.external),
      arrayBuffers: mb(memory.arrayBuffers),
    };
    appendFileSync(out, `${JSON.stringify(sample)}\n`);
  }, 100).unref();
}
