/**
 * The JSON contract for one endpoint (docs/scan-json.md). Only statuses, counts, booleans and
 * protocol facts: no field can hold a patient value.
 */
import type { Status } from '../protocol/status.ts';
import type { WebEndpointResult } from '../probes/web/scan-web-endpoint.ts';
import type { TlsFacts } from '../protocol/association/transport.ts';
import type { Exposure, ExposureLevel } from './exposure.ts';
import type { ContextAnswer } from '../probes/dicom/proposal.ts';

export interface ObservationSummary {
  readonly probe: string;
  readonly status: Status;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly detail: string | null;
}

export interface RejectSummary {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  readonly meaning: string;
}

export interface AeDiscoverySummary {
  readonly attempted: boolean;
  /** Association requests made by discovery (the first, refused request not included). */
  readonly attempts: number;
  /** The AE titles of the association discovery got accepted, or null. */
  readonly accepted: { readonly calledAe: string; readonly callingAe: string } | null;
  /** True when the association this result describes used guessed titles (i.e. `accepted` is set). */
  readonly guessed: boolean;
  /** A called title that passed the called-AE check even if the calling title was then refused. */
  readonly recognisedCalledAe: string | null;
  /** accepted, max-attempts, list-exhausted, other-reject, aborted, connection-failed, cancelled */
  readonly stoppedBecause: string;
}

export interface EndpointResult {
  readonly host: string;
  readonly port: number;
  readonly status: Status;
  /** What answered: DICOM (plaintext or TLS), or a PACS web face over HTTP(S); null when nothing we know. */
  readonly service: 'dicom' | 'dicom-tls' | 'http' | 'https' | null;
  readonly implementation: { readonly classUid: string | null; readonly versionName: string | null };
  readonly product: {
    readonly name: string;
    readonly version: string | null;
    readonly confidence: string;
    /** Other products that announce the same values (e.g. Orthanc announces DCMTK's). */
    readonly ambiguousWith: readonly string[];
  } | null;
  readonly association: {
    readonly accepted: boolean;
    readonly calledAe: string;
    readonly callingAe: string;
    readonly reject: RejectSummary | null;
    /**
     * The A-ASSOCIATE-RJ answered to the configured AE titles, kept when AE-title discovery then
     * found titles that work (`reject` is null then); null when the first request was not rejected.
     */
    readonly firstReject: RejectSummary | null;
    readonly abort: { readonly source: number; readonly reason: number } | null;
    readonly acceptor: {
      readonly calledAe: string;
      readonly callingAe: string;
      readonly maxPduLength: number | null;
    } | null;
    readonly contexts: readonly ContextAnswer[];
    readonly timings: { readonly connectMs: number | null; readonly acseMs: number | null };
  };
  readonly tls: TlsFacts | null;
  /**
   * AE-title discovery after a 1/7 or 1/3 refusal; null when it did not apply (not refused for an
   * AE title, or disabled). When `accepted`, every other field describes what the guessed identity
   * could do: an endpoint that accepts a guessed default title is as exposed as an open one.
   */
  readonly aeDiscovery: AeDiscoverySummary | null;
  readonly echo: boolean;
  readonly query: {
    readonly allowed: boolean;
    readonly patients: number | null;
    readonly studies: number | null;
    readonly instances: number | null;
    readonly instancesEstimated: boolean;
    /** The counts are lower bounds (see lowerBoundReasons). */
    readonly capped: boolean;
    readonly phiCategories: readonly string[];
    /** Why an answer was seen as cut short by the server or by us (then partitioned past); null when none was. */
    readonly capDetected: 'our-cap' | 'server-cancel' | 'server-refused' | 'round-count' | null;
    /** C-FINDs the count took, and the partitions (date/time ranges) it was split into. */
    readonly queries: number;
    readonly partitions: number;
    readonly lowerBoundReasons: readonly string[];
  };
  readonly services: {
    readonly echo: boolean;
    readonly find: boolean;
    readonly move: boolean;
    readonly get: boolean;
    readonly store: boolean;
    readonly storageClasses: readonly string[];
  };
  /** The retrieval proof (`--depth retrieve` only, docs/retrieve.md); null otherwise. */
  readonly retrieve: {
    /** Images left the archive: an instance came back by C-GET, or the archive tried a C-MOVE to our unknown destination. */
    readonly proven: boolean;
    readonly associations: number;
    readonly get: {
      readonly meaning: string;
      readonly status: number | null;
      readonly instanceBytes: number | null;
      readonly isDicom: boolean;
      /** SOP class UID of the instance (a class, never an instance UID). */
      readonly sopClass: string | null;
    } | null;
    readonly move: { readonly meaning: string; readonly status: number | null } | null;
  } | null;
  /** The web probes' result (docs/web-json.md) when the port answered HTTP(S); null otherwise. */
  readonly web: WebEndpointResult | null;
  readonly exposure: Exposure;
  readonly exposureLevels: readonly ExposureLevel[];
  readonly observations: readonly ObservationSummary[];
}

/** PS3.8 Table 9-21: what an A-ASSOCIATE-RJ's source and reason mean. */
export function rejectMeaning(source: number, reason: number): string {
  if (source === 1) {
    const user: Record<number, string> = {
      1: 'no reason given',
      2: 'application context name not supported',
      3: 'calling AE title not recognized',
      7: 'called AE title not recognized',
    };
    return user[reason] ?? `reserved reason ${reason}`;
  }
  if (source === 2) {
    return reason === 1
      ? 'no reason given (ACSE)'
      : reason === 2
        ? 'protocol version not supported'
        : `reserved reason ${reason}`;
  }
  if (source === 3) {
    return reason === 1 ? 'temporary congestion' : reason === 2 ? 'local limit exceeded' : `reserved reason ${reason}`;
  }
  return `unknown source ${source}`;
}
