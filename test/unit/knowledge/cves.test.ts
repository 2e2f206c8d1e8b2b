/**
 * CVE rules: version comparison, every range edge of every bundled rule (first affected, last
 * affected, first fixed), unknown versions, hand-checked products, and the loader's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  compareVersions,
  cves,
  inRange,
  matchProductCves,
  parseCves,
  parseVersion,
  type ProductRule,
} from '../../../src/knowledge/cves.ts';
import { KnowledgeDataError } from '../../../src/knowledge/schema.ts';

const RAW = JSON.parse(readFileSync(new URL('../../../src/knowledge/cves.json', import.meta.url), 'utf8')) as {
  rules: Array<Record<string, unknown>>;
};

function withRule(i: number, change: (r: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(RAW);
  change(copy.rules[i] as Record<string, unknown>);
  return copy;
}

/** The greatest plausible version below v: '3.6.7' → '3.6.6', '1.12.0' → '1.11.999', '3.6.0' → '3.5.999'. */
function below(v: string): string | null {
  const s = parseVersion(v) as number[];
  for (let i = s.length - 1; i >= 0; i--) {
    if ((s[i] as number) > 0) {
      return [...s.slice(0, i), (s[i] as number) - 1, ...s.slice(i + 1).map(() => 999)].join('.');
    }
  }
  return null;
}
const above = (v: string): string => `${v}.1`;

test('versions compare numerically, segment by segment', () => {
  assert.equal(compareVersions('3.6.7', '3.6.10'), -1);
  assert.equal(compareVersions('1.10.1', '1.9.9'), 1);
  assert.equal(compareVersions('5.23.1', '5.23.1'), 0);
  assert.equal(compareVersions('5.23.1', '5.3.10'), 1);
  assert.equal(compareVersions('3.6', '3.6.0'), 0);
  assert.equal(parseVersion('3.6.9+DEV'), null);
  assert.equal(parseVersion('mainline'), null);
  assert.throws(() => compareVersions('3.6.9+DEV', '3.6.9'), RangeError);
});

test('edge helpers are right', () => {
  assert.equal(below('3.6.7'), '3.6.6');
  assert.equal(below('1.12.0'), '1.11.999');
  assert.equal(below('0'), null);
  assert.ok(compareVersions(above('3.6.9'), '3.6.9') > 0 && compareVersions(above('3.6.9'), '3.6.10') < 0);
});

const productRules = cves().rules.filter((r): r is ProductRule => r.kind === 'product');

for (const rule of productRules) {
  rule.affected.forEach((range, j) => {
    test(`${rule.id} range ${j}: edges`, () => {
      const matches = (v: string): boolean =>
        matchProductCves(rule.product, v).matches.some((m) => m.rule.id === rule.id);
      if (range.introduced !== '0') {
        assert.ok(matches(range.introduced), `first affected ${range.introduced}`);
        const b = below(range.introduced);
        if (b !== null && !rule.affected.some((r) => r !== range && inRange(b, r)))
          assert.ok(!matches(b), `below introduced ${b}`);
      } else {
        assert.ok(matches('0.1'), 'introduced 0 covers early versions');
      }
      if (range.fixed !== undefined) {
        assert.ok(!matches(range.fixed), `first fixed ${range.fixed}`);
        const last = below(range.fixed);
        if (last !== null && (range.introduced === '0' || compareVersions(last, range.introduced) >= 0))
          assert.ok(matches(last), `last affected before fix ${last}`);
      }
      if (range.lastAffected !== undefined) {
        assert.ok(matches(range.lastAffected), `last affected ${range.lastAffected}`);
        assert.ok(!matches(above(range.lastAffected)), `after last affected ${above(range.lastAffected)}`);
      }
    });
  });
}

test('unknown or odd versions match nothing and say why', () => {
  const none = matchProductCves('DCMTK', null);
  assert.equal(none.matches.length, 0);
  assert.match(none.note ?? '', /^version unknown: \d+ DCMTK CVE rule/);
  const odd = matchProductCves('DCMTK', '3.6.9+DEV');
  assert.equal(odd.matches.length, 0);
  assert.match(odd.note ?? '', /not comparable/);
  assert.deepEqual(matchProductCves('Conquest DICOM Server', '1.5.0'), { matches: [], note: null });
  assert.deepEqual(matchProductCves(null, '1.0'), { matches: [], note: null });
});

