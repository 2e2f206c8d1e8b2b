/**
 * AE-title discovery's search and stop rules against scripted peers (the parrot): which titles it
 * tries, in which order, when it stops, the pace between attempts, the audit line per attempt.
 * Real-server proofs are in test/integration/ae.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startParrot, type Parrot, type ParrotConnection } from '../../fixtures/parrot/parrot.ts';
import * as b from '../../fixtures/parrot/bytes.ts';
import { discoverAeTitles, MIN_PACE_MS, type AeDiscoveryOptions } from '../../../src/probes/dicom/ae-discovery.ts';
import { candidateTitles, parseAeTitles } from '../../../src/knowledge/ae-titles.ts';
import { scanEndpoint } from '../../../src/scan/scan-endpoint.ts';
import { testContext } from '../../helpers/probe-context.ts';

const parrots: Parrot[] = [];
after(async () => {
  await Promise.all(parrots.map((p) => p.stop()));
});

// Each test on its own loopback address: the per-host pace is shared by host.
let nextHost = 10;
async function parrot(script: (c: ParrotConnection) => Promise<void>): Promise<Parrot> {
  const p = await startParrot(script, { readTimeoutMs: 3_000, host: `127.0.91.${nextHost++}` });
  parrots.push(p);
  return p;
}

const identity = { calledAe: 'ANY-SCP', callingAe: 'PACSMAP' };
const deadlines = { connectMs: 1_000, acseMs: 800, dimseMs: 800, associationMs: 3_000 };
const PACE = MIN_PACE_MS;
const opts = (o: Partial<AeDiscoveryOptions> = {}): AeDiscoveryOptions => ({
  maxAttempts: 16,
  paceMs: PACE,
  guessCalling: true,
  ...o,
});

/** Refuse (then wait for the client to let go), or accept and answer a release. */
async function answer(c: ParrotConnection, rj: readonly [number, number, number] | null): Promise<void> {
  const rq = c.pdus[0]!;
  if (rj) {
    await c.send(b.associateRj(...rj));
    await c.silent();
    return;
  }
  await c.send(b.acceptingAc(rq));
  await c.readPdu(); // A-RELEASE-RQ
  await c.send(b.releaseRp());
  await c.silent();
}

/** A peer that knows one called and/or one calling title. */
function picky(knownCalled: string | null, knownCalling: string | null) {
  return async (c: ParrotConnection): Promise<void> => {
    const p = b.parseAssociateRq(await c.readPdu());
    if (knownCalled !== null && p.calledAe !== knownCalled) return answer(c, [1, 1, 7]);
    if (knownCalling !== null && p.callingAe !== knownCalling) return answer(c, [1, 1, 3]);
    return answer(c, null);
  };
}

function ep(p: Parrot) {
  return { host: p.host, port: p.port, tls: false };
}

test('reason 3: calling titles tried in list order until one is accepted', async () => {
  const list = candidateTitles('calling', { exclude: ['PACSMAP'] });
  const known = list[2]!;
  const p = await parrot(picky(null, known));
  const ctx = testContext({ timeouts: deadlines });
  const out = await discoverAeTitles(ctx, ep(p), identity, { result: 1, source: 1, reason: 3 }, opts());
  assert.ok(out.accepted, JSON.stringify(out.observation.facts));
  const f = out.observation.facts!;
  assert.equal(f.stoppedBecause, 'accepted');
  assert.equal(f.attempts, 3);
  assert.equal(f.acceptedCallingAe, known);
  assert.equal(f.acceptedCalledAe, 'ANY-SCP', 'the called title is left alone');
  assert.equal(f.guessed, true);
  assert.deepEqual(out.accepted.identity, { calledAe: 'ANY-SCP', callingAe: known });
  assert.equal(out.accepted.associate.facts?.accepted, true);
  await out.accepted.association.release();
  await p.settled();
  const tried = p.sessions.map((s) => b.parseAssociateRq(s.pdus[0]!).callingAe);
  assert.deepEqual(tried, list.slice(0, 3));
  // One audit line per attempt, with the titles that attempt used.
  assert.deepEqual(
    ctx.auditLines.map((a) => [a.probe, a.callingAe, a.calledAe]),
    tried.map((t) => ['dicom.ae-discovery', t, 'ANY-SCP']),
  );
});

test('reason 7 then 3: the right called title found, then the calling title, in one budget', async () => {
  const called = candidateTitles('called', { exclude: ['ANY-SCP'] })[1]!;
  const calling = candidateTitles('calling', { exclude: ['PACSMAP'] })[1]!;
  const p = await parrot(picky(called, calling));
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts(),
  );
  const f = out.observation.facts!;
  assert.equal(f.stoppedBecause, 'accepted');
  assert.deepEqual(out.accepted?.identity, { calledAe: called, callingAe: calling });
  assert.equal(f.recognisedCalledAe, called);
  assert.equal(f.attempts, 4, '2 called guesses, then 2 calling guesses');
  assert.equal(f.titlesTried, 4);
  await out.accepted!.association.release();
});

