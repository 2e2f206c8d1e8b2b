/**
 * Probe `dicom.ae-discovery`: after a stranger's association was refused with A-ASSOCIATE-RJ
 * source 1 reason 7 (called AE title not recognised) or reason 3 (calling AE title not
 * recognised), try the product-default titles of src/knowledge/ae-titles.json, one full
 * association request at a time, and stop at the first acceptance.
 *
 * Politeness: a bounded number of attempts, a pace between attempts to one host (shared by every
 * discovery in this process, so two ports of one host do not double the rate), each refused
 * socket dropped at once (the requestor does that), and an early stop on anything that is not the
 * same refusal again (an abort, a connection failure, congestion or another reject).
 *
 * A reason 3 while guessing the called title means the called title was right and the calling
 * one is not known: the search goes on with calling titles, within the same attempt budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import type { Association } from '../../protocol/association/requestor.ts';
import { safe } from '../../log/safe-text.ts';
import { candidateTitles, type AeTitleDb } from '../../knowledge/ae-titles.ts';
import { auditProbe, type DicomIdentity, type Endpoint, type Observation, type ProbeContext } from '../probe.ts';
import { probeAssociate, type AssociateFacts } from './associate.ts';
import { round } from './observe.ts';

export const REASON_CALLING_AE_NOT_RECOGNIZED = 3;
export const REASON_CALLED_AE_NOT_RECOGNIZED = 7;
/** Politeness floor and ceilings: options outside these are clamped. */
export const MIN_PACE_MS = 100;
export const MAX_PACE_MS = 10_000;
export const MAX_ATTEMPTS_CEILING = 64;

export interface AeDiscoveryOptions {
  /** Association requests discovery may make (the first, refused one not included). */
  readonly maxAttempts: number;
  /** Least time between the starts of two association requests to one host, ms. */
  readonly paceMs: number;
  /** A product known from elsewhere (e.g. "Orthanc"): its titles are tried first. */
  readonly productHint?: string | null;
  /** Titles to use instead of the bundled file (tests). */
  readonly titles?: AeTitleDb;
  /** Cancels the wait between attempts; discovery then stops as 'cancelled'. */
  readonly signal?: AbortSignal;
  /**
   * Also guess calling AE titles (reason 3). Off by default: it means presenting ourselves under
   * another device's title instead of our identifying one, so the operator must ask for it.
   */
  readonly guessCalling?: boolean;
}

export type AeDiscoveryStop =
  | 'accepted'
  | 'max-attempts'
  | 'list-exhausted'
  /** An A-ASSOCIATE-RJ other than the one being searched past (e.g. congestion, no reason given). */
  | 'other-reject'
  | 'aborted'
  /** Connection refused, timed out, closed, not DICOM. */
  | 'connection-failed'
  | 'cancelled'
  /** The calling title is what is refused, and guessing calling titles was not asked for. */
  | 'calling-guess-disabled';

export interface AeDiscoveryFacts {
  /** The refusal that started the search. */
  readonly trigger: { readonly result: number; readonly source: number; readonly reason: number };
  /** Association requests made by discovery. */
  readonly attempts: number;
  /** Distinct AE titles put forward (called and calling). */
  readonly titlesTried: number;
  /** The titles of the accepted association, or null. */
  readonly acceptedCalledAe: string | null;
  readonly acceptedCallingAe: string | null;
  /** A called title that got past the called-AE check (accepted, or then refused for the calling AE). */
  readonly recognisedCalledAe: string | null;
  /** Always true: a title found here was guessed, not given. */
  readonly guessed: true;
  readonly stoppedBecause: AeDiscoveryStop;
  /** The last answer that was neither the searched refusal nor an acceptance, when that stopped us. */
  readonly lastReject: { readonly result: number; readonly source: number; readonly reason: number } | null;
  readonly lastStatus: string | null;
}

export interface AeDiscoveryOutcome {
  readonly observation: Observation<AeDiscoveryFacts>;
  /** The open association under the guessed identity; the caller must release it. */
  readonly accepted: {
    readonly identity: DicomIdentity;
    readonly association: Association;
    /** The accepting attempt's association observation (contexts, acceptor, timings). */
    readonly associate: Observation<AssociateFacts>;
  } | null;
}

/** Whether a refusal is one that discovery can search past (source 1, reason 3 or 7, either result). */
export function discoverable(reject: { readonly source: number; readonly reason: number } | null): boolean {
  return (
    reject !== null &&
    reject.source === 1 &&
    (reject.reason === REASON_CALLED_AE_NOT_RECOGNIZED || reject.reason === REASON_CALLING_AE_NOT_RECOGNIZED)
  );
}

// ---------------------------------------------------------------------------------------------
// per-host pace: the start of the last association request to each host, shared by every
// discovery in this process, so concurrent discoveries against one host do not add up.

const lastStart = new Map<string, number>();

function markStart(host: string): void {
  const now = performance.now();
  if (lastStart.size > 4096) for (const [h, t] of lastStart) if (now - t > MAX_PACE_MS) lastStart.delete(h);
  lastStart.set(host, Math.max(now, lastStart.get(host) ?? 0));
}

