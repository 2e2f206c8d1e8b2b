/**
 * The risk score (src/knowledge/risk-model.json, docs/risk-model.md): additive points per factor,
 * each capped, the total capped to 0-100, every contributing factor returned as a reason. Every
 * factor is a non-decreasing function of the exposure facts, so adding exposure never lowers the
 * score (a property test holds it to that).
 */
import { readFileSync } from 'node:fs';
import { Checker, SEVERITIES, readJson, type Severity } from '../knowledge/schema.ts';
import { EXPOSURE_LEVELS } from '../scan/exposure.ts';
import type { AssessInput } from './input.ts';

const FILE = 'risk-model.json';

export interface Reason {
  readonly factor: string;
  readonly points: number;
  readonly why: string;
}

interface Decade {
  readonly pointsPerDecade: number;
  readonly max: number;
}

export interface RiskModel {
  readonly version: 1;
  readonly exposureBase: Readonly<Record<string, number>>;
  readonly records: { readonly patients: Decade; readonly studies: Decade };
  readonly phi: {
    readonly identifying: readonly string[];
    readonly identifyingPoints: number;
    readonly otherPoints: number;
    readonly max: number;
  };
  readonly transport: {
    readonly plaintextWithPhi: number;
    readonly plaintextAccepted: number;
    readonly tlsWeak: number;
  };
  readonly guessedAe: number;
  readonly store: number;
  readonly retrieveProven: number;
  readonly moveAttempted: number;
  readonly cves: {
    readonly bySeverity: Readonly<Record<Severity, number>>;
    readonly perAdditional: number;
    readonly max: number;
  };
  readonly web: {
    readonly restUnauthenticated: number;
    readonly dicomwebUnauthenticated: number;
    readonly defaultCredentials: number;
    readonly viewer: number;
    readonly max: number;
  };
  readonly facility: {
    readonly restShare: number;
    readonly decay: number;
    readonly topContributors: number;
    readonly reasonsPerContributor: number;
  };
}

