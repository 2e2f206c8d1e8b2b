/**
 * The assess step end to end: severity escalation, one finding per matched CVE with the CVE in
 * evidence, evidence limited to documented facts, the risk score's reasons and monotonicity
 * (fast-check), facility aggregation, the risk model's refusals, and real scan results from the
 * lab fleet through assessInputFromEndpoint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { assessEndpoint, assessFacility, type EndpointAssessment } from '../../../src/assess/assess.ts';
import {
  assessInputFromEndpoint,
  assessInputFromWebEndpoint,
  retrieveFactsFromProbe,
  webFactsFromWebResult,
  type AssessInput,
} from '../../../src/assess/input.ts';
import { parseRiskModel, riskModel, scoreEndpoint } from '../../../src/assess/risk.ts';
import { FACT_PATHS, KnowledgeDataError, SEVERITIES, type Severity } from '../../../src/knowledge/schema.ts';
import type { EndpointResult } from '../../../src/scan/endpoint-result.ts';
import { exposureLevels, worstExposure } from '../../../src/scan/exposure.ts';
import { closedDoor, overlay } from './helpers.ts';

const open = (q: Record<string, unknown>): AssessInput =>
  overlay<AssessInput>(closedDoor(), {
    association: { accepted: true, rejected: false, rejectMeaning: null },
    echo: { ok: true },
    services: { echo: true, find: true },
    exposure: { level: 'queryable', levels: ['queryable', 'associable', 'identified'] },
    query: { allowed: true, ...q },
  });

const sevOf = (a: EndpointAssessment, id: string): Severity | undefined =>
  a.findings.find((f) => f.id === id)?.severity;

test('query finding severity follows identifying data and record counts', () => {
  assert.equal(sevOf(assessEndpoint(open({ patients: 0, studies: 0 })), 'dicom-query-unauthenticated'), 'low');
  assert.equal(
    sevOf(
      assessEndpoint(open({ patients: 5, studies: 9, phiCategories: ['exam-date'], phiCategoryCount: 1 })),
      'dicom-query-unauthenticated',
    ),
    'medium',
  );
  assert.equal(
    sevOf(
      assessEndpoint(open({ patients: 5, studies: 9, phiCategories: ['name'], phiCategoryCount: 1 })),
      'dicom-query-unauthenticated',
    ),
    'high',
  );
  assert.equal(
    sevOf(
      assessEndpoint(open({ patients: 1000, studies: 2000, phiCategories: ['patient-id'], phiCategoryCount: 1 })),
      'dicom-query-unauthenticated',
    ),
    'critical',
  );
  // PHI over plaintext raises the transport finding.
  assert.equal(
    sevOf(
      assessEndpoint(open({ patients: 5, studies: 9, phiCategories: ['name'], phiCategoryCount: 1 })),
      'dicom-plaintext',
    ),
    'high',
  );
  assert.equal(sevOf(assessEndpoint(open({ patients: 0, studies: 0 })), 'dicom-plaintext'), 'low');
});

test('one known-vulnerable-version finding per matched CVE, with the CVE in evidence', () => {
  const a = assessEndpoint(
    overlay<AssessInput>(closedDoor(), {
      product: { name: 'DCMTK', version: '3.6.7', confidence: 'medium', ambiguousWith: ['Orthanc'] },
    }),
  );
  const cves = a.findings.filter((f) => f.id === 'known-vulnerable-version');
  assert.deepEqual(cves.map((f) => f.evidence.cve).sort(), [
    'CVE-2022-43272',
    'CVE-2024-28130',
    'CVE-2024-34508',
    'CVE-2024-34509',
  ]);
  const leak = cves.find((f) => f.cve?.id === 'CVE-2022-43272');
  assert.equal(leak?.severity, 'high');
  assert.equal(leak?.cve?.cvss?.score, 7.5);
  assert.deepEqual(leak?.evidence['product.ambiguousWith'], ['Orthanc']);
  assert.ok(a.reasons.some((r) => r.factor === 'cves' && r.points === 10 + 3));
  // Unknown version: no CVE finding, a note instead.
  const u = assessEndpoint(
    overlay<AssessInput>(closedDoor(), {
      product: { name: 'DCMTK', version: null, confidence: 'low', ambiguousWith: [] },
    }),
  );
  assert.equal(u.findings.filter((f) => f.id === 'known-vulnerable-version').length, 0);
  assert.match(u.notes.join('\n'), /version unknown/);
});

test('the protocol CVE rides on the store finding', () => {
  const a = assessEndpoint(
    overlay<AssessInput>(closedDoor(), {
      association: { accepted: true },
      services: { store: true, storageClassCount: 3 },
    }),
  );
  const store = a.findings.find((f) => f.id === 'dicom-store-unauthenticated');
  assert.deepEqual(store?.evidence.relatedCves, ['CVE-2019-11687']);
  assert.deepEqual(store?.evidence['derived.protocolCves'], ['CVE-2019-11687']);
});

test('findings are sorted worst first and evidence names only documented facts', () => {
  const a = assessEndpoint(
    overlay<AssessInput>(
      open({ patients: 50, studies: 80, phiCategories: ['name', 'birth-date'], phiCategoryCount: 2 }),
      {
        product: { name: 'Orthanc', version: '1.10.1', confidence: 'high', ambiguousWith: [] },
        services: { store: true, get: true },
        web: { defaultCredentials: { worked: true, product: 'Orthanc' } },
      },
    ),
  );
  const ranks = a.findings.map((f) => SEVERITIES.indexOf(f.severity));
  assert.deepEqual(
    ranks,
    [...ranks].sort((x, y) => y - x),
  );
  for (const f of a.findings)
    for (const k of Object.keys(f.evidence))
      assert.ok(FACT_PATHS[k] !== undefined || ['cve', 'affected', 'relatedCves'].includes(k), `${f.id}: ${k}`);
});

test('reasons explain the score: points add up to it', () => {
  const a = assessEndpoint(open({ patients: 100, studies: 100, phiCategories: ['name', 'sex'], phiCategoryCount: 2 }));
  const sum = a.reasons.reduce((s, r) => s + r.points, 0);
  assert.ok(Math.abs(sum - a.score) <= 0.5, `${sum} vs ${a.score}`);
  const byFactor = Object.fromEntries(a.reasons.map((r) => [r.factor, r.points]));
  assert.equal(byFactor.exposure, 35);
  assert.equal(byFactor['records.patients'], 10); // 5 per decade, log10(101) ≈ 2.004
  assert.equal(byFactor.phi, 3 + 1);
  assert.equal(byFactor['transport.plaintext'], 8);
  assert.ok(a.reasons.every((r) => r.why.length > 0));
  assert.equal(assessEndpoint(closedDoor()).score, 2);
});

// -------------------------------------------------------------------------------------------
// monotonicity

interface Exp {
  accepted: boolean;
  echo: boolean;
  query: boolean;
  get: boolean;
  store: boolean;
  patients: number;
  studies: number;
  phi: string[];
  tlsWeak: boolean;
  guessed: boolean;
  proven: boolean;
  move: boolean;
  cves: Severity[];
  rest: boolean;
  dicomweb: boolean;
  creds: boolean;
  viewer: boolean;
}

const PHI = ['patient-id', 'name', 'birth-date', 'sex', 'exam-date', 'description'];

function build(e: Exp, tls: boolean): { input: AssessInput; cves: Severity[] } {
  const accepted = e.accepted;
  const query = accepted && e.query;
  const levels = exposureLevels({
    spokeDicom: true,
    associationAccepted: accepted,
    queryAllowed: query,
    storeOffered: e.store,
    getOffered: e.get,
  });
  const input = overlay<AssessInput>(closedDoor(), {
    association: { accepted },
    transport: tls
      ? { tls: true, protocol: 'TLSv1.3', selfSigned: e.tlsWeak, expired: false, authorized: !e.tlsWeak }
      : { tls: false },
    echo: { ok: accepted && e.echo },
    query: query
      ? {
          allowed: true,
          patients: e.patients,
          studies: e.studies,
          phiCategories: e.phi,
          phiCategoryCount: e.phi.length,
        }
      : { allowed: false },
    services: { echo: accepted && e.echo, find: query, get: accepted && e.get, store: accepted && e.store },
    exposure: { level: worstExposure(levels), levels },
    aeDiscovery: {
      attempted: true,
      attempts: 3,
      accepted: e.guessed ? { calledAe: 'ORTHANC', callingAe: 'PACSMAP' } : null,
      guessed: e.guessed,
    },
    retrieve: {
      get: { instanceReceived: e.proven, instanceBytes: e.proven ? 1 : 0 },
      move: { meaning: e.move ? 'attempted' : 'destination-refused' },
    },
    web: {
      orthancRest: {
        unauthenticated: e.rest,
        version: null,
        patients: e.rest ? e.patients : null,
        studies: null,
        instances: null,
      },
      dicomweb: {
        qidoUnauthenticated: e.dicomweb,
        studies: e.dicomweb ? e.studies : null,
        phiCategories: e.dicomweb ? e.phi : [],
      },
      defaultCredentials: { worked: e.creds, product: null },
      viewer: { detected: e.viewer, name: null },
    },
  });
  return { input, cves: e.cves };
}

const sev = fc.constantFrom<Severity>(...SEVERITIES);
const expArb = fc.record({
  accepted: fc.boolean(),
  echo: fc.boolean(),
  query: fc.boolean(),
  get: fc.boolean(),
  store: fc.boolean(),
  patients: fc.nat(100_000),
  studies: fc.nat(100_000),
  phi: fc.subarray(PHI),
  tlsWeak: fc.boolean(),
  guessed: fc.boolean(),
  proven: fc.boolean(),
  move: fc.boolean(),
  cves: fc.array(sev, { maxLength: 4 }),
  rest: fc.boolean(),
  dicomweb: fc.boolean(),
  creds: fc.boolean(),
  viewer: fc.boolean(),
});

/** A second exposure at least as bad as the first in every respect. */
const morePair = fc.tuple(expArb, expArb, fc.nat(1000), fc.nat(1000)).map(([a, b, dp, ds]): [Exp, Exp] => {
  const or = (x: boolean, y: boolean): boolean => x || y;
  const more: Exp = {
    accepted: or(a.accepted, b.accepted),
    echo: or(a.echo, b.echo),
    query: or(a.query, b.query),
    get: or(a.get, b.get),
    store: or(a.store, b.store),
    patients: a.patients + dp,
    studies: a.studies + ds,
    phi: [...new Set([...a.phi, ...b.phi])],
    tlsWeak: or(a.tlsWeak, b.tlsWeak),
    guessed: or(a.guessed, b.guessed),
    proven: or(a.proven, b.proven),
    move: or(a.move, b.move),
    cves: [...a.cves, ...b.cves],
    rest: or(a.rest, b.rest),
    dicomweb: or(a.dicomweb, b.dicomweb),
    creds: or(a.creds, b.creds),
    viewer: or(a.viewer, b.viewer),
  };
  return [a, more];
});

