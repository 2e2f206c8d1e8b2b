import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  ImportFormatError,
  detectFormat,
  importDiscovery,
  importDiscoveryFile,
  importDiscoveryText,
  streamDiscovery,
  type DiscoveryFormat,
  type ImportResult,
} from '../../../src/import/import.ts';
import { decodeEntities, xmlTokens } from '../../../src/import/nmap-xml.ts';
import { jsonObjects } from '../../../src/import/masscan.ts';
import { NumberSet } from '../../../src/import/number-set.ts';
import { Scope } from '../../../src/scope/scope.ts';

const samples = new URL('./samples/', import.meta.url);
const sample = (name: string) => new URL(name, samples).pathname;
/** The documentation ranges, minus one address, and 203.0.113.0/24 left out on purpose. */
const scope = () =>
  new Scope().allow('192.0.2.0/24').allow('198.51.100.0/24').allow('2001:db8::/32').exclude('198.51.100.66');

const summary = (r: ImportResult) => ({
  format: r.format,
  inScope: r.inScope.map((e) => `${e.address}:${e.port}`),
  outOfScope: r.outOfScope.map((e) => `${e.address}:${e.port}`),
  duplicates: r.duplicates,
  ignored: r.ignored,
  problems: r.problems.map((p) => `${p.line}: ${p.message}`),
});

const expected: Record<string, ReturnType<typeof summary>> = {
  'masscan-oJ.oJ': {
    format: 'masscan-json',
    inScope: ['192.0.2.10:104', '192.0.2.11:11112', '2001:db8::42:8042'],
    outOfScope: ['203.0.113.5:4242'],
    duplicates: 1,
    ignored: 2, // a banner record, a UDP port
    problems: [],
  },
  'masscan-oJ-trailing-comma.oJ': {
    format: 'masscan-json',
    inScope: ['198.51.100.20:4242', '198.51.100.21:2762'],
    outOfScope: ['198.51.100.66:104'], // excluded from the scope
    duplicates: 0,
    ignored: 0,
    problems: [],
  },
  'masscan-oJ-legacy.oJ': {
    format: 'masscan-json',
    inScope: ['192.0.2.30:104', '192.0.2.31:5678'],
    outOfScope: ['203.0.113.31:104'],
    duplicates: 0,
    ignored: 1, // {finished: 1}
    problems: [],
  },
  'masscan-oJ-interrupted.oJ': {
    format: 'masscan-json',
    inScope: ['192.0.2.40:104', '192.0.2.41:4242'],
    outOfScope: [],
    duplicates: 0,
    ignored: 0,
    problems: ['6: truncated record at the end of the file (interrupted scan?)'],
  },
  'masscan-oD.ndjson': {
    format: 'masscan-json',
    inScope: ['192.0.2.50:104', '2001:db8::51:2762'],
    outOfScope: ['203.0.113.51:11112'],
    duplicates: 0,
    ignored: 2, // banner, closed
    problems: [],
  },
  'masscan-oL.txt': {
    format: 'masscan-list',
    inScope: ['192.0.2.60:104', '192.0.2.61:4242', '2001:db8::60:8080'],
    outOfScope: ['203.0.113.60:11112'],
    duplicates: 0,
    ignored: 3, // banner, udp, closed
    problems: [],
  },
  'zmap.csv': {
    format: 'zmap-csv',
    inScope: ['192.0.2.70:104', '192.0.2.72:11112'],
    outOfScope: ['203.0.113.70:104', '198.51.100.66:4242'],
    duplicates: 1, // repeat=1
    ignored: 1, // rst
    problems: [],
  },
  'nmap.xml': {
    format: 'nmap-xml',
    inScope: ['192.0.2.90:104', '192.0.2.90:11112', '2001:db8::90:8042'],
    outOfScope: ['203.0.113.92:104'],
    duplicates: 0,
    ignored: 3, // filtered tcp, host down, open|filtered udp
    problems: [],
  },
  'nmap-interrupted.xml': {
    format: 'nmap-xml',
    inScope: ['198.51.100.3:104', '198.51.100.4:104'],
    outOfScope: [],
    duplicates: 0,
    ignored: 0,
    problems: ['12: the file ends inside this <host> (scan interrupted?): only its complete <port> elements are read'],
  },
  'masscan.xml': {
    format: 'nmap-xml',
    inScope: ['192.0.2.95:4242'],
    outOfScope: ['203.0.113.95:104'],
    duplicates: 0,
    ignored: 0,
    problems: [],
  },
};

