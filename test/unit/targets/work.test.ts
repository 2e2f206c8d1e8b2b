import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TargetSet, type Resolver } from '../../../src/targets/target-set.ts';
import { workCount, workItems, type WorkItem } from '../../../src/targets/work.ts';
import { DEFAULT_PORTS, DEFAULT_PORT_INFO, loadDefaultPorts, normalisePorts } from '../../../src/targets/ports.ts';
import { Scope } from '../../../src/scope/scope.ts';

async function collect(it: AsyncIterable<WorkItem>): Promise<string[]> {
  const out: string[] = [];
  for await (const w of it) out.push(`${w.address}:${w.port}`);
  return out;
}

test('the default DICOM/PACS ports, each with a documented reason', () => {
  assert.deepEqual(DEFAULT_PORTS, [104, 11112, 4242, 2761, 2762, 2345, 5678, 8042, 8080, 80, 443]);
  for (const p of DEFAULT_PORT_INFO) {
    assert.ok(p.reason.length > 30, `port ${p.port} needs a reason`);
    assert.ok(p.source.length > 5, `port ${p.port} needs a source`);
  }
  assert.equal(DEFAULT_PORT_INFO.find((p) => p.port === 2762)?.transport, 'dicom-tls');
  assert.throws(
    () =>
      loadDefaultPorts({
        ports: [
          { port: 104, service: 'dicom', transport: 'dicom', reason: 'x', source: 'y' },
          { port: 104, service: 'dicom', transport: 'dicom', reason: 'x', source: 'y' },
        ],
      }),
    /twice/,
  );
  assert.throws(
    () => loadDefaultPorts({ ports: [{ port: 0, service: 'dicom', transport: 'dicom', reason: 'x', source: 'y' }] }),
    /1\.\.65535/,
  );
  assert.deepEqual(normalisePorts([104, 4242, 104]), [104, 4242]);
  assert.throws(() => normalisePorts([]), /empty/);
  assert.throws(() => normalisePorts([70000]), /not a TCP port/);
});

test('sequential work is host-major: every port of a host, then the next host', async () => {
  const t = await TargetSet.build({ include: ['192.0.2.1-2'] });
  assert.deepEqual(await collect(workItems(t, [104, 4242], { order: 'sequential' })), [
    '192.0.2.1:104',
    '192.0.2.1:4242',
    '192.0.2.2:104',
    '192.0.2.2:4242',
  ]);
});

test('property: random work covers hosts × ports exactly once, reproducibly', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 200 }),
      fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 6 }),
      fc.integer(),
      async (hosts, ports, seed) => {
        const t = await TargetSet.build({
          include: hosts === 0 ? [] : [`198.51.100.0-198.51.100.${Math.min(hosts - 1, 255)}`],
        });
        const expected = new Set<string>();
        for await (const h of t.iterate({ order: 'sequential' }))
          for (const p of ports) expected.add(`${h.address}:${p}`);
        assert.equal(workCount(t, ports), BigInt(expected.size));
        const got = await collect(workItems(t, ports, { seed }));
        assert.equal(got.length, expected.size);
        assert.deepEqual(new Set(got), expected);
        assert.deepEqual(await collect(workItems(t, ports, { seed })), got);
      },
    ),
    { numRuns: 60 },
  );
});

test('random work spreads the ports of one host apart', async () => {
  const t = await TargetSet.build({ include: ['192.0.2.0/24'] });
  const items: WorkItem[] = [];
  for await (const w of workItems(t, DEFAULT_PORTS, { seed: 1 })) items.push(w);
  let sameHostBackToBack = 0;
  for (let i = 1; i < items.length; i++) if (items[i]!.address === items[i - 1]!.address) sameHostBackToBack++;
  assert.ok(sameHostBackToBack < 30, `${sameHostBackToBack} consecutive items on the same host`);
  assert.deepEqual(
    items.map((w) => w.position),
    items.map((_, i) => BigInt(i)),
  );
});

test('a hostname is resolved once for all its ports; skips reported once', async () => {
  const calls: string[] = [];
  const resolver: Resolver = async (name) => {
    calls.push(name);
    if (name === 'pacs.example') return ['192.0.2.77'];
    if (name === 'outside.example') return ['203.0.113.77'];
    throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
  };
  const t = await TargetSet.build({
    include: ['192.0.2.1', 'pacs.example', 'outside.example', 'nx.example'],
    resolver,
  });
  const skipped: string[] = [];
  const scope = new Scope().allow('192.0.2.0/24');
  const got = await collect(
    workItems(t, DEFAULT_PORTS, { seed: 4, scope, onSkip: (s) => skipped.push(`${s.target}:${s.reason}`) }),
  );
  assert.equal(got.length, 2 * DEFAULT_PORTS.length);
  assert.ok(got.every((g) => g.startsWith('192.0.2.')));
  assert.deepEqual(calls.sort(), ['nx.example', 'outside.example', 'pacs.example']);
  assert.deepEqual(skipped.sort(), ['nx.example:unresolvable', 'outside.example:out-of-scope']);
});
