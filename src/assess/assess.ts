/**
 * The assess step: facts about an endpoint (AssessInput) → findings from the catalogue, a risk
 * score with its reasons, and whether its records count as patient exposure (not for a suspected
 * honeypot). Pure: the knowledge is loaded once by the loaders (cached) or handed in.
 *
 * Evidence holds only facts from AssessInput (counts, booleans, category names, protocol values)
 * and knowledge ids: never a patient value, since AssessInput cannot hold one.
 */
import { cves as defaultCves, matchProductCves, type CveDb, type Cvss, type VersionRange } from '../knowledge/cves.ts';
import { findings as defaultFindings, type FindingDef, type FindingsDb } from '../knowledge/findings.ts';
import { honeypots as defaultHoneypots, type HoneypotDb } from '../knowledge/honeypots.ts';
import { conditionPaths, severityRank, type Severity } from '../knowledge/schema.ts';
import { EXPOSURE_LEVELS, type Exposure } from '../scan/exposure.ts';
import { evaluate, factAt } from './condition.ts';
import type { AssessInput, DerivedFacts } from './input.ts';
import { riskModel as defaultRiskModel, scoreEndpoint, type Reason, type RiskModel } from './risk.ts';

export interface Knowledge {
  readonly cves: CveDb;
  readonly findings: FindingsDb;
  readonly honeypots: HoneypotDb;
  readonly risk: RiskModel;
}

/** The bundled knowledge files, each validated and cached by its loader. */
export function defaultKnowledge(): Knowledge {
  return { cves: defaultCves(), findings: defaultFindings(), honeypots: defaultHoneypots(), risk: defaultRiskModel() };
}

export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  /** Which facts triggered it (path → value); never patient values. */
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly remediation: readonly string[];
  readonly references: readonly string[];
  /** For known-vulnerable-version: the matched CVE rule. */
  readonly cve?: {
    readonly id: string;
    readonly cvss: Cvss | null;
    readonly range: VersionRange;
    readonly summary: string;
  };
}

export interface HoneypotVerdict {
  readonly suspected: boolean;
  readonly ids: readonly string[];
  /** Tells that held, with their strength. */
  readonly tells: readonly {
    readonly honeypot: string;
    readonly tell: string;
    readonly strength: 'strong' | 'supporting';
  }[];
}

export interface EndpointAssessment {
  readonly host: string;
  readonly port: number;
  readonly exposure: Exposure;
  readonly findings: readonly Finding[];
  readonly score: number;
  readonly reasons: readonly Reason[];
  /** False for a suspected honeypot: its records are not patient exposure. */
  readonly countsAsExposure: boolean;
  /** Patients reachable, counted only when countsAsExposure. */
  readonly patientsExposed: number;
  readonly honeypot: HoneypotVerdict;
  /** E.g. "version unknown: 17 DCMTK CVE rule(s) not evaluated". */
  readonly notes: readonly string[];
}

export function judgeHoneypot(input: AssessInput, db: HoneypotDb): HoneypotVerdict {
  const tells: { honeypot: string; tell: string; strength: 'strong' | 'supporting' }[] = [];
  const ids: string[] = [];
  for (const h of db.honeypots) {
    const held = h.tells.filter((t) => evaluate(t.when, input));
    for (const t of held) tells.push({ honeypot: h.id, tell: t.id, strength: t.strength });
    const strong = held.filter((t) => t.strength === 'strong').length;
    const supporting = held.filter((t) => t.strength === 'supporting');
    const identityOk = !db.decision.identityRequired || supporting.some((t) => t.aspect === 'identity');
    if (strong >= db.decision.strong || (supporting.length >= db.decision.supporting && identityOk)) ids.push(h.id);
  }
  return { suspected: ids.length > 0, ids, tells };
}

function severityFor(def: FindingDef, facts: unknown): Severity {
  for (const r of def.severityRules) if (evaluate(r.when, facts)) return r.severity;
  return def.severity;
}

function evidenceOf(def: FindingDef, facts: unknown): Record<string, unknown> {
  const ev: Record<string, unknown> = {};
  for (const p of [...conditionPaths(def.trigger), ...def.evidence]) {
    const v = factAt(facts, p);
    if (v !== undefined) ev[p] = v;
  }
  return ev;
}

