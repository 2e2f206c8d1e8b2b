/**
 * The parrot's hand-written bytes against real DICOM clients: if dcmjs-dimse and DCMTK's echoscu
 * both complete a C-ECHO against a scripted parrot, the AC, the C-ECHO-RSP and the release are
 * well-formed enough for real peers. The requests they send are then run through the fingerprint
 * knowledge, which must recognise them. Loopback only; echoscu tests need DCMTK, which .ci/run installs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dimse from 'dcmjs-dimse';
import { startParrot, type ParrotStep } from '../../fixtures/parrot/parrot.ts';
import {
  acceptingAc,
  echoReplyTo,
  parseAssociateRq,
  PcResult,
  releaseRp,
  VERIFICATION_SOP_CLASS,
} from '../../fixtures/parrot/bytes.ts';
import { identifyProduct } from '../../../src/knowledge/fingerprints.ts';

dimse.log.setLevel('silent');

/** A complete, polite verification SCP in seven steps. */
const ECHO_SCP: readonly ParrotStep[] = [
  { do: 'read-pdu' },
  { do: 'send', bytes: (c) => acceptingAc(c.pdus[0] as Uint8Array) },
  { do: 'read-pdu' },
  { do: 'send', bytes: (c) => echoReplyTo(c.pdus[1] as Uint8Array) },
  { do: 'read-pdu' },
  { do: 'send', bytes: releaseRp() },
  { do: 'close' },
];

function dimseEcho(port: number): Promise<{ status: number | null; error: string | null }> {
  return new Promise((resolve) => {
    const client = new dimse.Client();
    const request = new dimse.requests.CEchoRequest();
    let status: number | null = null;
    let error: string | null = null;
    request.on('response', (r: { getStatus(): number }) => {
      status = r.getStatus();
    });
    client.addRequest(request);
    client.on('networkError', (e: Error) => {
      error = e.message;
    });
    client.on('associationRejected', () => {
      error = 'association rejected';
    });
    client.on('closed', () => resolve({ status, error }));
    client.send('127.0.0.1', port, 'PACSMAP', 'PARROT', {
      connectTimeout: 3000,
      associationTimeout: 3000,
      pduTimeout: 3000,
    });
  });
}

test('dcmjs-dimse completes a C-ECHO against the scripted parrot', async (t) => {
  const parrot = await startParrot(ECHO_SCP);
  t.after(() => parrot.stop());
  const r = await dimseEcho(parrot.port);
  assert.deepEqual(r, { status: 0, error: null });
  await parrot.settled();
  assert.deepEqual(parrot.errors, []);
  assert.equal(parrot.sessions[0]?.pdus.length, 3, 'RQ, C-ECHO-RQ, A-RELEASE-RQ');

  // Its request, read by the parrot's minimal parser and recognised by the fingerprints.
  const rq = parseAssociateRq(parrot.sessions[0]?.pdus[0] as Uint8Array);
  assert.equal(rq.callingAe, 'PACSMAP');
  assert.equal(rq.calledAe, 'PARROT');
  assert.ok(rq.contexts.some((c) => c.abstractSyntax === VERIFICATION_SOP_CLASS));
  const product = identifyProduct({ classUid: rq.implClassUid, versionName: rq.implVersionName });
  assert.equal(product?.fingerprintId, 'dcmjs-dimse');
  assert.equal(product?.confidence, 'high');
});

test('dcmjs-dimse sees a refused context as a failed echo, not a success', async (t) => {
  const parrot = await startParrot([
    { do: 'read-pdu' },
    {
      do: 'send',
      bytes: (c) => acceptingAc(c.pdus[0] as Uint8Array, { decide: () => PcResult.AbstractSyntaxNotSupported }),
    },
    { do: 'read-pdu', timeoutMs: 2000 },
    { do: 'send', bytes: releaseRp() },
  ]);
  t.after(() => parrot.stop());
  const r = await dimseEcho(parrot.port);
  assert.notEqual(r.status, 0);
});

function runEchoscu(port: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      'echoscu',
      ['-d', '-to', '5', '-ta', '5', '-td', '5', '-aec', 'PARROT', '127.0.0.1', String(port)],
      {
        env: { ...process.env, TCP_NODELAY: '1' },
      },
    );
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.stderr.on('data', (b: Buffer) => (output += b.toString()));
    p.on('close', (code) => resolve({ code, output }));
  });
}

test('DCMTK echoscu completes a C-ECHO against the scripted parrot', async (t) => {
  const parrot = await startParrot(ECHO_SCP);
  t.after(() => parrot.stop());
  const r = await runEchoscu(parrot.port);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Received Echo Response \(Success\)/);
  await parrot.settled();
  assert.deepEqual(parrot.errors, []);

  // echoscu announces DCMTK's own values; the fingerprints say DCMTK, with Orthanc as the lookalike.
  const rq = parseAssociateRq(parrot.sessions[0]?.pdus[0] as Uint8Array);
  const product = identifyProduct({ classUid: rq.implClassUid, versionName: rq.implVersionName });
  assert.equal(product?.name, 'DCMTK');
  assert.match(product?.version ?? '', /^3\.\d+\.\d+$/);
  assert.deepEqual(product?.ambiguousWith, ['Orthanc']);
});

test('DCMTK echoscu gives up on an association the parrot rejects', async (t) => {
  const parrot = await startParrot([
    { do: 'read-pdu' },
    { do: 'send', bytes: Uint8Array.of(0x03, 0, 0, 0, 0, 4, 0, 1, 1, 7) },
    { do: 'read-pdu', timeoutMs: 3000 },
  ]);
  t.after(() => parrot.stop());
  const r = await runEchoscu(parrot.port);
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Association Rejected/i);
  await parrot.settled();
  assert.equal(parrot.sessions[0]?.endedBy, 'peer', 'echoscu closed its side after the rejection');
  assert.deepEqual(parrot.errors, []);
});