test('adding exposure never lowers the endpoint score (property)', () => {
  fc.assert(
    fc.property(morePair, fc.boolean(), ([a, b], tls) => {
      const x = build(a, tls);
      const y = build(b, tls);
      const sx = scoreEndpoint(x.input, { cveSeverities: x.cves, honeypot: false }).score;
      const sy = scoreEndpoint(y.input, { cveSeverities: y.cves, honeypot: false }).score;
      assert.ok(sy >= sx, `${sy} < ${sx}`);
      assert.ok(sx >= 0 && sy <= 100);
    }),
    { numRuns: 500 },
  );
});

// -------------------------------------------------------------------------------------------
// facility

function fake(host: string, score: number, over: Partial<EndpointAssessment> = {}): EndpointAssessment {
  return {
    host,
    port: 104,
    exposure: 'queryable',
    findings: [],
    score,
    reasons: [{ factor: 'exposure', points: score, why: 'test' }],
    countsAsExposure: true,
    patientsExposed: 10,
    honeypot: { suspected: false, ids: [], tells: [] },
    notes: [],
    ...over,
  };
}

test('facility: worst endpoint plus a decaying share of the rest', () => {
  const f = assessFacility([fake('a', 40), fake('b', 80), fake('c', 20), fake('d', 0)]);
  // 80 + 0.25 × (40 + 0.5 × 20 + 0.25 × 0) = 92.5 → 93 (Math.round)
  assert.equal(f.score, 93);
  assert.deepEqual(
    f.reasons.map((r) => r.factor),
    ['worst-endpoint', 'other-endpoints'],
  );
  assert.equal(f.reasons[0]?.points, 80);
  assert.equal(f.reasons[1]?.points, 12.5);
  assert.deepEqual(
    f.topContributors.map((c) => c.host),
    ['b', 'a', 'c'],
  );
  assert.equal(f.endpoints, 4);
  assert.equal(f.patientsUpperBound, 40);
  assert.equal(assessFacility([]).score, 0);
  assert.equal(assessFacility([fake('x', 100), fake('y', 100)]).score, 100);
});

