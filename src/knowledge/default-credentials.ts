/**
 * Documented default credentials of PACS web services (default-credentials.json), validated at
 * load. Used only on explicit opt-in; results carry the entry id, never the password.
 */
import { readFileSync } from 'node:fs';
import type { SourceRef } from './fingerprints.ts';
import { parseSources } from './web-fingerprints.ts';

export interface DefaultCredential {
  readonly id: string;
  /** Product name as the web probes report it (e.g. 'Orthanc'). */
  readonly product: string;
  readonly user: string;
  readonly password: string;
  readonly source: readonly SourceRef[];
}

export class DefaultCredentialDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DefaultCredentialDataError';
  }
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

export function parseDefaultCredentials(raw: unknown): readonly DefaultCredential[] {
  const bad = (where: string, msg: string): never => {
    throw new DefaultCredentialDataError(`default-credentials: ${where}: ${msg}`);
  };
  const top = raw as { version?: unknown; credentials?: unknown; description?: unknown } | null;
  if (typeof top !== 'object' || top === null || top.version !== 1) bad('document', 'version must be 1');
  for (const k of Object.keys(top as object))
    if (!['version', 'description', 'credentials'].includes(k)) bad('document', `unknown key "${k}"`);
  if (!Array.isArray(top?.credentials) || top.credentials.length === 0) bad('document', 'credentials[] is required');
  const seen = new Set<string>();
  return (top!.credentials as unknown[]).map((v, i) => {
    const w = `credentials[${i}]`;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(w, 'must be an object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!['id', 'product', 'user', 'password', 'source'].includes(k)) bad(w, `unknown key "${k}"`);
    for (const k of ['id', 'product', 'user', 'password'])
      if (typeof o[k] !== 'string' || (o[k] as string).length === 0) bad(w, `${k} must be a non-empty string`);
    const id = o.id as string;
    if (!ID.test(id)) bad(w, `id must match ${ID}`);
    if (seen.has(id)) bad(w, `duplicate id "${id}"`);
    seen.add(id);
    if ((o.user as string).includes(':')) bad(w, 'user may not contain ":" (HTTP Basic)');
    let source: SourceRef[];
    try {
      source = parseSources(o.source, w);
    } catch (e) {
      return bad(w, (e as Error).message);
    }
    return {
      id,
      product: o.product as string,
      user: o.user as string,
      password: o.password as string,
      source,
    };
  });
}

export function loadDefaultCredentials(
  url: URL = new URL('./default-credentials.json', import.meta.url),
): readonly DefaultCredential[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new DefaultCredentialDataError(`default-credentials: cannot read ${url.pathname}: ${(e as Error).message}`);
  }
  return parseDefaultCredentials(raw);
}

let bundled: readonly DefaultCredential[] | null = null;

export function defaultCredentials(): readonly DefaultCredential[] {
  bundled ??= loadDefaultCredentials();
  return bundled;
}

/** Entries for one product (case-insensitive), in file order. */
export function credentialsFor(
  product: string,
  all: readonly DefaultCredential[] = defaultCredentials(),
): DefaultCredential[] {
  const p = product.toLowerCase();
  return all.filter((c) => c.product.toLowerCase() === p);
}
