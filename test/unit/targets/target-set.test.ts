import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { TargetSet, type Resolver, type Skipped, type Target } from '../../../src/targets/target-set.ts';
import { loadTargets, splitExcludeOption } from '../../../src/targets/load.ts';
import { formatIPv4, formatIPv6, parseAddress } from '../../../src/targets/address.ts';
import { TargetSpecError } from '../../../src/targets/spec.ts';
import { Scope } from '../../../src/scope/scope.ts';

/** A fake DNS: names of the .example zone only; anything else fails like NXDOMAIN. */
function fakeResolver(table: Record<string, string[]>, calls: string[] = []): Resolver {
  return async (name) => {
    calls.push(name);
    const hit = table[name];
    if (!hit) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return hit;
  };
}

async function collect(it: AsyncIterable<Target>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of it) out.push(t.address);
  return out;
}

test('counts without materialising: a /8, a v6 /64, all of IPv4', async () => {
  assert.equal((await TargetSet.build({ include: ['10.0.0.0/8'] })).count(), 16_777_216n);
  assert.equal((await TargetSet.build({ include: ['2001:db8::/64'] })).count(), 1n << 64n);
  assert.equal((await TargetSet.build({ include: ['0.0.0.0/0', '2001:db8::/32'] })).count(), (1n << 32n) + (1n << 96n));
});

test('sequential order, duplicates merged, exclusions removed, stats', async () => {
  const t = await TargetSet.build({
    include: ['192.0.2.0/30', '192.0.2.2-5', '192.0.2.3', '2001:db8::/127'],
    exclude: ['192.0.2.4', '2001:db8::1'],
  });
  assert.deepEqual(await collect(t.iterate({ order: 'sequential' })), [
    '192.0.2.0',
    '192.0.2.1',
    '192.0.2.2',
    '192.0.2.3',
    '192.0.2.5',
    '2001:db8::',
  ]);
  assert.deepEqual(t.stats, { listed: 11n, duplicates: 3n, excluded: 2n, hostnamesDropped: 0 });
  assert.equal(t.count(), 6n);
});

test('random order: same members, seeded, reproducible', async () => {
  const t = await TargetSet.build({ include: ['198.51.100.0/26', '2001:db8::/122'] });
  const seq = await collect(t.iterate({ order: 'sequential' }));
  const r1 = await collect(t.iterate({ seed: 99 }));
  const r2 = await collect(t.iterate({ seed: 99 }));
  const r3 = await collect(t.iterate({ seed: 100 }));
  assert.deepEqual(r1, r2);
  assert.notDeepEqual(r1, seq);
  assert.notDeepEqual(r1, r3);
  assert.deepEqual([...r1].sort(), [...seq].sort());
  // v4 and v6 interleave rather than come in blocks
  const firstHalf = r1.slice(0, 64);
  assert.ok(firstHalf.some((a) => a.includes(':')) && firstHalf.some((a) => a.includes('.')));
});

test('resume from a position and shards cover everything exactly once', async () => {
  const t = await TargetSet.build({ include: ['192.0.2.0/25', '198.51.100.7'] });
  const all = [];
  for await (const x of t.iterate({ seed: 5 })) all.push(x);
  const positions = all.map((x) => x.position);
  assert.deepEqual(
    positions,
    all.map((_, i) => BigInt(i)),
  );
  const resumed = await collect(t.iterate({ seed: 5, start: 50n }));
  assert.deepEqual(
    resumed,
    all.slice(50).map((x) => x.address),
  );
  const shards = await Promise.all(
    [0, 1, 2].map((index) => collect(t.iterate({ seed: 5, shard: { index, count: 3 } }))),
  );
  assert.deepEqual(shards.flat().sort(), all.map((x) => x.address).sort());
  assert.deepEqual(
    await collect(t.iterate({ seed: 5, start: 10n, end: 13n })),
    all.slice(10, 13).map((x) => x.address),
  );
  assert.throws(() => t.iterateSync({ shard: { index: 3, count: 3 } }).next(), RangeError);
});

