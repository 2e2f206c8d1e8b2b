/**
 * The lab fleet against the project's scanner: start a fleet in-process, scan EVERY endpoint with
 * scanEndpoint (as a stranger, then with the AE titles that work), and hold each result to the
 * ground truth: service, exposure levels, AE rejection, product, TLS certificate, counts, personal
 * data categories, services. No fake patient value may appear in any scanner output.
 *
 * Where scanner and ground truth disagree because of a known scanner limitation, the disagreement
 * is reported as a `todo` subtest naming it (see KNOWN_SCANNER_GAPS), never silently skipped.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startLab, type RunningLab } from '../../../src/lab/lab.ts';
import { LAB_CANARIES } from '../../../src/lab/archive.ts';
import { LAB_PORTS } from '../../../src/lab/fleet.ts';
import type { Expectation, TruthEndpoint } from '../../../src/lab/truth.ts';
import { scanEndpoint, type ScanEndpointOptions } from '../../../src/scan/scan-endpoint.ts';
import { candidateTitles } from '../../../src/knowledge/ae-titles.ts';
import { probeDicomPort } from '../../../src/scan/probe-port.ts';
import type { EndpointResult } from '../../../src/scan/endpoint-result.ts';
import { formatEndpoint } from '../../../src/cli/summary.ts';
import { testContext, type TestContext } from '../../helpers/probe-context.ts';

// A subnet of its own, so that a lab someone runs on the default 127.77.0.0/16 does not collide.
// Subnets of its own (test files run concurrently; see test/integration/fleet/helpers.ts subnetByte).
const SUBNET = '127.120.0.0/16';
const LATENCY_SUBNET = '127.121.0.0/16';
const TIMEOUTS = { connectMs: 2_000, acseMs: 1_500, dimseMs: 5_000, associationMs: 60_000 };

let lab: RunningLab;
let certDir: string;

before(async () => {
  certDir = await mkdtemp(path.join(os.tmpdir(), 'pacsmap-lab-test-'));
  lab = await startLab({
    hosts: 40,
    seed: 'lab-scan',
    subnet: SUBNET,
    certDir,
    limits: { artimMs: 3_000, idleMs: 10_000, closeMs: 3_000 },
  });
});

after(async () => {
  await lab?.stop();
  await rm(certDir, { recursive: true, force: true });
});

async function pool<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
    }),
  );
  return out;
}

/** Field-by-field differences between a scan result and what the ground truth expects. */
function compare(ep: TruthEndpoint, x: Expectation, r: EndpointResult): string[] {
  const d: string[] = [];
  const eq = (what: string, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want))
      d.push(`${what}: scanner ${JSON.stringify(got)}, truth ${JSON.stringify(want)}`);
  };
  eq('service', r.service, ep.service);
  eq('exposure', r.exposure, x.exposure);
  eq('exposureLevels', r.exposureLevels, x.exposureLevels);
  if (ep.kind === 'closed') eq('status', r.status, 'connection-refused');
  if (ep.kind === 'tarpit') eq('status', r.status, 'io-timeout');
  if (ep.kind === 'http') eq('status', r.status, 'protocol-error');
  if (ep.service === null) return d;
  eq('status', r.status, 'success');
  eq('accepted', r.association.accepted, x.accepted);
  eq(
    'reject',
    r.association.reject && {
      result: r.association.reject.result,
      source: r.association.reject.source,
      reason: r.association.reject.reason,
    },
    x.reject,
  );
  if (ep.kind === 'dicom-tls') {
    eq('tls certificate', r.tls?.certificate?.fingerprint256, ep.tls?.certificateFingerprint256);
    eq('tls self-signed', r.tls?.certificate?.selfSigned, true);
  } else {
    eq('tls', r.tls, null);
  }
  if (!x.accepted) return d;
  eq(
    'product',
    r.product && { name: r.product.name, version: r.product.version },
    ep.product && { name: ep.product.expectedName, version: ep.product.expectedVersion },
  );
  eq('implementation', r.implementation, {
    classUid: ep.product?.implementationClassUid,
    versionName: ep.product?.implementationVersionName,
  });
  eq('echo', r.echo, x.services.echo);
  const s = r.services;
  eq('services', { echo: s.echo, find: s.find, move: s.move, get: s.get, store: s.store }, x.services);
  const q = r.query;
  eq('query.allowed', q.allowed, x.query.allowed);
  eq('query.patients', q.patients, x.query.patients);
  eq('query.studies', q.studies, x.query.studies);
  eq('query.instances', q.instances, x.query.instances);
  eq('query.capped', q.capped, x.query.capped);
  eq('query.phiCategories', q.phiCategories, x.query.phiCategories);
  return d;
}

