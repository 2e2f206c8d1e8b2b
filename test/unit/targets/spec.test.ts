import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TargetSpecError,
  parseTargetSpec,
  parseTargetSpecs,
  splitSpecList,
  type AddressSpec,
} from '../../../src/targets/spec.ts';
import { parseIPv4 } from '../../../src/targets/address.ts';

const v4 = (s: string) => BigInt(parseIPv4(s)!);
const addresses = (text: string) => {
  const s = parseTargetSpec(text);
  assert.equal(s.kind, 'addresses', text);
  return s as AddressSpec;
};

test('single addresses, CIDRs and ranges', () => {
  assert.deepEqual(addresses('192.0.2.7').v4, [[v4('192.0.2.7'), v4('192.0.2.7')]]);
  assert.deepEqual(addresses('192.0.2.0/24').v4, [[v4('192.0.2.0'), v4('192.0.2.255')]]);
  assert.deepEqual(
    addresses('192.0.2.77/24').v4,
    [[v4('192.0.2.0'), v4('192.0.2.255')]],
    'host bits dropped, as nmap does',
  );
  assert.deepEqual(addresses('192.0.2.10-20').v4, [[v4('192.0.2.10'), v4('192.0.2.20')]]);
  assert.deepEqual(addresses('192.0.2.250-192.0.3.5').v4, [[v4('192.0.2.250'), v4('192.0.3.5')]]);
  assert.equal(addresses('0.0.0.0/0').size, 1n << 32n);
  assert.equal(addresses('10.0.0.0/8').size, 16_777_216n);
  assert.equal(addresses('192.0.2.1/32').size, 1n);
});

test('IPv6 addresses, CIDRs and ranges', () => {
  assert.equal(addresses('2001:db8::/64').size, 1n << 64n);
  assert.deepEqual(addresses('2001:db8::1-2001:db8::ff').v6, [
    [(0x20010db8n << 96n) | 1n, (0x20010db8n << 96n) | 0xffn],
  ]);
  assert.equal(addresses('2001:db8::/128').size, 1n);
  assert.equal(addresses('::/0').size, 1n << 128n);
});

test('IPv4-mapped IPv6 becomes IPv4, also inside CIDRs and ranges', () => {
  assert.deepEqual(addresses('::ffff:192.0.2.9').v4, [[v4('192.0.2.9'), v4('192.0.2.9')]]);
  const s = addresses('::ffff:192.0.2.0/120');
  assert.deepEqual(s.v4, [[v4('192.0.2.0'), v4('192.0.2.255')]]);
  assert.deepEqual(s.v6, []);
  const all = addresses('::/0');
  assert.equal(all.v4.length, 1);
  assert.equal(all.v6.length, 2, 'the mapped block is cut out of the v6 space');
  assert.equal(all.size, 1n << 128n);
});

test('nmap octet ranges', () => {
  const s = addresses('10.0.1-3.1-254');
  assert.equal(s.size, 3n * 254n);
  assert.deepEqual(s.v4[0], [v4('10.0.1.1'), v4('10.0.1.254')]);
  assert.equal(addresses('10.0.0,2.*').size, 512n);
  assert.equal(addresses('10.0.0,2.*').v4.length, 2);
  assert.equal(addresses('10.0.0-.1').size, 256n, 'an open end means 255');
  assert.equal(addresses('10.-.0.1').size, 256n);
  assert.equal(addresses('10.*.*.*').v4.length, 1, 'full trailing octets make one block');
  assert.equal(addresses('*.*.*.*').size, 1n << 32n);
  assert.equal(addresses('10.1-254.1-254.1-254').size, 254n ** 3n);
  assert.throws(() => parseTargetSpec('1-255.1-255.1-255.1'), /separate blocks/);
  assert.throws(() => parseTargetSpec('10.0.5-1.1'), /reversed octet range/);
  assert.throws(() => parseTargetSpec('10.0.0.1-300'), /0-255/);
});

test('hostnames', () => {
  assert.deepEqual(parseTargetSpec('PACS.Example.org.'), {
    kind: 'hostname',
    text: 'PACS.Example.org.',
    origin: null,
    name: 'pacs.example.org',
  });
  assert.equal(parseTargetSpec('localhost').kind, 'hostname');
  assert.equal(parseTargetSpec('pacs-01.hospital_a.example').kind, 'hostname');
});

test('edge cases give clear errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['10.0.0.0/33', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/08', /prefix length/],
    ['2001:db8::/129', /prefix length/],
    ['pacs.example/24', /hostname/],
    ['192.0.2.20-192.0.2.10', /reversed range/],
    ['192.0.2.20-10', /reversed octet range/],
    ['2001:db8::ff-2001:db8::1', /reversed range/],
    ['192.0.2.1-2001:db8::1', /mix IPv4 and IPv6/],
    ['2001:db8::1-ff', /two addresses/],
    ['010.0.0.1', /leading zeros/],
    ['256.1.1.1', /larger than 255/],
    ['127.1', /shorthand/],
    ['fe80::1%eth0', /zone/],
    ['2001:db8:::1', /IPv6/],
    ['', /empty/],
    ['a b', /white space/],
    ['1.2.3', /shorthand/],
    ['1.2.3.4.5', /not an IPv4/],
    ['-', /not an IPv4/],
    ['pacs!.example', /not an IP address, CIDR, range or hostname/],
    ['under score!', /white space/],
  ];
  for (const [spec, re] of cases) assert.throws(() => parseTargetSpec(spec), re, spec);
});

test('all bad specs are reported at once, with their origin', () => {
  try {
    parseTargetSpecs([
      { text: '10.0.0.0/33', origin: 'list.txt:3' },
      '192.0.2.1',
      { text: '1.2.3.4-1.2.3.1', origin: 'list.txt:9' },
    ]);
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof TargetSpecError);
    assert.equal(err.problems.length, 2);
    assert.match(err.message, /2 bad target specs/);
    assert.match(err.message, /list\.txt:3: "10\.0\.0\.0\/33": prefix length/);
    assert.match(err.message, /list\.txt:9/);
  }
});

test('-iL lists: white space separated, # comments, origins', () => {
  const list = splitSpecList(
    '\uFEFF# hospitals\n192.0.2.0/24  pacs.example # main PACS\r\n\n10.0.1-3.1\t2001:db8::/64\n#end',
    'targets.txt',
  );
  assert.deepEqual(
    list.map((s) => `${s.origin} ${s.text}`),
    [
      'targets.txt:2 192.0.2.0/24',
      'targets.txt:2 pacs.example',
      'targets.txt:4 10.0.1-3.1',
      'targets.txt:4 2001:db8::/64',
    ],
  );
});