test('max attempts is a hard bound; attempts are paced per host', async () => {
  const p = await parrot(picky('NOBODY-KNOWS-ME', null));
  const t0 = performance.now();
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts({ maxAttempts: 4, paceMs: 150 }),
  );
  const elapsed = performance.now() - t0;
  const f = out.observation.facts!;
  assert.equal(out.accepted, null);
  assert.equal(f.stoppedBecause, 'max-attempts');
  assert.equal(f.attempts, 4);
  await p.settled();
  assert.equal(p.connections, 4);
  const accepted = p.sessions.map((s) => s.acceptedAt);
  for (let i = 1; i < accepted.length; i++) {
    assert.ok(accepted[i]! - accepted[i - 1]! >= 145, `gap ${i}: ${accepted[i]! - accepted[i - 1]!} ms`);
  }
  assert.ok(elapsed >= 4 * 150 - 5, `the first guess also waits one pace (${elapsed} ms)`);
});

test('a pace below the floor is raised to it; the attempt count is capped', async () => {
  const p = await parrot(picky('NOBODY-KNOWS-ME', null));
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts({ maxAttempts: 3, paceMs: 1 }),
  );
  assert.equal(out.observation.facts?.attempts, 3);
  await p.settled();
  const t = p.sessions.map((s) => s.acceptedAt);
  for (let i = 1; i < t.length; i++) assert.ok(t[i]! - t[i - 1]! >= MIN_PACE_MS - 5, `gap ${t[i]! - t[i - 1]!}`);
});

test('two discoveries against one host share its pace', async () => {
  const host = `127.0.91.${nextHost++}`;
  const a = await startParrot(picky('NOBODY', null), { host });
  const c = await startParrot(picky('NOBODY', null), { host });
  parrots.push(a, c);
  const ctx = testContext({ timeouts: deadlines });
  const run = (p: Parrot) =>
    discoverAeTitles(ctx, ep(p), identity, { result: 1, source: 1, reason: 7 }, opts({ maxAttempts: 3 }));
  await Promise.all([run(a), run(c)]);
  await Promise.all([a.settled(), c.settled()]);
  const times = [...a.sessions, ...c.sessions].map((s) => s.acceptedAt).sort((x, y) => x - y);
  assert.equal(times.length, 6);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= PACE - 5, `gap ${i}`);
});

test('an A-ABORT mid-way stops the search', async () => {
  const p = await parrot(async (c) => {
    await c.readPdu();
    if (c.index < 2) return answer(c, [1, 1, 7]);
    await c.send(b.abort(2, 0));
    await c.silent();
  });
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts(),
  );
  const f = out.observation.facts!;
  assert.equal(f.stoppedBecause, 'aborted');
  assert.equal(f.attempts, 3);
  assert.equal(out.accepted, null);
  assert.equal(out.observation.status, 'success', 'a finished search is a success; the reason is in the facts');
  await p.settled();
  assert.equal(p.connections, 3, 'nothing tried after the abort');
});

test('a refused connection mid-way stops the search', async () => {
  let p: Parrot | null = null;
  p = await parrot(async (c) => {
    await c.readPdu();
    await answer(c, [1, 1, 7]);
    // After the second refusal, the port closes (the client has let go by now).
    if (c.index === 1) void p!.stop();
  });
  const ctx = testContext({ timeouts: deadlines });
  const out = await discoverAeTitles(ctx, ep(p), identity, { result: 1, source: 1, reason: 7 }, opts());
  const f = out.observation.facts!;
  assert.equal(f.stoppedBecause, 'connection-failed');
  assert.equal(f.lastStatus, 'connection-refused');
  assert.equal(f.attempts, 3);
  assert.deepEqual(
    ctx.auditLines.map((a) => a.status),
    ['success', 'success', 'connection-refused'],
  );
});

test('congestion (source 3) or another reason mid-way stops the search: no hammering a busy server', async () => {
  for (const rj of [
    [2, 3, 1],
    [1, 1, 1],
  ] as const) {
    const p = await parrot(async (c) => {
      await c.readPdu();
      await answer(c, c.index === 0 ? [1, 1, 7] : rj);
    });
    const out = await discoverAeTitles(
      testContext({ timeouts: deadlines }),
      ep(p),
      identity,
      { result: 1, source: 1, reason: 7 },
      opts(),
    );
    const f = out.observation.facts!;
    assert.equal(f.stoppedBecause, 'other-reject');
    assert.deepEqual(f.lastReject, { result: rj[0], source: rj[1], reason: rj[2] });
    assert.equal(f.attempts, 2);
  }
});

