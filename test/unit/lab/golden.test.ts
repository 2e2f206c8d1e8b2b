/**
 * Golden fleets: SHA-256 of the ground truth and of every endpoint's behaviour for fixed
 * (hosts, seed) pairs. Recorded before the archetypes moved from code to archetypes.json: the
 * data-driven interpreter must draw from the seeded source in the same order, so the hashes
 * must not move. A change here means every seed now gives another fleet (say so in the commit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateFleet, type FleetOptions } from '../../../src/lab/fleet.ts';
import { archetype } from '../../../src/lab/profiles.ts';
import { buildGroundTruth } from '../../../src/lab/truth.ts';
import type { DicomBehaviour } from '../../../src/lab/types.ts';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Ground truth without the run-specific fields (pid, start time, status). */
function truthHash(opts: FleetOptions): string {
  const fleet = generateFleet(opts);
  const gt = buildGroundTruth({
    fleet,
    status: 'ready',
    pid: 1,
    startedAt: '2000-01-01T00:00:00.000Z',
    latencyMs: 0,
    certificateFingerprint256: 'AA:BB',
    descriptions: (id) => archetype(id).description,
  });
  const { pid: _pid, startedAt: _startedAt, status: _status, ...rest } = gt;
  return sha256(JSON.stringify(rest));
}

/** Everything a behaviour holds, the archive's arrays included (the truth shows only totals). */
function behaviourHash(opts: FleetOptions): string {
  const h = createHash('sha256');
  const arrays = (b: DicomBehaviour): void => {
    const a = b.archive;
    if (!a) return;
    for (const arr of [a.studyPatient, a.seriesStart, a.seriesInstances, a.seriesModality])
      h.update(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  };
  for (const ep of generateFleet(opts).endpoints) {
    const b = ep.behaviour;
    h.update(
      JSON.stringify({
        id: ep.id,
        kind: ep.kind,
        archetype: ep.archetype,
        b: b && {
          product: b.product,
          identity: b.identity,
          ae: b.ae,
          echo: b.echo,
          find: b.find,
          move: b.move,
          get: b.get,
          store: b.store,
          omitKeywords: b.omitKeywords,
          maxAssociations: b.maxAssociations,
          archive: b.archive && { counts: b.archive.counts, patients: b.archive.patients, totals: b.archive.totals },
        },
      }),
    );
    if (b) arrays(b);
  }
  return h.digest('hex');
}

const CASES: readonly { name: string; opts: FleetOptions }[] = [
  { name: '1 host, seed 1', opts: { hosts: 1, seed: '1' } },
  { name: '15 hosts, seed 42', opts: { hosts: 15, seed: 42 } },
  { name: '40 hosts, seed coverage', opts: { hosts: 40, seed: 'coverage' } },
  { name: '60 hosts, seed golden, no TLS', opts: { hosts: 60, seed: 'golden', tls: false } },
  { name: '300 hosts, seed 7, maxStudies 300', opts: { hosts: 300, seed: 7, maxStudies: 300 } },
];

// Recorded with the archetypes as TypeScript code (before archetypes.json); [truth, behaviours].
const GOLDEN: Readonly<Record<string, readonly [string, string]>> = {
  '1 host, seed 1': [
    'a945aa0cf1a030527fa7964f8c45e5914458588d9bb590a1803528cfd679940a',
    '2ac82f4efafaf3408e1d790cd58d98eb203a494e94b767ec031d8af6034daa7e',
  ],
  '15 hosts, seed 42': [
    '910fe875569c684388d0d7ef911208b10cd77692e2c3296d9f4063d3fdd2a70a',
    '0a57fdd018c7b07c619a987b9108ff64ab7eeb30209de2cb5f03d4dccd79f594',
  ],
  '40 hosts, seed coverage': [
    '480c2873ebb309ff3edbb41c74535ee91f1c9bdb5e24562130e175cdb146ae63',
    '1db7d0036915a0ba99d8fa0421cb514150710e3a39d413f3ae56f88199e29a6f',
  ],
  '60 hosts, seed golden, no TLS': [
    '371c5440c4c0f198fa33bde12b362bb64ba40a797e096f015a16411e00acae24',
    '580b7b8fe56f86c0dacd55a66ef8b7a207f569021db4e48135e6bf9131264ab6',
  ],
  '300 hosts, seed 7, maxStudies 300': [
    '8c85722e75f607cea25fbd45b3bfbde83933cf6dc911d1f71d70c97b8dce89ee',
    'f5159300bb20345b4518dcda99760189f2fb5eb6646c2593d27d58289c53860b',
  ],
};

for (const c of CASES) {
  test(`golden fleet: ${c.name}`, () => {
    const got = [truthHash(c.opts), behaviourHash(c.opts)];
    assert.deepEqual(got, GOLDEN[c.name], `${c.name}: ${JSON.stringify(got)}`);
  });
}

test('the golden hashes tell fleets apart (another seed, another hash)', () => {
  assert.notEqual(truthHash({ hosts: 15, seed: 42 }), truthHash({ hosts: 15, seed: 43 }));
  assert.notEqual(behaviourHash({ hosts: 15, seed: 42 }), behaviourHash({ hosts: 15, seed: 43 }));
});
