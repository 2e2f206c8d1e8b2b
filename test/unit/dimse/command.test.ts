import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeCommand, encodeCommand, hasDataSet } from '../../../src/protocol/dimse/command.ts';
import type { Command } from '../../../src/protocol/dimse/command.ts';
import { CommandDataSetType, CommandField, SopClass, Status } from '../../../src/protocol/dimse/constants.ts';

/** Hex with whitespace and `# comments` stripped. */
function hex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}

function decodeOk(bytes: Uint8Array) {
  const r = decodeCommand(bytes);
  if (!r.ok) assert.fail(`expected ok, got: ${r.reason}`);
  return r;
}

// C-ECHO-RQ, MessageID 7, Implicit VR Little Endian (PS3.7 9.3.5.1).
const C_ECHO_RQ = hex(`
  00000000 04000000 38000000                    # (0000,0000) UL len 4: CommandGroupLength = 56
  00000200 12000000                             # (0000,0002) UI len 18: AffectedSOPClassUID
  312e322e3834302e31303030382e312e31 00         #   "1.2.840.10008.1.1" + NUL pad (UI pads with NUL)
  00000001 02000000 3000                        # (0000,0100) US: CommandField = 0x0030 C-ECHO-RQ
  00001001 02000000 0700                        # (0000,0110) US: MessageID = 7
  00000008 02000000 0101                        # (0000,0800) US: CommandDataSetType = 0x0101 (none)
`);
const C_ECHO_RQ_CMD: Command = {
  commandField: CommandField.CEchoRq,
  messageId: 7,
  affectedSopClassUid: SopClass.Verification,
  commandDataSetType: CommandDataSetType.Absent,
};

// C-FIND-RSP, pending, responding to MessageID 5, identifier follows (PS3.7 9.3.2.2).
const C_FIND_RSP = hex(`
  00000000 04000000 4c000000                    # (0000,0000) UL: CommandGroupLength = 76
  00000200 1c000000                             # (0000,0002) UI len 28: AffectedSOPClassUID
  312e322e3834302e31303030382e352e312e342e312e322e322e31 00
                                                #   "1.2.840.10008.5.1.4.1.2.2.1" (27) + NUL pad
  00000001 02000000 2080                        # (0000,0100) US: CommandField = 0x8020 C-FIND-RSP
  00002001 02000000 0500                        # (0000,0120) US: MessageIDBeingRespondedTo = 5
  00000008 02000000 0100                        # (0000,0800) US: CommandDataSetType = 0x0001 (present)
  00000009 02000000 00ff                        # (0000,0900) US: Status = 0xFF00 pending
`);
const C_FIND_RSP_CMD: Command = {
  commandField: CommandField.CFindRsp,
  messageIdBeingRespondedTo: 5,
  affectedSopClassUid: SopClass.StudyRootQueryRetrieveFind,
  commandDataSetType: CommandDataSetType.Present,
  status: Status.Pending,
};

describe('encodeCommand / decodeCommand: golden bytes', () => {
  it('encodes C-ECHO-RQ exactly', () => {
    assert.deepEqual(encodeCommand(C_ECHO_RQ_CMD), C_ECHO_RQ);
  });
  it('decodes C-ECHO-RQ', () => {
    const r = decodeOk(C_ECHO_RQ);
    assert.deepEqual(r.command, C_ECHO_RQ_CMD);
    assert.deepEqual(r.unknownTags, []);
    assert.equal(r.groupLengthMismatch, false);
    assert.equal(hasDataSet(r.command), false);
  });
  it('encodes C-FIND-RSP exactly', () => {
    assert.deepEqual(encodeCommand(C_FIND_RSP_CMD), C_FIND_RSP);
  });
  it('decodes C-FIND-RSP', () => {
    const r = decodeOk(C_FIND_RSP);
    assert.deepEqual(r.command, C_FIND_RSP_CMD);
    assert.equal(hasDataSet(r.command), true);
  });
});

