import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import type { ReadResult } from '../../../src/protocol/ul/pdu.ts';
import * as arb from './arbitraries.ts';
import { APP_CONTEXT, ascii, associateBody, frame, item, pdv, prefixed } from './raw.ts';

const MAX = 1 << 20;

/** The contract every result must keep, whatever the input. */
function checkInvariants(buf: Uint8Array, max: number, r: ReadResult): void {
  const declared = buf.length >= 6 ? new DataView(buf.buffer, buf.byteOffset).getUint32(2) : undefined;
  switch (r.kind) {
    case 'pdu':
      assert.equal(r.bytesConsumed, 6 + (declared ?? NaN));
      assert.ok(r.bytesConsumed <= buf.length);
      break;
    case 'malformed':
      assert.equal(r.bytesConsumed, 6 + (declared ?? NaN));
      assert.ok(r.bytesConsumed <= buf.length);
      assert.ok(r.reason.length > 0);
      assert.ok(!r.reason.startsWith('internal decoder error'), r.reason);
      break;
    case 'incomplete':
      if (declared === undefined) assert.equal(r.needed, undefined);
      else assert.equal(r.needed, 6 + declared);
      if (r.needed !== undefined) assert.ok(r.needed > buf.length);
      break;
    case 'too-large':
      assert.equal(r.declaredLength, declared);
      assert.ok(r.declaredLength > max);
      break;
  }
}

function malformed(buf: Uint8Array, reason?: string | RegExp): void {
  const r = readPdu(buf, MAX);
  assert.equal(r.kind, 'malformed', JSON.stringify(r));
  assert.ok(r.kind === 'malformed');
  assert.equal(r.bytesConsumed, buf.length);
  assert.equal(r.pduType, buf[0]);
  if (typeof reason === 'string') assert.equal(r.reason, reason);
  else if (reason !== undefined) assert.match(r.reason, reason);
}

// ─── partial input and size limits ───────────────────────────────────────────

test('every proper prefix of a valid PDU is incomplete, with `needed` once the header is in', () => {
  fc.assert(
    fc.property(arb.pdu, (pdu) => {
      const bytes = encodePdu(pdu);
      for (let n = 0; n < bytes.length; n++) {
        const r = readPdu(bytes.subarray(0, n), MAX);
        assert.deepEqual(r, n < 6 ? { kind: 'incomplete' } : { kind: 'incomplete', needed: bytes.length });
      }
    }),
    { numRuns: 200 },
  );
});

test('a header declaring 4 GiB is refused at once, with only 6 bytes present', () => {
  const r = readPdu(new Uint8Array([0x04, 0x00, 0xff, 0xff, 0xff, 0xff]), 16384);
  assert.deepEqual(r, { kind: 'too-large', pduType: 0x04, declaredLength: 0xffffffff });
});

test('the limit bounds the PDU length field, inclusively', () => {
  const header = (len: number) => new Uint8Array([0x04, 0x00, 0x00, 0x00, (len >> 8) & 0xff, len & 0xff]);
  assert.deepEqual(readPdu(header(1000), 1000), { kind: 'incomplete', needed: 1006 });
  assert.deepEqual(readPdu(header(1001), 1000), { kind: 'too-large', pduType: 0x04, declaredLength: 1001 });
  // A nonsensical limit refuses rather than accepts.
  assert.equal(readPdu(header(1), NaN).kind, 'too-large');
});