test('hostnames: resolved lazily, once, first address; failures and duplicates reported', async () => {
  const calls: string[] = [];
  const resolver = fakeResolver(
    {
      'pacs.a.example': ['192.0.2.10', '192.0.2.11'],
      'dup.b.example': ['198.51.100.1'],
      'same.c.example': ['192.0.2.10'],
      'mapped.d.example': ['::ffff:203.0.113.9'],
      'excluded.e.example': ['192.0.2.99'],
    },
    calls,
  );
  const t = await TargetSet.build({
    include: [
      '198.51.100.0/30',
      'pacs.a.example',
      'PACS.A.example.',
      'dup.b.example',
      'same.c.example',
      'mapped.d.example',
      'nx.example',
      'excluded.e.example',
    ],
    exclude: ['192.0.2.99'],
    resolver,
  });
  assert.equal(calls.length, 0, 'nothing resolved before iteration');
  assert.equal(t.count(), 4n + 6n);
  assert.equal(t.stats.hostnamesDropped, 1, 'a repeated name is merged');
  const skipped: Skipped[] = [];
  const got: Target[] = [];
  for await (const x of t.iterate({ order: 'sequential', onSkip: (s) => skipped.push(s) })) got.push(x);
  assert.deepEqual(
    got.filter((x) => x.hostname).map((x) => `${x.hostname}=${x.address}`),
    ['pacs.a.example=192.0.2.10', 'mapped.d.example=203.0.113.9'],
  );
  assert.deepEqual(
    skipped.map((s) => `${s.target}:${s.reason}`),
    ['dup.b.example:duplicate', 'same.c.example:duplicate', 'nx.example:unresolvable', 'excluded.e.example:excluded'],
  );
  assert.equal(new Set(calls).size, calls.length, 'each name resolved once');
});

test('hostname exclusions are resolved up front and match by name too', async () => {
  const resolver = fakeResolver({ 'gw.example': ['192.0.2.1', '2001:db8::1'], 'pacs.example': ['192.0.2.7'] });
  const t = await TargetSet.build({
    include: ['192.0.2.0/29', '2001:db8::/126', 'pacs.example', 'gw.example'],
    exclude: ['gw.example'],
    resolver,
  });
  const got = await collect(t.iterate({ order: 'sequential' }));
  assert.ok(!got.includes('192.0.2.1') && !got.includes('2001:db8::1'));
  assert.equal(t.hostnames.length, 1, 'the excluded name is dropped from the targets');
  await assert.rejects(
    TargetSet.build({ include: ['192.0.2.1'], exclude: ['nx.example'], resolver }),
    /cannot resolve an excluded hostname/,
  );
});

test('pinned hosts label their address; exact count', async () => {
  const t = await TargetSet.build({
    include: ['192.0.2.0/30'],
    pinned: [
      { hostname: 'pacs.example', address: '192.0.2.2' },
      { hostname: 'web.example', address: '198.51.100.9' },
    ],
  });
  assert.equal(t.count(), 5n);
  const got = [];
  for await (const x of t.iterate({ order: 'sequential' }))
    got.push(`${x.address}${x.hostname ? `(${x.hostname})` : ''}`);
  assert.deepEqual(got, [
    '192.0.2.0',
    '192.0.2.1',
    '192.0.2.2(pacs.example)',
    '192.0.2.3',
    '198.51.100.9(web.example)',
  ]);
});

test('bad specs are all reported with their origin', async () => {
  await assert.rejects(
    TargetSet.build({ include: ['192.0.2.0/33', '192.0.2.5-1'] }),
    (err: unknown) => err instanceof TargetSpecError && err.problems.length === 2,
  );
});

