/**
 * Probe `web.default-credentials` (opt-in only): where an endpoint demanded authentication and
 * its product is known, tries that product's documented default credentials, a few at most.
 * Records which entry worked (its id); the password never leaves knowledge/.
 */
import { credentialsFor, defaultCredentials, type DefaultCredential } from '../../knowledge/default-credentials.ts';
import { observe } from '../dicom/observe.ts';
import type { Observation } from '../probe.ts';
import type { WebSession } from './session.ts';

export const DEFAULT_CREDENTIALS_PROBE = 'web.default-credentials';
/** At most this many attempts per endpoint: a probe, not a brute force. */
export const MAX_CREDENTIAL_ATTEMPTS = 3;

export interface DefaultCredentialFacts {
  readonly product: string;
  readonly path: string;
  readonly tried: number;
  readonly triedIds: readonly string[];
  /** Id of the entry that was accepted (2xx); null when none was. */
  readonly worked: string | null;
}

export function probeDefaultCredentials(
  session: WebSession,
  product: string,
  path: string,
  opts: { entries?: readonly DefaultCredential[]; maxAttempts?: number } = {},
): Promise<Observation<DefaultCredentialFacts>> {
  return observe<DefaultCredentialFacts>(DEFAULT_CREDENTIALS_PROBE, async () => {
    const max = Math.min(opts.maxAttempts ?? MAX_CREDENTIAL_ATTEMPTS, MAX_CREDENTIAL_ATTEMPTS);
    const candidates = credentialsFor(product, opts.entries ?? defaultCredentials()).slice(0, max);
    const triedIds: string[] = [];
    for (const c of candidates) {
      const r = await session.get(DEFAULT_CREDENTIALS_PROBE, path, {
        auth: { user: c.user, password: c.password },
        maxBodyBytes: 64 * 1024,
      });
      triedIds.push(c.id);
      if (r.kind === 'failure') {
        return {
          status: r.status,
          detail: r.detail,
          facts: { product, path, tried: triedIds.length, triedIds, worked: null },
        };
      }
      if (r.status >= 200 && r.status < 300) {
        return { status: 'success', facts: { product, path, tried: triedIds.length, triedIds, worked: c.id } };
      }
    }
    return { status: 'success', facts: { product, path, tried: triedIds.length, triedIds, worked: null } };
  });
}