export function assessEndpoint(input: AssessInput, knowledge: Knowledge = defaultKnowledge()): EndpointAssessment {
  const notes: string[] = [];
  const product = matchProductCves(input.product?.name, input.product?.version, knowledge.cves);
  if (product.note) notes.push(product.note);
  const protocolCves = knowledge.cves.rules
    .filter((r) => r.kind === 'protocol' && evaluate(r.when, input))
    .map((r) => r.id);
  const honeypot = judgeHoneypot(input, knowledge.honeypots);
  const cveSeverities = product.matches.map((m) => m.rule.severity);
  const derived: DerivedFacts = {
    cveMatches: product.matches.length,
    maxCveSeverity: cveSeverities.length
      ? [...cveSeverities].sort((a, b) => severityRank(b) - severityRank(a))[0]!
      : null,
    versionKnown: !!input.product?.version,
    honeypotSuspected: honeypot.suspected,
    honeypotIds: honeypot.ids,
    protocolCves,
  };
  const facts = { ...input, derived };

  const out: Finding[] = [];
  for (const def of knowledge.findings.findings) {
    if (!evaluate(def.trigger, facts)) continue;
    const evidence = evidenceOf(def, facts);
    if (def.perMatch === 'product-cve') {
      for (const m of product.matches) {
        out.push({
          id: def.id,
          severity: m.rule.severity,
          title: `${def.title}: ${m.rule.id}`,
          evidence: { ...evidence, cve: m.rule.id, affected: m.range },
          remediation: def.remediation,
          references: [...m.rule.references, ...def.references],
          cve: { id: m.rule.id, cvss: m.rule.cvss, range: m.range, summary: m.rule.summary },
        });
      }
      continue;
    }
    const related = def.relatedCves.filter((id) => protocolCves.includes(id));
    out.push({
      id: def.id,
      severity: severityFor(def, facts),
      title: def.title,
      evidence: related.length ? { ...evidence, relatedCves: related } : evidence,
      remediation: def.remediation,
      references: def.references,
    });
  }
  out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity));

  const { score, reasons } = scoreEndpoint(input, { cveSeverities, honeypot: honeypot.suspected }, knowledge.risk);
  const countsAsExposure = !honeypot.suspected;
  const patients = Math.max(
    input.query.allowed ? (input.query.patients ?? 0) : 0,
    input.web?.orthancRest?.unauthenticated ? (input.web.orthancRest.patients ?? 0) : 0,
  );
  return {
    host: input.endpoint.host,
    port: input.endpoint.port,
    exposure: input.exposure.level,
    findings: out,
    score,
    reasons,
    countsAsExposure,
    patientsExposed: countsAsExposure ? patients : 0,
    honeypot,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// facility

export interface FacilityAssessment {
  readonly score: number;
  readonly reasons: readonly Reason[];
  readonly endpoints: number;
  /** Endpoints at queryable or worse whose records count (not suspected honeypots). */
  readonly exposedEndpoints: number;
  readonly honeypots: number;
  readonly worstExposure: Exposure;
  /** Sum over counted endpoints: an upper bound, the same patient may sit in two archives. */
  readonly patientsUpperBound: number;
  readonly findingsBySeverity: Readonly<Record<Severity, number>>;
  readonly topContributors: readonly {
    readonly host: string;
    readonly port: number;
    readonly score: number;
    readonly reasons: readonly Reason[];
  }[];
}

/**
 * Facility score = worst endpoint score + restShare × Σ (the others, in descending order,
 * weighted decay^0, decay^1, ...), capped at 100. Non-negative weights that decrease with rank:
 * raising any endpoint's score or adding an endpoint never lowers the facility score.
 */
export function assessFacility(
  assessments: readonly EndpointAssessment[],
  model: RiskModel = defaultRiskModel(),
): FacilityAssessment {
  const f = model.facility;
  const sorted = [...assessments].sort((a, b) => b.score - a.score);
  const reasons: Reason[] = [];
  let total = 0;
  sorted.forEach((a, i) => {
    const w = i === 0 ? 1 : f.restShare * f.decay ** (i - 1);
    total += w * a.score;
  });
  const top = sorted[0];
  if (top)
    reasons.push({ factor: 'worst-endpoint', points: top.score, why: `${top.host}:${top.port} scores ${top.score}` });
  const rest = Math.round((total - (top?.score ?? 0)) * 10) / 10;
  if (rest > 0)
    reasons.push({
      factor: 'other-endpoints',
      points: rest,
      why: `${sorted.length - 1} other endpoint(s), ${f.restShare} of their scores with decay ${f.decay} per rank`,
    });
  const bySev = Object.fromEntries(['info', 'low', 'medium', 'high', 'critical'].map((s) => [s, 0])) as Record<
    Severity,
    number
  >;
  for (const a of assessments) for (const x of a.findings) bySev[x.severity]++;
  let worst: Exposure = 'none';
  for (const l of EXPOSURE_LEVELS) {
    if (assessments.some((a) => a.exposure === l && a.countsAsExposure)) {
      worst = l;
      break;
    }
  }
  const readLevels = new Set<Exposure>(['retrievable', 'queryable']);
  return {
    score: Math.min(100, Math.round(total)),
    reasons,
    endpoints: assessments.length,
    exposedEndpoints: assessments.filter((a) => a.countsAsExposure && readLevels.has(a.exposure)).length,
    honeypots: assessments.filter((a) => !a.countsAsExposure).length,
    worstExposure: worst,
    patientsUpperBound: assessments.reduce((s, a) => s + a.patientsExposed, 0),
    findingsBySeverity: bySev,
    topContributors: sorted.slice(0, f.topContributors).map((a) => ({
      host: a.host,
      port: a.port,
      score: a.score,
      reasons: a.reasons.slice(0, f.reasonsPerContributor),
    })),
  };
}