for (const [file, want] of Object.entries(expected)) {
  test(`import ${file}`, async () => {
    const s = scope();
    const r = await importDiscoveryFile(sample(file), s);
    assert.deepEqual(summary(r), want);
    for (const e of r.inScope) assert.equal(s.allows(e.address), true);
    for (const e of r.outOfScope) assert.equal(s.allows(e.address), false);
  });
}

test('zmap default output: one address per line, the port must be given', async () => {
  await assert.rejects(importDiscoveryFile(sample('zmap-default.txt'), scope()), ImportFormatError);
  const r = await importDiscoveryFile(sample('zmap-default.txt'), scope(), { port: 104 });
  assert.deepEqual(summary(r), {
    format: 'zmap-list',
    inScope: ['192.0.2.80:104', '192.0.2.81:104'],
    outOfScope: ['203.0.113.80:104'],
    duplicates: 1,
    ignored: 0,
    problems: [],
  });
  await assert.rejects(importDiscoveryFile(sample('zmap-default.txt'), scope(), { port: 0 }), RangeError);
});

test('zmap CSV without sport takes the given port; data rows may be quoted', async () => {
  const text = 'saddr, daddr, ipid\n192.0.2.5,192.0.2.250,"1"\n';
  assert.deepEqual(summary(await importDiscoveryText(text, scope(), { port: 4242 })).inScope, ['192.0.2.5:4242']);
  const r = await importDiscoveryText(text, scope());
  assert.deepEqual(
    r.problems.map((p) => p.message),
    ['zmap CSV has no sport column: give the scanned port'],
  );
  assert.equal(r.inScope.length, 0);
});

test('nmap: hosthint, trace hops, OS portused and MAC addresses never become targets', async () => {
  const r = await importDiscoveryFile(sample('nmap.xml'), new Scope().allow('0.0.0.0/0').allow('::/0'));
  const all = [...r.inScope, ...r.outOfScope].map((e) => `${e.address}:${e.port}`);
  assert.ok(!all.some((a) => a.startsWith('192.0.2.99:')), 'hosthint');
  assert.ok(!all.some((a) => a.startsWith('203.0.113.1:')), 'traceroute hop');
  assert.ok(!all.some((a) => a.endsWith(':22')), 'OS detection portused');
  assert.ok(!all.some((a) => a.toLowerCase().includes('00:00:5e')), 'MAC address');
  assert.equal(r.inScope.find((e) => e.port === 104)!.line, 23, 'line of the <port> element');
});

test('format detection', () => {
  const cases: Array<[string, DiscoveryFormat]> = [
    ['<?xml version="1.0"?>\n<nmaprun>', 'nmap-xml'],
    ['\uFEFF  <nmaprun scanner="masscan">', 'nmap-xml'],
    ['#masscan\nopen tcp 80 192.0.2.1 1', 'masscan-list'],
    ['open tcp 80 192.0.2.1 1700000000\n', 'masscan-list'],
    ['[\n{"ip": "192.0.2.1"', 'masscan-json'],
    ['{"ip":"192.0.2.1","port":80}\n', 'masscan-json'],
    ['saddr, sport\n192.0.2.1,80\n', 'zmap-csv'],
    ['saddr,sport,daddr\n', 'zmap-csv'],
  ];
  for (const [head, format] of cases) assert.equal(detectFormat(head), format, head);
  assert.equal(detectFormat('192.0.2.1\n192.0.2.2\n', { port: 104 }), 'zmap-list');
  assert.throws(() => detectFormat('192.0.2.1\n'), /give the port/);
  assert.throws(() => detectFormat('hello world'), ImportFormatError);
});

test('records that are not addresses or ports are problems, not crashes', async () => {
  const r = await importDiscoveryText(
    'open tcp 80 pacs.example 1700000000\nopen tcp 0 192.0.2.1 1\ngarbage\nopen tcp 104 ::ffff:192.0.2.9 1\n',
    scope(),
    { format: 'masscan-list' },
  );
  assert.deepEqual(summary(r).problems, [
    '1: "pacs.example" is not an IP address',
    '2: 0 is not a TCP port',
    '3: not a masscan -oL line (status proto port address time)',
  ]);
  assert.deepEqual(summary(r).inScope, ['192.0.2.9:104'], 'IPv4-mapped canonicalised to IPv4');
  const j = await importDiscoveryText(
    '[{"ip": 5, "ports": []}, "x", {"ip": "192.0.2.1", "ports": [{"port": "80", "proto": "tcp", "status": "open"}]}, {nope',
    scope(),
  );
  assert.deepEqual(summary(j).problems, [
    '1: ip is not a string',
    '1: unexpected "\\"" between records',
    '1: port is not a number',
    '1: truncated record at the end of the file (interrupted scan?)',
  ]);
  const x = await importDiscoveryText(
    '<nmaprun><host><status state="up"/><address addr="192.0.2.1"/><ports><port protocol="tcp" portid="80"><state state="open"/></ports></host></nmaprun>',
    scope(),
  );
  assert.match(x.problems[0]!.message, /<\/ports> closes <port>; reading stopped here/);
});

