/**
 * Honeypot tells: each tell holds on its own example and not on its near miss, the decision rule
 * (one strong, or two supporting of the same honeypot), what a verdict does to exposure, and the
 * loader's refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assessEndpoint, judgeHoneypot } from '../../../src/assess/assess.ts';
import { evaluate } from '../../../src/assess/condition.ts';
import type { AssessInput } from '../../../src/assess/input.ts';
import { honeypots, parseHoneypots } from '../../../src/knowledge/honeypots.ts';
import { KnowledgeDataError } from '../../../src/knowledge/schema.ts';
import { closedDoor, overlay } from '../assess/helpers.ts';

const RAW = JSON.parse(readFileSync(new URL('../../../src/knowledge/honeypots.json', import.meta.url), 'utf8')) as {
  honeypots: Array<{ tells: Array<Record<string, unknown>> } & Record<string, unknown>>;
};

for (const h of honeypots().honeypots) {
  for (const t of h.tells) {
    test(`${h.id} / ${t.id}: holds on its example, not on its near miss`, () => {
      assert.ok(evaluate(t.when, overlay<AssessInput>(closedDoor(), t.examples.fires)), 'fires');
      assert.ok(!evaluate(t.when, overlay<AssessInput>(closedDoor(), t.examples.quiet)), 'quiet');
    });
  }
  test(`${h.id}: sourced`, () => {
    assert.ok(h.source.length > 0 && h.source.every((s) => s.url?.startsWith('https://github.com/')));
  });
}

const openArchive = {
  association: { accepted: true },
  services: { echo: true, find: true, move: true, get: true, store: true, storageClassCount: 40 },
  exposure: { level: 'retrievable', levels: ['retrievable', 'queryable', 'writable', 'associable', 'identified'] },
  query: {
    allowed: true,
    patients: 12,
    studies: 40,
    capped: false,
    phiCategories: ['name', 'patient-id'],
    phiCategoryCount: 2,
  },
};

test('behaviour alone never makes a honeypot; two supporting tells with one about identity do', () => {
  // A wide-open archive with exactly 40 studies: two behaviour tells of DICOMHawk, no identity
  // tell. A real misconfigured Orthanc looks the same, so it must stay counted as exposure.
  const behaviour = judgeHoneypot(overlay<AssessInput>(closedDoor(), openArchive), honeypots());
  assert.equal(behaviour.suspected, false);
  assert.deepEqual(behaviour.tells.map((t) => t.tell).sort(), [
    'dicomhawk-open-archive',
    'dicomhawk-tcia-seed-count',
    'dicompot-accepts-every-service',
  ]);
  // One identity tell that a real product shares (DCMTK 3.6.2's values) is not enough either.
  const dcmtk362 = { implementation: { classUid: '1.2.276.0.7230010.3.0.3.6.2', versionName: 'OFFIS_DCMTK_362' } };
  assert.equal(judgeHoneypot(overlay<AssessInput>(closedDoor(), dcmtk362), honeypots()).suspected, false);
  // Identity plus behaviour: suspected.
  const both = judgeHoneypot(overlay<AssessInput>(closedDoor(), { ...openArchive, ...dcmtk362 }), honeypots());
  assert.equal(both.suspected, true);
  assert.deepEqual(both.ids, ['dicomhawk']);
});

test('a strong tell alone is enough', () => {
  const v = judgeHoneypot(
    overlay<AssessInput>(closedDoor(), {
      implementation: { classUid: '1.2.826.0.1.3680043.9.3811.2.0.1', versionName: 'ORTHANC' },
    }),
    honeypots(),
  );
  assert.deepEqual(v.ids, ['dicomhawk']);
  assert.equal(v.tells[0]?.strength, 'strong');
});

test('a suspected honeypot: finding, records not counted as exposure', () => {
  const input = overlay<AssessInput>(closedDoor(), {
    ...openArchive,
    implementation: { classUid: '1.2.276.0.7230010.3.0.3.6.1', versionName: 'OSIRIX001' },
  });
  const a = assessEndpoint(input);
  assert.equal(a.countsAsExposure, false);
  assert.equal(a.patientsExposed, 0);
  assert.ok(
    a.findings.some(
      (f) => f.id === 'honeypot-suspected' && (f.evidence['derived.honeypotIds'] as string[]).includes('dicomhawk'),
    ),
  );
  assert.ok(!a.reasons.some((r) => r.factor.startsWith('records') || r.factor === 'phi'));
  assert.ok(a.reasons.some((r) => r.factor === 'honeypot'));
  // The same archive without the tells counts.
  const real = assessEndpoint(
    overlay<AssessInput>(closedDoor(), { ...openArchive, query: { ...openArchive.query, studies: 41 } }),
  );
  assert.equal(real.countsAsExposure, true);
  assert.equal(real.patientsExposed, 12);
  assert.ok(real.score > a.score);
});

test('loader refuses malformed tells, naming them', () => {
  const refuse = (change: (d: typeof RAW) => void, re: RegExp): void => {
    const copy = structuredClone(RAW);
    change(copy);
    assert.throws(
      () => parseHoneypots(copy),
      (e: unknown) => e instanceof KnowledgeDataError && re.test(e.message),
    );
  };
  refuse((d) => delete (d.honeypots[0] as Record<string, unknown>).source, /dicompot.*source must be an array/);
  refuse(
    (d) => ((d.honeypots[0] as Record<string, unknown>).source = [{ kind: 'rumour', ref: 'x' }]),
    /kind must be one of/,
  );
  refuse(
    (d) => ((d.honeypots[0]!.tells[0] as Record<string, unknown>).strength = 'weak'),
    /strength must be strong or supporting/,
  );
  refuse(
    (d) => delete (d.honeypots[0]!.tells[0] as Record<string, unknown>).aspect,
    /aspect must be identity or behaviour/,
  );
  refuse(
    (d) => ((d.honeypots[0]!.tells[0] as Record<string, unknown>).when = { path: 'implementation.uid', exists: false }),
    /unknown fact "implementation.uid"/,
  );
  refuse((d) => delete (d.honeypots[1]!.tells[0] as Record<string, unknown>).examples, /examples must be an object/);
  refuse((d) => ((d.honeypots[1]!.tells[1] as Record<string, unknown>).id = 'dicompot'), /duplicate id "dicompot"/);
});
