/**
 * Golden PDUs, written out byte by byte from PS3.8 §9.3 and PS3.7 Annex D.3.3.
 * Each test checks both directions: decode(golden) deep-equals the object, and
 * encode(object) is exactly the golden bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import type { Pdu } from '../../../src/protocol/ul/pdu.ts';

/** The character codes of an ASCII string. */
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const bytes = (...parts: (number | number[])[]): Uint8Array => new Uint8Array(parts.flat());

const te = (s: string): Uint8Array => new TextEncoder().encode(s);

function checkGolden(golden: Uint8Array, expected: Pdu): void {
  const r = readPdu(golden, 1 << 20);
  assert.equal(r.kind, 'pdu', JSON.stringify(r));
  assert.ok(r.kind === 'pdu');
  assert.equal(r.bytesConsumed, golden.length);
  assert.deepEqual(r.pdu, expected);
  assert.deepEqual(encodePdu(expected), golden);
}

// A-ASSOCIATE-RQ: ANY-SCP ← PACSMAP, verification + study root find, full user information.
const associateRq = bytes(
  0x01, // PDU type: A-ASSOCIATE-RQ
  0x00, // reserved
  [0x00, 0x00, 0x01, 0x5d], // PDU length 349
  [0x00, 0x01], // protocol version 1
  [0x00, 0x00], // reserved
  ascii('ANY-SCP         '), // called AE title, 16 bytes space padded
  ascii('PACSMAP         '), // calling AE title
  zeros(32), // reserved
  // Application context item
  0x10, // item type
  0x00, // reserved
  [0x00, 0x15], // item length 21
  ascii('1.2.840.10008.3.1.1.1'), // DICOM application context name
  // Presentation context item (RQ)
  0x20, // item type
  0x00, // reserved
  [0x00, 0x45], // item length 69
  0x01, // presentation context ID 1
  [0x00, 0x00, 0x00], // reserved ×3
  0x30, // abstract syntax sub-item
  0x00, // reserved
  [0x00, 0x11], // length 17
  ascii('1.2.840.10008.1.1'), // Verification SOP Class
  0x40, // transfer syntax sub-item
  0x00, // reserved
  [0x00, 0x11], // length 17
  ascii('1.2.840.10008.1.2'), // Implicit VR Little Endian
  0x40, // transfer syntax sub-item
  0x00, // reserved
  [0x00, 0x13], // length 19
  ascii('1.2.840.10008.1.2.1'), // Explicit VR Little Endian
  // Presentation context item (RQ)
  0x20, // item type
  0x00, // reserved
  [0x00, 0x38], // item length 56
  0x03, // presentation context ID 3
  [0x00, 0x00, 0x00], // reserved ×3
  0x30, // abstract syntax sub-item
  0x00, // reserved
  [0x00, 0x1b], // length 27
  ascii('1.2.840.10008.5.1.4.1.2.2.1'), // Study Root Q/R Information Model – FIND
  0x40, // transfer syntax sub-item
  0x00, // reserved
  [0x00, 0x11], // length 17
  ascii('1.2.840.10008.1.2'), // Implicit VR Little Endian
  // User information item
  0x50, // item type
  0x00, // reserved
  [0x00, 0x77], // item length 119
  0x51, // maximum length sub-item
  0x00, // reserved
  [0x00, 0x04], // length 4
  [0x00, 0x00, 0x40, 0x00], // maximum length received 16384
  0x52, // implementation class UID sub-item
  0x00, // reserved
  [0x00, 0x1a], // length 26
  ascii('1.2.826.0.1.3680043.10.543'), // implementation class UID
  0x53, // asynchronous operations window sub-item
  0x00, // reserved
  [0x00, 0x04], // length 4
  [0x00, 0x01], // maximum number operations invoked 1
  [0x00, 0x01], // maximum number operations performed 1
  0x54, // SCP/SCU role selection sub-item
  0x00, // reserved
  [0x00, 0x1f], // length 31
  [0x00, 0x1b], // UID length 27
  ascii('1.2.840.10008.5.1.4.1.2.2.1'), // SOP class UID
  0x01, // SCU role: supported
  0x00, // SCP role: not supported
  0x55, // implementation version name sub-item
  0x00, // reserved
  [0x00, 0x0b], // length 11
  ascii('PACSMAP_010'), // implementation version name
  0x58, // user identity sub-item (RQ)
  0x00, // reserved
  [0x00, 0x13], // length 19
  0x02, // user identity type 2: username and passcode
  0x01, // positive response requested
  [0x00, 0x07], // primary field length 7
  ascii('scanner'), // primary field (username)
  [0x00, 0x06], // secondary field length 6
  ascii('secret'), // secondary field (passcode)
);