describe('encodeCommand', () => {
  it('pads odd UIDs with NUL and odd AE/LO strings with a space', () => {
    const bytes = encodeCommand({
      commandField: CommandField.CMoveRq,
      affectedSopClassUid: '1.2.3', // 5 chars
      moveDestination: 'ABC', // 3 chars
      errorComment: 'x',
    });
    const b = Buffer.from(bytes);
    assert.equal(b.indexOf(Buffer.from('1.2.3\0')) > 0, true);
    assert.equal(b.indexOf(Buffer.from('ABC ')) > 0, true);
    assert.equal(b.indexOf(Buffer.from('x ')) > 0, true);
    assert.deepEqual(decodeOk(bytes).command, {
      commandField: CommandField.CMoveRq,
      affectedSopClassUid: '1.2.3',
      moveDestination: 'ABC',
      errorComment: 'x',
    });
  });
  it('writes elements in ascending tag order whatever the object order', () => {
    const bytes = encodeCommand({ status: 0, messageIdBeingRespondedTo: 1, commandField: CommandField.CEchoRsp });
    const view = new DataView(bytes.buffer);
    const elements: number[] = [];
    for (let off = 0; off < bytes.length;) {
      elements.push(view.getUint16(off + 2, true));
      off += 8 + view.getUint32(off + 4, true);
    }
    assert.deepEqual(elements, [0x0000, 0x0100, 0x0120, 0x0900]);
  });
  it('encodes OffendingElement (AT, multi-valued) as group/element pairs', () => {
    const bytes = encodeCommand({ commandField: CommandField.CFindRsp, offendingElement: [0x00100010, 0x7fe00010] });
    assert.equal(Buffer.from(bytes).includes(Buffer.from('10001000e07f1000', 'hex')), true);
    assert.deepEqual(decodeOk(bytes).command.offendingElement, [0x00100010, 0x7fe00010]);
  });
  it('refuses values it cannot encode, naming the field but not the value', () => {
    const secret = 'SECRET-VALUE-1';
    const cases: Command[] = [
      { commandField: 1, affectedSopClassUid: `1.2.${secret}` },
      { commandField: 1, moveDestination: `${secret}-TOO-LONG-FOR-AN-AE` },
      { commandField: 1, errorComment: `${secret}\\x` },
      { commandField: 1, errorComment: `${secret}é` },
      { commandField: 1, messageId: 70000 },
      { commandField: 1, messageId: 1.5 },
      { commandField: 1, offendingElement: [-1] },
    ];
    for (const c of cases) {
      assert.throws(
        () => encodeCommand(c),
        (e: unknown) => e instanceof Error && !e.message.includes(secret) && !e.message.includes('70000'),
      );
    }
    assert.throws(() => encodeCommand({} as Command), /commandField/);
  });
});

