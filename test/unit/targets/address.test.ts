import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import {
  canonicalAddress,
  formatIPv4,
  formatIPv6,
  parseAddress,
  parseIPv4,
  parseIPv6,
} from '../../../src/targets/address.ts';

test('IPv4: strict dotted quads only', () => {
  assert.equal(parseIPv4('192.0.2.1'), 0xc0000201);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of [
    '256.0.0.1',
    '010.0.0.1',
    '1.2.3',
    '127.1',
    '0x7f.0.0.1',
    '1.2.3.4.5',
    ' 1.2.3.4',
    '1.2.3.-1',
    '',
  ]) {
    assert.equal(parseIPv4(bad), null, bad);
  }
  assert.equal(formatIPv4(0xc0000201), '192.0.2.1');
});

test('IPv6: RFC 4291 forms in, RFC 5952 out', () => {
  assert.equal(parseIPv6('::'), 0n);
  assert.equal(parseIPv6('::1'), 1n);
  assert.equal(parseIPv6('2001:DB8::1'), (0x20010db8n << 96n) | 1n);
  assert.equal(parseIPv6('2001:db8:0:0:0:0:0:1'), parseIPv6('2001:db8::1'));
  assert.equal(parseIPv6('::ffff:192.0.2.1'), (0xffffn << 32n) | 0xc0000201n);
  assert.equal(parseIPv6('64:ff9b::192.0.2.1'), (0x64ff9bn << 96n) | 0xc0000201n);
  for (const bad of [
    '1::2::3',
    '12345::',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    'fe80::1%eth0',
    'g::',
    '::1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
  ]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
  assert.equal(formatIPv6(parseIPv6('2001:0db8:0000:0000:0001:0000:0000:0001')!), '2001:db8::1:0:0:1');
  assert.equal(
    formatIPv6(parseIPv6('2001:db8:0:1:1:1:1:1')!),
    '2001:db8:0:1:1:1:1:1',
    'a single zero group is not compressed',
  );
  assert.equal(formatIPv6(0n), '::');
});

test('IPv4-mapped IPv6 canonicalises to IPv4', () => {
  assert.deepEqual(parseAddress('::ffff:192.0.2.7'), { family: 4, value: 0xc0000207n });
  assert.equal(canonicalAddress('::FFFF:c000:0207'), '192.0.2.7');
  assert.equal(canonicalAddress('2001:DB8:0::7'), '2001:db8::7');
  assert.equal(canonicalAddress('pacs.example'), null);
});

test('property: IPv6 format/parse round trip, and node agrees the text is IPv6', () => {
  const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
  const sparse = fc
    .array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xdb8), { minLength: 8, maxLength: 8 })
    .map((g) => g.reduce((a, x) => (a << 16n) | BigInt(x), 0n));
  fc.assert(
    fc.property(fc.oneof(v6, sparse), (v) => {
      const text = formatIPv6(v);
      assert.equal(parseIPv6(text), v);
      assert.equal(net.isIPv6(text), true);
      assert.equal(text, text.toLowerCase());
    }),
    { numRuns: 2000 },
  );
});