test('restrict to a scope: what is outside is named, never produced', async () => {
  const t = await TargetSet.build({ include: ['192.0.2.0/24', '203.0.113.0/28'] });
  const scope = new Scope().allow('192.0.2.0/25').allow('203.0.113.8/29');
  const { targets, outsideV4 } = t.restrict(scope);
  assert.equal(targets.count(), 136n);
  assert.deepEqual(
    [...outsideV4.intervals()].map(([lo, hi]) => `${formatIPv4(Number(lo))}-${formatIPv4(Number(hi))}`),
    ['192.0.2.128-192.0.2.255', '203.0.113.0-203.0.113.7'],
  );
  for await (const x of targets.iterate({ seed: 1, scope })) assert.ok(scope.allows(x.address));
  // the scope given to iterate is a guard of its own
  const skipped: Skipped[] = [];
  const got = await collect(t.iterate({ seed: 1, scope, onSkip: (s) => skipped.push(s) }));
  assert.equal(got.length, 136);
  assert.equal(skipped.length, 256 + 16 - 136);
  assert.ok(skipped.every((s) => s.reason === 'out-of-scope'));
});

test('loadTargets: -iL and --exclude-file lists, comma-separated --exclude', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pacsmap-targets-'));
  try {
    await writeFile(join(dir, 'in.txt'), '# national list\n192.0.2.0/29\n198.51.100.1-3 # clinic\n');
    await writeFile(join(dir, 'ex.txt'), '192.0.2.0\n');
    const t = await loadTargets({
      targets: ['203.0.113.5'],
      inputLists: [join(dir, 'in.txt')],
      exclude: ['192.0.2.1,192.0.2.2'],
      excludeFiles: [join(dir, 'ex.txt')],
    });
    assert.deepEqual(await collect(t.iterate({ order: 'sequential' })), [
      '192.0.2.3',
      '192.0.2.4',
      '192.0.2.5',
      '192.0.2.6',
      '192.0.2.7',
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '203.0.113.5',
    ]);
    await writeFile(join(dir, 'bad.txt'), '192.0.2.0/24\n\n10.0.0.256\n');
    await assert.rejects(loadTargets({ inputLists: [join(dir, 'bad.txt')] }), /bad\.txt:3/);
  } finally {
    await rm(dir, { recursive: true });
  }
  assert.deepEqual(
    splitExcludeOption('10.0.0,2.1').map((s) => s.text),
    ['10.0.0,2.1'],
  );
  assert.deepEqual(
    splitExcludeOption('192.0.2.1,pacs.example').map((s) => s.text),
    ['192.0.2.1', 'pacs.example'],
  );
});

// --- property: the lazy generator yields exactly the expected addresses minus exclusions ---

const V4_BASE = 0xc0000200; // 192.0.2.0, a 10-bit playground up to 192.0.5.255
const V6_BASE = 0x20010db8n << 96n;
type Piece = { kind: 'cidr4' | 'range4' | 'cidr6' | 'range6'; a: number; b: number };
const piece = fc.record({
  kind: fc.constantFrom<Piece['kind']>('cidr4', 'range4', 'cidr6', 'range6'),
  a: fc.integer({ min: 0, max: 1023 }),
  b: fc.integer({ min: 0, max: 40 }),
});
function pieceSpec(p: Piece): { spec: string; members: string[] } {
  const members: string[] = [];
  if (p.kind === 'cidr4' || p.kind === 'cidr6') {
    const prefixBits = p.b % 7; // /32-/26 or /128-/122
    const size = 1 << prefixBits;
    const lo = p.a - (p.a % size);
    for (let i = lo; i < lo + size; i++)
      members.push(p.kind === 'cidr4' ? formatIPv4(V4_BASE + i) : formatIPv6(V6_BASE + BigInt(i)));
    return {
      spec:
        p.kind === 'cidr4'
          ? `${formatIPv4(V4_BASE + lo)}/${32 - prefixBits}`
          : `${formatIPv6(V6_BASE + BigInt(lo))}/${128 - prefixBits}`,
      members,
    };
  }
  const hi = Math.min(1023, p.a + p.b);
  for (let i = p.a; i <= hi; i++)
    members.push(p.kind === 'range4' ? formatIPv4(V4_BASE + i) : formatIPv6(V6_BASE + BigInt(i)));
  return {
    spec:
      p.kind === 'range4'
        ? `${formatIPv4(V4_BASE + p.a)}-${formatIPv4(V4_BASE + hi)}`
        : `${formatIPv6(V6_BASE + BigInt(p.a))}-${formatIPv6(V6_BASE + BigInt(hi))}`,
    members,
  };
}