/**
 * Waits until paceMs have passed since the host's last request start, then marks this start. The
 * check repeats after each wake-up (a late timer or a concurrent discovery may have started one).
 * The timer is not unref'd on purpose: with nothing else pending (the refused socket is closed)
 * an unref'd timer lets Node exit mid-scan; it is bounded and cancellable through the signal.
 */
async function paced(host: string, paceMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  for (;;) {
    if (signal?.aborted) return false;
    const waitMs = (lastStart.get(host) ?? -Infinity) + paceMs - performance.now();
    if (waitMs <= 0) {
      markStart(host);
      return true;
    }
    try {
      await sleep(Math.ceil(waitMs), undefined, signal ? { signal } : undefined);
    } catch {
      return false;
    }
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number.isFinite(v) ? Math.floor(v) : lo));
}

export async function discoverAeTitles(
  ctx: ProbeContext,
  ep: Endpoint,
  identity: DicomIdentity,
  reject: { readonly result?: number; readonly source: number; readonly reason: number },
  opts: AeDiscoveryOptions,
): Promise<AeDiscoveryOutcome> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const maxAttempts = clamp(opts.maxAttempts, 0, MAX_ATTEMPTS_CEILING);
  const paceMs = clamp(opts.paceMs, MIN_PACE_MS, MAX_PACE_MS);
  const lists = {
    called: candidateTitles('called', { productHint: opts.productHint, exclude: [identity.calledAe], db: opts.titles }),
    calling: candidateTitles('calling', {
      productHint: opts.productHint,
      exclude: [identity.callingAe],
      db: opts.titles,
    }),
  };
  // The refused request counts as the previous attempt: the first guess waits one pace.
  markStart(ep.host);

  let phase: 'called' | 'calling' = reject.reason === REASON_CALLED_AE_NOT_RECOGNIZED ? 'called' : 'calling';
  let calledAe = identity.calledAe;
  const callingAe = identity.callingAe;
  let attempts = 0;
  const tried = new Set<string>();
  let recognisedCalledAe: string | null = null;
  let lastReject: AeDiscoveryFacts['lastReject'] = null;
  let lastStatus: string | null = null;
  let accepted: AeDiscoveryOutcome['accepted'] = null;
  let stop: AeDiscoveryStop | null = !discoverable(reject)
    ? 'other-reject'
    : phase === 'calling' && opts.guessCalling !== true
      ? 'calling-guess-disabled'
      : null;
  if (stop) lastReject = { result: reject.result ?? 1, source: reject.source, reason: reject.reason };

  while (stop === null) {
    if (attempts >= maxAttempts) {
      stop = 'max-attempts';
      break;
    }
    const title = lists[phase].shift();
    if (title === undefined) {
      stop = 'list-exhausted';
      break;
    }
    if (!(await paced(ep.host, paceMs, opts.signal))) {
      stop = 'cancelled';
      break;
    }
    const attempt: DicomIdentity = phase === 'called' ? { calledAe: title, callingAe } : { calledAe, callingAe: title };
    tried.add(`${phase}:${title}`);
    attempts++;
    const { observation, association } = await probeAssociate(ctx, ep, attempt);
    auditProbe(ctx, ep, { ...observation, probe: 'dicom.ae-discovery' }, attempt);
    lastStatus = observation.status;
    if (association) {
      accepted = { identity: attempt, association, associate: observation };
      if (phase === 'called') recognisedCalledAe = title;
      stop = 'accepted';
      break;
    }
    const f = observation.facts;
    const rj = f?.reject ?? null;
    if (rj) {
      const searched = phase === 'called' ? REASON_CALLED_AE_NOT_RECOGNIZED : REASON_CALLING_AE_NOT_RECOGNIZED;
      if (rj.source === 1 && rj.reason === searched) continue;
      if (phase === 'called' && rj.source === 1 && rj.reason === REASON_CALLING_AE_NOT_RECOGNIZED) {
        // The called title passed; now the calling title is what is refused.
        recognisedCalledAe = title;
        calledAe = title;
        if (opts.guessCalling !== true) {
          lastReject = rj;
          stop = 'calling-guess-disabled';
          break;
        }
        phase = 'calling';
        continue;
      }
      lastReject = rj;
      stop = 'other-reject';
    } else if (f?.abort) {
      stop = 'aborted';
    } else {
      stop = 'connection-failed';
    }
  }

  ctx.log.log('debug', safe('ae-discovery'), {
    host: safe(ep.host),
    port: ep.port,
    attempts,
    stoppedBecause: safe(stop),
  });
  const facts: AeDiscoveryFacts = {
    trigger: { result: reject.result ?? 1, source: reject.source, reason: reject.reason },
    attempts,
    titlesTried: tried.size,
    acceptedCalledAe: accepted?.identity.calledAe ?? null,
    acceptedCallingAe: accepted?.identity.callingAe ?? null,
    recognisedCalledAe,
    guessed: true,
    stoppedBecause: stop,
    lastReject,
    lastStatus,
  };
  // A finished search is a success whatever it found; why it stopped is in the facts.
  const observation: Observation<AeDiscoveryFacts> = {
    probe: 'dicom.ae-discovery',
    status: 'success',
    startedAt,
    durationMs: round(performance.now() - t0),
    detail: null,
    facts,
  };
  return { observation, accepted };
}