/** Validates risk model data; every number is non-negative so that every factor only adds. */
export function parseRiskModel(raw: unknown): RiskModel {
  const c = new Checker(FILE, 'top level');
  const top = c.obj(raw, 'document', [
    'version',
    'description',
    'exposureBase',
    'records',
    'phi',
    'transport',
    'guessedAe',
    'store',
    'retrieveProven',
    'moveAttempted',
    'cves',
    'web',
    'facility',
  ]);
  if (top.version !== 1) c.fail(`version must be 1, found ${JSON.stringify(top.version)}`);
  const pts = (v: unknown, what: string): number => c.num(v, what, 0, 100);
  const levels = [...EXPOSURE_LEVELS, 'none'];
  const eb = c.obj(top.exposureBase, 'exposureBase', levels);
  const exposureBase = Object.fromEntries(levels.map((l) => [l, pts(eb[l], `exposureBase.${l}`)]));
  // Worse levels must not score lower: the base is monotone in exposure.
  for (let i = 1; i < levels.length; i++) {
    const worse = levels[i - 1] as string;
    const better = levels[i] as string;
    if ((exposureBase[worse] as number) < (exposureBase[better] as number))
      c.fail(`exposureBase.${worse} must be >= exposureBase.${better}`);
  }
  const rec = c.obj(top.records, 'records', ['patients', 'studies']);
  const decade = (v: unknown, what: string): Decade => {
    const o = c.obj(v, what, ['pointsPerDecade', 'max']);
    return { pointsPerDecade: pts(o.pointsPerDecade, `${what}.pointsPerDecade`), max: pts(o.max, `${what}.max`) };
  };
  const phi = c.obj(top.phi, 'phi', ['identifying', 'identifyingPoints', 'otherPoints', 'max']);
  const tr = c.obj(top.transport, 'transport', ['plaintextWithPhi', 'plaintextAccepted', 'tlsWeak']);
  if ((tr.plaintextWithPhi as number) < (tr.plaintextAccepted as number))
    c.fail('transport.plaintextWithPhi must be >= transport.plaintextAccepted');
  const cv = c.obj(top.cves, 'cves', ['bySeverity', 'perAdditional', 'max']);
  const bs = c.obj(cv.bySeverity, 'cves.bySeverity', SEVERITIES);
  const web = c.obj(top.web, 'web', [
    'restUnauthenticated',
    'dicomwebUnauthenticated',
    'defaultCredentials',
    'viewer',
    'max',
  ]);
  const fac = c.obj(top.facility, 'facility', ['restShare', 'decay', 'topContributors', 'reasonsPerContributor']);
  return {
    version: 1,
    exposureBase,
    records: { patients: decade(rec.patients, 'records.patients'), studies: decade(rec.studies, 'records.studies') },
    phi: {
      identifying: c.strs(phi.identifying, 'phi.identifying'),
      identifyingPoints: pts(phi.identifyingPoints, 'phi.identifyingPoints'),
      otherPoints: pts(phi.otherPoints, 'phi.otherPoints'),
      max: pts(phi.max, 'phi.max'),
    },
    transport: {
      plaintextWithPhi: pts(tr.plaintextWithPhi, 'transport.plaintextWithPhi'),
      plaintextAccepted: pts(tr.plaintextAccepted, 'transport.plaintextAccepted'),
      tlsWeak: pts(tr.tlsWeak, 'transport.tlsWeak'),
    },
    guessedAe: pts(top.guessedAe, 'guessedAe'),
    store: pts(top.store, 'store'),
    retrieveProven: pts(top.retrieveProven, 'retrieveProven'),
    moveAttempted: pts(top.moveAttempted, 'moveAttempted'),
    cves: {
      bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, pts(bs[s], `cves.bySeverity.${s}`)])) as Record<
        Severity,
        number
      >,
      perAdditional: pts(cv.perAdditional, 'cves.perAdditional'),
      max: pts(cv.max, 'cves.max'),
    },
    web: {
      restUnauthenticated: pts(web.restUnauthenticated, 'web.restUnauthenticated'),
      dicomwebUnauthenticated: pts(web.dicomwebUnauthenticated, 'web.dicomwebUnauthenticated'),
      defaultCredentials: pts(web.defaultCredentials, 'web.defaultCredentials'),
      viewer: pts(web.viewer, 'web.viewer'),
      max: pts(web.max, 'web.max'),
    },
    facility: {
      restShare: c.num(fac.restShare, 'facility.restShare', 0, 1),
      decay: c.num(fac.decay, 'facility.decay', 0, 1),
      topContributors: c.num(fac.topContributors, 'facility.topContributors', 1, 100),
      reasonsPerContributor: c.num(fac.reasonsPerContributor, 'facility.reasonsPerContributor', 1, 100),
    },
  };
}

export function loadRiskModel(url: URL = new URL('../knowledge/risk-model.json', import.meta.url)): RiskModel {
  return parseRiskModel(readJson(url, FILE, (u) => readFileSync(u, 'utf8')));
}

let cached: RiskModel | null = null;

export function riskModel(): RiskModel {
  cached ??= loadRiskModel();
  return cached;
}

// ---------------------------------------------------------------------------------------------
// scoring

const round1 = (x: number): number => Math.round(x * 10) / 10;

function decades(n: number, d: Decade): number {
  return round1(Math.min(d.max, d.pointsPerDecade * Math.log10(1 + Math.max(0, n))));
}

export interface RiskContext {
  /** Severities of the matched product CVE rules. */
  readonly cveSeverities: readonly Severity[];
  /** A suspected honeypot: its records and personal data do not count. */
  readonly honeypot: boolean;
}

