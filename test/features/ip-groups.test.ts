import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatAddress, parseAddress, parseCidr } from '../../src/features/ip-address.js';
import { CidrTrie, IpGroupResolver } from '../../src/features/ip-groups.js';
import { isDaemonError } from '../../src/errors.js';

const toBigInt = (text: string): { family: number; value: bigint } => {
  const parsed = parseAddress(text);
  if (parsed === null) throw new Error(`unparsable ${text}`);
  let value = 0n;
  for (const w of parsed.words) value = (value << 32n) | BigInt(w);
  return { family: parsed.family, value };
};

/** The obvious O(n) scan the trie must agree with: longest containing prefix, first on ties. */
function bruteForce(cidrs: { text: string; label: string }[], address: string): string | null {
  const a = toBigInt(address);
  let best: { length: number; label: string } | null = null;
  for (const { text, label } of cidrs) {
    const [net = '', lenText] = text.split('/');
    const n = toBigInt(net);
    if (n.family !== a.family) continue;
    const bits = a.family === 4 ? 32 : 128;
    const length = lenText === undefined ? bits : Number(lenText);
    const shift = BigInt(bits - length);
    if (a.value >> shift !== n.value >> shift) continue;
    if (best === null || length > best.length) best = { length, label };
  }
  return best?.label ?? null;
}

const v4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
// Few distinct high bytes so that CIDRs and addresses actually overlap.
const v4Near = fc
  .tuple(fc.constantFrom(10, 172, 192), fc.nat(3), fc.nat(255), fc.nat(255))
  .map((o) => o.join('.'));
const v6Near = fc
  .tuple(fc.constantFrom(0xfd00, 0x2001), fc.nat(3), fc.array(fc.nat(0xffff), { minLength: 6, maxLength: 6 }))
  .map(([a, b, rest]) => [a, b, ...rest].map((g) => g.toString(16)).join(':'));
const cidrOf = (addr: fc.Arbitrary<string>, maxLength: number): fc.Arbitrary<string> =>
  fc.tuple(addr, fc.integer({ min: 0, max: maxLength })).map(([a, len]) => {
    const parsed = parseCidr(`${a}/${len}`);
    if (parsed === null) throw new Error('generator produced a bad CIDR');
    return `${formatAddress(parsed.address)}/${len}`;
  });

void test('CIDR longest-prefix lookup agrees with a brute-force scan (IPv4 and IPv6)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(cidrOf(v4Near, 32), cidrOf(v6Near, 128)), { maxLength: 30 }),
      fc.array(fc.oneof(v4Near, v4Text, v6Near), { minLength: 1, maxLength: 30 }),
      (cidrTexts, addresses) => {
        const cidrs = cidrTexts.map((text, i) => ({ text, label: `g${i}` }));
        const trie = new CidrTrie();
        for (const { text, label } of cidrs) trie.add(text, label);
        for (const address of addresses) {
          const parsed = parseAddress(address);
          assert.ok(parsed);
          assert.equal(trie.match(parsed), bruteForce(cidrs, address), address);
        }
      },
    ),
    { numRuns: 300 },
  );
});

void test('nested groups: the longest prefix wins over three levels', () => {
  const resolver = new IpGroupResolver(
    [
      { name: 'workstations', cidrs: ['172.16.0.0/16'] },
      { name: 'servers', cidrs: ['172.16.4.0/24'] },
      { name: 'dc', cidrs: ['172.16.4.4'] },
      { name: 'v6dc', cidrs: ['fd00:1::10/128'] },
      { name: 'v6lan', cidrs: ['fd00:1::/64'] },
    ],
    { kind: 'label', label: 'other' },
    'missing',
  );
  assert.equal(resolver.lookup('172.16.4.4'), 'dc');
  assert.equal(resolver.lookup('172.16.4.5'), 'servers');
  assert.equal(resolver.lookup('172.16.7.1'), 'workstations');
  assert.equal(resolver.lookup('172.17.0.1'), 'other');
  assert.equal(resolver.lookup('fd00:1:0:0::10'), 'v6dc');
  assert.equal(resolver.lookup('fd00:1::abcd'), 'v6lan');
  assert.equal(resolver.lookup('fd00:2::1'), 'other');
  // An IPv4-mapped IPv6 address is the IPv4 host.
  assert.equal(resolver.lookup('::ffff:172.16.4.4'), 'dc');
  // A second lookup comes from the cache and must give the same answer.
  assert.equal(resolver.lookup('172.16.4.4'), 'dc');
  assert.equal(resolver.lookup('not-an-address'), 'missing');
});

void test('subnet fallback gives the /24 or /64 in canonical text', () => {
  const resolver = new IpGroupResolver([], { kind: 'subnet' }, 'missing');
  assert.equal(resolver.lookup('10.1.2.3'), '10.1.2.0/24');
  assert.equal(resolver.lookup('2001:DB8:0:7:1:2:3:4'), '2001:db8:0:7::/64');
  assert.equal(resolver.lookup('fe80::1%eth0'), 'fe80::/64');
});

void test('internal-external fallback: RFC 1918, ULA, loopback and link-local are internal', () => {
  const resolver = new IpGroupResolver(
    [{ name: 'lab', cidrs: ['10.5.0.0/16'] }],
    { kind: 'internal-external' },
    'missing',
  );
  const cases: [string, string][] = [
    ['10.5.1.1', 'lab'],
    ['10.200.1.1', 'internal'],
    ['172.31.255.255', 'internal'],
    ['172.32.0.1', 'external'],
    ['192.168.1.1', 'internal'],
    ['127.0.0.1', 'internal'],
    ['169.254.3.4', 'internal'],
    ['8.8.8.8', 'external'],
    ['fd12:3456::1', 'internal'],
    ['fc00::1', 'internal'],
    ['::1', 'internal'],
    ['fe80::1', 'internal'],
    ['2001:4860:4860::8888', 'external'],
  ];
  for (const [address, expected] of cases) assert.equal(resolver.lookup(address), expected, address);
});

void test('bad CIDRs are all reported in one ERR_CONFIG_INVALID', () => {
  assert.throws(
    () =>
      new IpGroupResolver(
        [{ name: 'a', cidrs: ['10.0.0.0/33', '10.0.0.256', 'fd00::/129', 'zz::/8', '10.0.0.0/8'] }],
        { kind: 'label', label: 'other' },
        'missing',
      ),
    (error: unknown) =>
      isDaemonError(error) &&
      error.code === 'ERR_CONFIG_INVALID' &&
      (error.meta?.problems as string[]).length === 4,
  );
});

void test('address parsing: rejects malformed text, formats per RFC 5952', () => {
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-1', '::1::', '1:2:3:4:5:6:7:8:9', 'g::1', '']) {
    assert.equal(parseAddress(bad), null, bad);
  }
  const roundTrip = (text: string): string => {
    const parsed = parseAddress(text);
    assert.ok(parsed, text);
    return formatAddress(parsed);
  };
  assert.equal(roundTrip('2001:0db8:0000:0000:0001:0000:0000:0001'), '2001:db8::1:0:0:1');
  assert.equal(roundTrip('::'), '::');
  assert.equal(roundTrip('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(roundTrip('::ffff:1.2.3.4'), '1.2.3.4');
  const withHostBits = parseCidr('10.1.2.3/8');
  assert.equal(withHostBits?.hadHostBits, true);
  assert.equal(formatAddress(withHostBits.address), '10.0.0.0');
});
