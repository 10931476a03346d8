import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { isDaemonError } from '../../src/errors.js';
import { DaemonMetrics, isLoopbackHost, MetricsServer } from '../../src/metrics/index.js';
import { parseExposition, sample } from './exposition.js';

const metrics = new DaemonMetrics({ defaultMetrics: false });
const servers: MetricsServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
  metrics.close();
});

async function started(host = '127.0.0.1', warnings: string[] = []): Promise<{ server: MetricsServer; base: string }> {
  const server = new MetricsServer({ registry: metrics.registry, host, port: 0, warn: (message) => warnings.push(message) });
  servers.push(server);
  const bound = await server.start();
  assert.equal(server.address()?.port, bound.port);
  const hostPart = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  return { server, base: `http://${hostPart}:${bound.port}` };
}

/** A raw request (fetch refuses some methods and hides HEAD bodies). */
function raw(url: string, method: string): Promise<{ status: number; body: string; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('MetricsServer', () => {
  void it('serves the registry at GET /metrics in Prometheus text format', async () => {
    const warnings: string[] = [];
    const { base } = await started('127.0.0.1', warnings);
    const fed = 1234;
    metrics.recordsRead(fed);
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await response.text());
    assert.equal(sample(samples, 'zeek_anomalyd_records_total'), fed);
    assert.deepEqual(warnings, [], 'no warning for a loopback address');
  });

  void it('answers 404 elsewhere, 405 for other methods, and HEAD without a body', async () => {
    const { base } = await started();
    for (const path of ['/', '/metrics/', '/metricsx', '/favicon.ico']) {
      const response = await fetch(base + path);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
    const post = await raw(`${base}/metrics`, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.allow, 'GET, HEAD');
    const head = await raw(`${base}/metrics`, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const query = await fetch(`${base}/metrics?name[]=x`);
    assert.equal(query.status, 200, 'a query string is ignored');
    await query.body?.cancel();
  });

  void it('stops promptly even with a kept-alive connection, and then refuses connections', async () => {
    const { server, base } = await started();
    const response = await fetch(`${base}/metrics`, { headers: { connection: 'keep-alive' } });
    await response.text();
    const began = performance.now();
    await server.stop();
    assert.ok(performance.now() - began < 2000, 'stop() does not wait for the keep-alive timeout');
    assert.equal(server.address(), null);
    await assert.rejects(fetch(`${base}/metrics`));
    await server.stop(); // a second stop is harmless
  });

  void it('rejects with ERR_METRICS_LISTEN when the port is taken', async () => {
    const { server } = await started();
    const port = server.address()?.port ?? 0;
    const second = new MetricsServer({ registry: metrics.registry, host: '127.0.0.1', port });
    servers.push(second);
    await assert.rejects(second.start(), (error: unknown) => {
      assert.ok(isDaemonError(error));
      assert.equal(error.code, 'ERR_METRICS_LISTEN');
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.equal(second.address(), null);
  });
});

void describe('isLoopbackHost', () => {
  void it('accepts 127.0.0.0/8, ::1 and localhost only', () => {
    for (const host of ['127.0.0.1', '127.12.34.56', '::1', 'localhost', '0:0:0:0:0:0:0:1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '192.168.1.1', 'fe80::1', 'example.org', '']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});