test('golden A-ASSOCIATE-RQ with 2 presentation contexts and full user information', () => {
  checkGolden(associateRq, {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'] },
      { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    ],
    userInformation: {
      maxLength: 16384,
      implementationClassUid: '1.2.826.0.1.3680043.10.543',
      implementationVersionName: 'PACSMAP_010',
      asyncOps: { maxInvoked: 1, maxPerformed: 1 },
      roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', scuRole: 1, scpRole: 0 }],
      extendedNegotiations: [],
      userIdentityRq: {
        identityType: 2,
        positiveResponseRequested: true,
        primaryField: te('scanner'),
        secondaryField: te('secret'),
      },
      unknownItems: [],
    },
    unknownItems: [],
  });
});

// A-ASSOCIATE-AC: context 1 accepted, context 3 rejected (abstract syntax not supported, no
// transfer syntax sub-item), user information without an implementation version name.
const associateAc = bytes(
  0x02, // PDU type: A-ASSOCIATE-AC
  0x00, // reserved
  [0x00, 0x00, 0x00, 0xad], // PDU length 173
  [0x00, 0x01], // protocol version 1
  [0x00, 0x00], // reserved
  ascii('ANY-SCP         '), // called AE title (echoed, not tested)
  ascii('PACSMAP         '), // calling AE title (echoed, not tested)
  zeros(32), // reserved
  // Application context item
  0x10, // item type
  0x00, // reserved
  [0x00, 0x15], // item length 21
  ascii('1.2.840.10008.3.1.1.1'), // DICOM application context name
  // Presentation context item (AC)
  0x21, // item type
  0x00, // reserved
  [0x00, 0x19], // item length 25
  0x01, // presentation context ID 1
  0x00, // reserved
  0x00, // result: acceptance
  0x00, // reserved
  0x40, // transfer syntax sub-item
  0x00, // reserved
  [0x00, 0x11], // length 17
  ascii('1.2.840.10008.1.2'), // Implicit VR Little Endian
  // Presentation context item (AC)
  0x21, // item type
  0x00, // reserved
  [0x00, 0x04], // item length 4: no sub-item
  0x03, // presentation context ID 3
  0x00, // reserved
  0x03, // result: abstract-syntax-not-supported (provider rejection)
  0x00, // reserved
  // User information item
  0x50, // item type
  0x00, // reserved
  [0x00, 0x27], // item length 39
  0x51, // maximum length sub-item
  0x00, // reserved
  [0x00, 0x04], // length 4
  [0x00, 0x00, 0x80, 0x00], // maximum length received 32768
  0x52, // implementation class UID sub-item
  0x00, // reserved
  [0x00, 0x1b], // length 27
  ascii('1.2.276.0.7230010.3.0.3.6.4'), // implementation class UID (no version name follows)
);

