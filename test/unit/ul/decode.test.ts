/** What the decoder forgives, what it reports exactly, and what the encoder refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAeTitle, encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import type { Pdu } from '../../../src/protocol/ul/pdu.ts';
import { APP_CONTEXT, ascii, associateBody, frame, item, pdv, prefixed } from './raw.ts';

function decode(buf: Uint8Array): Pdu {
  const r = readPdu(buf, 1 << 20);
  assert.equal(r.kind, 'pdu', JSON.stringify(r));
  assert.ok(r.kind === 'pdu');
  assert.equal(r.bytesConsumed, buf.length);
  return r.pdu;
}

const MAX_LENGTH = item(0x51, [0, 0, 0x40, 0]);

test('UIDs and the version name lose trailing NUL/space padding; AE titles only trailing spaces', () => {
  const pdu = decode(
    frame(
      0x01,
      associateBody(
        [
          ...item(0x10, ascii('1.2.840.10008.3.1.1.1\0')),
          ...item(0x20, [
            1,
            0,
            0,
            0,
            ...item(0x30, ascii('1.2.840.10008.1.1\0')),
            ...item(0x40, ascii('1.2.840.10008.1.2 ')),
          ]),
          ...item(0x50, [
            ...MAX_LENGTH,
            ...item(0x52, ascii('1.2.3.4\0')),
            ...item(0x54, [...prefixed(ascii('1.2.840.10008.1.1\0')), 0, 1]),
            ...item(0x55, ascii('SOME_PACS_1 ')),
          ]),
        ],
        '  LEADING',
        'NULPAD\0\0',
      ),
    ),
  );
  assert.ok(pdu.type === 'A-ASSOCIATE-RQ');
  assert.equal(pdu.calledAe, '  LEADING');
  assert.equal(pdu.callingAe, 'NULPAD\0\0'); // only spaces are padding for an AE title
  assert.equal(pdu.applicationContext, '1.2.840.10008.3.1.1.1');
  assert.deepEqual(pdu.presentationContexts, [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
  ]);
  assert.equal(pdu.userInformation.implementationClassUid, '1.2.3.4');
  assert.equal(pdu.userInformation.implementationVersionName, 'SOME_PACS_1');
  assert.deepEqual(pdu.userInformation.roleSelections, [{ sopClassUid: '1.2.840.10008.1.1', scuRole: 0, scpRole: 1 }]);
});

test('reserved fields are not tested on input', () => {
  const withJunk = (type: number, body: number[]) => {
    const f = frame(type, body);
    f[1] = 0xaa; // PDU header reserved byte
    return f;
  };
  const pc = item(0x21, [1, 0xff, 0, 0xff, ...item(0x40, ascii('1.2.840.10008.1.2'))]);
  pc[1] = 0xee; // item reserved byte
  const ac = decode(withJunk(0x02, associateBody([...APP_CONTEXT, ...pc], 'A', 'B', 0x7f)));
  assert.deepEqual(ac, {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAe: 'A',
    callingAe: 'B',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
    unknownItems: [],
  });
  assert.deepEqual(decode(withJunk(0x03, [0xff, 2, 3, 1])), {
    type: 'A-ASSOCIATE-RJ',
    result: 2,
    source: 3,
    reason: 1,
  });
  assert.deepEqual(decode(withJunk(0x07, [0xff, 0xff, 0, 0])), { type: 'A-ABORT', source: 0, reason: 0 });
  assert.deepEqual(decode(withJunk(0x05, [1, 2, 3, 4])), { type: 'A-RELEASE-RQ' });
  // PDV message control header bits 2–7 are reserved.
  assert.deepEqual(decode(frame(0x04, pdv(5, 0xfe, [1]))), {
    type: 'P-DATA-TF',
    pdvs: [{ contextId: 5, isCommand: false, isLast: true, data: new Uint8Array([1]) }],
  });
});

test('what the acceptor left out stays absent', () => {
  const ac = decode(frame(0x02, associateBody([...item(0x21, [1, 0, 4, 0])])));
  assert.deepEqual(ac, {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    presentationContexts: [{ id: 1, result: 4 }],
    unknownItems: [],
  });
  assert.ok(ac.type === 'A-ASSOCIATE-AC');
  assert.ok(!('applicationContext' in ac) && !('userInformation' in ac));
  const empty = decode(frame(0x02, associateBody([...APP_CONTEXT, ...item(0x50, [])])));
  assert.ok(empty.type === 'A-ASSOCIATE-AC');
  assert.deepEqual(empty.userInformation, { roleSelections: [], extendedNegotiations: [], unknownItems: [] });
});

test('what the acceptor sent is reported, even where PS3.8 says "not tested"', () => {
  const ac = decode(
    frame(
      0x02,
      associateBody([
        ...item(0x21, [1, 0, 0, 0, ...item(0x40, [])]), // accepted with an empty transfer syntax
        ...item(0x21, [3, 0, 3, 0, ...item(0x40, ascii('1.2.840.10008.1.2'))]), // rejected, yet names one
      ]),
    ),
  );
  assert.ok(ac.type === 'A-ASSOCIATE-AC');
  assert.deepEqual(ac.presentationContexts, [
    { id: 1, result: 0, transferSyntax: '' },
    { id: 3, result: 3, transferSyntax: '1.2.840.10008.1.2' },
  ]);
  const v2 = decode(frame(0x02, [0x00, 0x02, ...associateBody([]).slice(2)]));
  assert.ok(v2.type === 'A-ASSOCIATE-AC');
  assert.equal(v2.protocolVersion, 2);
});

test('sub-items in any order; repeats and unknown types are kept verbatim', () => {
  const ac = decode(
    frame(
      0x02,
      associateBody([
        ...APP_CONTEXT,
        ...item(0x60, [1, 2, 3]), // unknown top-level item
        ...item(0x20, [1, 0, 0, 0]), // an RQ presentation context in an AC
        ...item(0x21, [1, 0, 0, 0, ...item(0x40, ascii('1.2')), ...item(0x40, ascii('1.3')), ...item(0x99, [7])]),
        ...item(0x50, [
          ...item(0x55, ascii('V1')),
          ...item(0x57, [0, 3, ...ascii('1.2'), 0, 0, 0, 0]), // SOP class common extended negotiation
          ...MAX_LENGTH,
          ...item(0x51, [0, 0, 0, 1]), // a second maximum length
          ...item(0x53, [0, 2, 0, 3]),
          ...item(0x56, [...prefixed(ascii('1.2.840.10008.5.1.4.1.2.2.1')), 1, 0, 1]),
          ...item(0x59, prefixed([0xca, 0xfe])),
        ]),
        ...APP_CONTEXT, // a second application context
      ]),
    ),
  );
  assert.deepEqual(ac, {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [
      {
        id: 1,
        result: 0,
        transferSyntax: '1.2',
        unknownItems: [
          { itemType: 0x40, data: new Uint8Array(ascii('1.3')) },
          { itemType: 0x99, data: new Uint8Array([7]) },
        ],
      },
    ],
    userInformation: {
      maxLength: 16384,
      implementationVersionName: 'V1',
      asyncOps: { maxInvoked: 2, maxPerformed: 3 },
      roleSelections: [],
      extendedNegotiations: [
        { sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', applicationInformation: new Uint8Array([1, 0, 1]) },
      ],
      userIdentityAc: { serverResponse: new Uint8Array([0xca, 0xfe]) },
      unknownItems: [
        { itemType: 0x57, data: new Uint8Array([0, 3, ...ascii('1.2'), 0, 0, 0, 0]) },
        { itemType: 0x51, data: new Uint8Array([0, 0, 0, 1]) },
      ],
    },
    unknownItems: [
      { itemType: 0x60, data: new Uint8Array([1, 2, 3]) },
      { itemType: 0x20, data: new Uint8Array([1, 0, 0, 0]) },
      { itemType: 0x10, data: new Uint8Array(ascii('1.2.840.10008.3.1.1.1')) },
    ],
  });
  // Re-encoding puts known sub-items in type order with 0x57 in its place, and decodes the same.
  const again = encodePdu(ac);
  assert.deepEqual(decode(again), ac);
  const ui = Array.from(again).join(',');
  const at = (bytes: number[]) => ui.indexOf(bytes.join(','));
  assert.ok(at([0x56, 0]) < at([0x57, 0]) && at([0x57, 0]) < at([0x59, 0]));
});

test('P-DATA-TF without PDVs is reported as such', () => {
  assert.deepEqual(decode(frame(0x04, [])), { type: 'P-DATA-TF', pdvs: [] });
});

test('encodeAeTitle pads to 16 bytes and refuses what it cannot send', () => {
  assert.deepEqual(encodeAeTitle('ECHOSCU'), new Uint8Array(ascii('ECHOSCU         ')));
  assert.deepEqual(encodeAeTitle(''), new Uint8Array(16).fill(0x20));
  assert.throws(() => encodeAeTitle('SEVENTEEN-CHARS-X'), RangeError);
  assert.throws(() => encodeAeTitle('PACS→'), RangeError);
});

test('encodePdu refuses values that do not fit their fields', () => {
  assert.throws(() => encodePdu({ type: 'A-ABORT', source: 256, reason: 0 }), RangeError);
  assert.throws(() => encodePdu({ type: 'A-ASSOCIATE-RJ', result: 1.5, source: 1, reason: 1 }), RangeError);
  assert.throws(
    () =>
      encodePdu({
        type: 'P-DATA-TF',
        pdvs: [{ contextId: -1, isCommand: true, isLast: true, data: new Uint8Array() }],
      }),
    RangeError,
  );
  assert.throws(
    () =>
      encodePdu({
        type: 'A-ASSOCIATE-AC',
        protocolVersion: 1,
        calledAe: 'A',
        callingAe: 'B',
        presentationContexts: [],
        unknownItems: [{ itemType: 0x60, data: new Uint8Array(0x10000) }],
      }),
    /item length must be an integer in 0\.\.65535/,
  );
  // An unknown PDU is written as given, even with a standard type byte (for hostile fixtures).
  assert.deepEqual(
    encodePdu({ type: 'unknown', pduType: 0x07, body: new Uint8Array([0, 0, 2]) }),
    frame(0x07, [0, 0, 2]),
  );
});
