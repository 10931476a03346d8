/**
 * IPv4/IPv6 address and CIDR syntax for the config file: strict parsing (no octal-looking IPv4
 * octets, no zone ids) and one canonical text form, so that the feature stage and the allow-list
 * can compare CIDRs as strings. The syntax itself is the feature stage's (features/ip-address.ts),
 * so an address the config accepts is one the scorer can place; this module adds the stricter
 * rules and the byte form.
 */
import { formatAddress as formatWords, parseIpv4 as parseIpv4Value, parseIpv6Groups } from '../features/ip-address.js';

/** A parsed CIDR: address bytes (4 or 16), prefix length, and its canonical text. */
export interface ConfigCidr {
  version: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  /** Canonical `address/prefix` (IPv6 compressed as RFC 5952 describes). */
  text: string;
}

/** Why an address or CIDR text was refused (a phrase that fits after "config: key: "). */
export type CidrResult = { ok: true; cidr: ConfigCidr } | { ok: false; reason: string };

/** Parses dotted-quad IPv4 text into 4 bytes, or null. Leading zeros are refused (octal?). */
export function parseIpv4Bytes(text: string): Uint8Array | null {
  const value = parseIpv4Value(text);
  return value < 0 ? null : wordsToBytes([value]);
}

/** Parses IPv6 text (with `::` and an optional dotted IPv4 tail) into 16 bytes, or null. */
export function parseIpv6Bytes(text: string): Uint8Array | null {
  // A zone id names an interface of this host; it has no place in a department map.
  if (text.includes('%')) return null;
  const groups = parseIpv6Groups(text);
  if (groups === null) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Canonical text of 4 or 16 address bytes (RFC 5952 for IPv6: lower case, longest zero run). */
export function formatAddressBytes(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push((((bytes[i] ?? 0) << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0);
  }
  return formatWords({ family: bytes.length === 4 ? 4 : 6, words });
}

function wordsToBytes(words: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((word, i) => {
    bytes[4 * i] = word >>> 24;
    bytes[4 * i + 1] = (word >>> 16) & 0xff;
    bytes[4 * i + 2] = (word >>> 8) & 0xff;
    bytes[4 * i + 3] = word & 0xff;
  });
  return bytes;
}

/** Parses an address of either version. */
export function parseAddressBytes(text: string): { version: 4 | 6; bytes: Uint8Array } | null {
  const v4 = parseIpv4Bytes(text);
  if (v4 !== null) return { version: 4, bytes: v4 };
  const v6 = parseIpv6Bytes(text);
  if (v6 !== null) return { version: 6, bytes: v6 };
  return null;
}

/**
 * Parses `address/prefix` or a bare address (a /32 or /128). Host bits below the prefix must be
 * zero: `10.1.2.3/8` is refused with the network it probably meant, because silently masking it
 * would hide a typo in a department map.
 */
export function parseConfigCidr(text: string): CidrResult {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const address = parseAddressBytes(addressText);
  if (address === null) {
    return { ok: false, reason: `'${addressText}' is not an IPv4 or IPv6 address` };
  }
  const maxPrefix = address.version === 4 ? 32 : 128;
  let prefix = maxPrefix;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      return {
        ok: false,
        reason: `prefix '/${prefixText}' is out of range, expected /0 to /${maxPrefix} for IPv${address.version}`,
      };
    }
    prefix = Number(prefixText);
  }
  const network = maskBytes(address.bytes, prefix);
  if (!network.every((byte, i) => byte === address.bytes[i])) {
    const suggestion = `${formatAddressBytes(network)}/${prefix}`;
    return { ok: false, reason: `'${text}' has host bits set (did you mean ${suggestion}?)` };
  }
  return {
    ok: true,
    cidr: {
      version: address.version,
      bytes: network,
      prefix,
      text: `${formatAddressBytes(network)}/${prefix}`,
    },
  };
}

/** Copy of `bytes` with every bit after the first `prefix` bits cleared. */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefix - 8 * i));
    const mask = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    out[i] = (bytes[i] ?? 0) & mask;
  }
  return out;
}

/** True for 127.0.0.0/8 and ::1, the addresses a metrics endpoint may listen on unexposed. */
export function isLoopback(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return bytes[0] === 127;
  return bytes.every((byte, i) => byte === (i === 15 ? 1 : 0));
}