test('golden A-ASSOCIATE-AC with an accepted and a rejected context, no version name', () => {
  checkGolden(associateAc, {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' },
      { id: 3, result: 3 },
    ],
    userInformation: {
      maxLength: 32768,
      implementationClassUid: '1.2.276.0.7230010.3.0.3.6.4',
      roleSelections: [],
      extendedNegotiations: [],
      unknownItems: [],
    },
    unknownItems: [],
  });
  const r = readPdu(associateAc, 1 << 20);
  assert.ok(r.kind === 'pdu' && r.pdu.type === 'A-ASSOCIATE-AC');
  // Absent stays absent: no default version name, no empty transfer syntax.
  assert.equal(r.pdu.userInformation?.implementationVersionName, undefined);
  assert.ok(!('implementationVersionName' in (r.pdu.userInformation ?? {})));
  assert.ok(!('transferSyntax' in (r.pdu.presentationContexts[1] ?? {})));
});

const associateRj = bytes(
  0x03, // PDU type: A-ASSOCIATE-RJ
  0x00, // reserved
  [0x00, 0x00, 0x00, 0x04], // PDU length 4
  0x00, // reserved
  0x01, // result: rejected-permanent
  0x01, // source: DICOM UL service-user
  0x07, // reason: called-AE-title-not-recognized
);

test('golden A-ASSOCIATE-RJ', () => {
  checkGolden(associateRj, { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 });
});

const pDataTf = bytes(
  0x04, // PDU type: P-DATA-TF
  0x00, // reserved
  [0x00, 0x00, 0x00, 0x1b], // PDU length 27
  // PDV item 1
  [0x00, 0x00, 0x00, 0x0e], // item length 14
  0x01, // presentation context ID 1
  0x03, // message control header: command, last fragment
  [0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00], // fragment (12 bytes)
  // PDV item 2
  [0x00, 0x00, 0x00, 0x05], // item length 5
  0x03, // presentation context ID 3
  0x00, // message control header: data set, not last
  [0xde, 0xad, 0xbe], // fragment (3 bytes)
);

test('golden P-DATA-TF with 2 PDVs', () => {
  checkGolden(pDataTf, {
    type: 'P-DATA-TF',
    pdvs: [
      {
        contextId: 1,
        isCommand: true,
        isLast: true,
        data: new Uint8Array([0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00]),
      },
      { contextId: 3, isCommand: false, isLast: false, data: new Uint8Array([0xde, 0xad, 0xbe]) },
    ],
  });
});

test('golden A-RELEASE-RQ and A-RELEASE-RP', () => {
  checkGolden(
    bytes(
      0x05, // PDU type: A-RELEASE-RQ
      0x00, // reserved
      [0x00, 0x00, 0x00, 0x04], // PDU length 4
      [0x00, 0x00, 0x00, 0x00], // reserved
    ),
    { type: 'A-RELEASE-RQ' },
  );
  checkGolden(
    bytes(
      0x06, // PDU type: A-RELEASE-RP
      0x00, // reserved
      [0x00, 0x00, 0x00, 0x04], // PDU length 4
      [0x00, 0x00, 0x00, 0x00], // reserved
    ),
    { type: 'A-RELEASE-RP' },
  );
});

test('golden A-ABORT from the service provider, invalid PDU parameter value', () => {
  checkGolden(
    bytes(
      0x07, // PDU type: A-ABORT
      0x00, // reserved
      [0x00, 0x00, 0x00, 0x04], // PDU length 4
      0x00, // reserved
      0x00, // reserved
      0x02, // source: DICOM UL service-provider
      0x06, // reason: invalid-PDU-parameter-value
    ),
    { type: 'A-ABORT', source: 2, reason: 6 },
  );
});

test('golden unknown PDU type is kept as bytes', () => {
  checkGolden(
    bytes(
      0x09, // PDU type 09H: not defined by PS3.8
      0x00, // reserved
      [0x00, 0x00, 0x00, 0x03], // PDU length 3
      [0x01, 0x02, 0x03], // body
    ),
    { type: 'unknown', pduType: 0x09, body: new Uint8Array([1, 2, 3]) },
  );
});
