import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scope } from '../../../src/scope/scope.ts';
import { formatIPv4 } from '../../../src/targets/address.ts';

test('allows listed addresses, subnets and ranges minus exclusions', () => {
  const s = new Scope()
    .allow('192.0.2.0/24')
    .allow('2001:db8::/32')
    .exclude('192.0.2.5')
    .allow('198.51.100.1-198.51.100.3');
  assert.equal(s.allows('192.0.2.1'), true);
  assert.equal(s.allows('192.0.2.5'), false);
  assert.equal(s.allows('198.51.100.3'), true);
  assert.equal(s.allows('198.51.100.4'), false);
  assert.equal(s.allows('2001:db8::1'), true);
  assert.equal(s.allows('2001:db9::1'), false);
  assert.equal(s.allows('203.0.113.1'), false);
});

test('accepts the target spec forms: last-octet ranges and octet patterns', () => {
  const s = new Scope().allow('192.0.2.10-20').allow('198.51.100-101.7');
  assert.equal(s.allows('192.0.2.15'), true);
  assert.equal(s.allows('192.0.2.21'), false);
  assert.equal(s.allows('198.51.101.7'), true);
  assert.equal(s.allows('198.51.101.8'), false);
});

test('rejects bad specs and hostnames with a reason', () => {
  assert.throws(() => new Scope().allow('10.0.0.0/33'), /prefix length/);
  assert.throws(() => new Scope().allow('not-an-address'), /never trusts a name/);
  assert.throws(() => new Scope().allow('192.0.2.9-192.0.2.1'), /reversed/);
  assert.throws(() => new Scope().exclude('fe80::1%eth0'), /zone/);
});

test('never allows what is not a plain IP address', () => {
  const s = new Scope().allow('0.0.0.0/0').allow('::/0');
  for (const a of [
    'localhost',
    'pacs.example.org',
    '',
    '192.0.2.1 ',
    '010.0.0.1',
    '127.1',
    '0x7f.0.0.1',
    'fe80::1%eth0',
    '1.2.3.4/32',
  ]) {
    assert.equal(s.allows(a), false, a);
  }
});

test('the unspecified addresses reach this machine: never in scope', () => {
  const s = new Scope().allow('0.0.0.0/0').allow('::/0');
  assert.equal(s.allows('0.0.0.0'), false);
  assert.equal(s.allows('::'), false);
  assert.equal(s.allows('::ffff:0.0.0.0'), false);
  assert.equal(s.allows('0.0.0.1'), true);
  assert.match(s.explain('0.0.0.0').reason, /unspecified/);
});

test('IPv4-mapped IPv6 is checked as the IPv4 address it reaches', () => {
  const s = new Scope().allow('192.0.2.0/24').exclude('192.0.2.66');
  assert.equal(s.allows('::ffff:192.0.2.1'), true);
  assert.equal(s.allows('::ffff:c000:201'), true);
  assert.equal(s.allows('::ffff:192.0.2.66'), false, 'an exclusion cannot be bypassed through the mapped form');
  assert.equal(s.allows('::ffff:198.51.100.1'), false);
  // and a mapped spec lands in the IPv4 space
  const m = new Scope().allow('::ffff:198.51.100.0/120');
  assert.equal(m.allows('198.51.100.200'), true);
  assert.equal(m.effective(4).size, 256n);
  assert.equal(m.effective(6).size, 0n);
});

test('explain names the entries that allow or exclude an address', () => {
  const s = new Scope()
    .allow('192.0.2.0/24', 'facility A')
    .allow('192.0.2.128/25', 'facility B')
    .exclude('192.0.2.200', 'do-not-touch list');
  const d = s.explain('192.0.2.130');
  assert.equal(d.allowed, true);
  assert.deepEqual(d.allowedBy, ['facility A', 'facility B']);
  assert.match(d.reason, /allowed by facility A, facility B/);
  const e = s.explain('192.0.2.200');
  assert.equal(e.allowed, false);
  assert.deepEqual(e.excludedBy, ['do-not-touch list']);
  assert.match(s.explain('203.0.113.9').reason, /in no allowed range/);
  assert.equal(s.explain('pacs.example').address, null);
  assert.equal(s.toString(), '+192.0.2.0/24 +192.0.2.128/25 -192.0.2.200');
});

test('effective sets and size', () => {
  const s = new Scope().allow('10.0.0.0/8').allow('2001:db8::/64').exclude('10.1.0.0/16');
  assert.equal(s.effective(4).size, (1n << 24n) - (1n << 16n));
  assert.equal(s.effective(6).size, 1n << 64n);
  assert.equal(s.size(), (1n << 24n) - (1n << 16n) + (1n << 64n));
  assert.equal(new Scope().isEmpty(), true);
});

test('property: the BlockList and the interval sets agree with a naive model', () => {
  // a /22 of test space, so that random ranges overlap often
  const base = 0xc6336400; // 198.51.100.0
  const range = fc
    .tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 63 }))
    .map(([a, len]) => [a, Math.min(1023, a + len)] as const);
  fc.assert(
    fc.property(
      fc.array(range, { maxLength: 6 }),
      fc.array(range, { maxLength: 4 }),
      fc.array(fc.integer({ min: 0, max: 1023 }), { minLength: 20, maxLength: 60 }),
      (allow, exclude, probes) => {
        const s = new Scope();
        for (const [a, b] of allow) s.allow(`${formatIPv4(base + a)}-${formatIPv4(base + b)}`);
        for (const [a, b] of exclude) s.exclude(`${formatIPv4(base + a)}-${formatIPv4(base + b)}`);
        for (const p of probes) {
          const expected = allow.some(([a, b]) => a <= p && p <= b) && !exclude.some(([a, b]) => a <= p && p <= b);
          assert.equal(s.allows(formatIPv4(base + p)), expected);
          assert.equal(s.allows(`::ffff:${formatIPv4(base + p)}`), expected);
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('large scopes (past the BlockList cross-check) decide the same, by bisection', () => {
  const s = new Scope();
  const allowed = new Set<number>();
  for (let i = 0; i < 600; i++) {
    const base = 0x0a000000 + i * 8; // 10.0.0.0 + /30s, every other one
    s.allow(`${formatIPv4(base)}/30`, `facility ${i}`);
    for (let k = 0; k < 4; k++) allowed.add(base + k);
  }
  s.exclude('10.0.0.1');
  allowed.delete(0x0a000001);
  assert.equal(s.crossChecked, false);
  assert.equal(new Scope().allow('192.0.2.0/24').crossChecked, true);
  for (let a = 0x0a000000 - 4; a < 0x0a000000 + 600 * 8 + 4; a++)
    assert.equal(s.allows(formatIPv4(a)), allowed.has(a), formatIPv4(a));
  assert.deepEqual(s.explain('10.0.0.9').allowedBy, ['facility 1']);
});