test('an HTTP request on a DICOM port is refused from its first 6 bytes', () => {
  const r = readPdu(new Uint8Array(ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')), 1 << 20);
  // 'G' is PDU type 0x47, 'E' the reserved byte; "T / " declares 0x54202f20 bytes.
  assert.deepEqual(r, { kind: 'too-large', pduType: 0x47, declaredLength: 0x54202f20 });
});

// ─── malformed PDUs ──────────────────────────────────────────────────────────

test('an item overrunning the PDU is malformed, and the reason says where', () => {
  malformed(
    frame(0x02, associateBody([...item(0x50, new Array(12).fill(0), 300).slice(0, 4), ...new Array(12).fill(0)])),
    'item 0x50 length 300 exceeds remaining 12 bytes in A-ASSOCIATE-AC',
  );
});

test('a sub-item overrunning its item is malformed', () => {
  const ui = item(0x50, [...item(0x51, [0, 0, 0x40, 0]), 0x52, 0, 0x00, 0x20, ...ascii('1.2.3')]);
  malformed(
    frame(0x02, associateBody([...APP_CONTEXT, ...ui])),
    'item 0x52 length 32 exceeds remaining 5 bytes in user information item in A-ASSOCIATE-AC',
  );
  const pc = item(0x21, [1, 0, 0, 0, 0x40, 0, 0x00, 0x10, ...ascii('1.2')]);
  malformed(
    frame(0x02, associateBody([...APP_CONTEXT, ...pc])),
    /length 16 exceeds remaining 3 bytes in presentation context item/,
  );
});

test('an A-ASSOCIATE-AC whose length field disagrees with its items is malformed', () => {
  const ac = encodePdu({
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAe: 'ANY-SCP',
    callingAe: 'PACSMAP',
    applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
    userInformation: { maxLength: 16384, roleSelections: [], extendedNegotiations: [], unknownItems: [] },
    unknownItems: [],
  });
  const view = new DataView(ac.buffer, ac.byteOffset);
  for (const delta of [1, 5, 11]) {
    const shorter = ac.slice();
    new DataView(shorter.buffer).setUint32(2, view.getUint32(2) - delta);
    const r = readPdu(shorter, MAX);
    assert.equal(r.kind, 'malformed', JSON.stringify(r));
    assert.ok(r.kind === 'malformed');
    assert.equal(r.bytesConsumed, ac.length - delta);
  }
  // Shorter than the fixed part.
  malformed(frame(0x02, associateBody([]).slice(0, 50)), 'A-ASSOCIATE-AC length 50, expected at least 68');
});

test('fixed-size PDUs with another length are malformed', () => {
  malformed(frame(0x07, [0, 0, 2]), 'A-ABORT length 3, expected 4');
  malformed(frame(0x07, [0, 0, 2, 6, 0]), 'A-ABORT length 5, expected 4');
  malformed(frame(0x03, [0, 1, 1]), 'A-ASSOCIATE-RJ length 3, expected 4');
  malformed(frame(0x05, []), 'A-RELEASE-RQ length 0, expected 4');
  malformed(frame(0x06, [0, 0, 0, 0, 0, 0]), 'A-RELEASE-RP length 6, expected 4');
});

test('PDV items of length 0 or 1, overrunning, or torn are malformed', () => {
  malformed(frame(0x04, pdv(1, 3, [], 0)), 'PDV item length 0, expected at least 2');
  malformed(frame(0x04, [...pdv(1, 3, [], 1), 0]), 'PDV item length 1, expected at least 2');
  malformed(
    frame(0x04, [...pdv(1, 3, [1, 2, 3]), ...pdv(1, 2, [1, 2], 10)]),
    'PDV item length 10 exceeds remaining 4 bytes in P-DATA-TF',
  );
  malformed(
    frame(0x04, [...pdv(1, 3, [1, 2, 3]), 0, 0, 0]),
    '3 trailing bytes in P-DATA-TF, too few for a PDV item header',
  );
});

test('known sub-items with a broken layout are malformed', () => {
  const ac = (ui: number[]) => frame(0x02, associateBody([...APP_CONTEXT, ...item(0x50, ui)]));
  malformed(
    ac(item(0x51, [0, 0x40])),
    'maximum length sub-item in user information item in A-ASSOCIATE-AC has length 2, expected 4',
  );
  malformed(ac(item(0x53, [0, 1, 0, 1, 0])), /asynchronous operations window sub-item .* has length 5, expected 4/);
  malformed(
    ac(item(0x54, [...prefixed(ascii('1.2.3'), 40), 1, 0])),
    /SOP class UID needs 40 bytes but only 7 remain in SCP\/SCU role selection sub-item/,
  );
  malformed(
    ac(item(0x54, [...prefixed(ascii('1.2.3')), 1, 0, 9])),
    /1 unexpected trailing bytes in SCP\/SCU role selection sub-item/,
  );
  malformed(
    ac(item(0x58, [1, 0, ...prefixed(ascii('bob'))])),
    /secondary field length needs 2 bytes but only 0 remain in user identity sub-item/,
  );
  malformed(ac(item(0x59, [...prefixed([1, 2]), 3])), /1 unexpected trailing bytes in user identity sub-item/);
  malformed(
    ac([...item(0x51, [0, 0, 0x40, 0]), 0x55, 0]),
    '2 trailing bytes in user information item in A-ASSOCIATE-AC, too few for an item header',
  );
  malformed(
    frame(0x02, associateBody([...APP_CONTEXT, ...item(0x21, [1, 0])])),
    /presentation context item in A-ASSOCIATE-AC has length 2, expected at least 4/,
  );
});

test('an A-ASSOCIATE-RQ missing a mandatory item is malformed', () => {
  const ui = item(0x50, item(0x51, [0, 0, 0x40, 0]));
  const pc = item(0x20, [1, 0, 0, 0, ...item(0x40, ascii('1.2.840.10008.1.2'))]);
  malformed(
    frame(0x01, associateBody([...APP_CONTEXT, ...pc, ...ui])),
    'presentation context 1 has no abstract syntax sub-item',
  );
  malformed(frame(0x01, associateBody([...ui])), 'A-ASSOCIATE-RQ without application context item');
  malformed(frame(0x01, associateBody([...APP_CONTEXT])), 'A-ASSOCIATE-RQ without user information item');
});

// ─── hostile input ───────────────────────────────────────────────────────────

test('random bytes never make readPdu throw, and results keep the contract', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 400 }), (buf, max) => {
      checkInvariants(buf, max, readPdu(buf, max));
    }),
    { numRuns: 2000 },
  );
  // With a plausible header, so the body decoders run on garbage.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 300 }), (type, body) => {
      const buf = frame(type, [...body]);
      const r = readPdu(buf, MAX);
      checkInvariants(buf, MAX, r);
      assert.ok(r.kind === 'pdu' || r.kind === 'malformed');
    }),
    { numRuns: 2000 },
  );
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: arb.byte }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