const SEV_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** The endpoint score and its reasons (only factors that gave points, plus honeypot notes). */
export function scoreEndpoint(
  input: AssessInput,
  ctx: RiskContext,
  m: RiskModel = riskModel(),
): { score: number; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const add = (factor: string, points: number, why: string): void => {
    if (points > 0) reasons.push({ factor, points: round1(points), why });
  };

  const level = input.exposure.level;
  add('exposure', m.exposureBase[level] ?? 0, `worst exposure level: ${level}`);

  // Records reachable by any route: DICOM query answers or the web API.
  const patients = Math.max(
    input.query.allowed ? (input.query.patients ?? 0) : 0,
    input.web?.orthancRest?.unauthenticated ? (input.web.orthancRest.patients ?? 0) : 0,
  );
  const studies = Math.max(
    input.query.allowed ? (input.query.studies ?? 0) : 0,
    input.web?.orthancRest?.unauthenticated ? (input.web.orthancRest.studies ?? 0) : 0,
    input.web?.dicomweb?.qidoUnauthenticated ? (input.web.dicomweb.studies ?? 0) : 0,
  );
  const phiSeen = new Set<string>([
    ...(input.query.allowed ? input.query.phiCategories : []),
    ...(input.web?.dicomweb?.qidoUnauthenticated ? input.web.dicomweb.phiCategories : []),
  ]);
  if (ctx.honeypot) {
    reasons.push({ factor: 'honeypot', points: 0, why: 'suspected honeypot: records and personal data not counted' });
  } else {
    const capped = input.query.capped ? ' (at least; the count was capped)' : '';
    add('records.patients', decades(patients, m.records.patients), `${patients} patients reachable${capped}`);
    add('records.studies', decades(studies, m.records.studies), `${studies} studies reachable${capped}`);
    let phiPts = 0;
    for (const cat of phiSeen) phiPts += m.phi.identifying.includes(cat) ? m.phi.identifyingPoints : m.phi.otherPoints;
    add('phi', Math.min(m.phi.max, phiPts), `personal data categories present: ${[...phiSeen].sort().join(', ')}`);
  }

  if (input.association.accepted && !input.transport.tls) {
    const withPhi = phiSeen.size > 0 && !ctx.honeypot;
    add(
      'transport.plaintext',
      withPhi ? m.transport.plaintextWithPhi : m.transport.plaintextAccepted,
      withPhi ? 'personal data answered over plaintext DICOM' : 'association accepted over plaintext DICOM',
    );
  }
  const t = input.transport;
  if (
    t.tls &&
    (t.selfSigned === true || t.expired === true || ['SSLv3', 'TLSv1', 'TLSv1.1'].includes(t.protocol ?? ''))
  )
    add('transport.tls-weak', m.transport.tlsWeak, 'TLS with a self-signed or expired certificate or an old protocol');

  if (input.aeDiscovery?.guessed && input.aeDiscovery.accepted)
    add('ae.guessed', m.guessedAe, `accepted the default called AE title ${input.aeDiscovery.accepted.calledAe}`);
  if (input.association.accepted && input.services.store)
    add('store', m.store, 'storage accepted from a stranger (data injection)');
  if (input.retrieve?.get?.instanceReceived) add('retrieve.proven', m.retrieveProven, 'a C-GET returned an image');
  if (input.retrieve?.move?.meaning === 'attempted')
    add('retrieve.move', m.moveAttempted, 'C-MOVE to an unknown destination was attempted');

  if (ctx.cveSeverities.length > 0) {
    const worst = SEV_ORDER.find((s) => ctx.cveSeverities.includes(s)) as Severity;
    const pts = Math.min(m.cves.max, m.cves.bySeverity[worst] + m.cves.perAdditional * (ctx.cveSeverities.length - 1));
    add('cves', pts, `${ctx.cveSeverities.length} known CVE(s) for the announced version, worst ${worst}`);
  }

  const w = input.web;
  if (w) {
    let webPts = 0;
    const what: string[] = [];
    const part = (on: boolean | undefined, p: number, why: string): void => {
      if (!on) return;
      webPts += p;
      what.push(why);
    };
    part(w.orthancRest?.unauthenticated, m.web.restUnauthenticated, 'REST API without authentication');
    part(w.dicomweb?.qidoUnauthenticated, m.web.dicomwebUnauthenticated, 'DICOMweb without authentication');
    part(w.defaultCredentials?.worked, m.web.defaultCredentials, 'default credentials accepted');
    part(w.viewer?.detected, m.web.viewer, 'web viewer exposed');
    add('web', Math.min(m.web.max, webPts), what.join('; '));
  }

  const total = reasons.reduce((s, r) => s + r.points, 0);
  reasons.sort((a, b) => b.points - a.points);
  return { score: Math.max(0, Math.min(100, Math.round(total))), reasons };
}
