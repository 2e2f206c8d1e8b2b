/**
 * The parrot's byte builders against bytes written out by hand from PS3.8 / PS3.7, field by field.
 * If one of these fails, the fixture is wrong, and every hostile-peer test built on it is suspect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abort,
  acceptingAc,
  acWithWrongLength,
  associateAc,
  associateRj,
  associateRq,
  cEchoRq,
  cEchoRsp,
  Cmd,
  commandOf,
  commandUi,
  commandUs,
  echoReplyTo,
  EXPLICIT_VR_LE,
  garbage,
  httpResponse,
  IMPLICIT_VR_LE,
  parseAssociateRq,
  parseCommandSet,
  parsePdataTf,
  PcResult,
  pdataTf,
  pduClaiming4GiB,
  pduHeader,
  proposedContexts,
  releaseRp,
  releaseRq,
  VERIFICATION_SOP_CLASS,
} from '../../fixtures/parrot/bytes.ts';

/** Hex with spaces, '|', newlines and '# comments' ignored: expected bytes carry their field names. */
function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, '').replace(/[\s|]/g, '');
  assert.equal(clean.length % 2, 0, 'odd hex');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

const asciiHex = (s: string): string => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('A-ASSOCIATE-RJ: type 03, length 4, reserved, result, source, reason', () => {
  assert.deepEqual(associateRj(1, 1, 7), hex('03 00 | 00000004 | 00 | 01 | 01 | 07'));
  assert.deepEqual(associateRj(2, 3, 2), hex('03 00 | 00000004 | 00 | 02 | 03 | 02'));
});

test('A-ABORT: type 07, length 4, two reserved bytes, source, reason', () => {
  assert.deepEqual(abort(2, 1), hex('07 00 | 00000004 | 00 00 | 02 | 01'));
  assert.deepEqual(abort(0, 0), hex('07 00 | 00000004 | 00 00 | 00 | 00'));
});

test('A-RELEASE-RQ / -RP: types 05 / 06, length 4, all reserved', () => {
  assert.deepEqual(releaseRq(), hex('05 00 00000004 00000000'));
  assert.deepEqual(releaseRp(), hex('06 00 00000004 00000000'));
});

test('A-ASSOCIATE-AC: header, application context, one context, user information', () => {
  const ac = associateAc({
    calledAe: 'ANY-SCP',
    callingAe: 'ECHOSCU',
    contexts: [{ id: 1, result: PcResult.Acceptance }],
    maxLength: 16384,
    implClassUid: '1.2.3',
    implVersionName: 'X',
  });
  const expected = hex(`
    02 00 | 00000094                                 # type, reserved, length 148
    0001 | 0000                                      # protocol version, reserved
    ${asciiHex('ANY-SCP'.padEnd(16))}                # called AE (16 bytes, space padded)
    ${asciiHex('ECHOSCU'.padEnd(16))}                # calling AE
    ${'00'.repeat(32)}                               # reserved
    10 00 0015 ${asciiHex('1.2.840.10008.3.1.1.1')}  # application context item (21)
    21 00 0019 | 01 00 00 00                         # presentation context (AC): id 1, result 0
      40 00 0011 ${asciiHex('1.2.840.10008.1.2')}    # transfer syntax sub-item (17)
    50 00 0016                                       # user information (22)
      51 00 0004 00004000                            # maximum length 16384
      52 00 0005 ${asciiHex('1.2.3')}                # implementation class UID
      55 00 0001 ${asciiHex('X')}                    # implementation version name
  `);
  assert.equal(toHex(ac), toHex(expected));
});

test('A-ASSOCIATE-AC: a refused context keeps its transfer syntax sub-item unless told not to', () => {
  const ac = associateAc({
    calledAe: 'A',
    callingAe: 'B',
    contexts: [
      { id: 3, result: PcResult.AbstractSyntaxNotSupported },
      { id: 5, result: PcResult.Acceptance, transferSyntax: null },
    ],
  });
  const s = toHex(ac);
  assert.ok(
    s.includes(`210000190300030040000011${asciiHex(IMPLICIT_VR_LE)}`),
    'context 3 refused, TS sub-item present',
  );
  assert.ok(s.includes('210000040500000050'), 'context 5 with no sub-item, followed by user information');
});

test('P-DATA-TF: PDV length counts the context id and control header', () => {
  const p = pdataTf([
    { contextId: 1, command: true, last: true, data: hex('aabb') },
    { contextId: 1, command: false, last: false, data: hex('cc') },
  ]);
  assert.deepEqual(p, hex('04 00 0000000f | 00000004 01 03 aabb | 00000003 01 00 cc'));
  assert.deepEqual(parsePdataTf(p), [
    { contextId: 1, command: true, last: true, data: hex('aabb') },
    { contextId: 1, command: false, last: false, data: hex('cc') },
  ]);
});

