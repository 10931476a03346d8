/**
 * Building blocks for generated traffic: a compact operation-sequence notation and an emitter that
 * turns one RPC session (one TCP connection, one Zeek uid) into dce_rpc rows.
 */
import type { DceRpcRecord } from '../zeek/index.js';
import type { Rng } from './rng.js';

/** A generated dce_rpc row: a record plus the attack scenario it belongs to (null = benign). */
export interface LabelledRecord extends DceRpcRecord {
  scenario: string | null;
}

/** How the client reached the interface: SMB named pipe (445), endpoint mapper (135), or a dynamic TCP port. */
export type Transport = 'smb' | 'epm' | 'dyn';

/** One RPC session: interface, transport, pipe spellings and the operation sequence. */
export interface SessionSpec {
  endpoint: string;
  via: Transport;
  /** Pipe spellings (SMB only), picked uniformly; repeat an entry to weight it. */
  pipes?: readonly string[];
  /**
   * Space-separated operations: `Op` once, `Op?` zero or one time, `Op*` one to four times,
   * `A|B` one of them.
   */
  ops: string;
  /**
   * An attack's preparatory call that is byte-for-byte what normal clients send (an endpoint
   * mapper lookup): written unlabelled, since no per-record detector can or should flag it.
   */
  precursor?: boolean;
}

interface CompiledOp {
  choices: string[];
  min: number;
  max: number;
}

const compiled = new Map<string, CompiledOp[]>();

/** Parses (and memoises) the operation notation of `SessionSpec.ops`. */
export function compileOps(notation: string): CompiledOp[] {
  let ops = compiled.get(notation);
  if (ops !== undefined) return ops;
  ops = notation
    .split(/\s+/)
    .filter((token) => token !== '')
    .map((token) => {
      const suffix = token.at(-1);
      const body = suffix === '?' || suffix === '*' ? token.slice(0, -1) : token;
      return {
        choices: body.split('|'),
        min: suffix === '?' ? 0 : 1,
        max: suffix === '?' ? 1 : suffix === '*' ? 4 : 1,
      };
    });
  compiled.set(notation, ops);
  return ops;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Positions of the uid that carry the unique session number (the rest is random). */
const UNIQUE_POSITIONS = [1, 4, 7, 10, 13, 16];

/** Probability that a row's rtt is unset (no response seen), as in real Corelight logs. */
const RTT_UNSET = 0.25;
/** Probability that a whole SMB session has no pipe name logged. */
const PIPE_UNSET = 0.006;

/** Appends rows for sessions; owns uid numbering so that no two sessions share a uid. */
export class SessionEmitter {
  readonly #rng: Rng;
  readonly #uidKey: number;
  readonly #dynPorts = new Map<string, number>();
  #sessions = 0;

  constructor(rng: Rng) {
    this.#rng = rng;
    this.#uidKey = rng.uint32() | 1;
  }

  /** Number of sessions (uids) emitted so far. */
  get sessions(): number {
    return this.#sessions;
  }

  /**
   * A Zeek-like uid: `C` + 17 base62 characters. Six of them encode a bijective scramble of the
   * session counter (so uids never collide), the others are random.
   */
  nextUid(): string {
    const n = this.#sessions++;
    // Multiplication by an odd constant and xor-shifts are invertible mod 2^32: a permutation.
    let x = Math.imul(n ^ 0x5bd1e995, this.#uidKey) >>> 0;
    x = (x ^ (x >>> 15)) >>> 0;
    x = Math.imul(x, 0x2c1b3c6d) >>> 0;
    const chars: string[] = new Array<string>(17);
    for (let i = 0; i < 17; i++) chars[i] = BASE62[this.#rng.int(62)] as string;
    for (const position of UNIQUE_POSITIONS) {
      chars[position] = BASE62[x % 62] as string;
      x = Math.floor(x / 62);
    }
    return 'C' + chars.join('');
  }

  /** The dynamic RPC port a server listens on for an interface group (stable per run). */
  dynamicPort(host: string, group: string): number {
    const key = `${host}|${group}`;
    let port = this.#dynPorts.get(key);
    if (port === undefined) {
      port = 49664 + this.#rng.int(48);
      this.#dynPorts.set(key, port);
    }
    return port;
  }

  /**
   * Emits one session starting at `ts` and returns the time just after its last row.
   * `dynGroup` names the server process for dynamic ports (lsass-hosted interfaces share one).
   */
  emit(
    out: LabelledRecord[],
    ts: number,
    origHost: string,
    respHost: string,
    spec: SessionSpec,
    scenario: string | null,
    limit = Number.POSITIVE_INFINITY,
  ): number {
    const rng = this.#rng;
    const uid = this.nextUid();
    const origPort = 49152 + rng.int(16384);
    let respPort: number;
    let pipe: string | null;
    switch (spec.via) {
      case 'smb':
        respPort = 445;
        pipe = rng.chance(PIPE_UNSET) ? null : rng.pick(spec.pipes ?? ['\\pipe\\' + spec.endpoint]);
        break;
      case 'epm':
        respPort = 135;
        pipe = '135';
        break;
      case 'dyn':
        respPort = this.dynamicPort(respHost, LSASS_INTERFACES.has(spec.endpoint) ? 'lsass' : spec.endpoint);
        pipe = String(respPort);
        break;
    }
    let t = ts;
    let written = 0;
    for (const op of compileOps(spec.ops)) {
      const times = op.min === op.max ? op.min : rng.range(op.min, op.max);
      for (let k = 0; k < times && written < limit; k++) {
        const operation = op.choices.length === 1 ? (op.choices[0] as string) : rng.pick(op.choices);
        out.push({
          ts: Math.round(t * 1e6) / 1e6,
          uid,
          origHost,
          origPort,
          respHost,
          respPort,
          rtt: rng.chance(RTT_UNSET) ? null : Math.round((0.00008 + rng.next() * rng.next() * 0.004) * 1e6) / 1e6,
          namedPipe: pipe,
          endpoint: spec.endpoint,
          operation,
          scenario,
        });
        written++;
        t += 0.0004 + rng.next() * 0.03;
      }
    }
    return t;
  }
}

/** Interfaces served by lsass on a DC, which share one dynamic TCP port. */
const LSASS_INTERFACES = new Set(['netlogon', 'drsuapi', 'lsarpc', 'samr', 'efsrpc']);
