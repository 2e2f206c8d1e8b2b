/**
 * Aggregation and change tracking on a real lab scan, against the lab's ground truth: every
 * figure (per facility, region, country, total) equals what the truth says a stranger reaches;
 * then the lab is changed (two exposed endpoints made safe, one opened), scanned again, and the
 * diff shows exactly those three changes with the right change in records and images.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scanFigures, type ScanFigures } from '../../../src/report/aggregate.ts';
import { diffScans, scopeKeyOf, trend, previousScan } from '../../../src/report/diff.ts';
import { diffCommand } from '../../../src/cli/diff-command.ts';
import { isExposed } from '../../../src/scan/exposure.ts';
import type { TruthEndpoint } from '../../../src/lab/truth.ts';
import type { EndpointOverride } from '../../../src/lab/overrides.ts';
import { openStore } from '../../../src/store/open.ts';
import type { FigureRow, Repository } from '../../../src/store/repository.ts';
import { captureIo, subnetByte } from '../fleet/helpers.ts';
import { reportLab, type ReportLab } from './lab.ts';

let setup: ReportLab;
let scanA: string;
let truthA: readonly TruthEndpoint[];

before(async () => {
  setup = await reportLab({ hosts: 15, seed: 'report-figures', subnetByte: subnetByte(61) });
  truthA = setup.lab.endpoints;
  scanA = await setup.scan();
});
after(() => setup?.stop());

async function withStore<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
  const repo = await openStore(setup.db);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

interface Expected {
  endpoints: number;
  exposed: number;
  archives: number;
  patients: number;
  studies: number;
  instances: number;
  byExposure: Record<string, number>;
  categories: string[];
}

/** What the ground truth says a stranger reaches on a set of endpoints (open ports only). */
function expected(eps: readonly TruthEndpoint[]): Expected {
  const e: Expected = {
    endpoints: 0,
    exposed: 0,
    archives: 0,
    patients: 0,
    studies: 0,
    instances: 0,
    byExposure: {},
    categories: [],
  };
  const cats = new Set<string>();
  for (const ep of eps) {
    if (ep.kind === 'closed') continue;
    const x = ep.stranger;
    e.endpoints++;
    e.byExposure[x.exposure] = (e.byExposure[x.exposure] ?? 0) + 1;
    if (isExposed(x.exposure)) e.exposed++;
    if (x.query.allowed) {
      e.archives++;
      e.patients += x.query.patients ?? 0;
      e.studies += x.query.studies ?? 0;
      e.instances += x.query.instances ?? 0;
      for (const c of x.query.phiCategories) cats.add(c);
    }
  }
  e.categories = [...cats].sort();
  return e;
}

function actual(r: FigureRow): Expected {
  return {
    endpoints: r.endpoints,
    exposed: r.exposedEndpoints,
    archives: r.archivesExposed,
    patients: r.patients,
    studies: r.studies,
    instances: r.instances,
    byExposure: { ...r.byExposure },
    categories: [...r.phiCategories],
  };
}

function truthPatients(eps: readonly TruthEndpoint[], id: string): number {
  const ep = eps.find((e) => e.id === id || `${e.host}:${e.plannedPort ?? e.port}` === id);
  return ep && ep.kind !== 'closed' && ep.stranger.query.allowed ? (ep.stranger.query.patients ?? 0) : 0;
}

test('scan figures equal the ground truth: total, every facility, region and country', async () => {
  const figures: ScanFigures = await withStore((repo) => scanFigures(repo, scanA));
  const truth = expected(truthA);
  assert.ok(truth.archives >= 2 && truth.patients > 0, 'the lab has archives with patients (the test means something)');
  assert.deepEqual(actual(figures.total), truth, 'total');
  assert.equal(figures.total.honeypots, 0);
  assert.equal(figures.unattributed, null, 'every endpoint belongs to a registry facility');

  const facilities = setup.lab.groundTruth.facilities;
  const withEndpoints = facilities.filter((f) => truthA.some((e) => e.facilityId === f.id && e.kind !== 'closed'));
  assert.deepEqual(
    figures.facilities.map((f) => f.id),
    withEndpoints.map((f) => f.id).sort(),
  );
  for (const f of figures.facilities) {
    const def = facilities.find((x) => x.id === f.id)!;
    assert.deepEqual(actual(f.figures), expected(truthA.filter((e) => e.facilityId === f.id)), `facility ${f.id}`);
    assert.deepEqual(
      [f.name, f.region, f.country, f.contactEmail],
      [def.name, def.region, def.countryCode, def.contactEmail],
    );
    assert.deepEqual([f.latitude, f.longitude], [def.lat, def.lon]);
  }
  const regions = [...new Set(withEndpoints.map((f) => f.region))].sort();
  assert.deepEqual(
    figures.regions.map((r) => r.region),
    regions,
  );
  for (const r of figures.regions) {
    const ids = new Set(facilities.filter((f) => f.region === r.region).map((f) => f.id));
    assert.deepEqual(actual(r.figures), expected(truthA.filter((e) => ids.has(e.facilityId))), `region ${r.region}`);
  }
  for (const c of figures.countries) {
    const ids = new Set(facilities.filter((f) => f.countryCode === c.country).map((f) => f.id));
    assert.deepEqual(actual(c.figures), expected(truthA.filter((e) => ids.has(e.facilityId))), `country ${c.country}`);
  }
  assert.deepEqual(
    figures.phiCategories.map((c) => c.id),
    truth.categories,
  );
  assert.match(
    figures.headline.text,
    new RegExp(`${truth.patients.toLocaleString('en-US')} patient records? on ${truth.archives} archives`),
  );
  assert.ok(figures.topFindings.length > 0);
  assert.ok(
    figures.topFindings.every((f) => f.title.length > 0 && f.title !== f.findingId),
    'titles from the catalogue',
  );
});

