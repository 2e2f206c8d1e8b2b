import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { moveMeaning, unknownMoveDestination } from '../../../src/protocol/dimse/move.ts';
import { isNonImageStorageClass } from '../../../src/protocol/dimse/get.ts';
import { decodeCommand, encodeCommand } from '../../../src/protocol/dimse/command.ts';
import { CommandDataSetType, CommandField, SopClass, StorageSopClass } from '../../../src/protocol/dimse/constants.ts';
import { encodePdu, readPdu } from '../../../src/protocol/ul/codec.ts';
import type { AssociateAc } from '../../../src/protocol/ul/pdu.ts';
import {
  RETRIEVE_CONTEXT,
  readRetrieveAnswers,
  retrievePresentationContexts,
  retrieveRoleSelections,
} from '../../../src/probes/dicom/retrieve-proposal.ts';
import { spyOnFileWrites } from '../../integration/retrieve/fs-spy.ts';

const none = { remaining: null, completed: null, failed: null, warning: null };
const zero = { remaining: null, completed: 0, failed: 0, warning: 0 };

describe('moveMeaning', () => {
  const cases: Array<[string, Parameters<typeof moveMeaning>[0], string]> = [
    ['0xA801, nothing tried', { finalStatus: 0xa801, pendingResponses: 0, subOperations: zero }, 'destination-refused'],
    ['0xA801 without counts', { finalStatus: 0xa801, pendingResponses: 0, subOperations: none }, 'destination-refused'],
    ['pending seen, then cancel', { finalStatus: 0xfe00, pendingResponses: 1, subOperations: zero }, 'attempted'],
    [
      'failure but a failed sub-operation (it tried to connect)',
      { finalStatus: 0xa702, pendingResponses: 0, subOperations: { ...zero, failed: 1 } },
      'attempted',
    ],
    ['success with no sub-operation', { finalStatus: 0x0000, pendingResponses: 0, subOperations: zero }, 'attempted'],
    ['warning 0xB000', { finalStatus: 0xb000, pendingResponses: 0, subOperations: none }, 'attempted'],
    ['0xC000 (Orthanc 1.10)', { finalStatus: 0xc000, pendingResponses: 0, subOperations: zero }, 'refused'],
    ['0x0124 not authorised', { finalStatus: 0x0124, pendingResponses: 0, subOperations: none }, 'refused'],
    ['no final status', { finalStatus: null, pendingResponses: 0, subOperations: none }, 'no-answer'],
    ['no final status after pending', { finalStatus: null, pendingResponses: 2, subOperations: none }, 'attempted'],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.equal(moveMeaning(input), expected));
});

describe('unknownMoveDestination', () => {
  it('is PMX + 13 upper-case hex digits: 16 characters, a valid AE title', () => {
    for (let i = 0; i < 50; i++) {
      const ae = unknownMoveDestination();
      assert.match(ae, /^PMX[0-9A-F]{13}$/);
      const bytes = encodeCommand({
        commandField: CommandField.CMoveRq,
        messageId: 1,
        affectedSopClassUid: SopClass.StudyRootQueryRetrieveMove,
        moveDestination: ae,
        commandDataSetType: CommandDataSetType.Present,
      });
      const back = decodeCommand(bytes);
      assert.ok(back.ok);
      assert.equal(back.command.moveDestination, ae);
    }
  });
  it('differs from call to call', () => {
    const seen = new Set(Array.from({ length: 200 }, unknownMoveDestination));
    assert.equal(seen.size, 200);
  });
});

describe('isNonImageStorageClass', () => {
  it('knows documents and SR, not images', () => {
    assert.equal(isNonImageStorageClass(StorageSopClass.EncapsulatedPDF), true);
    assert.equal(isNonImageStorageClass(StorageSopClass.ComprehensiveSR), true);
    assert.equal(isNonImageStorageClass(StorageSopClass.RTPlan), true);
    assert.equal(isNonImageStorageClass(StorageSopClass.CT), false);
    assert.equal(isNonImageStorageClass(StorageSopClass.SC), false);
    assert.equal(isNonImageStorageClass(StorageSopClass.MG), false);
  });
});

