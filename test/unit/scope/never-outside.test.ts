/**
 * The scope guarantee, end to end on the paths that produce addresses to contact: target specs
 * (with hostnames), host × port work items, a facility registry, and imported discovery results.
 * For random scopes and inputs, nothing outside the scope is ever produced, checked against a
 * naive model of the scope (a set of the allowed addresses), not only against Scope itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scope } from '../../../src/scope/scope.ts';
import { formatIPv4 } from '../../../src/targets/address.ts';
import { TargetSet, type Resolver } from '../../../src/targets/target-set.ts';
import { workItems } from '../../../src/targets/work.ts';
import { parseRegistry } from '../../../src/facilities/registry.ts';
import { importDiscoveryText } from '../../../src/import/import.ts';

const BASE = 0xc0000200; // 192.0.2.0 .. 192.0.5.255: a 1024-address playground
const addr = (i: number) => formatIPv4(BASE + i);
const range = fc
  .tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 0, max: 48 }))
  .map(([a, l]) => [a, Math.min(1023, a + l)] as const);
const spec = ([a, b]: readonly [number, number]) => (a === b ? addr(a) : `${addr(a)}-${addr(b)}`);
const members = (ranges: ReadonlyArray<readonly [number, number]>) => {
  const s = new Set<string>();
  for (const [a, b] of ranges) for (let i = a; i <= b; i++) s.add(addr(i));
  return s;
};

/** Names n0..n9.example resolve to playground addresses (some in scope, some not); others fail. */
const dnsTable = fc.array(fc.integer({ min: 0, max: 1023 }), { minLength: 10, maxLength: 10 });
const resolverFor =
  (table: number[]): Resolver =>
  async (name) => {
    const m = /^n(\d)\.example$/.exec(name);
    if (!m) throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
    return [addr(table[Number(m[1])]!)];
  };

test('property: specs, hostnames and work items never yield an address outside the scope', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(range, { minLength: 1, maxLength: 5 }),
      fc.array(range, { maxLength: 3 }),
      fc.array(range, { minLength: 1, maxLength: 5 }),
      fc.array(range, { maxLength: 3 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 11 }), { maxLength: 5 }),
      dnsTable,
      fc.integer(),
      async (allow, deny, targets, exclude, names, table, seed) => {
        const scope = new Scope();
        for (const r of allow) scope.allow(spec(r));
        for (const r of deny) scope.exclude(spec(r));
        const denied = members(deny);
        const model = new Set([...members(allow)].filter((a) => !denied.has(a)));
        const t = await TargetSet.build({
          include: [...targets.map(spec), ...names.map((n) => `n${n}.example`)],
          exclude: exclude.map(spec),
          resolver: resolverFor(table),
        });
        const produced: string[] = [];
        for await (const x of t.iterate({ seed, scope })) produced.push(x.address);
        for await (const w of workItems(t, [104, 4242], { seed, scope })) produced.push(w.address);
        for await (const x of t.restrict(scope).targets.iterate({ seed })) if (!x.hostname) produced.push(x.address);
        for (const a of produced) assert.ok(model.has(a), `${a} produced outside the scope`);
        // and nothing in scope is lost: every listed address inside the scope comes out
        const excluded = members(exclude);
        for (const a of members(targets))
          if (model.has(a) && !excluded.has(a)) assert.ok(produced.includes(a), `${a} lost`);
      },
    ),
    { numRuns: 150 },
  );
});

test("property: a registry's targets stay inside its own scope, hostnames included", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          ranges: fc.array(range, { minLength: 1, maxLength: 3 }),
          exclude: fc.array(range, { maxLength: 2 }),
          host: fc.option(fc.integer({ min: 0, max: 11 })),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      dnsTable,
      async (facilities, table) => {
        const csv = ['id,name,country,contact,ranges,exclude'];
        facilities.forEach((f, i) => {
          const items = [...f.ranges.map(spec), ...(f.host === null ? [] : [`n${f.host}.example`])];
          csv.push(`f${i},F${i},FR,sec@f${i}.example.org,${items.join(';')},${f.exclude.map(spec).join(';')}`);
        });
        const registry = await parseRegistry(csv.join('\n'), { format: 'csv', source: 'r.csv' }).resolveHosts(
          resolverFor(table),
        );
        const excluded = members(facilities.flatMap((f) => f.exclude));
        const listed = members(facilities.flatMap((f) => f.ranges));
        for (const f of facilities) if (f.host !== null && f.host < 10) listed.add(addr(table[f.host]!));
        const model = new Set([...listed].filter((a) => !excluded.has(a)));
        const scope = registry.scope();
        const targets = await registry.targets();
        const produced = new Set<string>();
        for await (const x of targets.iterate({ seed: 1, scope })) produced.add(x.address);
        for await (const x of targets.iterate({ seed: 2 })) produced.add(x.address);
        assert.deepEqual(produced, model);
        for (const a of produced) {
          assert.ok(scope.allows(a));
          assert.notEqual(registry.facilityFor(a), null);
        }
      },
    ),
    { numRuns: 100 },
  );
});

test('property: imported results outside the scope are returned apart, never as targets', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(range, { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1023 }), fc.integer({ min: 1, max: 65535 })), { maxLength: 40 }),
      fc.constantFrom('masscan-list', 'masscan-json', 'zmap-csv', 'nmap-xml'),
      async (allow, found, format) => {
        const scope = new Scope();
        for (const r of allow) scope.allow(spec(r));
        const model = members(allow);
        let text: string;
        if (format === 'masscan-list')
          text = `#masscan\n${found.map(([a, p]) => `open tcp ${p} ${addr(a)} 1700000000`).join('\n')}\n# end\n`;
        else if (format === 'masscan-json')
          text = `[\n${found.map(([a, p]) => `{"ip": "${addr(a)}", "timestamp": "1", "ports": [{"port": ${p}, "proto": "tcp", "status": "open", "reason": "syn-ack", "ttl": 64}]}`).join('\n,\n')}\n]\n`;
        else if (format === 'zmap-csv') text = `saddr, sport\n${found.map(([a, p]) => `${addr(a)},${p}`).join('\n')}\n`;
        else
          text = `<?xml version="1.0"?>\n<nmaprun scanner="nmap">\n${found.map(([a, p]) => `<host><status state="up"/><address addr="${addr(a)}" addrtype="ipv4"/><ports><port protocol="tcp" portid="${p}"><state state="open"/></port></ports></host>`).join('\n')}\n</nmaprun>\n`;
        const r = await importDiscoveryText(text, scope);
        for (const e of r.inScope) assert.ok(model.has(e.address), `${e.address} imported as in scope`);
        for (const e of r.outOfScope) assert.ok(!model.has(e.address));
        const distinct = new Set(found.map(([a, p]) => `${addr(a)} ${p}`));
        assert.equal(r.inScope.length + r.outOfScope.length, distinct.size);
        assert.equal(r.duplicates, found.length - distinct.size);
      },
    ),
    { numRuns: 150 },
  );
});
