/**
 * The lab's catalogue of endpoint archetypes: how real PACS installations are commonly found,
 * from wide open to locked down. Each archetype fixes the product family, the AE policy, the
 * services and the archive's habits; `buildBehaviour` draws the rest (product version, archive
 * size, result cap) from the fleet's seeded random source.
 *
 * Every exposure level (retrievable, queryable, writable, associable, identified) is reached by
 * at least one archetype for a stranger with pacsmap's default identity (called ANY-SCP, calling
 * PACSMAP); the fleet deals archetypes like cards, so any fleet of ≥ 19 DICOM endpoints has each.
 */
import { Archive, type CountPolicy } from './archive.ts';
import { product, productIdentity, type ProductDef } from './products.ts';
import type { Rng } from './random.ts';
import type { AePolicy, DicomBehaviour, FindBehaviour } from './types.ts';
import { Status } from '../protocol/dimse/constants.ts';

export interface Archetype {
  readonly id: string;
  /** What it stands for, in words (goes into the ground truth). */
  readonly description: string;
  readonly products: readonly string[];
  /** Ports it prefers, most likely first. */
  readonly ports: readonly number[];
  /** Copies in the deck (how common it is). */
  readonly weight: number;
  readonly ae: (p: ProductDef, rng: Rng) => AePolicy;
  readonly echo: boolean;
  readonly find: ((rng: Rng) => FindBehaviour) | null;
  readonly move: boolean;
  readonly get: boolean;
  readonly store: boolean;
  readonly counts: CountPolicy;
  /** Study count range of the archive (when it answers C-FIND). */
  readonly studies: readonly [number, number];
  readonly omitKeywords?: readonly string[];
  readonly maxAssociations: number;
}

const anyAe = (p: ProductDef): AePolicy => ({ aeTitle: p.defaultAe, checkCalled: false, callingAllowList: null });
const calledAe =
  (title?: string) =>
  (p: ProductDef): AePolicy => ({ aeTitle: title ?? p.defaultAe, checkCalled: true, callingAllowList: null });
const callingList =
  (list: readonly string[], checkCalled: boolean) =>
  (p: ProductDef): AePolicy => ({ aeTitle: p.defaultAe, checkCalled, callingAllowList: list });

const relational =
  (studyRoot = true, patientRoot = true) =>
  (): FindBehaviour => ({
    studyRoot,
    patientRoot,
    hierarchical: false,
    refuseStatus: null,
    limit: null,
  });