test('facility: honeypots add no patients and do not set the worst exposure', () => {
  const hp = fake('hp', 30, { exposure: 'retrievable', countsAsExposure: false, patientsExposed: 0 });
  const f = assessFacility([hp, fake('real', 20, { exposure: 'associable' })]);
  assert.equal(f.honeypots, 1);
  assert.equal(f.worstExposure, 'associable');
  assert.equal(f.patientsUpperBound, 10);
  assert.equal(f.exposedEndpoints, 0);
});

test('facility: raising an endpoint or adding one never lowers the score (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(100), { maxLength: 12 }),
      fc.nat(100),
      fc.nat(11),
      fc.nat(100),
      (scores, extra, idx, bump) => {
        const base = assessFacility(scores.map((s, i) => fake(`h${i}`, s))).score;
        const added = assessFacility([...scores, extra].map((s, i) => fake(`h${i}`, s))).score;
        assert.ok(added >= base);
        if (scores.length > 0) {
          const j = idx % scores.length;
          const raised = scores.map((s, i) => (i === j ? Math.min(100, s + bump) : s));
          assert.ok(assessFacility(raised.map((s, i) => fake(`h${i}`, s))).score >= base);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('risk model loader refuses malformed models', () => {
  const raw = JSON.parse(
    readFileSync(new URL('../../../src/knowledge/risk-model.json', import.meta.url), 'utf8'),
  ) as Record<string, Record<string, unknown>>;
  const refuse = (change: (m: typeof raw) => void, re: RegExp): void => {
    const copy = structuredClone(raw);
    change(copy);
    assert.throws(
      () => parseRiskModel(copy),
      (e: unknown) => e instanceof KnowledgeDataError && re.test(e.message),
    );
  };
  refuse((m) => (m.exposureBase!.queryable = 50), /exposureBase.retrievable must be >= exposureBase.queryable/);
  refuse((m) => (m.store = -1 as never), /store must be a number in \[0, 100\]/);
  refuse((m) => ((m.cves!.bySeverity as Record<string, unknown>).urgent = 3), /unknown key "urgent"/);
  refuse((m) => (m.facility!.restShare = 2), /restShare/);
  refuse((m) => ((m.transport as Record<string, unknown>).plaintextWithPhi = 1), /plaintextWithPhi must be >=/);
  assert.equal(riskModel().exposureBase.retrievable, 45);
});

// -------------------------------------------------------------------------------------------
// real scan results: `pacsmap scan --json` against the lab fleet (test/unit/assess/fixtures)

const LAB = JSON.parse(readFileSync(new URL('./fixtures/lab-scan-endpoints.json', import.meta.url), 'utf8')) as {
  endpoints: EndpointResult[];
};

const DCMTK_367 = ['CVE-2022-43272', 'CVE-2024-28130', 'CVE-2024-34508', 'CVE-2024-34509'];

/** What the lab's archetypes (src/lab/profiles.ts) should yield, per endpoint. */
const EXPECT: Record<string, { findings: Record<string, Severity>; cves: string[] }> = {
  // conquest-open: queryable, names on the wire, storage open
  '127.201.0.1:104': {
    findings: {
      'dicom-query-unauthenticated': 'high',
      'dicom-plaintext': 'high',
      'dicom-store-unauthenticated': 'medium',
      'dicom-echo-unauthenticated': 'low',
      'product-version-disclosed': 'info',
    },
    cves: [],
  },
  // dcmtk-dcmqrscp with AE checks: identified only
  '127.201.0.3:11112': { findings: {}, cves: [] },
  // orthanc-open, announcing DCMTK 3.6.7's values
  '127.201.0.3:4242': {
    findings: {
      'dicom-query-unauthenticated': 'high',
      'dicom-retrieve-unauthenticated': 'high',
      'dicom-plaintext': 'high',
      'dicom-store-unauthenticated': 'medium',
      'dicom-echo-unauthenticated': 'low',
      'product-version-disclosed': 'info',
      'known-vulnerable-version': 'high',
    },
    cves: DCMTK_367,
  },
  // dcm4chee-arc over TLS with a self-signed certificate, refusing strangers
  '127.201.0.3:2762': { findings: { 'dicom-tls-weak': 'low' }, cves: [] },
  '127.201.0.4:11112': { findings: {}, cves: [] },
  // orthanc-empty: answers queries, nothing stored yet
  '127.201.0.4:4242': {
    findings: {
      'dicom-query-unauthenticated': 'low',
      'dicom-plaintext': 'low',
      'dicom-echo-unauthenticated': 'low',
      'product-version-disclosed': 'info',
      'known-vulnerable-version': 'high',
    },
    cves: DCMTK_367,
  },
  // pynetdicom echo-only
  '127.201.0.5:104': {
    findings: { 'dicom-echo-unauthenticated': 'low', 'dicom-plaintext': 'low', 'product-version-disclosed': 'info' },
    cves: [],
  },
  // DCMTK storescp over TLS: writable
  '127.201.0.6:11112': {
    findings: {
      'dicom-store-unauthenticated': 'medium',
      'dicom-echo-unauthenticated': 'low',
      'dicom-tls-weak': 'low',
      'product-version-disclosed': 'info',
      'known-vulnerable-version': 'high',
    },
    cves: DCMTK_367,
  },
  // dcmqrscp patient root, open: retrievable
  '127.201.0.7:104': {
    findings: {
      'dicom-query-unauthenticated': 'high',
      'dicom-retrieve-unauthenticated': 'high',
      'dicom-plaintext': 'high',
      'dicom-echo-unauthenticated': 'low',
      'product-version-disclosed': 'info',
      'known-vulnerable-version': 'high',
    },
    cves: DCMTK_367,
  },
  '127.201.0.7:11112': { findings: { 'dicom-tls-weak': 'low' }, cves: [] },
};

test('lab scan results → expected findings, scores ordered by exposure, facility', () => {
  assert.equal(LAB.endpoints.length, Object.keys(EXPECT).length);
  const all: EndpointAssessment[] = [];
  for (const r of LAB.endpoints) {
    const key = `${r.host}:${r.port}`;
    const want = EXPECT[key];
    assert.ok(want, key);
    const a = assessEndpoint(assessInputFromEndpoint(r));
    all.push(a);
    const got: Record<string, Severity> = {};
    for (const f of a.findings) {
      if (SEVERITIES.indexOf(f.severity) >= SEVERITIES.indexOf(got[f.id] ?? 'info')) got[f.id] = f.severity;
    }
    assert.deepEqual(got, want.findings, key);
    assert.deepEqual(
      a.findings
        .filter((f) => f.cve)
        .map((f) => f.cve?.id)
        .sort(),
      want.cves,
      key,
    );
    assert.equal(a.countsAsExposure, true, key);
  }
  const score = (k: string): number => all.find((a) => `${a.host}:${a.port}` === k)?.score ?? -1;
  assert.ok(score('127.201.0.3:4242') > score('127.201.0.4:4242'), 'a full archive outranks an empty one');
  assert.ok(score('127.201.0.4:4242') > score('127.201.0.5:104'), 'queryable outranks associable');
  assert.ok(score('127.201.0.5:104') > score('127.201.0.3:11112'), 'associable outranks identified');
  const fac = assessFacility(all);
  assert.equal(fac.worstExposure, 'retrievable');
  assert.equal(fac.exposedEndpoints, 4);
  assert.equal(
    fac.patientsUpperBound,
    LAB.endpoints.reduce((s, r) => s + (r.query.allowed ? (r.query.patients ?? 0) : 0), 0),
  );
  assert.equal(fac.topContributors[0]?.score, Math.max(...all.map((a) => a.score)));
});

test('assessInputFromEndpoint keeps optional parts only when given', () => {
  const r = LAB.endpoints[0] as EndpointResult;
  const plain = assessInputFromEndpoint(r);
  assert.equal('aeDiscovery' in plain, false);
  assert.equal(plain.query.phiCategoryCount, r.query.phiCategories.length);
  assert.equal(plain.services.storageClassCount, r.services.storageClasses.length);
  const withExtras = assessInputFromEndpoint(r, {
    aeDiscovery: {
      attempted: true,
      attempts: 2,
      accepted: { calledAe: 'CONQUESTSRV1', callingAe: 'PACSMAP' },
      guessed: true,
    },
  });
  const a = assessEndpoint(withExtras);
  assert.equal(sevOf(a, 'dicom-default-ae-title'), 'medium');
  assert.equal(
    a.findings.find((f) => f.id === 'dicom-default-ae-title')?.evidence['aeDiscovery.accepted.calledAe'],
    'CONQUESTSRV1',
  );
});

test("docs/risk-model.md documents every factor and the model's numbers", () => {
  const doc = readFileSync(new URL('../../../docs/risk-model.md', import.meta.url), 'utf8');
  const m = riskModel();
  for (const f of [
    'exposure',
    'records.patients',
    'records.studies',
    'phi',
    'transport.plaintext',
    'transport.tls-weak',
    'ae.guessed',
    'store',
    'retrieve.proven',
    'retrieve.move',
    'cves',
    'web',
  ])
    assert.ok(doc.includes(`| \`${f}\` |`), f);
  for (const [level, pts] of Object.entries(m.exposureBase)) assert.ok(doc.includes(`${level} ${pts}`), level);
  assert.ok(doc.includes(`\`restShare\` ${m.facility.restShare}`) && doc.includes(`\`decay\` ${m.facility.decay}`));
});

test('web and retrieve probe results map into AssessInput and raise their findings', () => {
  // The Orthanc 1.10.1 example of docs/web-json.md (DICOMweb plugin, no authentication).
  const web = {
    host: '127.0.0.1',
    port: 8042,
    service: 'http',
    status: 'success',
    server: { header: null, poweredBy: null },
    tls: null,
    product: { name: 'Orthanc', version: '1.10.1', source: 'orthanc-rest' },
    root: { httpStatus: 301, redirect: 'same-origin' },
    orthancRest: {
      reachable: true,
      authRequired: false,
      version: '1.10.1',
      apiVersion: 16,
      dicomAet: 'ORTHANC',
      dicomPort: 4242,
      pluginsEnabled: true,
      counts: { patients: 4, studies: 8, series: 16, instances: 32, diskSizeMB: 0 },
    },
    dicomweb: {
      prefix: '/dicom-web',
      authRequired: false,
      studies: 8,
      capped: false,
      phiCategories: ['patient-id', 'name'],
    },
    wadoUri: { path: '/wado', httpStatus: 404, present: false },
    viewers: [
      {
        id: 'orthanc-explorer',
        product: 'Orthanc Explorer',
        vendor: 'Orthanc',
        path: '/app/explorer.html',
        httpStatus: 200,
        pathOnly: false,
      },
    ],
    defaultCredentials: { tried: 0, worked: null, orthancRest: null },
    exposure: [],
    requests: 14,
    observations: [],
  } as unknown as Parameters<typeof webFactsFromWebResult>[0];
  const a = assessEndpoint(assessInputFromWebEndpoint(web));
  assert.equal(sevOf(a, 'web-rest-unauthenticated'), 'critical');
  assert.equal(sevOf(a, 'dicomweb-unauthenticated'), 'critical');
  assert.equal(sevOf(a, 'web-viewer-exposed'), 'medium');
  assert.equal(sevOf(a, 'web-default-credentials'), undefined);
  // Orthanc 1.10.1 from /system: the Orthanc CVE rules apply to the web endpoint too.
  assert.deepEqual(
    a.findings
      .filter((f) => f.cve)
      .map((f) => f.cve?.id)
      .sort(),
    ['CVE-2023-33466', 'CVE-2026-5442'],
  );
  assert.equal(a.patientsExposed, 4);
  // REST 15 + DICOMweb 12 + viewer 4 = 31, capped at the web factor's 30.
  assert.ok(a.reasons.some((r) => r.factor === 'web' && r.points === 30));
  assert.ok(a.reasons.some((r) => r.factor === 'records.patients'));
  // Behind authentication: nothing open.
  const closed = webFactsFromWebResult({
    ...web,
    orthancRest: { ...web.orthancRest!, authRequired: true, counts: null },
    dicomweb: null,
    viewers: [],
  });
  assert.equal(closed.orthancRest?.unauthenticated, false);
  assert.equal(closed.viewer?.detected, false);

  const retrieve = retrieveFactsFromProbe({
    get: { meaning: 'retrieved', instanceReceived: true, instanceBytes: 1026 },
    move: { meaning: 'destination-refused' },
  } as unknown as Parameters<typeof retrieveFactsFromProbe>[0]);
  const r = assessEndpoint(overlay<AssessInput>(closedDoor(), { association: { accepted: true }, retrieve }));
  assert.equal(sevOf(r, 'dicom-retrieve-unauthenticated'), 'critical');
  assert.equal(sevOf(r, 'dicom-move-attempts-unknown-destination'), undefined);
});
