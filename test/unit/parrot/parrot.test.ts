/**
 * The parrot itself: steps happen in order, deadlines and tarpits behave, and stop() leaves
 * nothing behind. Clients here are plain node:net sockets on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startParrot } from '../../fixtures/parrot/parrot.ts';
import { connectRaw } from '../../fixtures/parrot/client.ts';
import {
  acceptingAc,
  associateRj,
  associateRq,
  cEchoRq,
  Cmd,
  commandUs,
  concat,
  echoReplyTo,
  garbage,
  httpResponse,
  IMPLICIT_VR_LE,
  parseCommandSet,
  parsePdataTf,
  pduClaiming4GiB,
  PDU,
  releaseRp,
  releaseRq,
  VERIFICATION_SOP_CLASS,
} from '../../fixtures/parrot/bytes.ts';

const RQ = associateRq({
  calledAe: 'ANY-SCP',
  callingAe: 'PACSMAP',
  contexts: [{ id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [IMPLICIT_VR_LE] }],
});

function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

test('steps run in order: associate, echo, release, close', async (t) => {
  const parrot = await startParrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: (c) => acceptingAc(c.pdus[0] as Uint8Array) },
    { do: 'read-pdu' },
    { do: 'send', bytes: (c) => echoReplyTo(c.pdus[1] as Uint8Array) },
    { do: 'read-pdu' },
    { do: 'send', bytes: releaseRp() },
    { do: 'close' },
  ]);
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  const echo = cEchoRq({ contextId: 1, messageId: 7 });

  await c.send(RQ);
  const ac = await c.readPdu();
  assert.equal(ac[0], PDU.AssociateAc);
  await c.send(echo);
  const rsp = await c.readPdu();
  const cmd = parseCommandSet((parsePdataTf(rsp)[0] as { data: Uint8Array }).data);
  assert.equal(commandUs(cmd, Cmd.CommandField), 0x8030);
  assert.equal(commandUs(cmd, Cmd.MessageIDBeingRespondedTo), 7);
  await c.send(releaseRq());
  assert.deepEqual(await c.readPdu(), releaseRp());
  await c.closed;
  assert.ok(c.gotEnd, 'graceful close: FIN, not RST');
  assert.equal(c.errorCode, null);

  await parrot.settled();
  assert.equal(parrot.connections, 1);
  assert.deepEqual(parrot.received[0], concat([RQ, echo, releaseRq()]));
  const s = parrot.sessions[0];
  assert.ok(s);
  assert.deepEqual(s.pdus, [RQ, echo, releaseRq()]);
  assert.equal(s.endedBy, 'parrot');
  assert.deepEqual(parrot.errors, []);
});

test('wait delays the next step', async (t) => {
  const a = Uint8Array.of(1);
  const b = Uint8Array.of(2);
  const parrot = await startParrot([
    { do: 'send', bytes: a },
    { do: 'wait', ms: 150 },
    { do: 'send', bytes: b },
  ]);
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.waitFor(() => c.data().length >= 2, 2000, 'both bytes');
  const data = c.events.filter((e) => e.kind === 'data');
  assert.equal(data.length, 2, 'two separate writes');
  assert.ok(
    (data[1] as { at: number }).at - (data[0] as { at: number }).at >= 140,
    'second byte at least ~150 ms later',
  );
  await c.closed;
});

test('read-pdu waits for the whole PDU however it is split', async (t) => {
  const parrot = await startParrot([{ do: 'read-pdu' }, { do: 'send', bytes: releaseRp() }]);
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.send(RQ.subarray(0, 3)); // not even a whole header
  await sleep(40);
  await c.send(RQ.subarray(3, 40));
  await sleep(40);
  assert.equal(c.data().length, 0, 'no answer before the PDU is complete');
  const lastPart = performance.now();
  await c.send(RQ.subarray(40));
  assert.deepEqual(await c.readPdu(), releaseRp());
  assert.ok((c.events.find((e) => e.kind === 'data') as { at: number }).at >= lastPart);
  await parrot.settled();
  assert.deepEqual(parrot.sessions[0]?.pdus, [RQ]);
});

test('read-pdu deadline: the parrot records it and destroys the socket', async (t) => {
  const parrot = await startParrot([{ do: 'read-pdu' }, { do: 'send', bytes: releaseRp() }], { readTimeoutMs: 100 });
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  const started = performance.now();
  await c.closed;
  const took = performance.now() - started;
  assert.ok(took >= 90 && took < 1500, `closed after ${took} ms`);
  assert.equal(c.data().length, 0);
  await parrot.settled();
  assert.equal(parrot.errors.length, 1);
  assert.match(parrot.errors[0] as string, /#0: no whole PDU within 100 ms/);
  assert.equal(parrot.sessions[0]?.endedBy, 'parrot');
});

test('read-pdu refuses a declared length above maxPduLength instead of buffering it', async (t) => {
  const parrot = await startParrot([{ do: 'read-pdu' }], { maxPduLength: 1 << 20 });
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.send(pduClaiming4GiB());
  await c.closed;
  await parrot.settled();
  assert.match(parrot.errors[0] as string, /declared a PDU of 4294967295 bytes/);
});

test('close ends with FIN; destroy with RST', async (t) => {
  const closing = await startParrot([{ do: 'send', bytes: Uint8Array.of(9) }, { do: 'close' }]);
  t.after(() => closing.stop());
  const a = await connectRaw(closing.port);
  await a.closed;
  assert.deepEqual(a.data(), Uint8Array.of(9));
  assert.ok(a.gotEnd);
  assert.equal(a.errorCode, null);

  const resetting = await startParrot([
    { do: 'send', bytes: Uint8Array.of(9) },
    { do: 'wait', ms: 20 },
    { do: 'destroy' },
  ]);
  t.after(() => resetting.stop());
  const b = await connectRaw(resetting.port);
  await b.closed;
  assert.equal(b.gotEnd, false, 'no FIN');
  assert.equal(b.errorCode, 'ECONNRESET');
});

test('drip sends one byte at a time at the given interval', async (t) => {
  const bytes = httpResponse().subarray(0, 8);
  const parrot = await startParrot([{ do: 'drip', bytes, intervalMs: 30 }]);
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.closed;
  assert.deepEqual(c.data(), bytes);
  const data = c.events.filter((e) => e.kind === 'data');
  assert.ok(data.length >= 6, `arrived in ${data.length} pieces`);
  const span = (data.at(-1) as { at: number }).at - (data[0] as { at: number }).at;
  assert.ok(span >= 7 * 30 * 0.8, `spread over ${span} ms`);
});

test('silent is a tarpit: holds the socket, reads and discards, never answers, until stop()', async () => {
  const parrot = await startParrot([{ do: 'silent' }]);
  const c = await connectRaw(parrot.port);
  const junk = garbage(100_000, 7);
  await c.send(RQ);
  await c.send(junk);
  await sleep(300);
  assert.equal(c.data().length, 0, 'not one byte back');
  assert.equal(c.isClosed, false, 'still open');
  assert.equal(parrot.sessions[0]?.endedBy, null);
  await c.waitFor(
    () => (parrot.received[0]?.length ?? 0) === RQ.length + junk.length,
    2000,
    'the parrot to read it all',
  );
  await parrot.stop();
  await c.closed;
  assert.equal(parrot.sessions[0]?.endedBy, 'stop');
  assert.deepEqual(parrot.errors, []);
});

test('a client leaving early is its right, not an error; the parrot notes when it left', async (t) => {
  const parrot = await startParrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: associateRj(1, 1, 7) },
    { do: 'read-pdu' },
  ]);
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.send(RQ);
  assert.equal((await c.readPdu())[0], PDU.AssociateRj);
  c.socket.end();
  await c.closed;
  await parrot.settled();
  const s = parrot.sessions[0];
  assert.ok(s && s.lastSentAt !== null && s.peerEndedAt !== null);
  assert.equal(s.endedBy, 'peer');
  assert.ok(s.peerEndedAt - s.lastSentAt < 1000);
  assert.deepEqual(parrot.errors, []);
});

test('connections are counted and what each sent is kept apart', async (t) => {
  const parrot = await startParrot([{ do: 'read-pdu' }, { do: 'close' }]);
  t.after(() => parrot.stop());
  for (const n of [1, 2, 3]) {
    const c = await connectRaw(parrot.port);
    await c.send(releaseRq().map((b, i) => (i === 9 ? n : b)));
    await c.closed;
  }
  await parrot.settled();
  assert.equal(parrot.connections, 3);
  assert.deepEqual(
    parrot.received.map((r) => r[9]),
    [1, 2, 3],
  );
});

test('a function script drives the connection and knows its index', async (t) => {
  const parrot = await startParrot(async (conn) => {
    const rq = await conn.readPdu();
    if (conn.index === 0) await conn.send(associateRj(2, 1, 1));
    else await conn.send(acceptingAc(rq));
    await conn.close();
  });
  t.after(() => parrot.stop());
  const types: number[] = [];
  for (let i = 0; i < 2; i++) {
    const c = await connectRaw(parrot.port);
    await c.send(RQ);
    types.push((await c.readPdu())[0] as number);
    await c.closed;
  }
  assert.deepEqual(types, [PDU.AssociateRj, PDU.AssociateAc]);
});

test('an error thrown by a script is recorded and the socket destroyed', async (t) => {
  const parrot = await startParrot(async () => {
    throw new Error('script bug');
  });
  t.after(() => parrot.stop());
  const c = await connectRaw(parrot.port);
  await c.closed;
  await parrot.settled();
  assert.deepEqual(parrot.errors, ['#0: script bug']);
});

test('loopback only', async () => {
  await assert.rejects(startParrot([], { host: '0.0.0.0' }), /loopback only/);
  await assert.rejects(startParrot([], { host: '10.0.0.1' }), /loopback only/);
});

test('stop() releases the listener, every socket and every timer', async () => {
  const before = resources();
  const parrot = await startParrot(async (conn) => {
    if (conn.index === 0)
      await conn.wait(60_000); // a long timer
    else if (conn.index === 1)
      await conn.readPdu(60_000); // a pending deadline
    else await conn.silent();
  });
  const clients = [await connectRaw(parrot.port), await connectRaw(parrot.port), await connectRaw(parrot.port)];
  await clients[0]?.waitFor(() => parrot.connections === 3, 2000, 'three connections');
  const during = resources();
  assert.ok((during.Timeout ?? 0) >= (before.Timeout ?? 0) + 2, 'timers were running');

  await parrot.stop();
  await Promise.all(clients.map((c) => c.closed));
  await parrot.stop(); // idempotent
  const after = resources();
  for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
    assert.equal(
      after[kind] ?? 0,
      before[kind] ?? 0,
      `${kind}: before ${before[kind] ?? 0}, after ${after[kind] ?? 0}`,
    );
  }
  assert.deepEqual(
    parrot.sessions.map((s) => s.endedBy),
    ['stop', 'stop', 'stop'],
  );
  assert.deepEqual(parrot.errors, []);

  const refused = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: parrot.port });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? ''));
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  assert.equal(refused, 'ECONNREFUSED');
});