describe('retrieve proposal', () => {
  it('Study Root FIND/MOVE/GET plus every storage class, odd unique ids', () => {
    const pcs = retrievePresentationContexts();
    const ids = pcs.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.ok(id % 2 === 1 && id <= 255);
    assert.equal(pcs.find((p) => p.id === RETRIEVE_CONTEXT.get)?.abstractSyntax, SopClass.StudyRootQueryRetrieveGet);
    assert.equal(pcs.find((p) => p.id === RETRIEVE_CONTEXT.move)?.abstractSyntax, SopClass.StudyRootQueryRetrieveMove);
    assert.equal(pcs.find((p) => p.id === RETRIEVE_CONTEXT.find)?.abstractSyntax, SopClass.StudyRootQueryRetrieveFind);
    assert.deepEqual(
      pcs.slice(3).map((p) => p.abstractSyntax),
      Object.values(StorageSopClass),
    );
  });

  it('asks for the SCP role only, for each storage class (PS3.7 D.3.3.4), as golden bytes', () => {
    const roles = retrieveRoleSelections();
    assert.equal(roles.length, Object.keys(StorageSopClass).length);
    for (const r of roles) assert.deepEqual([r.scuRole, r.scpRole], [0, 1]);
    const rq = encodePdu({
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAe: 'A',
      callingAe: 'B',
      applicationContext: '1.2.840.10008.3.1.1.1',
      presentationContexts: retrievePresentationContexts(),
      userInformation: {
        maxLength: 0,
        roleSelections: roles.slice(0, 1),
        extendedNegotiations: [],
        unknownItems: [],
      },
      unknownItems: [],
    });
    const ct = StorageSopClass.CT; // '1.2.840.10008.5.1.4.1.1.2', 25 characters
    const item = Buffer.concat([
      Buffer.from([0x54, 0x00, 0x00, 2 + ct.length + 2]), // item type, reserved, item length
      Buffer.from([0x00, ct.length]), // UID length
      Buffer.from(ct, 'latin1'),
      Buffer.from([0x00, 0x01]), // SCU role: non-support; SCP role: support
    ]);
    assert.ok(Buffer.from(rq).includes(item), 'role selection sub-item present, byte for byte');
  });

  it('counts the SCP role only where the acceptor granted it on an accepted context', () => {
    const pcs = retrievePresentationContexts();
    const ctId = pcs.find((p) => p.abstractSyntax === StorageSopClass.CT)!.id;
    const mrId = pcs.find((p) => p.abstractSyntax === StorageSopClass.MR)!.id;
    const scId = pcs.find((p) => p.abstractSyntax === StorageSopClass.SC)!.id;
    const ac: AssociateAc = {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAe: 'A',
      callingAe: 'B',
      presentationContexts: [
        { id: RETRIEVE_CONTEXT.get, result: 0, transferSyntax: '1.2.840.10008.1.2' },
        { id: RETRIEVE_CONTEXT.move, result: 3, transferSyntax: '1.2.840.10008.1.2' },
        { id: ctId, result: 0, transferSyntax: '1.2.840.10008.1.2.1' },
        { id: mrId, result: 0, transferSyntax: '1.2.840.10008.1.2' },
        { id: scId, result: 3, transferSyntax: '1.2.840.10008.1.2' },
      ],
      userInformation: {
        roleSelections: [
          { sopClassUid: StorageSopClass.CT, scuRole: 0, scpRole: 1 },
          { sopClassUid: StorageSopClass.MR, scuRole: 0, scpRole: 0 },
          { sopClassUid: StorageSopClass.SC, scuRole: 0, scpRole: 1 },
        ],
        extendedNegotiations: [],
        unknownItems: [],
      },
      unknownItems: [],
    };
    // Through the codec and back, as it would come off the wire.
    const wire = readPdu(encodePdu(ac), 1 << 20);
    assert.equal(wire.kind, 'pdu');
    const a = readRetrieveAnswers((wire as { pdu: AssociateAc }).pdu);
    assert.deepEqual(a.get, { id: RETRIEVE_CONTEXT.get, transferSyntax: '1.2.840.10008.1.2' });
    assert.equal(a.move, null);
    assert.equal(a.find, null);
    assert.deepEqual(a.storage, [
      { contextId: ctId, transferSyntax: '1.2.840.10008.1.2.1' },
      { contextId: mrId, transferSyntax: '1.2.840.10008.1.2' },
    ]);
    assert.equal(a.scpRoleGranted, 1);
  });
});

describe('the retrieve modules never touch the file system', () => {
  it('no node:fs import in get.ts, move.ts, retrieve.ts, retrieve-proposal.ts', () => {
    for (const f of [
      'src/protocol/dimse/get.ts',
      'src/protocol/dimse/move.ts',
      'src/probes/dicom/retrieve.ts',
      'src/probes/dicom/retrieve-proposal.ts',
    ]) {
      const text = readFileSync(path.join(import.meta.dirname, '../../..', f), 'utf8');
      assert.doesNotMatch(text, /from 'node:fs|from 'fs|require\(/, f);
    }
  });

  it('the fs spy used by the integration tests does catch writes (named imports and promises)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pacsmap-spy-'));
    try {
      const spy = spyOnFileWrites();
      try {
        // These bindings were imported before the spy: syncBuiltinESMExports must reach them.
        const { writeFileSync: w } = await import('node:fs');
        w(path.join(dir, 'a'), 'x');
        writeFileSync(path.join(dir, 'b'), 'x');
        await writeFile(path.join(dir, 'c'), 'x');
      } finally {
        spy.restore();
      }
      assert.equal(spy.calls.length, 3, spy.calls.join('; '));
      writeFileSync(path.join(dir, 'd'), 'x');
      assert.equal(spy.calls.length, 3, 'restored: no more recording');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
