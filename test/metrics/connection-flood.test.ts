/**
 * Issue #15 item 3: 4,200 idle connections to the metrics endpoint used up the daemon's
 * LimitNOFILE and the next checkpoint write failed with EMFILE. The server now caps the
 * connections it keeps open and closes idle ones, so a flood costs a bounded number of
 * descriptors and the endpoint serves again once it ends.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonMetrics, MetricsServer } from '../../src/metrics/index.js';

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

void test('a flood of 600 idle connections holds at most maxConnections descriptors, then scrapes work again', { timeout: 60_000 }, async () => {
  const metrics = new DaemonMetrics({ defaultMetrics: false });
  const warnings: string[] = [];
  const server = new MetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0, warn: (m) => warnings.push(m), maxConnections: 16, requestTimeoutMs: 1500 });
  const { port } = await server.start();
  const before = openFds();
  const sockets: Socket[] = [];
  for (let i = 0; i < 600; i += 1) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    if (socket.readyState === 'open') resolve();
    socket.once('connect', () => resolve());
    socket.once('close', () => resolve());
  })));
  // Our 600 client ends are descriptors of this process too; the server's side is what is left.
  const serverSide = (): number => openFds() - before - sockets.filter((socket) => !socket.destroyed).length;
  const warned = (): boolean => warnings.some((w) => /more than 16 connections/.test(w));
  // Wait for the server to have taken the flood (a loaded machine accepts slowly); a server
  // that keeps more than its bound never gets there, and the deadline fails the test.
  const settled = Date.now() + 20_000;
  while ((!warned() || serverSide() > 16 + 4) && Date.now() < settled) await sleep(50);
  const held = serverSide();
  assert.ok(held <= 16 + 4, `the server holds ${held} descriptors during the flood`);
  assert.ok(warned(), warnings.join('\n'));
  // Idle connections are closed by the server after requestTimeoutMs.
  const deadline = Date.now() + 20_000;
  while (sockets.some((socket) => !socket.destroyed && socket.readyState === 'open') && Date.now() < deadline) await sleep(100);
  for (const socket of sockets) socket.destroy();
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  await server.stop();
  metrics.close();
});
