/**
 * The optional HTTP endpoint Prometheus scrapes: `GET /metrics` and nothing else. It has no
 * authentication, which is why the configuration defaults to 127.0.0.1 and warns otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { isLoopback, parseAddressBytes } from '../config/cidr.js';
import { DaemonError, messageOf } from '../errors.js';

/** Where to listen and what to serve. */
export interface MetricsServerOptions {
  registry: Registry;
  /** An address (or `localhost`); the config's `[metrics] listen` host. */
  host: string;
  /** 0 picks a free port (tests); see `address()`. */
  port: number;
  /** Told about a non-loopback host, failed scrapes and connections refused over the cap. */
  warn?: (message: string) => void;
  /**
   * Open connections served at once; more are closed as soon as they are accepted. Every
   * connection is a file descriptor of the daemon, and a flood of idle ones must not use up
   * LimitNOFILE, which the daemon needs for its logs and state. @default 32
   */
  maxConnections?: number;
  /** A connection that has not sent a complete request within this time is closed. @default 10000 */
  requestTimeoutMs?: number;
}

const DEFAULT_MAX_CONNECTIONS = 32;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** The address the endpoint is bound to, once started. */
export interface MetricsAddress {
  host: string;
  port: number;
}

/** True when `host` can only be reached from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const address = parseAddressBytes(host);
  return address !== null && isLoopback(address.bytes);
}

/** `GET /metrics` over node:http, bound to one address; start() then stop(). */
export class MetricsServer {
  readonly #options: MetricsServerOptions;
  readonly #warn: (message: string) => void;
  #server: Server | null = null;
  #address: MetricsAddress | null = null;

  constructor(options: MetricsServerOptions) {
    this.#options = options;
    this.#warn = options.warn ?? (() => undefined);
  }

  /** Binds and listens; rejects with ERR_METRICS_LISTEN (address in use, not local…) if it cannot. */
  async start(): Promise<MetricsAddress> {
    if (this.#address !== null) return this.#address;
    const { host, port } = this.#options;
    if (!isLoopbackHost(host)) {
      this.#warn(`metrics: listening on ${host}, which is not a loopback address; the endpoint has no authentication`);
    }
    const server = createServer((request, response) => void this.#respond(request, response));
    // A scraper that keeps its connection open must not hold stop() up.
    server.keepAliveTimeout = 5000;
    // Idle or slow connections (a flood, a port scanner) are closed, and their number is capped.
    const timeoutMs = this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    server.headersTimeout = timeoutMs;
    server.requestTimeout = timeoutMs;
    server.setTimeout(timeoutMs, (socket) => socket.destroy());
    server.maxConnections = this.#options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let dropping = false;
    server.on('drop', () => {
      if (dropping) return;
      dropping = true;
      this.#warn(`metrics: more than ${server.maxConnections} connections at once; closing the extra ones as they arrive`);
      // Say it again at most once a minute while it lasts.
      setTimeout(() => (dropping = false), 60_000).unref();
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(new DaemonError('ERR_METRICS_LISTEN', `metrics: cannot listen on ${formatHostPort(host, port)}: ${error.message}`, { cause: error }));
      };
      server.once('error', onError);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.#warn(`metrics: ${error.message}`));
    this.#server = server;
    const bound = server.address() as AddressInfo;
    this.#address = { host: bound.address, port: bound.port };
    return this.#address;
  }

  /** The bound address, or null before start() and after stop(). */
  address(): MetricsAddress | null {
    return this.#address;
  }

  /** Stops listening and closes open connections; never rejects. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    this.#address = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      send(response, 404, 'text/plain; charset=utf-8', 'not found: metrics are at /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    const registry = this.#options.registry;
    try {
      const body = await registry.metrics();
      send(response, 200, registry.contentType, request.method === 'HEAD' ? '' : body);
    } catch (error) {
      this.#warn(`metrics: scrape failed: ${messageOf(error)}`);
      send(response, 500, 'text/plain; charset=utf-8', 'scrape failed\n');
    }
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
  response.end(body);
}

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
