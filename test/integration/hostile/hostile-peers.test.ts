/**
 * Hostile and malformed peers, scripted byte by byte: each must end as a status, never as an
 * exception, a hang past its deadline, or unbounded memory.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startParrot, type Parrot, type ParrotScript } from '../../fixtures/parrot/parrot.ts';
import * as b from '../../fixtures/parrot/bytes.ts';
import { scanEndpoint } from '../../../src/scan/scan-endpoint.ts';
import { requestAssociation } from '../../../src/protocol/association/requestor.ts';
import { proposedPresentationContexts } from '../../../src/probes/dicom/proposal.ts';
import { testContext } from '../../helpers/probe-context.ts';

const parrots: Parrot[] = [];
after(async () => {
  await Promise.all(parrots.map((p) => p.stop()));
});

async function parrot(script: ParrotScript): Promise<Parrot> {
  const p = await startParrot(script, { readTimeoutMs: 3_000 });
  parrots.push(p);
  return p;
}

const identity = { calledAe: 'ANY-SCP', callingAe: 'PACSMAP' };
const shortDeadlines = { connectMs: 1_000, acseMs: 400, dimseMs: 400, associationMs: 3_000 };

async function scan(p: Parrot) {
  const ctx = testContext({ timeouts: shortDeadlines });
  const t0 = performance.now();
  const { result } = await scanEndpoint(ctx, { host: p.host, port: p.port, tls: false }, identity);
  return { result, elapsed: performance.now() - t0, ctx };
}

const rejections: Array<[number, number, number, string]> = [
  [1, 1, 1, 'no reason given'],
  [1, 1, 2, 'application context name not supported'],
  [1, 1, 3, 'calling AE title not recognized'],
  [1, 1, 7, 'called AE title not recognized'],
  [2, 1, 7, 'called AE title not recognized'],
  [1, 2, 1, 'no reason given (ACSE)'],
  [1, 2, 2, 'protocol version not supported'],
  [2, 3, 1, 'temporary congestion'],
  [2, 3, 2, 'local limit exceeded'],
];

for (const [result, source, reason, meaning] of rejections) {
  test(`A-ASSOCIATE-RJ result ${result} source ${source} reason ${reason} is reported exactly, socket dropped at once`, async () => {
    const p = await parrot([
      { do: 'read-pdu' },
      { do: 'send', bytes: b.associateRj(result, source, reason) },
      { do: 'wait', ms: 2_000 },
    ]);
    const { result: r } = await scan(p);
    assert.equal(r.status, 'success');
    assert.equal(r.service, 'dicom');
    assert.equal(r.exposure, 'identified');
    assert.deepEqual(r.association.reject, { result, source, reason, meaning });
    assert.equal(r.association.accepted, false);
    await p.settled();
    const s = p.sessions[0]!;
    assert.equal(s.endedBy, 'peer', 'we closed first, not the parrot');
    assert.ok(
      s.peerEndedAt! - s.lastSentAt! < 200,
      `closed ${Math.round(s.peerEndedAt! - s.lastSentAt!)} ms after the RJ`,
    );
  });
}

test('A-ABORT in reply to the association request', async () => {
  const p = await parrot([{ do: 'read-pdu' }, { do: 'send', bytes: b.abort(2, 6) }, { do: 'wait', ms: 1_000 }]);
  const { result: r } = await scan(p);
  assert.equal(r.status, 'application-error');
  assert.equal(r.service, 'dicom');
  assert.deepEqual(r.association.abort, { source: 2, reason: 6 });
  assert.equal(r.exposure, 'identified');
});

test('A-ABORT mid-association (after the echo request) ends as application-error with its details', async () => {
  const p = await parrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: (c) => b.acceptingAc(c.pdus[0]!) },
    { do: 'read-pdu' },
    { do: 'send', bytes: b.abort(0, 0) },
    { do: 'wait', ms: 1_000 },
  ]);
  const { result: r, elapsed } = await scan(p);
  assert.equal(r.association.accepted, true);
  assert.equal(r.status, 'application-error');
  assert.equal(r.echo, false);
  const echo = r.observations.find((o) => o.probe === 'dicom.echo')!;
  assert.equal(echo.status, 'application-error');
  assert.match(echo.detail ?? '', /source 0, reason 0/);
  assert.ok(elapsed < 1_500);
});

test('tarpit: accepts TCP, says nothing: io-timeout at the ACSE deadline', async () => {
  const p = await parrot([{ do: 'silent' }]);
  const { result: r, elapsed } = await scan(p);
  assert.equal(r.status, 'io-timeout');
  assert.equal(r.service, null);
  assert.equal(r.exposure, 'none');
  assert.ok(elapsed >= 350 && elapsed < 1_500, `gave up after ${Math.round(elapsed)} ms`);
});

test('drip-feeding an AC byte by byte cannot stretch the ACSE deadline', async () => {
  const p = await parrot(async (c) => {
    const rq = await c.readPdu();
    await c.drip(b.acceptingAc(rq), 50);
  });
  const { result: r, elapsed } = await scan(p);
  assert.equal(r.status, 'io-timeout');
  assert.ok(elapsed < 1_500, `gave up after ${Math.round(elapsed)} ms`);
});

test('an HTTP server on a DICOM port is a protocol error, not DICOM', async () => {
  const p = await parrot([{ do: 'read-pdu' }, { do: 'send', bytes: b.httpResponse() }, { do: 'close' }]);
  const { result: r } = await scan(p);
  assert.equal(r.status, 'protocol-error');
  assert.equal(r.service, null);
  assert.equal(r.exposure, 'none');
});

for (const mode of ['short', 'long'] as const) {
  test(`an A-ASSOCIATE-AC with a ${mode} length field is a protocol error`, async () => {
    const p = await parrot([
      { do: 'read-pdu' },
      { do: 'send', bytes: b.acWithWrongLength(mode) },
      { do: 'wait', ms: 600 },
      { do: 'close' },
    ]);
    const { result: r, elapsed } = await scan(p);
    assert.ok(['protocol-error', 'io-timeout'].includes(r.status), r.status);
    assert.equal(r.association.accepted, false);
    assert.ok(elapsed < 1_500);
  });
}

test('a PDU claiming 4 GiB is refused from its header, without buffering', async () => {
  const before = process.memoryUsage().rss;
  const p = await parrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: b.pduClaiming4GiB() },
    { do: 'send', bytes: b.garbage(1 << 20, 7) },
    { do: 'wait', ms: 500 },
  ]);
  const { result: r, elapsed } = await scan(p);
  assert.equal(r.status, 'protocol-error');
  assert.match(r.observations[0]!.detail ?? '', /over the \d+ byte limit/);
  assert.ok(elapsed < 1_000);
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'memory stayed bounded');
});

test('garbage bytes are a protocol error', async () => {
  const p = await parrot([{ do: 'read-pdu' }, { do: 'send', bytes: b.garbage(512, 42) }, { do: 'wait', ms: 600 }]);
  const { result: r } = await scan(p);
  assert.ok(['protocol-error', 'io-timeout'].includes(r.status), r.status);
  assert.equal(r.association.accepted, false);
});

test('close right after the AC: connection-closed, association seen as accepted', async () => {
  const p = await parrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: (c) => b.acceptingAc(c.pdus[0]!) },
    { do: 'close' },
  ]);
  const { result: r } = await scan(p);
  assert.equal(r.association.accepted, true);
  assert.equal(r.status, 'connection-closed');
  assert.equal(r.services.store, true, 'the AC accepted every context, storage included');
  assert.equal(r.exposure, 'writable');
});

test('close before answering at all: connection-closed', async () => {
  const p = await parrot([{ do: 'read-pdu' }, { do: 'destroy' }]);
  const { result: r } = await scan(p);
  assert.equal(r.status, 'connection-closed');
  assert.equal(r.service, null);
});

test('a peer that floods P-DATA past the byte budget is cut off', async () => {
  const p = await parrot(async (c) => {
    const rq = await c.readPdu();
    await c.send(b.acceptingAc(rq));
    const chunk = b.pdataTf([{ contextId: 1, command: false, last: false, data: new Uint8Array(16_000) }]);
    for (let i = 0; i < 200 && !c.signal.aborted; i++) await c.send(chunk);
  });
  const outcome = await requestAssociation({
    host: p.host,
    port: p.port,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    presentationContexts: proposedPresentationContexts(),
    byteBudget: 256 * 1024,
    timeouts: shortDeadlines,
  });
  assert.equal(outcome.kind, 'accepted');
  if (outcome.kind !== 'accepted') return;
  const a = outcome.association;
  await assert.rejects(
    (async () => {
      for (;;) await a.nextPData(400);
    })(),
    (err: Error & { status?: string }) => err.status === 'protocol-error' && /byte budget/.test(err.message),
  );
  a.abort();
});

test('a parrot that completes a real echo: associable, echo true, release handshake done', async () => {
  const p = await parrot([
    { do: 'read-pdu' },
    {
      do: 'send',
      bytes: (c) =>
        b.acceptingAc(c.pdus[0]!, {
          implClassUid: '1.2.3.4',
          implVersionName: null,
          decide: (pc) =>
            pc.abstractSyntax === b.VERIFICATION_SOP_CLASS
              ? b.PcResult.Acceptance
              : b.PcResult.AbstractSyntaxNotSupported,
        }),
    },
    { do: 'read-pdu' },
    { do: 'send', bytes: (c) => b.echoReplyTo(c.pdus[1]!) },
    { do: 'read-pdu' }, // only verification was accepted, so the next PDU is the release request
    { do: 'send', bytes: b.releaseRp() },
    { do: 'wait', ms: 500 },
  ]);
  const { result: r } = await scan(p);
  assert.equal(r.association.accepted, true);
  assert.equal(r.echo, true);
  assert.deepEqual(r.implementation, { classUid: '1.2.3.4', versionName: null }, 'absent version name stays absent');
  await p.settled();
  assert.equal(b.pduHeader(p.sessions[0]!.pdus[2]!)?.type, b.PDU.ReleaseRq);
});
