import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describePdu, encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import * as arb from './arbitraries.ts';

test('every PDU survives encode → readPdu unchanged, consuming exactly its bytes', () => {
  fc.assert(
    fc.property(arb.pdu, (pdu) => {
      const bytes = encodePdu(pdu);
      // The limit is inclusive: a PDU exactly at the limit is read.
      const r = readPdu(bytes, bytes.length - 6);
      assert.equal(r.kind, 'pdu', JSON.stringify(r));
      assert.ok(r.kind === 'pdu');
      assert.equal(r.bytesConsumed, bytes.length);
      assert.deepEqual(r.pdu, pdu);
    }),
    { numRuns: 1000 },
  );
});

test('association PDUs round trip (more runs on the richest shapes)', () => {
  fc.assert(
    fc.property(fc.oneof(arb.associateRq, arb.associateAc), (pdu) => {
      const bytes = encodePdu(pdu);
      const r = readPdu(bytes, bytes.length);
      assert.ok(r.kind === 'pdu');
      assert.deepEqual(r.pdu, pdu);
      assert.deepEqual(encodePdu(r.pdu), bytes);
    }),
    { numRuns: 1000 },
  );
});

test('the PDU length field counts the bytes after the 6-byte header', () => {
  fc.assert(
    fc.property(arb.pdu, (pdu) => {
      const bytes = encodePdu(pdu);
      const declared = new DataView(bytes.buffer, bytes.byteOffset).getUint32(2);
      assert.equal(declared, bytes.length - 6);
    }),
  );
});

test('describePdu is total and leaks no P-DATA content or identity fields', () => {
  fc.assert(
    fc.property(arb.pdu, (pdu) => {
      const s = describePdu(pdu);
      assert.equal(typeof s, 'string');
      assert.ok(!s.includes('\n'));
    }),
  );
  const secret = new TextEncoder().encode('DOE^JANE');
  const pdata = describePdu({
    type: 'P-DATA-TF',
    pdvs: [{ contextId: 1, isCommand: false, isLast: true, data: secret }],
  });
  assert.equal(pdata, 'P-DATA-TF 1 PDV [pc=1 data last 8B]');
  const rq = describePdu({
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
    userInformation: {
      maxLength: 16384,
      roleSelections: [],
      extendedNegotiations: [],
      userIdentityRq: {
        identityType: 2,
        positiveResponseRequested: false,
        primaryField: new TextEncoder().encode('admin'),
        secondaryField: new TextEncoder().encode('hunter2'),
      },
      unknownItems: [],
    },
    unknownItems: [],
  });
  assert.ok(!rq.includes('admin') && !rq.includes('hunter2'), rq);
  assert.match(rq, /identity=type2/);
  assert.equal(
    describePdu({ type: 'A-ABORT', source: 2, reason: 6 }),
    'A-ABORT source=2 (service-provider) reason=6 (invalid-PDU-parameter-value)',
  );
  assert.equal(
    describePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 }),
    'A-ASSOCIATE-RJ result=1 (rejected-permanent) source=1 (service-user) reason=7 (called-AE-title-not-recognized)',
  );
  // Peer-controlled strings cannot inject control characters into a log line.
  assert.ok(
    !describePdu({
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAe: 'A\nB',
      callingAe: 'x',
      presentationContexts: [],
      unknownItems: [],
    }).includes('\n'),
  );
});