export const ARCHETYPES: readonly Archetype[] = [
  {
    id: 'orthanc-open',
    description:
      'Orthanc with its defaults: any called AE (DicomCheckCalledAet false), any calling AE may echo, find, get, move and store; sometimes LimitFindResults set',
    products: ['orthanc'],
    ports: [4242, 104, 11112],
    weight: 3,
    ae: anyAe,
    echo: true,
    find: (rng) => ({
      studyRoot: true,
      patientRoot: true,
      hierarchical: false,
      refuseStatus: null,
      limit: rng.chance(0.5) ? rng.pick([25, 50, 100]) : null,
    }),
    move: true,
    get: true,
    store: true,
    counts: 'always',
    studies: [10, 300],
    maxAssociations: 64,
  },
  {
    id: 'orthanc-checked-aet',
    description: 'Orthanc with DicomCheckCalledAet true: only called AE ORTHANC is accepted (others: RJ 1/1/7)',
    products: ['orthanc'],
    ports: [4242, 104],
    weight: 1,
    ae: calledAe('ORTHANC'),
    echo: true,
    find: relational(),
    move: true,
    get: true,
    store: true,
    counts: 'always',
    studies: [5, 150],
    maxAssociations: 64,
  },
  {
    id: 'orthanc-empty',
    description: "a freshly installed Orthanc with an empty archive: answers a stranger's query with no matches",
    products: ['orthanc'],
    ports: [4242],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: relational(),
    move: true,
    get: false,
    store: false,
    counts: 'always',
    studies: [0, 0],
    maxAssociations: 64,
  },
  {
    id: 'find-refused',
    description:
      "an archive that accepts anyone's association and C-STORE but refuses every C-FIND from an unknown AE (status 0xC000)",
    products: ['orthanc', 'conquest-150'],
    ports: [104, 4242, 11112],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: () => ({
      studyRoot: true,
      patientRoot: true,
      hierarchical: false,
      refuseStatus: Status.UnableToProcess,
      limit: null,
    }),
    move: false,
    get: false,
    store: true,
    counts: 'always',
    studies: [5, 50],
    maxAssociations: 64,
  },
  {
    id: 'dcmtk-storescp',
    description: 'DCMTK storescp: accepts any AE, verification and storage only',
    products: ['dcmtk-367', 'dcmtk-366'],
    ports: [104, 11112],
    weight: 2,
    ae: anyAe,
    echo: true,
    find: null,
    move: false,
    get: false,
    store: true,
    counts: 'never',
    studies: [0, 0],
    maxAssociations: 16,
  },
  {
    id: 'dcmtk-dcmqrscp',
    description:
      'DCMTK dcmqrscp: only its configured called AE (RJ 1/1/7 otherwise), strict hierarchical search, no instance counts',
    products: ['dcmtk-367', 'dcmtk-366'],
    ports: [11112, 104, 2762],
    weight: 1,
    ae: calledAe('DCMQRSCP'),
    echo: true,
    find: () => ({ studyRoot: true, patientRoot: true, hierarchical: true, refuseStatus: null, limit: null }),
    move: true,
    get: true,
    store: true,
    counts: 'never',
    studies: [3, 60],
    maxAssociations: 16,
  },
  {
    id: 'dcmqrscp-patient-root',
    description:
      'a dcmqrscp-style archive configured as ANY-SCP offering only the Patient Root model, with strict hierarchical search: a STUDY query needs a PatientID (0xA900 otherwise), so a stranger reads it by querying PATIENT level first',
    products: ['dcmtk-367'],
    ports: [104, 11112],
    weight: 1,
    ae: calledAe('ANY-SCP'),
    echo: true,
    find: () => ({ studyRoot: false, patientRoot: true, hierarchical: true, refuseStatus: null, limit: null }),
    move: true,
    get: true,
    store: false,
    counts: 'never',
    studies: [3, 40],
    maxAssociations: 16,
  },
  {
    id: 'dcm4chee-arc',
    description:
      'dcm4chee-arc-light: only called AE DCM4CHEE (RJ 1/1/7 otherwise), any calling AE, full Q/R and storage',
    products: ['dcm4chee-arc', 'dcm4chee-arc-noname'],
    ports: [11112, 2762, 104],
    weight: 2,
    ae: calledAe('DCM4CHEE'),
    echo: true,
    find: relational(),
    move: true,
    get: true,
    store: true,
    counts: 'always',
    studies: [20, 1200],
    maxAssociations: 64,
  },
  {
    id: 'dcm4chee2-restricted',
    description:
      'dcm4chee 2.x: called AE DCM4CHEE (RJ 1/1/7 otherwise) and a calling AE allow-list (RJ 1/1/3 otherwise); query, move, store',
    products: ['dcm4chee2'],
    ports: [11112, 104],
    weight: 1,
    ae: callingList(['MODALITY1', 'WORKSTATION1'], true),
    echo: true,
    find: relational(),
    move: true,
    get: false,
    store: true,
    counts: 'always',
    studies: [10, 200],
    maxAssociations: 64,
  },
  {
    id: 'conquest-open',
    description: 'Conquest with its defaults: any AE may echo, query (counts only on some studies), move and store',
    products: ['conquest-150', 'conquest-1416'],
    ports: [104, 11112],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: relational(),
    move: true,
    get: false,
    store: true,
    counts: 'sometimes',
    studies: [5, 120],
    omitKeywords: ['InstitutionName'],
    maxAssociations: 64,
  },
  {
    id: 'fo-dicom-query',
    description: 'an in-house fo-dicom query service: any AE, study root C-FIND only, no instance counts',
    products: ['fo-dicom'],
    ports: [104, 11112, 4242],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: relational(true, false),
    move: false,
    get: false,
    store: false,
    counts: 'never',
    studies: [1, 60],
    omitKeywords: ['InstitutionName', 'ReferringPhysicianName'],
    maxAssociations: 64,
  },
  {
    id: 'pynetdicom-echo',
    description: 'a pynetdicom verification SCP: any AE, C-ECHO only',
    products: ['pynetdicom'],
    ports: [104, 11112],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: null,
    move: false,
    get: false,
    store: false,
    counts: 'never',
    studies: [0, 0],
    maxAssociations: 64,
  },
  {
    id: 'pynetdicom-store-restricted',
    description: 'a pynetdicom storage SCP with require_calling_aet: RJ 1/1/3 unless the calling AE is listed',
    products: ['pynetdicom'],
    ports: [11112, 104],
    weight: 1,
    ae: callingList(['MODALITY1'], false),
    echo: true,
    find: null,
    move: false,
    get: false,
    store: true,
    counts: 'never',
    studies: [0, 0],
    maxAssociations: 64,
  },
  {
    id: 'clearcanvas-devices',
    description:
      'ClearCanvas ImageServer accepting known devices only: RJ 1/1/3 unless the calling AE is a known device',
    products: ['clearcanvas'],
    ports: [104, 11112],
    weight: 1,
    ae: callingList(['CT01', 'MR01', 'WORKSTATION1'], false),
    echo: true,
    find: relational(),
    move: true,
    get: false,
    store: true,
    counts: 'always',
    studies: [10, 200],
    maxAssociations: 64,
  },
  {
    id: 'horos-open',
    description: 'a Horos/OsiriX workstation sharing its database: any AE, query, get, move, store',
    products: ['horos'],
    ports: [11112, 104],
    weight: 1,
    ae: anyAe,
    echo: true,
    find: relational(),
    move: true,
    get: true,
    store: true,
    counts: 'always',
    studies: [1, 60],
    maxAssociations: 64,
  },
];

