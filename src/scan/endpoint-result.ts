/**
 * The JSON contract for one endpoint (docs/scan-json.md). Only statuses, counts, booleans and
 * protocol facts: no field can hold a patient value.
 */
import type { Status } from '../protocol/status.ts';
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

export interface EndpointResult {
  readonly host: string;
  readonly port: number;
  readonly status: Status;
  readonly service: 'dicom' | 'dicom-tls' | null;
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
    readonly reject: {
      readonly result: number;
      readonly source: number;
      readonly reason: number;
      readonly meaning: string;
    } | null;
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
  readonly echo: boolean;
  readonly query: {
    readonly allowed: boolean;
    readonly patients: number | null;
    readonly studies: number | null;
    readonly instances: number | null;
    readonly instancesEstimated: boolean;
    readonly capped: boolean;
    readonly phiCategories: readonly string[];
  };
  readonly services: {
    readonly echo: boolean;
    readonly find: boolean;
    readonly move: boolean;
    readonly get: boolean;
    readonly store: boolean;
    readonly storageClasses: readonly string[];
  };
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