test('mutated valid PDUs never make readPdu throw; whatever decodes re-encodes to itself', () => {
  fc.assert(
    fc.property(
      arb.pdu,
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      (pdu, mutations, fixLength) => {
        let bytes = Array.from(encodePdu(pdu));
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === 'set') bytes[at] = m.value;
          else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
          else if (m.kind === 'insert') bytes.splice(at, 0, ...m.bytes);
          else bytes.splice(at, m.count);
        }
        const buf = new Uint8Array(bytes);
        if (fixLength && buf.length >= 6) new DataView(buf.buffer).setUint32(2, buf.length - 6);
        const r = readPdu(buf, MAX);
        checkInvariants(buf, MAX, r);
        if (r.kind === 'pdu') {
          const again = readPdu(encodePdu(r.pdu), MAX);
          assert.ok(again.kind === 'pdu');
          assert.deepEqual(again.pdu, r.pdu);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

// ─── streams and buffers ─────────────────────────────────────────────────────

test('two concatenated PDUs are read one after the other', () => {
  fc.assert(
    fc.property(arb.pdu, arb.pdu, (a, b) => {
      const ea = encodePdu(a);
      const eb = encodePdu(b);
      const buf = new Uint8Array(ea.length + eb.length);
      buf.set(ea);
      buf.set(eb, ea.length);
      const first = readPdu(buf, MAX);
      assert.ok(first.kind === 'pdu');
      assert.equal(first.bytesConsumed, ea.length);
      assert.deepEqual(first.pdu, a);
      const second = readPdu(buf.subarray(first.bytesConsumed), MAX);
      assert.ok(second.kind === 'pdu');
      assert.equal(second.bytesConsumed, eb.length);
      assert.deepEqual(second.pdu, b);
    }),
    { numRuns: 300 },
  );
});

test('a Node Buffer at an offset is read, and decoded bytes do not alias it', () => {
  const pdata = frame(0x04, pdv(1, 2, [9, 8, 7]));
  const backing = Buffer.alloc(pdata.length + 10);
  backing.set(pdata, 7);
  const r = readPdu(backing.subarray(7), MAX);
  assert.ok(r.kind === 'pdu' && r.pdu.type === 'P-DATA-TF');
  const data = r.pdu.pdvs[0]?.data;
  assert.ok(data !== undefined);
  assert.equal(Object.getPrototypeOf(data), Uint8Array.prototype);
  backing.fill(0);
  assert.deepEqual(data, new Uint8Array([9, 8, 7]));
});