interface Gap {
  readonly id: string;
  readonly applies: (ep: TruthEndpoint, x: Expectation) => boolean;
  /** The only fields this gap may explain. */
  readonly fields: readonly string[];
  readonly text: string;
}

/** Scanner limitations the lab exposes (src/probes/dicom/query-count.ts); described in the lab report. */
const KNOWN_SCANNER_GAPS: readonly Gap[] = [];

function classify(ep: TruthEndpoint, x: Expectation, diffs: string[]): { gap: Gap | null; unexplained: string[] } {
  for (const gap of KNOWN_SCANNER_GAPS) {
    if (!gap.applies(ep, x)) continue;
    const unexplained = diffs.filter((d) => !gap.fields.some((f) => d.startsWith(`${f}:`)));
    return { gap, unexplained };
  }
  return { gap: null, unexplained: diffs };
}

const outputs: string[] = [];
const contexts: TestContext[] = [];

async function scanAll(
  eps: readonly TruthEndpoint[],
  identityOf: (ep: TruthEndpoint) => { calledAe: string; callingAe: string },
  options: ScanEndpointOptions = { aeDiscovery: { enabled: false } },
): Promise<EndpointResult[]> {
  const ctx = testContext({ timeouts: TIMEOUTS });
  contexts.push(ctx);
  return pool(eps, 16, async (ep) => {
    const { result } = await scanEndpoint(
      ctx,
      { host: ep.host, port: ep.port, tls: ep.kind === 'dicom-tls' },
      identityOf(ep),
      options,
    );
    outputs.push(JSON.stringify(result), formatEndpoint(result));
    return result;
  });
}

async function check(
  t: import('node:test').TestContext,
  eps: readonly TruthEndpoint[],
  results: readonly EndpointResult[],
  expectOf: (ep: TruthEndpoint) => Expectation,
): Promise<void> {
  const failures: string[] = [];
  const gapsSeen = new Set<string>();
  for (const [i, ep] of eps.entries()) {
    const x = expectOf(ep);
    const diffs = compare(ep, x, results[i] as EndpointResult);
    const { gap, unexplained } = classify(ep, x, diffs);
    for (const u of unexplained) failures.push(`${ep.id} (${ep.kind}, ${ep.archetype ?? '-'}): ${u}`);
    if (gap && diffs.length > unexplained.length) {
      gapsSeen.add(gap.id);
      await t.test(`${ep.id} ${ep.archetype}: ${gap.id}`, { todo: gap.text }, () => {
        assert.deepEqual(diffs, [], diffs.join('\n'));
      });
    }
  }
  assert.deepEqual(failures, [], `scanner and ground truth disagree:\n${failures.join('\n')}`);
}

test('every endpoint of a 40-host fleet, scanned as a stranger, matches the ground truth', async (t) => {
  const eps = lab.endpoints;
  assert.equal(eps.length, 40 * LAB_PORTS.length);
  const kinds = new Set(eps.map((e) => e.kind));
  for (const k of ['dicom', 'dicom-tls', 'http', 'tarpit', 'closed'] as const)
    assert.ok(kinds.has(k), `fleet has no ${k} endpoint`);
  for (const level of ['retrievable', 'queryable', 'writable', 'associable', 'identified', 'none'] as const) {
    assert.ok(
      eps.some((e) => e.stranger.exposure === level),
      `fleet has no ${level} endpoint`,
    );
  }
  const t0 = performance.now();
  const results = await scanAll(eps, () => lab.groundTruth.stranger);
  t.diagnostic(`scanned ${eps.length} endpoints in ${Math.round(performance.now() - t0)} ms`);
  await check(t, eps, results, (ep) => ep.stranger);
  // A polite scanner lets go at once after an A-ASSOCIATE-RJ.
  assert.equal(lab.stats.lingeringAfterReject, 0, `max linger ${lab.stats.maxLingerAfterRejectMs} ms`);
});