test('change the lab (two fixed, one opened), rescan: the diff and the trend show exactly that', async () => {
  const dicom = truthA.filter((e) => e.kind === 'dicom' || e.kind === 'dicom-tls');
  const withRecords = dicom.filter((e) => e.stranger.query.allowed && (e.stranger.query.patients ?? 0) > 0);
  const closeIt = withRecords[0];
  const refuseIt = dicom.find(
    (e) =>
      e !== closeIt &&
      isExposed(e.stranger.exposure) &&
      e.aePolicy !== null &&
      e.aePolicy.aeTitle !== 'ANY-SCP' &&
      e.aePolicy.callingAllowList === null,
  );
  const openIt = dicom.find(
    (e) =>
      e.stranger.exposure === 'identified' &&
      e.aePolicy?.checkCalledAe === true &&
      e.aePolicy.callingAllowList === null &&
      e.withWorkingAe !== null &&
      isExposed(e.withWorkingAe.exposure),
  );
  assert.ok(closeIt && refuseIt && openIt, 'the lab has endpoints to close, to make refuse, and to open');
  const idOf = (e: TruthEndpoint): string => `${e.host}:${e.plannedPort ?? e.port}`;
  const overrides: EndpointOverride[] = [
    { endpoint: idOf(closeIt), action: 'close' },
    { endpoint: idOf(refuseIt), action: 'refuse' },
    { endpoint: idOf(openIt), action: 'open' },
  ];
  await setup.restart(overrides);
  const truthB = setup.lab.endpoints;
  const scanB = await setup.scan();

  await withStore(async (repo) => {
    const d = await diffScans(repo, scanA, scanB);
    const openA = truthA.filter((e) => e.kind !== 'closed').length;
    assert.deepEqual(d.counts, { new: 0, fixed: 2, worse: 1, better: 0, unchanged: openA - 3 });
    const key = (e: { host: string; port: number }): string => `${e.host}:${e.port}`;
    assert.deepEqual(
      d.endpoints.map((e) => [key(e), e.change]).sort(),
      [
        [key(closeIt), 'fixed'],
        [key(refuseIt), 'fixed'],
        [key(openIt), 'worse'],
      ].sort(),
    );
    for (const e of d.endpoints) {
      const id = key(e);
      assert.equal(e.patientsDelta, truthPatients(truthB, id) - truthPatients(truthA, id), `${id} records`);
    }
    assert.equal(d.endpoints.find((e) => key(e) === key(closeIt))?.after, null, 'the closed port is gone');
    assert.equal(d.endpoints.find((e) => key(e) === key(openIt))?.after?.exposure, openIt.withWorkingAe?.exposure);

    // Facilities: only those holding a changed endpoint changed, by the truth's difference.
    const changed = new Set([closeIt.facilityId, refuseIt.facilityId, openIt.facilityId]);
    for (const f of d.facilities) {
      const a = expected(truthA.filter((e) => e.facilityId === f.facilityId));
      const b = expected(truthB.filter((e) => e.facilityId === f.facilityId));
      assert.equal(f.patientsDelta, b.patients - a.patients, `facility ${f.facilityId} records`);
      assert.equal(f.instancesDelta, b.instances - a.instances, `facility ${f.facilityId} images`);
      if (!changed.has(f.facilityId ?? '')) assert.equal(f.change, 'unchanged', `facility ${f.facilityId}`);
      else assert.notEqual(f.change, 'unchanged', `facility ${f.facilityId}`);
    }
    const ta = expected(truthA);
    const tb = expected(truthB);
    assert.equal(d.total.patientsDelta, tb.patients - ta.patients);
    assert.equal(d.total.instancesDelta, tb.instances - ta.instances);
    assert.equal(d.total.exposedEndpointsDelta, tb.exposed - ta.exposed);

    // Same registry file: the same scope, the earlier scan is the previous one, the trend has both.
    const [a, b] = [await repo.getScan(scanA), await repo.getScan(scanB)];
    assert.equal(scopeKeyOf(a!), scopeKeyOf(b!));
    assert.equal((await previousScan(repo, b!))?.id, scanA);
    assert.equal(await previousScan(repo, a!), null);
    const points = await trend(repo, scopeKeyOf(b!));
    assert.deepEqual(
      points.map((p) => [p.scan.id, p.patients, p.instances, p.exposedEndpoints]),
      [
        [scanA, ta.patients, ta.instances, ta.exposed],
        [scanB, tb.patients, tb.instances, tb.exposed],
      ],
    );

    // The command: JSON on stdout is the same diff; the text names the three endpoints.
    const io = captureIo();
    assert.equal(await diffCommand([scanA, scanB, '--db', setup.db, '--json', '-'], io), 0, io.stderr.join(''));
    assert.deepEqual(JSON.parse(io.stdout.join('')), JSON.parse(JSON.stringify(d)));
    const text = captureIo();
    assert.equal(await diffCommand([scanA.slice(0, 8), scanB.slice(0, 8), '--db', setup.db], text), 0);
    const out = text.stdout.join('');
    assert.match(out, /0 new, 2 fixed, 1 worse, 0 better/);
    for (const e of [closeIt, refuseIt, openIt]) assert.ok(out.includes(key(e)), `${key(e)} listed`);
    const missing = captureIo();
    assert.equal(await diffCommand([scanA, 'zzzzzzzz', '--db', setup.db], missing), 2);
  });
});
