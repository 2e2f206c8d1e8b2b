/** Shared fixtures for the store tests: a realistic endpoint result and its observations. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EndpointResult } from '../../../src/scan/endpoint-result.ts';
import type { EndpointRecord, ObservationRecord } from '../../../src/store/repository.ts';

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pacsmap-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An endpoint result as the scan engine produces it (docs/scan-json.md), for a queryable archive. */
export function sampleResult(host: string, port: number, marker = 'ORTHANC'): EndpointResult {
  return {
    host,
    port,
    status: 'success',
    service: 'dicom',
    implementation: { classUid: '1.2.826.0.1.3680043.2.1143.107.104.103.115.2.8.4', versionName: marker },
    product: { name: 'Orthanc', version: '1.10.1', confidence: 'high', ambiguousWith: [] },
    association: {
      accepted: true,
      calledAe: 'ANY-SCP',
      callingAe: 'PACSMAP',
      reject: null,
      firstReject: null,
      abort: null,
      acceptor: { calledAe: 'ANY-SCP', callingAe: 'PACSMAP', maxPduLength: 16384 },
      contexts: [
        {
          id: 1,
          name: 'Verification',
          abstractSyntax: '1.2.840.10008.1.1',
          service: 'echo',
          result: 0,
          transferSyntax: '1.2.840.10008.1.2',
        },
      ],
      timings: { connectMs: 0.4, acseMs: 1.2 },
    },
    tls: null,
    aeDiscovery: null,
    echo: true,
    query: {
      allowed: true,
      patients: 3,
      studies: 5,
      instances: 120,
      instancesEstimated: false,
      capped: false,
      phiCategories: ['patient-id', 'name', 'birth-date'],
      capDetected: null,
      queries: 1,
      partitions: 1,
      lowerBoundReasons: [],
    },
    services: {
      echo: true,
      find: true,
      move: true,
      get: false,
      store: true,
      storageClasses: ['1.2.840.10008.5.1.4.1.1.2'],
    },
    retrieve: null,
    web: null,
    exposure: 'queryable',
    exposureLevels: ['queryable', 'writable', 'associable', 'identified'],
    observations: [
      {
        probe: 'dicom.associate',
        status: 'success',
        startedAt: '2025-01-01T00:00:00.000Z',
        durationMs: 1.6,
        detail: null,
      },
    ],
  };
}

export function endpointRecord(scanId: string, host: string, port: number, exposure = 'queryable'): EndpointRecord {
  return {
    scanId,
    host,
    port,
    transport: 'plaintext',
    status: 'success',
    service: 'dicom',
    exposure,
    facilityId: null,
    result: { ...sampleResult(host, port), exposure },
  };
}

export function observationRecord(
  scanId: string,
  host: string,
  port: number,
  probe: string,
  status = 'success',
): ObservationRecord {
  return {
    scanId,
    host,
    port,
    probe,
    status,
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 2.5,
    detail: status === 'success' ? null : 'peer closed the connection',
    facts: { accepted: true, studies: 5, phiCategories: ['name'] },
  };
}

/** host i of a /16 on loopback, for generating many targets. */
export function hostOf(i: number): string {
  return `127.1.${(i >> 8) & 255}.${i & 255}`;
}