test('C-ECHO-RSP: implicit VR LE group 0000 in one PDV with command and last bits', () => {
  const rsp = cEchoRsp({ contextId: 1, messageIdBeingRespondedTo: 7 });
  const expected = hex(`
    04 00 00000054                                       # P-DATA-TF, 84 bytes
    00000050 01 03                                       # PDV of 80: context 1, command + last
    0000 0000 04000000 42000000                          # (0000,0000) UL group length 66
    0000 0200 12000000 ${asciiHex(VERIFICATION_SOP_CLASS)}00  # (0000,0002) UI, NUL-padded to 18
    0000 0001 02000000 3080                              # (0000,0100) US command field 8030H
    0000 2001 02000000 0700                              # (0000,0120) US responding to message 7
    0000 0008 02000000 0101                              # (0000,0800) US no data set
    0000 0009 02000000 0000                              # (0000,0900) US status success
  `);
  assert.equal(toHex(rsp), toHex(expected));
  const cmd = parseCommandSet((parsePdataTf(rsp)[0] as { data: Uint8Array }).data);
  assert.equal(commandUs(cmd, Cmd.CommandField), 0x8030);
  assert.equal(commandUs(cmd, Cmd.MessageIDBeingRespondedTo), 7);
  assert.equal(commandUs(cmd, Cmd.CommandDataSetType), 0x0101);
  assert.equal(commandUs(cmd, Cmd.Status), 0);
  assert.equal(commandUi(cmd, Cmd.AffectedSOPClassUID), VERIFICATION_SOP_CLASS);
});

test('echoReplyTo answers a C-ECHO-RQ on its context with its message id', () => {
  const rq = cEchoRq({ contextId: 3, messageId: 513 });
  assert.deepEqual(commandOf(rq), { contextId: 3, commandField: 0x0030, messageId: 513 });
  const rsp = echoReplyTo(rq, 0x0110);
  const pdv = parsePdataTf(rsp)[0] as { contextId: number; data: Uint8Array };
  assert.equal(pdv.contextId, 3);
  const cmd = parseCommandSet(pdv.data);
  assert.equal(commandUs(cmd, Cmd.MessageIDBeingRespondedTo), 513);
  assert.equal(commandUs(cmd, Cmd.Status), 0x0110);
  assert.throws(() => echoReplyTo(rsp), /not a C-ECHO-RQ/);
});

test('parseAssociateRq reads back what associateRq wrote; acceptingAc answers context by context', () => {
  const rq = associateRq({
    calledAe: 'ORTHANC',
    callingAe: 'PACSMAP',
    contexts: [
      { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE] },
      { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [IMPLICIT_VR_LE] },
    ],
    implClassUid: '1.2.3.4',
    implVersionName: 'TEST_1',
    maxLength: 32768,
  });
  const p = parseAssociateRq(rq);
  assert.equal(p.calledAe, 'ORTHANC');
  assert.equal(p.callingAe, 'PACSMAP');
  assert.equal(p.applicationContext, '1.2.840.10008.3.1.1.1');
  assert.equal(p.maxLength, 32768);
  assert.equal(p.implClassUid, '1.2.3.4');
  assert.equal(p.implVersionName, 'TEST_1');
  assert.deepEqual(proposedContexts(rq), [
    { id: 1, abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntaxes: [EXPLICIT_VR_LE, IMPLICIT_VR_LE] },
    { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [IMPLICIT_VR_LE] },
  ]);

  const ac = acceptingAc(rq, {
    decide: (c) => (c.id === 3 ? PcResult.AbstractSyntaxNotSupported : PcResult.Acceptance),
  });
  assert.equal(ac[0], 0x02);
  const s = toHex(ac);
  assert.ok(s.includes(asciiHex('ORTHANC'.padEnd(16)) + asciiHex('PACSMAP'.padEnd(16))), 'AE titles echoed');
  assert.ok(
    s.includes(`2100001b0100000040000013${asciiHex(EXPLICIT_VR_LE)}`),
    'context 1 accepted with its first transfer syntax',
  );
  assert.ok(s.includes(`210000190300030040000011${asciiHex(IMPLICIT_VR_LE)}`), 'context 3 refused');
});

test('parseAssociateRq refuses what is not a whole A-ASSOCIATE-RQ', () => {
  assert.throws(() => parseAssociateRq(releaseRq()), /74/);
  const rq = associateRq({ calledAe: 'A', callingAe: 'B', contexts: [] });
  const cut = rq.slice(0, rq.length - 1);
  assert.throws(() => parseAssociateRq(cut), /length field/);
  const wrongType = rq.slice();
  wrongType[0] = 0x02;
  assert.throws(() => parseAssociateRq(wrongType), /PDU type 0x2/);
});

test('hostile payloads: HTTP answer, 4 GiB claim, garbage, AC with a wrong length', () => {
  const http = httpResponse();
  assert.match(Buffer.from(http).toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\n<html>/);
  assert.deepEqual(pduHeader(http), { type: 0x48, length: 0x54502f31 });

  const big = pduClaiming4GiB();
  assert.deepEqual(pduHeader(big), { type: 0x04, length: 0xffffffff });
  assert.ok(big.length < 64);

  assert.equal(garbage(1000, 42).length, 1000);
  assert.deepEqual(garbage(64, 42), garbage(64, 42));
  assert.notDeepEqual(garbage(64, 42), garbage(64, 43));
  assert.ok(new Set(garbage(4096, 1)).size > 200, 'spread over the byte range');

  const short = acWithWrongLength();
  const long = acWithWrongLength('long');
  assert.equal((pduHeader(short) as { length: number }).length, short.length - 6 - 10);
  assert.equal((pduHeader(long) as { length: number }).length, long.length - 6 + 100);
  assert.equal(short[0], 0x02);
});

test('parseCommandSet refuses a truncated element', () => {
  const cmd = (parsePdataTf(cEchoRsp({ contextId: 1, messageIdBeingRespondedTo: 1 }))[0] as { data: Uint8Array }).data;
  assert.throws(() => parseCommandSet(cmd.subarray(0, cmd.length - 1)), /overruns/);
});
