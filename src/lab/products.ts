/**
 * The products the lab impersonates. What each one announces in its A-ASSOCIATE-AC (the
 * Implementation Class UID and Version Name) is taken from the test vectors ("examples") of
 * src/knowledge/fingerprints.json, never typed in twice: the lab then announces exactly what
 * the knowledge base says that product announces, and the ground truth records what the
 * fingerprint matcher is documented to answer for it (e.g. Orthanc shows up as DCMTK, because it
 * announces DCMTK's own values).
 *
 * The other per-product facts (default AE title, maximum PDU length, whether Specific Character
 * Set is always returned) are the products' documented or commonly observed defaults; they make
 * the lab plausible, and no test of the scanner depends on them being exact.
 */
import { fingerprints, type FingerprintDb } from '../knowledge/fingerprints.ts';
import { TransferSyntax } from '../protocol/dimse/constants.ts';

export interface ProductDef {
  /** Lab id, e.g. 'orthanc'. */
  readonly id: string;
  /** What is simulated, in words (for people reading the ground truth). */
  readonly simulates: string;
  /** The fingerprints.json entry and example whose values this product announces. */
  readonly fingerprintId: string;
  readonly example: number;
  /** The product's usual AE title. */
  readonly defaultAe: string;
  /** Maximum PDU length announced in the AC (0 = unlimited). */
  readonly maxPduLength: number;
  /** Transfer syntaxes it accepts for query contexts, in its order of preference. */
  readonly transferSyntaxes: readonly string[];
  /** Adds (0008,0005) to every C-FIND response, asked for or not (Orthanc does). */
  readonly alwaysCharset: boolean;
}

export interface ProductIdentity {
  readonly classUid: string | null;
  readonly versionName: string | null;
  /** What pacsmap's fingerprint matcher is documented (by that example) to answer. */
  readonly expected: { readonly name: string; readonly version: string | null };
}

const LE_EXPLICIT_FIRST = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
const LE_IMPLICIT_FIRST = [TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian];

export const PRODUCTS: readonly ProductDef[] = [
  {
    id: 'dcmtk-367',
    simulates: 'DCMTK 3.6.7 (dcmqrscp / storescp)',
    fingerprintId: 'dcmtk',
    example: 0,
    defaultAe: 'DCMQRSCP',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'dcmtk-366',
    simulates: 'DCMTK 3.6.6 (dcmqrscp / storescp)',
    fingerprintId: 'dcmtk',
    example: 1,
    defaultAe: 'STORESCP',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'orthanc',
    simulates: 'Orthanc 1.10 (DCMTK 3.6.7 network layer)',
    fingerprintId: 'orthanc',
    example: 0,
    defaultAe: 'ORTHANC',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: true,
  },
  {
    id: 'dcm4chee-arc',
    simulates: 'dcm4chee-arc-light 5.31 (dcm4che 5.31.0)',
    fingerprintId: 'dcm4che',
    example: 0,
    defaultAe: 'DCM4CHEE',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'dcm4chee-arc-noname',
    simulates: 'dcm4chee-arc-light build that sends no implementation version name',
    fingerprintId: 'dcm4che',
    example: 1,
    defaultAe: 'DCM4CHEE',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'dcm4chee2',
    simulates: 'dcm4chee 2.x archive (dcm4che 2.0)',
    fingerprintId: 'dcm4che-legacy',
    example: 0,
    defaultAe: 'DCM4CHEE',
    maxPduLength: 16352,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'conquest-150',
    simulates: 'Conquest DICOM Server 1.5.0 (Windows build)',
    fingerprintId: 'conquest',
    example: 0,
    defaultAe: 'CONQUESTSRV1',
    maxPduLength: 32768,
    transferSyntaxes: LE_IMPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'conquest-1416',
    simulates: 'Conquest DICOM Server 1.4.16 (Linux build)',
    fingerprintId: 'conquest',
    example: 1,
    defaultAe: 'CONQUESTSRV1',
    maxPduLength: 32768,
    transferSyntaxes: LE_IMPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'fo-dicom',
    simulates: 'an application built on fo-dicom 5.1.2',
    fingerprintId: 'fo-dicom',
    example: 0,
    defaultAe: 'FODICOM-SCP',
    maxPduLength: 262144,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'pynetdicom',
    simulates: 'an application built on pynetdicom 2.0.2',
    fingerprintId: 'pynetdicom',
    example: 1,
    defaultAe: 'ANY-SCP',
    maxPduLength: 16382,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'clearcanvas',
    simulates: 'ClearCanvas ImageServer',
    fingerprintId: 'clearcanvas',
    example: 0,
    defaultAe: 'CLEARCANVAS',
    maxPduLength: 116794,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
  {
    id: 'horos',
    simulates: 'Horos / OsiriX workstation (embedded DCMTK 3.5.4)',
    fingerprintId: 'horos-osirix',
    example: 0,
    defaultAe: 'OSIRIX',
    maxPduLength: 16384,
    transferSyntaxes: LE_EXPLICIT_FIRST,
    alwaysCharset: false,
  },
];

const BY_ID: ReadonlyMap<string, ProductDef> = new Map(PRODUCTS.map((p) => [p.id, p]));

export function product(id: string): ProductDef {
  const p = BY_ID.get(id);
  if (!p) throw new Error(`lab: unknown product ${id}`);
  return p;
}

/**
 * What a product announces and what the fingerprint matcher is documented to answer, from
 * fingerprints.json. Throws if the knowledge base lost the example (the lab must then be fixed).
 */
export function productIdentity(p: ProductDef, db: FingerprintDb = fingerprints()): ProductIdentity {
  const f = db.fingerprints.find((x) => x.id === p.fingerprintId);
  const ex = f?.examples[p.example];
  if (!f || !ex) throw new Error(`lab: fingerprints.json has no example ${p.example} for "${p.fingerprintId}"`);
  return {
    classUid: ex.classUid ?? null,
    versionName: ex.versionName ?? null,
    expected: { name: ex.expect.name, version: ex.expect.version },
  };
}
