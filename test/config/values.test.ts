import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatAddressBytes, parseAddressBytes, parseConfigCidr, parseIpv6Bytes } from '../../src/config/cidr.js';
import { parseAddress as parseFeatureAddress } from '../../src/features/ip-address.js';
import { byteSize, duration, expiry, formatDuration, hostPort, parseDurationMs, timeBins } from '../../src/config/values.js';

void test('durations: units, sums, and formatDuration inverts parseDurationMs', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ms) => {
      assert.equal(ms === 0 ? 0 : parseDurationMs(formatDuration(ms)), ms);
    }),
  );
  assert.equal(parseDurationMs('1h30m'), 90 * 60_000);
  assert.equal(parseDurationMs('1.5h'), null);
  assert.equal(parseDurationMs('-1s'), null);
  const anyDuration = duration(0, Number.MAX_SAFE_INTEGER);
  assert.equal(anyDuration.parse('90s').ok, true);
  assert.equal(anyDuration.parse('0').ok, false);
  assert.equal(duration(0, 1000, true).parse('0').ok, true);
});

void test('byte sizes: binary and decimal units, bare bytes, bounds', () => {
  const size = byteSize(1, 2 ** 40);
  const value = (text: string): number | null => {
    const parsed = size.parse(text);
    return parsed.ok ? parsed.value : null;
  };
  assert.equal(value('1MiB'), 2 ** 20);
  assert.equal(value('3 KiB'), 3 * 1024);
  assert.equal(value('5MB'), 5_000_000);
  assert.equal(value('4096'), 4096);
  assert.equal(value('1Mb'), null);
  assert.equal(value('0'), null);
});

const ipv6Bytes = fc.uint8Array({ minLength: 16, maxLength: 16 });

void test('IPv6 canonical text matches the WHATWG URL serialiser and parses back (property)', () => {
  fc.assert(
    fc.property(ipv6Bytes, (bytes) => {
      const text = formatAddressBytes(bytes);
      // A mixed-notation tail (::ffff:1.2.3.4) is serialised as hex by URL too, so they compare directly.
      assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
      assert.deepEqual(parseIpv6Bytes(text), bytes);
      assert.deepEqual(parseIpv6Bytes(text.toUpperCase()), bytes);
    }),
  );
});

void test('the config accepts exactly the addresses the feature stage can place, zone ids aside (property)', () => {
  const piece = fc.constantFrom('0', '1', '255', '256', '01', 'ffff', 'FFFF', '1ffff', 'g', '', '10.0.0.1', '1.2.3', '::', ':', '.', '%eth0');
  const addressLike = fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join(pieces.length % 2 === 0 ? ':' : '.'));
  fc.assert(
    fc.property(fc.oneof(addressLike, fc.string({ unit: fc.constantFrom('0', '1', 'a', ':', '.', '%') })), (text) => {
      const config = parseAddressBytes(text);
      const feature = parseFeatureAddress(text);
      if (text.includes('%')) assert.equal(config, null);
      else assert.equal(config !== null, feature !== null, text);
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(parseAddressBytes('::ffff:10.1.2.3')?.bytes, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3]));
  assert.equal(parseAddressBytes('1.2.3.4::'), null);
});

void test('CIDRs: canonical network text, or host bits reported with the network meant (property)', () => {
  fc.assert(
    fc.property(ipv6Bytes, fc.integer({ min: 0, max: 128 }), (bytes, prefix) => {
      const text = `${formatAddressBytes(bytes)}/${prefix}`;
      const parsed = parseConfigCidr(text);
      if (parsed.ok) {
        assert.equal(parsed.cidr.text, text);
      } else {
        const meant = /did you mean (\S+)\?/.exec(parsed.reason)?.[1] ?? '';
        const again = parseConfigCidr(meant);
        assert.ok(again.ok, `${meant} is itself valid`);
        assert.equal(again.cidr.prefix, prefix);
      }
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
      const parsed = parseConfigCidr(Array.from(bytes).join('.'));
      assert.ok(parsed.ok);
      assert.equal(parsed.cidr.text, `${Array.from(bytes).join('.')}/32`);
    }),
  );
  for (const bad of ['10.0.0.01/8', '10.0.0/8', '1.2.3.4/', 'fe80::1%eth0', '1::2::3', '::1/0129', '10.0.0.0/-1']) {
    assert.equal(parseConfigCidr(bad).ok, false, bad);
  }
});

void test('time bins: any partition of 0..23 is accepted, any gap or overlap refused (property)', () => {
  const partition = fc.uniqueArray(fc.integer({ min: 1, max: 23 }), { maxLength: 10 }).map((cuts) => {
    const starts = [0, ...cuts.sort((a, b) => a - b)];
    return starts.map((start, i) => `${start}-${(starts[i + 1] ?? 24) - 1}:b${i}`);
  });
  fc.assert(
    fc.property(partition, fc.integer({ min: 0, max: 23 }), (items, hour) => {
      assert.equal(timeBins.parse(items.join(', ')).ok, true);
      assert.equal(timeBins.parse([...items, `${hour}:extra`].join(', ')).ok, false);
      if (items.length > 1) assert.equal(timeBins.parse(items.slice(1).join(', ')).ok, false);
    }),
  );
  assert.equal(timeBins.parse('22-1:late').ok, false);
});

void test('host:port and expiry', () => {
  const listen = hostPort.parse('[::1]:9464');
  assert.ok(listen.ok);
  assert.deepEqual(listen.value, { host: '::1', port: 9464 });
  assert.deepEqual(listen.warnings, []);
  const open = hostPort.parse('0.0.0.0:9464');
  assert.ok(open.ok);
  assert.equal(open.warnings.length, 1);
  assert.equal(hostPort.parse('[10.0.0.1]:80').ok, false);
  const date = expiry.parse('2026-12-31');
  assert.ok(date.ok);
  assert.equal(date.value, Date.UTC(2027, 0, 1));
  const stamp = expiry.parse('2026-12-31T18:00+01:00');
  assert.ok(stamp.ok);
  assert.equal(stamp.value, Date.UTC(2026, 11, 31, 17));
});
