import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dimse from 'dcmjs-dimse';
import {
  CommandField,
  Status,
  SopClass,
  StorageSopClass,
  TransferSyntax,
  commandFieldName,
  isResponse,
  sopClassName,
  statusClass,
  transferSyntaxName,
} from '../../../src/protocol/dimse/constants.ts';
import dcmjs from '../../../src/protocol/dimse/dcmjs.ts';

// An independent implementation to check our numbers against (devDependency, tests only).
const ref = dimse.constants;
// Present at run time, missing from dcmjs-dimse's index.d.ts.
const refCommandField = (ref as unknown as { CommandFieldType: Record<string, number> }).CommandFieldType;

describe('statusClass', () => {
  const table: [number, string][] = [
    [0x0000, 'success'],
    [0xff00, 'pending'],
    [0xff01, 'pending'],
    [0xfe00, 'cancel'],
    [0x0001, 'warning'],
    [0x0107, 'warning'],
    [0x0116, 'warning'],
    [0xb000, 'warning'],
    [0xb007, 'warning'],
    [0xbfff, 'warning'],
    [0x0122, 'failure'], // refused: SOP class not supported
    [0x0124, 'failure'], // refused: not authorized
    [0x0110, 'failure'],
    [0x0211, 'failure'],
    [0xa700, 'failure'],
    [0xa701, 'failure'],
    [0xa702, 'failure'],
    [0xa801, 'failure'],
    [0xa900, 'failure'],
    [0xc000, 'failure'],
    [0xcfff, 'failure'],
    [0xff02, 'failure'], // unknown: never success
    [0x1234, 'failure'],
    [-1, 'failure'],
    [0x10000, 'failure'],
    [Number.NaN, 'failure'],
  ];
  for (const [status, expected] of table) {
    it(`0x${status.toString(16)} → ${expected}`, () => assert.equal(statusClass(status), expected));
  }
});

