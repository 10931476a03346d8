/**
 * IPv4/IPv6 text → bits for the feature stage; the config's stricter CIDR syntax (cidr.ts) is
 * built on the same parsers. An address is four 32-bit words, most significant first; IPv4 uses
 * only the first word.
 */

/** A parsed address. `words` holds 1 (IPv4) or 4 (IPv6) unsigned 32-bit words. */
export interface ParsedAddress {
  family: 4 | 6;
  words: number[];
}

/**
 * The 32-bit value of a canonical dotted quad (four octets 0-255, no leading zeros, nothing
 * else), or -1 when it is not one. No allocation: the training window parses every row it takes.
 */
export function parseIpv4(text: string): number {
  const length = text.length;
  if (length < 7 || length > 15) return -1;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      digits += 1;
      if (octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** The dotted quad of a 32-bit value (what `parseIpv4` reads back). */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The eight 16-bit groups of an IPv6 address (zone id stripped), or null. */
export function parseIpv6Groups(text: string): number[] | null {
  const zone = text.indexOf('%');
  const address = zone >= 0 ? text.slice(0, zone) : text;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const parseSide = (side: string, allowIpv4Tail: boolean): number[] | null => {
    if (side === '') return [];
    const groups: number[] = [];
    const parts = side.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      if (allowIpv4Tail && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 < 0) return null;
        groups.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (HEX_GROUP.test(part)) {
        groups.push(parseInt(part, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  if (halves.length === 1) {
    const groups = parseSide(address, true);
    return groups !== null && groups.length === 8 ? groups : null;
  }
  const head = parseSide(halves[0] ?? '', false);
  const tail = parseSide(halves[1] ?? '', true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  const zeros = new Array<number>(8 - head.length - tail.length).fill(0);
  return [...head, ...zeros, ...tail];
}

/**
 * Parses either family. An IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) is returned as IPv4,
 * because it names the same host and should land in the same group.
 */
export function parseAddress(text: string): ParsedAddress | null {
  if (text.includes(':')) {
    const groups = parseIpv6Groups(text);
    if (groups === null) return null;
    const words = [0, 1, 2, 3].map((i) => (groups[2 * i] ?? 0) * 65536 + (groups[2 * i + 1] ?? 0));
    if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
      return { family: 4, words: [words[3] ?? 0] };
    }
    return { family: 6, words };
  }
  const v4 = parseIpv4(text);
  return v4 < 0 ? null : { family: 4, words: [v4] };
}

/** Bit `index` (0 = most significant) of an address. */
export function addressBit(words: readonly number[], index: number): number {
  return ((words[index >>> 5] ?? 0) >>> (31 - (index & 31))) & 1;
}

/** A copy of `words` with every bit after the first `prefixLength` cleared. */
export function maskAddress(words: readonly number[], prefixLength: number): number[] {
  return words.map((word, i) => {
    const keep = Math.min(32, Math.max(0, prefixLength - 32 * i));
    if (keep === 32) return word;
    if (keep === 0) return 0;
    return (word & ~(0xffffffff >>> keep)) >>> 0;
  });
}

/** Canonical text of an address (dotted quad, or RFC 5952 compressed IPv6). */
export function formatAddress(address: ParsedAddress): string {
  if (address.family === 4) return formatIpv4(address.words[0] ?? 0);
  const groups: number[] = [];
  for (const word of address.words) groups.push(word >>> 16, word & 0xffff);
  // RFC 5952: compress the longest run (first on ties) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** A parsed CIDR: network address (host bits cleared) and prefix length. */
export interface ParsedCidr {
  address: ParsedAddress;
  prefixLength: number;
  /** True when the text had host bits set (they were cleared). */
  hadHostBits: boolean;
}

/** Parses `addr/len` or a bare address (/32, /128); null when it is not a CIDR. */
export function parseCidr(text: string): ParsedCidr | null {
  const slash = text.indexOf('/');
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  if (text.includes(':') && addressText.includes('%')) return null;
  const parsed = parseAddress(addressText);
  if (parsed === null) return null;
  // A mapped IPv6 CIDR keeps IPv6 semantics only in its prefix; treat "::ffff:a.b.c.d/len" as v4.
  const mapped = parsed.family === 4 && addressText.includes(':');
  const maxLength = parsed.family === 4 ? 32 : 128;
  let prefixLength = maxLength;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText)) return null;
    prefixLength = Number(lengthText) - (mapped ? 96 : 0);
    if (prefixLength < 0 || prefixLength > maxLength) return null;
  }
  const words = maskAddress(parsed.words, prefixLength);
  const hadHostBits = words.some((w, i) => w !== parsed.words[i]);
  return { address: { family: parsed.family, words }, prefixLength, hadHostBits };
}
