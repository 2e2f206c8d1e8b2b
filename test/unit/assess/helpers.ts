/** Shared inputs for the assess and knowledge tests: a closed-door endpoint and overlays on it. */
import type { AssessInput } from '../../../src/assess/input.ts';

/** Speaks DICOM over plaintext, refuses the stranger: nothing a finding should fire on. */
export function closedDoor(): AssessInput {
  return {
    endpoint: { host: '127.0.0.1', port: 104, service: 'dicom', status: 'success' },
    product: null,
    implementation: { classUid: null, versionName: null },
    association: {
      accepted: false,
      rejected: true,
      rejectMeaning: 'called AE title not recognized',
      calledAe: 'ANY-SCP',
      callingAe: 'PACSMAP',
      acceptorMaxPdu: null,
    },
    transport: { tls: false, protocol: null, cipher: null, authorized: null, selfSigned: null, expired: null },
    echo: { ok: false },
    query: {
      allowed: false,
      patients: null,
      studies: null,
      instances: null,
      instancesEstimated: false,
      capped: false,
      phiCategories: [],
      phiCategoryCount: 0,
    },
    services: { echo: false, find: false, move: false, get: false, store: false, storageClassCount: 0 },
    exposure: { level: 'identified', levels: ['identified'] },
  };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge, arrays and scalars (and null) replace. */
export function overlay<T>(base: T, patch: unknown): T {
  if (!isPlain(base) || !isPlain(patch)) return structuredClone(patch) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    out[k] = isPlain(v) && isPlain(out[k]) ? overlay(out[k], v) : structuredClone(v);
  }
  return out as T;
}

/** Every optional part present and every leaf set: for vocabulary checks. */
export function everything(): AssessInput {
  return overlay(closedDoor(), {
    product: { name: 'Orthanc', version: '1.10.1', confidence: 'high', ambiguousWith: ['DCMTK'] },
    implementation: { classUid: '1.2.3', versionName: 'X' },
    association: { accepted: true, rejected: false, rejectMeaning: 'n/a', acceptorMaxPdu: 16384 },
    transport: {
      tls: true,
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_128_GCM_SHA256',
      authorized: true,
      selfSigned: false,
      expired: false,
    },
    echo: { ok: true },
    query: { allowed: true, patients: 1, studies: 1, instances: 1, phiCategories: ['name'], phiCategoryCount: 1 },
    services: { echo: true, find: true, move: true, get: true, store: true, storageClassCount: 1 },
    exposure: { level: 'retrievable', levels: ['retrievable', 'queryable', 'writable', 'associable', 'identified'] },
    aeDiscovery: {
      attempted: true,
      attempts: 2,
      accepted: { calledAe: 'ORTHANC', callingAe: 'PACSMAP' },
      guessed: true,
    },
    retrieve: {
      get: { instanceReceived: true, instanceBytes: 10, meaning: 'retrieved' },
      move: { meaning: 'attempted' },
    },
    web: {
      orthancRest: { unauthenticated: true, version: '1.10.1', patients: 1, studies: 1, instances: 1 },
      dicomweb: { qidoUnauthenticated: true, studies: 1, phiCategories: ['name'] },
      viewer: { detected: true, name: 'Orthanc Explorer 2' },
      defaultCredentials: { worked: true, product: 'Orthanc' },
      https: { tls: true, protocol: 'TLSv1.2', selfSigned: true, expired: false },
    },
  });
}