describe('constants agree with an independent implementation (dcmjs-dimse)', () => {
  it('command fields', () => {
    assert.equal(CommandField.CStoreRq, refCommandField['CStoreRequest']);
    assert.equal(CommandField.CStoreRsp, refCommandField['CStoreResponse']);
    assert.equal(CommandField.CGetRq, refCommandField['CGetRequest']);
    assert.equal(CommandField.CGetRsp, refCommandField['CGetResponse']);
    assert.equal(CommandField.CFindRq, refCommandField['CFindRequest']);
    assert.equal(CommandField.CFindRsp, refCommandField['CFindResponse']);
    assert.equal(CommandField.CMoveRq, refCommandField['CMoveRequest']);
    assert.equal(CommandField.CMoveRsp, refCommandField['CMoveResponse']);
    assert.equal(CommandField.CEchoRq, refCommandField['CEchoRequest']);
    assert.equal(CommandField.CEchoRsp, refCommandField['CEchoResponse']);
    assert.equal(CommandField.CCancelRq, refCommandField['CCancelRequest']);
  });
  it('statuses', () => {
    assert.equal(Status.Pending, ref.Status.Pending);
    assert.equal(Status.Cancel, ref.Status.Cancel);
    assert.equal(Status.RefusedSopClassNotSupported, ref.Status.SopClassNotSupported);
    assert.equal(Status.RefusedNotAuthorized, ref.Status.NotAuthorized);
    assert.equal(Status.RefusedOutOfResourcesNumberOfMatches, ref.Status.OutOfResourcesNumberOfMatches);
    assert.equal(Status.RefusedOutOfResourcesSubOperations, ref.Status.OutOfResourcesSubOperations);
    assert.equal(Status.RefusedMoveDestinationUnknown, ref.Status.MoveDestinationUnknown);
    assert.equal(Status.IdentifierDoesNotMatchSopClass, ref.Status.DataSetSopClassMismatch);
    assert.equal(Status.DuplicateSopInstance, ref.Status.DuplicateSOPInstance);
    assert.equal(Status.NoSuchSopClass, ref.Status.NoSuchSopClass);
    for (const [name, v] of Object.entries(ref.Status)) {
      if (name !== 'Success') assert.notEqual(statusClass(v), 'success', name);
    }
  });
  it('transfer syntaxes', () => {
    for (const [name, uid] of Object.entries(TransferSyntax)) {
      assert.equal(uid, (ref.TransferSyntax as Record<string, string>)[name], name);
      assert.equal(transferSyntaxName(uid), name);
    }
  });
  it('query/retrieve and verification SOP classes', () => {
    assert.equal(SopClass.Verification, ref.SopClass.Verification);
    assert.equal(SopClass.StudyRootQueryRetrieveFind, ref.SopClass.StudyRootQueryRetrieveInformationModelFind);
    assert.equal(SopClass.StudyRootQueryRetrieveMove, ref.SopClass.StudyRootQueryRetrieveInformationModelMove);
    assert.equal(SopClass.StudyRootQueryRetrieveGet, ref.SopClass.StudyRootQueryRetrieveInformationModelGet);
    // dcmjs-dimse has no Patient Root constants: PS3.4 C.6 numbers them .2.1.n beside Study Root's .2.2.n.
    const qr = (uid: string) => uid.replace(/^1\.2\.840\.10008\.5\.1\.4\.1\.2\.(\d)\.(\d)$/, '$1/$2');
    assert.equal(qr(SopClass.PatientRootQueryRetrieveFind), '1/1');
    assert.equal(qr(SopClass.PatientRootQueryRetrieveMove), '1/2');
    assert.equal(qr(SopClass.PatientRootQueryRetrieveGet), '1/3');
    assert.equal(qr(SopClass.StudyRootQueryRetrieveFind), '2/1');
    assert.equal(SopClass.ModalityWorklistFind, ref.SopClass.ModalityWorklistInformationModelFind);
  });
  it('storage SOP classes', () => {
    const s = ref.StorageClass;
    const pairs: [string, string][] = [
      [StorageSopClass.CT, s.CtImageStorage],
      [StorageSopClass.EnhancedCT, s.EnhancedCtImageStorage],
      [StorageSopClass.MR, s.MrImageStorage],
      [StorageSopClass.EnhancedMR, s.EnhancedMrImageStorage],
      [StorageSopClass.CR, s.ComputedRadiographyImageStorage],
      [StorageSopClass.DX, s.DigitalXRayImageStorageForPresentation],
      [StorageSopClass.MG, s.DigitalMammographyXRayImageStorageForPresentation],
      [StorageSopClass.US, s.UltrasoundImageStorage],
      [StorageSopClass.USMultiframe, s.UltrasoundMultiframeImageStorage],
      [StorageSopClass.SC, s.SecondaryCaptureImageStorage],
      [StorageSopClass.NM, s.NuclearMedicineImageStorage],
      [StorageSopClass.PET, s.PositronEmissionTomographyImageStorage],
      [StorageSopClass.XA, s.XRayAngiographicImageStorage],
      [StorageSopClass.RF, s.XRayRadiofluoroscopicImageStorage],
      [StorageSopClass.RTImage, s.RtImageStorage],
      [StorageSopClass.EncapsulatedPDF, s.EncapsulatedPdfStorage],
      [StorageSopClass.BasicTextSR, s.BasicTextSrStorage],
      [StorageSopClass.EnhancedSR, s.EnhancedSrStorage],
      [StorageSopClass.ComprehensiveSR, s.ComprehensiveSrStorage],
    ];
    for (const [ours, theirs] of pairs) assert.equal(ours, theirs);
    // And with dcmjs's own table where it has them.
    const byName = dcmjs.data.DicomMetaDictionary.sopClassUIDsByName;
    assert.equal(StorageSopClass.CT, byName['CTImage']);
    assert.equal(StorageSopClass.PET, byName['PETImage']);
    assert.equal(StorageSopClass.BasicTextSR, byName['BasicTextSR']);
  });
  it('every UID is unique and well-formed', () => {
    const all = [...Object.values(SopClass), ...Object.values(StorageSopClass), ...Object.values(TransferSyntax)];
    assert.equal(new Set(all).size, all.length);
    for (const uid of all) assert.match(uid, /^1\.2\.840\.10008(\.(0|[1-9][0-9]*))+$/);
    assert.ok(Object.keys(StorageSopClass).length >= 15);
  });
});

describe('names', () => {
  it('commandFieldName and isResponse', () => {
    assert.equal(commandFieldName(0x8020), 'C-FIND-RSP');
    assert.equal(commandFieldName(0x0fff), 'C-CANCEL-RQ');
    assert.equal(commandFieldName(0x1234), undefined);
    assert.equal(isResponse(CommandField.CFindRsp), true);
    assert.equal(isResponse(CommandField.CFindRq), false);
    assert.equal(isResponse(CommandField.CCancelRq), false);
  });
  it('sopClassName', () => {
    assert.equal(sopClassName('1.2.840.10008.5.1.4.1.1.2'), 'CT');
    assert.equal(sopClassName('1.2.840.10008.1.1'), 'Verification');
    assert.equal(sopClassName('1.2.3'), undefined);
  });
});
