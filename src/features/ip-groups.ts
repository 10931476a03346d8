/**
 * Address → group name by longest-prefix match over IPv4 and IPv6 CIDRs, with a fallback for
 * addresses no CIDR contains. Results are cached per address text, because a sensor sees the same
 * few thousand addresses over and over.
 */
import { DaemonError, messageOf } from '../errors.js';
import {
  addressBit,
  formatAddress,
  maskAddress,
  parseAddress,
  parseCidr,
  type ParsedAddress,
} from './ip-address.js';
import type { IpGroup, IpGroupFallback } from './options.js';

/** One node of a binary trie over address bits; `group` is set where a CIDR ends. */
interface TrieNode {
  zero: TrieNode | null;
  one: TrieNode | null;
  group: string | null;
}

const newNode = (): TrieNode => ({ zero: null, one: null, group: null });

/** Private-use ranges that count as `internal` for the internal-external fallback. */
const INTERNAL_RANGES = [
  // RFC 1918
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  // Loopback and link-local never leave the host or the segment, so they are not "external".
  '127.0.0.0/8',
  '169.254.0.0/16',
  // ULA (RFC 4193), loopback, link-local
  'fc00::/7',
  '::1/128',
  'fe80::/10',
];

/**
 * Bound on the per-address cache; a scan over many addresses must not grow memory forever. At
 * 100,000 the caches held 12 MB under a flood of distinct addresses; a sensor's working set of
 * hosts is far smaller, and a miss is one trie walk.
 */
const CACHE_LIMIT = 16_384;

/** Longest-prefix CIDR matcher: CIDR list in, label (or null) per parsed address out. */
export class CidrTrie {
  readonly #roots: { 4: TrieNode; 6: TrieNode } = { 4: newNode(), 6: newNode() };

  /** Adds a CIDR; an exact CIDR already present keeps its first label. Throws on bad text. */
  add(cidrText: string, label: string): void {
    const cidr = parseCidr(cidrText.trim());
    if (cidr === null) throw new Error(`not a CIDR: '${cidrText}'`);
    let node = this.#roots[cidr.address.family];
    for (let bit = 0; bit < cidr.prefixLength; bit++) {
      if (addressBit(cidr.address.words, bit) === 0) node = node.zero ??= newNode();
      else node = node.one ??= newNode();
    }
    node.group ??= label;
  }

  /** The label of the longest CIDR containing `address`, or null. */
  match(address: ParsedAddress): string | null {
    let node: TrieNode | null = this.#roots[address.family];
    let found: string | null = node.group;
    const bits = address.family === 4 ? 32 : 128;
    for (let bit = 0; bit < bits && node !== null; bit++) {
      node = addressBit(address.words, bit) === 0 ? node.zero : node.one;
      if (node?.group != null) found = node.group;
    }
    return found;
  }
}

/** Configured groups + fallback, with a per-address-text cache. */
export class IpGroupResolver {
  readonly #groups = new CidrTrie();
  readonly #internal = new CidrTrie();
  readonly #fallback: IpGroupFallback;
  readonly #invalidLabel: string;
  #cache = new Map<string, string>();

  /**
   * @param invalidLabel what an address that does not parse maps to (the codec rejects such
   *   addresses, so this is a defensive path; the extractor passes its missing token).
   * @throws DaemonError ERR_CONFIG_INVALID listing every CIDR that does not parse.
   */
  constructor(groups: readonly IpGroup[], fallback: IpGroupFallback, invalidLabel: string) {
    const problems: string[] = [];
    for (const group of groups) {
      for (const cidr of group.cidrs) {
        try {
          this.#groups.add(cidr, group.name);
        } catch (error) {
          problems.push(`${group.name}: ${messageOf(error)}`);
        }
      }
    }
    if (problems.length > 0) {
      throw new DaemonError('ERR_CONFIG_INVALID', `features: bad ip_groups: ${problems.join('; ')}`, {
        meta: { problems },
      });
    }
    for (const cidr of INTERNAL_RANGES) this.#internal.add(cidr, 'internal');
    this.#fallback = fallback;
    this.#invalidLabel = invalidLabel;
  }

  /** The group of an address given as text (e.g. `10.1.2.3`, `fd00::1`). */
  lookup(addressText: string): string {
    const cached = this.#cache.get(addressText);
    if (cached !== undefined) return cached;
    const group = this.#resolve(addressText);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache = new Map();
    this.#cache.set(addressText, group);
    return group;
  }

  #resolve(addressText: string): string {
    const address = parseAddress(addressText);
    if (address === null) return this.#invalidLabel;
    const group = this.#groups.match(address);
    if (group !== null) return group;
    const fallback = this.#fallback;
    switch (fallback.kind) {
      case 'label':
        return fallback.label;
      case 'subnet': {
        const prefixLength = address.family === 4 ? 24 : 64;
        const network = { family: address.family, words: maskAddress(address.words, prefixLength) };
        return `${formatAddress(network)}/${prefixLength}`;
      }
      case 'internal-external':
        return this.#internal.match(address) ?? 'external';
    }
  }
}