test('hand-checked products', () => {
  const ids = (p: string, v: string): string[] =>
    matchProductCves(p, v)
      .matches.map((m) => m.rule.id)
      .sort();
  assert.deepEqual(ids('DCMTK', '3.6.6'), [
    'CVE-2021-41689',
    'CVE-2022-2119',
    'CVE-2022-2120',
    'CVE-2022-2121',
    'CVE-2024-28130',
    'CVE-2024-34508',
    'CVE-2024-34509',
  ]);
  assert.deepEqual(ids('dcmtk', '3.6.7'), ['CVE-2022-43272', 'CVE-2024-28130', 'CVE-2024-34508', 'CVE-2024-34509']);
  assert.deepEqual(ids('DCMTK', '3.6.9'), [
    'CVE-2024-47796',
    'CVE-2024-52333',
    'CVE-2025-25472',
    'CVE-2025-25474',
    'CVE-2025-25475',
  ]);
  assert.deepEqual(ids('DCMTK', '3.7.1'), []);
  assert.deepEqual(ids('Orthanc', '1.5.7'), ['CVE-2023-33466', 'CVE-2025-0896', 'CVE-2026-5442']);
  assert.deepEqual(ids('Orthanc', '1.5.8'), ['CVE-2023-33466', 'CVE-2026-5442']);
  assert.deepEqual(ids('Orthanc', '1.10.1'), ['CVE-2023-33466', 'CVE-2026-5442']);
  assert.deepEqual(ids('Orthanc', '1.12.10'), ['CVE-2026-5442']);
  assert.deepEqual(ids('Orthanc', '1.12.11'), []);
});

test('every rule names a source and an https reference', () => {
  for (const r of cves().rules) {
    assert.ok(r.source.length > 0, r.id);
    assert.ok(
      r.references.every((u) => u.startsWith('https://')),
      r.id,
    );
  }
});

test('protocol rule CVE-2019-11687 is a condition on storage', () => {
  const r = cves().rules.find((x) => x.id === 'CVE-2019-11687');
  assert.equal(r?.kind, 'protocol');
});

test('loader refuses malformed rules, naming them', () => {
  const refuse = (data: unknown, re: RegExp): void => {
    assert.throws(
      () => parseCves(data),
      (e: unknown) => e instanceof KnowledgeDataError && re.test(e.message),
    );
  };
  refuse(
    withRule(0, (r) => delete r.source),
    /CVE-2022-2119.*source must be an array/,
  );
  refuse(
    withRule(0, (r) => (r.source = [])),
    /source must not be empty/,
  );
  refuse(
    withRule(0, (r) => (r.severity = 'severe')),
    /severity must be one of/,
  );
  refuse(
    withRule(0, (r) => (r.severity = 'critical')),
    /does not match CVSS 7.5/,
  );
  refuse(
    withRule(0, (r) => (r.affected = [{ introduced: '0', fixed: '3.6.7', lastAffected: '3.6.6' }])),
    /not both/,
  );
  refuse(
    withRule(0, (r) => (r.affected = [{ introduced: '3.6.x' }])),
    /not a numeric version/,
  );
  refuse(
    withRule(0, (r) => (r.affected = [{ introduced: '3.6.7', fixed: '3.6.7' }])),
    /is empty/,
  );
  refuse(
    withRule(0, (r) => (r.id = 'CVE-22-1')),
    /id must look like/,
  );
  refuse(
    withRule(0, (r) => (r.extra = 1)),
    /unknown key "extra"/,
  );
  refuse(
    withRule(0, (r) => (r.references = ['http://example.org'])),
    /https URL/,
  );
  const last = RAW.rules.length - 1;
  refuse(
    withRule(last, (r) => (r.when = { path: 'services.stor', eq: true })),
    /unknown fact "services.stor"/,
  );
  refuse(
    withRule(1, (r) => (r.id = 'CVE-2022-2119')),
    /duplicate id "CVE-2022-2119"/,
  );
  refuse({ version: 2, rules: RAW.rules }, /version must be 1/);
});