test('the list running out ends the search; refusals it cannot search past are not searched', async () => {
  const db = parseAeTitles({
    version: 1,
    called: [
      { aeTitle: 'ANY-SCP', products: ['x'], source: [{ kind: 'observed', ref: 'test data' }] },
      { aeTitle: 'ONE', products: ['x'], source: [{ kind: 'observed', ref: 'test data' }] },
      { aeTitle: 'TWO', products: ['x'], source: [{ kind: 'observed', ref: 'test data' }] },
    ],
    calling: [{ aeTitle: 'C', products: ['x'], source: [{ kind: 'observed', ref: 'test data' }] }],
  });
  const p = await parrot(picky('NOBODY', null));
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts({ titles: db }),
  );
  assert.equal(out.observation.facts?.stoppedBecause, 'list-exhausted');
  assert.equal(out.observation.facts?.attempts, 2, 'the title already refused is not tried again');

  const q = await parrot(picky(null, null));
  for (const rj of [
    { result: 2, source: 3, reason: 2 },
    { result: 1, source: 1, reason: 1 },
    { result: 1, source: 2, reason: 2 },
  ]) {
    const o = await discoverAeTitles(testContext({ timeouts: deadlines }), ep(q), identity, rj, opts());
    assert.equal(o.observation.facts?.attempts, 0);
    assert.equal(o.observation.facts?.stoppedBecause, 'other-reject');
  }
  assert.equal(q.connections, 0);
});

test('an abort signal cancels the wait between attempts', async () => {
  const p = await parrot(picky('NOBODY', null));
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 350);
  const out = await discoverAeTitles(
    testContext({ timeouts: deadlines }),
    ep(p),
    identity,
    { result: 1, source: 1, reason: 7 },
    opts({ paceMs: 300, signal: ac.signal }),
  );
  assert.equal(out.observation.facts?.stoppedBecause, 'cancelled');
  assert.equal(out.observation.facts?.attempts, 1);
  assert.ok(performance.now() - t0 < 1_000);
});

test('scanEndpoint: after 1/1/3, calling titles guessed only when asked; off when disabled; results say guessed', async () => {
  const known = candidateTitles('calling', { exclude: ['PACSMAP'] })[0]!;
  // Accepts the known calling AE, then answers one C-ECHO and refuses the C-FIND with an abort.
  const p = await parrot(async (c) => {
    const rq = await c.readPdu();
    const parsed = b.parseAssociateRq(rq);
    if (parsed.callingAe !== known) return answer(c, [1, 1, 3]);
    await c.send(
      b.acceptingAc(rq, {
        decide: (x) =>
          x.abstractSyntax === b.VERIFICATION_SOP_CLASS ? b.PcResult.Acceptance : b.PcResult.AbstractSyntaxNotSupported,
      }),
    );
    const echo = await c.readPdu();
    await c.send(b.echoReplyTo(echo));
    await c.readPdu(); // A-RELEASE-RQ
    await c.send(b.releaseRp());
    await c.silent();
  });
  const off = await scanEndpoint(testContext({ timeouts: deadlines }), ep(p), identity, {
    aeDiscovery: { enabled: false },
  });
  assert.equal(off.result.aeDiscovery, null);
  assert.equal(off.result.exposure, 'identified');
  assert.equal(p.connections, 1);

  // On by default, but calling titles are guessed only when asked for.
  const polite = await scanEndpoint(testContext({ timeouts: deadlines }), ep(p), identity);
  assert.equal(polite.result.aeDiscovery?.stoppedBecause, 'calling-guess-disabled');
  assert.equal(polite.result.aeDiscovery?.attempts, 0);
  assert.equal(p.connections, 2);

  const ctx = testContext({ timeouts: deadlines });
  const on = await scanEndpoint(ctx, ep(p), identity, { aeDiscovery: { guessCalling: true } });
  const r = on.result;
  assert.deepEqual(r.aeDiscovery, {
    attempted: true,
    attempts: 1,
    accepted: { calledAe: 'ANY-SCP', callingAe: known },
    guessed: true,
    recognisedCalledAe: null,
    stoppedBecause: 'accepted',
  });
  assert.equal(r.association.accepted, true);
  assert.equal(r.association.callingAe, known);
  assert.equal(r.association.reject, null);
  assert.equal(r.association.firstReject?.reason, 3);
  assert.equal(r.echo, true, JSON.stringify(r.observations));
  assert.equal(r.exposure, 'associable');
  assert.equal(on.associate.facts?.reject?.reason, 3, 'the first request is still reported as such');
  assert.deepEqual(
    r.observations.map((o) => o.probe),
    ['dicom.associate', 'dicom.ae-discovery', 'dicom.echo', 'dicom.query-count'],
  );
  assert.deepEqual(
    ctx.auditLines.map((a) => [a.probe, a.callingAe]),
    [
      ['dicom.associate', 'PACSMAP'],
      ['dicom.ae-discovery', known],
      ['dicom.echo', known],
      ['dicom.query-count', known],
    ],
  );
});
