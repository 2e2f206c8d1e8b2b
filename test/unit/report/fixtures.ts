/** A stored scan with real rows for the report and CLI tests: several exposures, facilities, findings. */
import type { EndpointRecord, FindingRecord, Repository, ScanRecord } from '../../../src/store/repository.ts';
import { sampleResult } from '../store/helpers.ts';

export interface SeedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly exposure: string;
  readonly facilityId?: string | null;
  /** Replaces fields of the sample result (shallow), e.g. query or implementation. */
  readonly patch?: Record<string, unknown>;
  /** Stored as the whole result instead of the sample (for odd documents). */
  readonly result?: unknown;
  readonly findings?: readonly { id: string; severity: string }[];
}

export function endpoint(scanId: string, e: SeedEndpoint): EndpointRecord {
  const base = { ...sampleResult(e.host, e.port), exposure: e.exposure, ...e.patch };
  return {
    scanId,
    host: e.host,
    port: e.port,
    transport: 'plaintext',
    status: 'success',
    service: e.exposure === 'none' ? null : 'dicom',
    exposure: e.exposure,
    facilityId: e.facilityId ?? null,
    result: e.result === undefined ? base : e.result,
  };
}

export function findingsOf(scanId: string, e: SeedEndpoint): FindingRecord[] {
  return (e.findings ?? []).map((f) => ({
    scanId,
    host: e.host,
    port: e.port,
    findingId: f.id,
    severity: f.severity,
    evidence: { observations: ['dicom.associate'] },
  }));
}

export interface SeedScan {
  readonly id?: string;
  readonly createdAt?: string;
  readonly status?: 'running' | 'finished' | 'interrupted';
  readonly scope?: string;
  readonly settings?: Record<string, unknown>;
  readonly cursor?: string;
  readonly endpoints: readonly SeedEndpoint[];
}

export async function seedScan(repo: Repository, s: SeedScan): Promise<ScanRecord> {
  const scan = await repo.createScan({
    ...(s.id === undefined ? {} : { id: s.id }),
    ...(s.createdAt === undefined ? {} : { createdAt: s.createdAt }),
    startedAt: s.createdAt ?? '2025-03-01T10:00:00.000Z',
    status: s.status ?? 'running',
    scope: s.scope ?? '127.1.0.0/24 ports 104,4242',
    settings: s.settings ?? {
      ports: [104, 4242],
      workTotal: '512',
      targets: ['127.1.0.0/24'],
      facilitiesFile: null,
      calledAe: 'ANY-SCP',
      callingAe: 'PACSMAP',
      rate: 100,
      concurrency: 8,
    },
  });
  const endpoints = s.endpoints.map((e) => endpoint(scan.id, e));
  const findings = s.endpoints.flatMap((e) => findingsOf(scan.id, e));
  for (let i = 0; i < endpoints.length; i += 500) {
    await repo.writeBatch({
      endpoints: endpoints.slice(i, i + 500),
      ...(i === 0 ? { findings } : {}),
      ...(i === 0 && s.cursor !== undefined ? { cursors: [{ scanId: scan.id, position: s.cursor }] } : {}),
    });
  }
  if (s.status === 'finished')
    await repo.updateScan(scan.id, { status: 'finished', finishedAt: '2025-03-01T10:05:02.000Z' });
  return (await repo.getScan(scan.id))!;
}

/** A small fleet: one endpoint at each level, facilities, findings on two. */
export const FLEET: readonly SeedEndpoint[] = [
  {
    host: '127.1.0.2',
    port: 104,
    exposure: 'queryable',
    facilityId: 'F-NORTH',
    patch: {
      query: {
        allowed: true,
        patients: 3,
        studies: 5,
        instances: 120,
        instancesEstimated: false,
        capped: false,
        phiCategories: ['patient-id', 'name'],
      },
    },
    findings: [
      { id: 'dicom-query-open', severity: 'high' },
      { id: 'dicom-store-open', severity: 'medium' },
    ],
  },
  {
    host: '127.1.0.1',
    port: 4242,
    exposure: 'retrievable',
    facilityId: 'F-SOUTH',
    patch: {
      query: {
        allowed: true,
        patients: 10,
        studies: 40,
        instances: 2000,
        instancesEstimated: true,
        capped: false,
        phiCategories: ['name', 'birth-date'],
      },
      services: { echo: true, find: true, move: true, get: true, store: false, storageClasses: [] },
    },
    findings: [{ id: 'dicom-retrieve-open', severity: 'critical' }],
  },
  {
    host: '127.1.0.3',
    port: 104,
    exposure: 'associable',
    patch: {
      query: {
        allowed: false,
        patients: null,
        studies: null,
        instances: null,
        instancesEstimated: false,
        capped: false,
        phiCategories: [],
      },
    },
  },
  {
    host: '127.1.0.4',
    port: 104,
    exposure: 'identified',
    patch: {
      query: {
        allowed: false,
        patients: null,
        studies: null,
        instances: null,
        instancesEstimated: false,
        capped: false,
        phiCategories: [],
      },
    },
  },
  {
    host: '127.1.0.5',
    port: 4242,
    exposure: 'none',
    patch: {
      service: null,
      product: null,
      echo: false,
      implementation: { classUid: null, versionName: null },
      query: {
        allowed: false,
        patients: null,
        studies: null,
        instances: null,
        instancesEstimated: false,
        capped: false,
        phiCategories: [],
      },
      services: { echo: false, find: false, move: false, get: false, store: false, storageClasses: [] },
    },
  },
];

export const FACILITIES = [
  {
    id: 'F-NORTH',
    name: 'North General Hospital',
    region: 'North',
    country: 'XX',
    contactEmail: null,
    ranges: ['127.1.0.2'],
    latitude: null,
    longitude: null,
  },
  {
    id: 'F-SOUTH',
    name: 'South Clinic',
    region: 'South',
    country: 'XX',
    contactEmail: null,
    ranges: ['127.1.0.1'],
    latitude: null,
    longitude: null,
  },
];

/** A minimal RFC 4180 parser (quoted fields, doubled quotes, CRLF records) for reading exports back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '"' || c === '\r' || c === '\n') {
      throw new Error(`bad CSV at ${i}: unquoted ${JSON.stringify(c)}`);
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error('bad CSV: unterminated quote');
  if (field !== '' || row.length > 0) throw new Error('bad CSV: last record not terminated by CRLF');
  return rows;
}