const BY_ID: ReadonlyMap<string, Archetype> = new Map(ARCHETYPES.map((a) => [a.id, a]));

export function archetype(id: string): Archetype {
  const a = BY_ID.get(id);
  if (!a) throw new Error(`lab: unknown archetype ${id}`);
  return a;
}

/** The deck the fleet deals from: each archetype `weight` times. */
export function archetypeDeck(): string[] {
  return ARCHETYPES.flatMap((a) => Array.from({ length: a.weight }, () => a.id));
}

export interface BehaviourContext {
  readonly endpoint: number;
  readonly fleetTag: number;
  /** Upper bound on any archive's study count. */
  readonly maxStudies: number;
}

/** A concrete endpoint behaviour from an archetype (product version, archive and cap drawn from `rng`). */
export function buildBehaviour(a: Archetype, rng: Rng, ctx: BehaviourContext): DicomBehaviour {
  const p = product(rng.pick(a.products));
  const find = a.find ? a.find(rng) : null;
  const [lo, hi] = a.studies;
  // Archives without counts stay under the scanner's follow-up budget, so their instance totals are exact.
  const cap = a.counts === 'always' ? ctx.maxStudies : Math.min(ctx.maxStudies, 150);
  const studies = Math.min(cap, skewed(rng, lo, hi));
  const archive =
    find !== null || a.get || a.move
      ? new Archive({
          endpoint: ctx.endpoint,
          fleetTag: ctx.fleetTag,
          studies,
          counts: a.counts,
          rng: rng.fork('archive'),
        })
      : null;
  return {
    product: p,
    identity: productIdentity(p),
    ae: a.ae(p, rng),
    echo: a.echo,
    find,
    move: a.move,
    get: a.get,
    store: a.store,
    omitKeywords: a.omitKeywords ?? [],
    archive,
    maxAssociations: a.maxAssociations,
  };
}

/** Most archives small, a few large: lo + (hi-lo)·u³. */
function skewed(rng: Rng, lo: number, hi: number): number {
  const u = rng.float();
  return lo + Math.floor((hi - lo + 1) * u * u * u);
}