test('property: any chunking of a file gives the same import', async () => {
  const files = Object.keys(expected);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...files),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }),
      async (file, sizes) => {
        const text = readFileSync(sample(file), 'utf8');
        const chunks: string[] = [];
        for (let i = 0, k = 0; i < text.length; k++) {
          const n = sizes[k % sizes.length]!;
          chunks.push(text.slice(i, i + n));
          i += n;
        }
        const r = await importDiscovery(chunks, scope());
        assert.deepEqual(summary(r), expected[file]);
      },
    ),
    { numRuns: 200 },
  );
});

test('streams: records are classified one by one from a lazy source', async () => {
  let produced = 0;
  function* ndjson(): Generator<string> {
    for (let i = 0; i < 50_000; i++) {
      produced++;
      const a = i % 2 === 0 ? `192.0.2.${i % 256}` : `203.0.113.${i % 256}`;
      yield `{"ip":"${a}","timestamp":"1","port":${1024 + (i % 50_000)},"proto":"tcp","rec_type":"status","data":{"status":"open","reason":"syn-ack","ttl":64}}\n`;
    }
  }
  let inScope = 0;
  let outOfScope = 0;
  const s = scope();
  for await (const item of streamDiscovery(ndjson(), s)) {
    if (item.kind === 'in-scope') {
      inScope++;
      assert.ok(s.allows(item.endpoint.address));
      if (inScope === 10) assert.ok(produced < 1000, `the source was read ahead to record ${produced}`);
    } else if (item.kind === 'out-of-scope') outOfScope++;
  }
  assert.equal(inScope, 25_000);
  assert.equal(outOfScope, 25_000);
});

test('XML tokenizer: entities, quotes, comments, CDATA, DOCTYPE subsets', async () => {
  const xml = `<?xml version="1.0"?><!DOCTYPE nmaprun [ <!ENTITY x "y"> ]><!-- a <host> in a comment --><a k='v"1' j="&lt;&#x41;&#66;&amp;&quot;" gt="a > b"/><![CDATA[<host>]]></a>`;
  const tokens = [];
  for await (const t of xmlTokens([xml])) tokens.push(t);
  assert.deepEqual(
    tokens.map((t) => [t.type, t.name, t.attrs, t.selfClosing]),
    [
      ['open', 'a', { k: 'v"1', j: '<AB&"', gt: 'a > b' }, true],
      ['close', 'a', {}, false],
    ],
  );
  assert.equal(decodeEntities('&bogus; &#xFFFFFFFF; &apos;'), "&bogus; &#xFFFFFFFF; '");
});

test('masscan JSON scanner: strings holding braces and records spanning lines', async () => {
  const text =
    '[\n{\n  "ip": "192.0.2.1",\n  "ports": [ { "port": 80, "proto": "tcp", "service": { "banner": "}{ \\" ]" } } ]\n}\n,\n{"ip": "192.0.2.2"}\n]';
  const recs = [];
  for await (const r of jsonObjects([text])) recs.push(r);
  assert.deepEqual(
    recs.map((r) => ('value' in r ? [r.line, (r.value as { ip: string }).ip] : r.error)),
    [
      [2, '192.0.2.1'],
      [7, '192.0.2.2'],
    ],
  );
});

test('NumberSet: a compact set of integers, checked against Set', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 2 ** 48 })), { maxLength: 3000 }),
      (keys) => {
        const a = new NumberSet(4);
        const b = new Set<number>();
        for (const k of keys) {
          assert.equal(a.add(k), !b.has(k));
          b.add(k);
        }
        assert.equal(a.size, b.size);
        for (const k of keys) assert.ok(a.has(k));
        assert.equal(a.has(2 ** 48 + 7), b.has(2 ** 48 + 7));
      },
    ),
    { numRuns: 50 },
  );
  assert.throws(() => new NumberSet().add(0), RangeError);
  assert.throws(() => new NumberSet().add(1.5), RangeError);
});