test('endpoints that refuse a stranger are exposed as the truth says to their working AE titles', async (t) => {
  const eps = lab.endpoints.filter((e) => e.withWorkingAe !== null);
  assert.ok(eps.length >= 5, `${eps.length} AE-restricted endpoints`);
  assert.ok(eps.some((e) => e.stranger.reject?.reason === 7) && eps.some((e) => e.stranger.reject?.reason === 3));
  const results = await scanAll(eps, (ep) => ep.workingAe!);
  await check(t, eps, results, (ep) => ep.withWorkingAe!);
});

test('AE-title discovery over the fleet: a default called AE is found and exposes what its working AE does', async () => {
  const called = new Set(candidateTitles('called'));
  const guessable = lab.endpoints.filter(
    (e) =>
      e.aePolicy?.checkCalledAe === true &&
      e.aePolicy.callingAllowList === null &&
      called.has(e.aePolicy.aeTitle) &&
      e.withWorkingAe !== null,
  );
  const unguessable = lab.endpoints.filter(
    (e) => e.aePolicy?.checkCalledAe === true && !called.has(e.aePolicy.aeTitle),
  );
  assert.ok(guessable.length >= 1, 'the fleet has an endpoint with a default called AE');
  const results = await scanAll([...guessable, ...unguessable], () => lab.groundTruth.stranger, {
    aeDiscovery: { paceMs: 100 },
  });
  guessable.forEach((ep, i) => {
    const r = results[i]!;
    assert.equal(r.aeDiscovery?.accepted?.calledAe, ep.aePolicy!.aeTitle, ep.id);
    assert.equal(r.exposure, ep.withWorkingAe!.exposure, ep.id);
  });
  unguessable.forEach((ep, i) => {
    const r = results[guessable.length + i]!;
    assert.equal(r.aeDiscovery?.accepted ?? null, null, ep.id);
  });
});

test('with TLS on auto, each port gets the transport the truth says', async () => {
  // Hosts with TLS or a decoy somewhere: the transport logic has something to decide there.
  const hosts = [
    ...new Set(lab.endpoints.filter((e) => e.kind === 'dicom-tls' || e.kind === 'http').map((e) => e.host)),
  ].slice(0, 6);
  assert.ok(hosts.length >= 2);
  const ctx = testContext({ timeouts: TIMEOUTS });
  contexts.push(ctx);
  for (const host of hosts) {
    for (const port of LAB_PORTS) {
      const { result: r } = await probeDicomPort(ctx, host, port, { tls: 'auto', identity: lab.groundTruth.stranger });
      outputs.push(JSON.stringify(r));
      const ep = lab.endpoints.find((e) => e.host === host && e.port === port);
      assert.ok(ep);
      assert.equal(r.service, ep.service, `${ep.id} (${ep.kind})`);
      assert.equal(r.exposure === 'none', ep.stranger.exposure === 'none', `${ep.id} exposure ${r.exposure}`);
    }
  }
});

test('a fleet with --latency still matches, and every association pays the delay', async (t) => {
  const slow = await startLab({
    hosts: 4,
    seed: 'lab-latency',
    subnet: LATENCY_SUBNET,
    certDir,
    latencyMs: 40,
    limits: { artimMs: 3_000 },
  });
  try {
    const eps = slow.endpoints.filter((e) => e.service !== null);
    assert.ok(eps.length >= 2);
    const results = await scanAll(eps, () => slow.groundTruth.stranger);
    await check(t, eps, results, (ep) => ep.stranger);
    for (const r of results)
      assert.ok(
        (r.association.timings.acseMs ?? 0) >= 38,
        `${r.host}:${r.port} ACSE in ${r.association.timings.acseMs} ms`,
      );
  } finally {
    await slow.stop();
  }
});

test('no fake patient value, UID or facility contact reaches any scanner output', () => {
  assert.ok(lab.stats.findMatchesSent > 100, 'the lab did send patient data to the scanner');
  const text = [
    ...outputs,
    ...contexts.flatMap((c) => [...c.logLines, ...c.auditLines.map((a) => JSON.stringify(a))]),
  ].join('\n');
  for (const canary of [...LAB_CANARIES, '2.25.31337']) {
    assert.equal(text.includes(canary), false, `scanner output contains ${canary}`);
  }
});