test('property: for random CIDR/range sets, exactly the expected addresses minus exclusions, once each', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { minLength: 1, maxLength: 6 }),
      fc.array(piece, { maxLength: 4 }),
      fc.integer(),
      fc.boolean(),
      async (inc, exc, seed, random) => {
        const include = inc.map(pieceSpec);
        const exclude = exc.map(pieceSpec);
        const excluded = new Set(exclude.flatMap((p) => p.members));
        const expected = new Set(include.flatMap((p) => p.members).filter((a) => !excluded.has(a)));
        const t = await TargetSet.build({ include: include.map((p) => p.spec), exclude: exclude.map((p) => p.spec) });
        assert.equal(t.count(), BigInt(expected.size));
        const got = await collect(t.iterate({ order: random ? 'random' : 'sequential', seed }));
        assert.equal(got.length, expected.size, 'no address twice');
        assert.deepEqual(new Set(got), expected);
        const sync = [...t.iterateSync({ seed })].map((x) => x.address);
        assert.deepEqual(new Set(sync), expected);
      },
    ),
    { numRuns: 150 },
  );
});

test('property: octet patterns expand to exactly their cartesian product', async () => {
  const octet = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map((n) => ({ text: String(n), values: [n] })),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })).map(([a, d]) => {
      const b = Math.min(255, a + d);
      return { text: `${a}-${b}`, values: Array.from({ length: b - a + 1 }, (_, i) => a + i) };
    }),
    fc
      .uniqueArray(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 3 })
      .map((vs) => ({ text: vs.join(','), values: vs })),
  );
  await fc.assert(
    fc.asyncProperty(fc.tuple(octet, octet, octet, octet), async (os) => {
      const expected = new Set<string>();
      for (const a of os[0].values)
        for (const b of os[1].values)
          for (const c of os[2].values) for (const d of os[3].values) expected.add(`${a}.${b}.${c}.${d}`);
      const t = await TargetSet.build({ include: [os.map((o) => o.text).join('.')] });
      assert.deepEqual(new Set(await collect(t.iterate({ seed: 1 }))), expected);
      assert.equal(t.count(), BigInt(expected.size));
    }),
    { numRuns: 150 },
  );
});

// --- memory: a /8 and a v6 /64 are never materialised ---

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

for (const spec of ['10.0.0.0/8', '2001:db8::/64']) {
  test(`O(1) memory: 100k addresses of ${spec} in random order`, async () => {
    const t = await TargetSet.build({ include: [spec] });
    const base = (spec.includes(':') ? t.v6 : t.v4).at(0n);
    const size = t.count();
    const buckets = new Set<bigint>();
    let n = 0;
    let before = 0;
    let growth = 0;
    for await (const x of t.iterate({ seed: 2024 })) {
      n++;
      if (n <= 1000) buckets.add(((parseAddress(x.address)!.value - base) * 16n) / size);
      if (n === 20_000) before = heapUsed(); // after warm-up (compilation, caches)
      if (n === 120_000) {
        growth = heapUsed() - before;
        break;
      }
    }
    // JIT and page allocation move the needle by up to ~0.5 MB either way; keeping the 100k
    // addresses would add several MB (the control below), the /8 materialised hundreds of MB.
    assert.ok(growth < 1024 * 1024, `heap grew by ${growth} bytes over 100k addresses`);
    assert.equal(buckets.size, 16, 'the first 1000 addresses already cover every sixteenth of the range');
  });
}

test('control: the memory measurement does see 100k addresses being kept', async () => {
  const t = await TargetSet.build({ include: ['10.0.0.0/8'] });
  const kept: string[] = [];
  const before = heapUsed();
  for await (const x of t.iterate({ seed: 2024, end: 100_000n })) kept.push(x.address);
  const growth = heapUsed() - before;
  assert.equal(kept.length, 100_000);
  assert.ok(growth > 3 * 1024 * 1024, `keeping them grew the heap by only ${growth} bytes`);
});