describe('decodeCommand: hostile input', () => {
  it('rejects every truncation of a valid command that cuts an element', () => {
    for (let n = 0; n < C_FIND_RSP.length; n++) {
      const r = decodeCommand(C_FIND_RSP.subarray(0, n));
      // A cut exactly between elements is well-formed framing; it still lacks later elements
      // but is accepted only if CommandField (at offset 56) survived.
      const boundaries = [12, 48, 58, 68, 78, 88];
      if (boundaries.includes(n) && n >= 58) assert.equal(r.ok, true, `cut at ${n}`);
      else assert.equal(r.ok, false, `cut at ${n}`);
    }
  });
  it('rejects an element whose length overruns the buffer, without reading past it', () => {
    const bytes = C_ECHO_RQ.slice();
    new DataView(bytes.buffer).setUint32(16, 0x7ffffff0, true); // (0000,0002) length
    const r = decodeCommand(bytes);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /\(0000,0002\).*overruns/);
  });
  it('rejects undefined length, elements outside group 0000, duplicates, bad US/AT sizes, no CommandField', () => {
    const el = (group: number, element: number, value: Uint8Array, length = value.length) => {
      const out = new Uint8Array(8 + value.length);
      const v = new DataView(out.buffer);
      v.setUint16(0, group, true);
      v.setUint16(2, element, true);
      v.setUint32(4, length, true);
      out.set(value, 8);
      return out;
    };
    const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
    const field = el(0, 0x0100, Uint8Array.of(0x30, 0x00));
    const bad: Record<string, Uint8Array> = {
      undefinedLength: cat(field, el(0, 0x0902, new Uint8Array(0), 0xffffffff)),
      otherGroup: cat(field, el(0x0008, 0x0005, new Uint8Array(2))),
      duplicate: cat(field, field),
      usLength: cat(el(0, 0x0100, Uint8Array.of(0x30, 0, 0, 0))),
      atLength: cat(field, el(0, 0x0901, new Uint8Array(6))),
      groupLengthSize: cat(el(0, 0x0000, new Uint8Array(2)), field),
      noCommandField: cat(el(0, 0x0110, Uint8Array.of(1, 0))),
      empty: new Uint8Array(0),
    };
    for (const [name, bytes] of Object.entries(bad)) assert.equal(decodeCommand(bytes).ok, false, name);
  });
  it('skips unknown group-0000 elements and reports their tags; reports a wrong group length', () => {
    const bytes = Uint8Array.from(
      Buffer.concat([
        Buffer.from('00000000040000000000ff00', 'hex'), // group length 0x00ff0000 (wrong)
        Buffer.from('0000000102000000 3000'.replace(/ /g, ''), 'hex'),
        Buffer.from('0000021004000000 41424344'.replace(/ /g, ''), 'hex'), // (0000,1002) EventTypeID-ish, unknown to us
      ]),
    );
    const r = decodeOk(bytes);
    assert.deepEqual(r.unknownTags, [0x1002]);
    assert.equal(r.groupLengthMismatch, true);
    assert.deepEqual(r.command, { commandField: 0x30 });
  });
  it('trims padding from strings; keeps odd bytes as Latin-1 without throwing', () => {
    const bytes = Uint8Array.from(
      Buffer.concat([
        Buffer.from('000000010200000001 80'.replace(/ /g, ''), 'hex'),
        Buffer.from('000002090600000041ff0000 2020'.replace(/ /g, ''), 'hex'), // ErrorComment "A\xff\0\0  "
      ]),
    );
    assert.equal(decodeOk(bytes).command.errorComment, 'A\u00ff');
  });
  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeCommand(bytes);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 2000 },
    );
  });
  it('never throws on mutated valid commands (flips, cuts, splices)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(C_ECHO_RQ, C_FIND_RSP),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (base, flips, cut) => {
          const bytes = base.slice();
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const r = decodeCommand(bytes.subarray(0, cut % (bytes.length + 1)));
          if (!r.ok) assert.equal(typeof r.reason, 'string');
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('does not throw on non-Uint8Array input from untyped callers', () => {
    assert.equal(decodeCommand(null as unknown as Uint8Array).ok, false);
    assert.equal(decodeCommand('abc' as unknown as Uint8Array).ok, false);
  });
});

describe('encodeCommand → decodeCommand round trip', () => {
  const uid = fc
    .array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join('.'))
    .filter((s) => s.length <= 64);
  // Decoding trims leading/trailing spaces (insignificant for AE/LO), so generate none.
  const text = (max: number) =>
    fc
      .string({ unit: fc.constantFrom(...'ABCXYZ019 _-.^*?'.split('')), minLength: 1, maxLength: max })
      .filter((s) => s.trim() === s && s !== '');
  const us = fc.integer({ min: 0, max: 0xffff });
  const command: fc.Arbitrary<Command> = fc.record(
    {
      commandField: fc.constantFrom(...Object.values(CommandField)),
      affectedSopClassUid: uid,
      requestedSopClassUid: uid,
      messageId: us,
      messageIdBeingRespondedTo: us,
      moveDestination: text(16),
      priority: fc.constantFrom(0, 1, 2),
      commandDataSetType: fc.constantFrom(0x0001, 0x0101, 0x0000, 0x0102),
      status: us,
      offendingElement: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 4 }),
      errorComment: text(64),
      errorId: us,
      affectedSopInstanceUid: uid,
      requestedSopInstanceUid: uid,
      numberOfRemainingSuboperations: us,
      numberOfCompletedSuboperations: us,
      numberOfFailedSuboperations: us,
      numberOfWarningSuboperations: us,
      moveOriginatorAeTitle: text(16),
      moveOriginatorMessageId: us,
    },
    { requiredKeys: ['commandField'] },
  );
  it('is the identity on every field', () => {
    fc.assert(
      fc.property(command, (cmd) => {
        const bytes = encodeCommand(cmd);
        assert.equal(bytes.length % 2, 0);
        const r = decodeOk(bytes);
        assert.deepEqual(r.command, { ...cmd }); // fc.record makes null-prototype objects
        assert.equal(r.groupLengthMismatch, false);
        assert.deepEqual(r.unknownTags, []);
      }),
      { numRuns: 500 },
    );
  });
});
