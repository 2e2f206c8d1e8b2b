/** Shared shapes of the lab: how a simulated DICOM endpoint behaves, and the lab's counters. */
import type { Archive } from './archive.ts';
import type { ProductDef, ProductIdentity } from './products.ts';

/** Who may associate (checked in this order, as DCMTK, Orthanc and dcm4chee do). */
export interface AePolicy {
  /** The endpoint's own AE title. */
  readonly aeTitle: string;
  /** Refuse (RJ 1/1/7, called AE title not recognized) unless the called AE is `aeTitle`. */
  readonly checkCalled: boolean;
  /** Refuse (RJ 1/1/3, calling AE title not recognized) unless the calling AE is listed; null = anyone. */
  readonly callingAllowList: readonly string[] | null;
}

export interface FindBehaviour {
  /** Study Root and/or Patient Root Q/R FIND contexts accepted. */
  readonly studyRoot: boolean;
  readonly patientRoot: boolean;
  /**
   * Strict hierarchical search (PS3.4 C.4.1.3.1.1): below the top level, the unique keys of every
   * level above must be single values (Patient Root STUDY level needs a PatientID, SERIES a
   * StudyInstanceUID…); otherwise the query fails with 0xA900, as dcmqrscp answers.
   */
  readonly hierarchical: boolean;
  /** Every C-FIND answered with this failure status (e.g. 0xC000: Orthanc with an unknown modality). */
  readonly refuseStatus: number | null;
  /** Like Orthanc's LimitFindResults: after this many matches, stop and answer 0xFE00. */
  readonly limit: number | null;
}

export interface DicomBehaviour {
  readonly product: ProductDef;
  readonly identity: ProductIdentity;
  readonly ae: AePolicy;
  readonly echo: boolean;
  readonly find: FindBehaviour | null;
  readonly move: boolean;
  readonly get: boolean;
  readonly store: boolean;
  /** Categories of personal data the archive leaves out of study-level answers (keywords). */
  readonly omitKeywords: readonly string[];
  readonly archive: Archive | null;
  /** Associations served at once; the next one is refused with RJ 2/3/2 (local limit exceeded). */
  readonly maxAssociations: number;
}

export interface LabStats {
  connections: number;
  tlsHandshakes: number;
  tlsFailures: number;
  associationsAccepted: number;
  associationsRejected: number;
  /** "result/source/reason" → count. */
  rejects: Record<string, number>;
  abortsSent: number;
  abortsReceived: number;
  releases: number;
  echoes: number;
  finds: number;
  findMatchesSent: number;
  findsCropped: number;
  cancels: number;
  stores: number;
  gets: number;
  moves: number;
  unknownCommands: number;
  protocolErrors: number;
  timeouts: number;
  httpRequests: number;
  tarpitConnections: number;
  /** Clients still connected 1 s after an RJ or RP: impolite requestors. */
  lingeringAfterReject: number;
  /** Longest time a rejected client kept its socket after the RJ left, in ms. */
  maxLingerAfterRejectMs: number;
  activeConnections: number;
}

export function newStats(): LabStats {
  return {
    connections: 0,
    tlsHandshakes: 0,
    tlsFailures: 0,
    associationsAccepted: 0,
    associationsRejected: 0,
    rejects: {},
    abortsSent: 0,
    abortsReceived: 0,
    releases: 0,
    echoes: 0,
    finds: 0,
    findMatchesSent: 0,
    findsCropped: 0,
    cancels: 0,
    stores: 0,
    gets: 0,
    moves: 0,
    unknownCommands: 0,
    protocolErrors: 0,
    timeouts: 0,
    httpRequests: 0,
    tarpitConnections: 0,
    lingeringAfterReject: 0,
    maxLingerAfterRejectMs: 0,
    activeConnections: 0,
  };
}
