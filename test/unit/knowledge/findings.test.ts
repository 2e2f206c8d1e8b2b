/**
 * Findings catalogue: every finding's own examples (fires on each, stays quiet on each near
 * miss), the fact vocabulary against AssessInput, the generated docs, and the loader's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assessEndpoint } from '../../../src/assess/assess.ts';
import { factAt } from '../../../src/assess/condition.ts';
import type { AssessInput } from '../../../src/assess/input.ts';
import { findings, parseFindings } from '../../../src/knowledge/findings.ts';
import { FACT_PATHS, KnowledgeDataError, conditionPaths } from '../../../src/knowledge/schema.ts';
import { renderFindingsDoc } from '../../../scripts/findings-doc.ts';
import { closedDoor, everything, overlay } from '../assess/helpers.ts';

const RAW = JSON.parse(readFileSync(new URL('../../../src/knowledge/findings.json', import.meta.url), 'utf8')) as {
  findings: Array<Record<string, unknown>>;
};

function withFinding(i: number, change: (f: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(RAW);
  change(copy.findings[i] as Record<string, unknown>);
  return copy;
}

test('the closed-door baseline raises no finding', () => {
  assert.deepEqual(
    assessEndpoint(closedDoor()).findings.map((f) => f.id),
    [],
  );
});

for (const def of findings().findings) {
  test(`${def.id}: fires on its examples, quiet on its near misses`, () => {
    assert.ok(def.examples.fires.length > 0 && def.examples.quiet.length > 0);
    def.examples.fires.forEach((patch, i) => {
      const got = assessEndpoint(overlay<AssessInput>(closedDoor(), patch)).findings.map((f) => f.id);
      assert.ok(got.includes(def.id), `fires[${i}] should raise ${def.id}, got ${got.join(', ')}`);
    });
    def.examples.quiet.forEach((patch, i) => {
      const got = assessEndpoint(overlay<AssessInput>(closedDoor(), patch)).findings.map((f) => f.id);
      assert.ok(!got.includes(def.id), `quiet[${i}] should not raise ${def.id}`);
    });
  });
}

test('every path a finding names is a documented fact', () => {
  for (const def of findings().findings) {
    const paths = [
      ...conditionPaths(def.trigger),
      ...def.severityRules.flatMap((r) => conditionPaths(r.when)),
      ...def.evidence,
    ];
    for (const p of paths) assert.ok(FACT_PATHS[p] !== undefined, `${def.id}: ${p}`);
  }
});

/** Leaf paths of a plain object (arrays are leaves). */
function leaves(v: unknown, prefix = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k));
}

test('FACT_PATHS is exactly the leaves of a fully populated AssessInput (plus derived), with their types', () => {
  const full = everything();
  const inputPaths = Object.keys(FACT_PATHS).filter((p) => !p.startsWith('derived.'));
  assert.deepEqual(leaves(full).sort(), [...inputPaths].sort());
  for (const p of inputPaths) {
    const v = factAt(full, p);
    const t = FACT_PATHS[p];
    if (t === 'string[]') assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), p);
    else assert.equal(typeof v, t, p);
  }
});

test('docs/findings.md is the generated catalogue and lists every finding and fact', () => {
  const doc = readFileSync(new URL('../../../docs/findings.md', import.meta.url), 'utf8');
  assert.equal(doc, renderFindingsDoc(), 'run: node_modules/.bin/node scripts/findings-doc.ts');
  for (const def of findings().findings) assert.ok(doc.includes(`## ${def.id}\n`), def.id);
  for (const p of Object.keys(FACT_PATHS)) assert.ok(doc.includes(`| \`${p}\` |`), p);
});

test('loader refuses malformed findings, naming them', () => {
  const refuse = (data: unknown, re: RegExp): void => {
    assert.throws(
      () => parseFindings(data),
      (e: unknown) => e instanceof KnowledgeDataError && re.test(e.message),
    );
  };
  refuse(
    withFinding(0, (f) => (f.severity = 'urgent')),
    /dicom-query-unauthenticated.*severity must be one of/,
  );
  refuse(
    withFinding(0, (f) => (f.trigger = { path: 'query.patient', gt: 0 })),
    /unknown fact "query.patient"/,
  );
  refuse(
    withFinding(0, (f) => (f.trigger = { path: 'query.patients', gt: '0' })),
    /gt needs a number/,
  );
  refuse(
    withFinding(0, (f) => (f.trigger = { path: 'query.patients', gt: 0, lt: 9 })),
    /exactly one operator/,
  );
  refuse(
    withFinding(0, (f) => (f.trigger = { path: 'query.phiCategories', eq: 'name' })),
    /eq needs a scalar fact/,
  );
  refuse(
    withFinding(0, (f) => (f.trigger = { all: [] })),
    /must not be empty/,
  );
  refuse(
    withFinding(0, (f) => (f.evidence = ['query.nothing'])),
    /evidence names unknown fact/,
  );
  refuse(
    withFinding(0, (f) => delete f.examples),
    /examples must be an object/,
  );
  refuse(
    withFinding(0, (f) => (f.examples = { fires: [], quiet: [{}] })),
    /examples.fires must not be empty/,
  );
  refuse(
    withFinding(0, (f) => (f.remediation = [])),
    /remediation must not be empty/,
  );
  refuse(
    withFinding(0, (f) => (f.references = ['ftp://x'])),
    /https URL/,
  );
  refuse(
    withFinding(0, (f) => (f.severityRules = [{ when: { path: 'query.patients', gt: 1 }, severity: 'huge' }])),
    /severityRules\[0\].severity/,
  );
  refuse(
    withFinding(1, (f) => (f.id = 'dicom-query-unauthenticated')),
    /duplicate id/,
  );
  refuse(
    withFinding(0, (f) => (f.perMatch = 'cve')),
    /perMatch/,
  );
});
