/**
 * The lab's catalogue of endpoint archetypes (archetypes.json, validated by lab-data.ts) and its
 * interpreter: `buildBehaviour` turns an archetype into a concrete endpoint, drawing the rest
 * (product version, result cap, archive size and content) from the fleet's seeded source.
 *
 * The draw order is part of the contract: product, then the result limit (chance, then choice),
 * then the archive size, then the archive's own fork. Changing it changes every seeded fleet;
 * test/unit/lab/golden.test.ts holds the hashes.
 */
import { Archive } from './archive.ts';
import { loadArchetypes, type AeSpec, type Archetype, type FindSpec } from './lab-data.ts';
import { PRODUCTS, product, productIdentity, type ProductDef } from './products.ts';
import type { Rng } from './random.ts';
import type { AePolicy, DicomBehaviour, FindBehaviour } from './types.ts';

export type { AeSpec, Archetype, FindSpec } from './lab-data.ts';

export const ARCHETYPES: readonly Archetype[] = loadArchetypes(PRODUCTS);

const BY_ID: ReadonlyMap<string, Archetype> = new Map(ARCHETYPES.map((a) => [a.id, a]));

export function archetype(id: string): Archetype {
  const a = BY_ID.get(id);
  if (!a) throw new Error(`lab: unknown archetype ${id}`);
  return a;
}

/** The deck the fleet deals from: each archetype `weight` times. */
export function archetypeDeck(): string[] {
  return ARCHETYPES.flatMap((a) => Array.from({ length: a.weight }, () => a.id));
}

/** The AE policy an archetype gives a product (draws nothing). */
export function aePolicy(spec: AeSpec, p: ProductDef): AePolicy {
  switch (spec.kind) {
    case 'any':
      return { aeTitle: p.defaultAe, checkCalled: false, callingAllowList: null };
    case 'called':
      return { aeTitle: spec.title ?? p.defaultAe, checkCalled: true, callingAllowList: null };
    case 'calling-list':
      return { aeTitle: p.defaultAe, checkCalled: spec.checkCalled, callingAllowList: spec.list };
  }
}

/** The C-FIND behaviour: draws `chance` then (on success) one choice, only when a limit is declared. */
export function findBehaviour(spec: FindSpec, rng: Rng): FindBehaviour {
  return {
    studyRoot: spec.studyRoot,
    patientRoot: spec.patientRoot,
    hierarchical: spec.hierarchical,
    refuseStatus: spec.refuseStatus,
    limit: spec.limit && rng.chance(spec.limit.chance) ? rng.pick(spec.limit.choices) : null,
  };
}

export interface BehaviourContext {
  readonly endpoint: number;
  readonly fleetTag: number;
  /** Upper bound on any archive's study count. */
  readonly maxStudies: number;
}

/** A concrete endpoint behaviour from an archetype (product version, archive and cap drawn from `rng`). */
export function buildBehaviour(a: Archetype, rng: Rng, ctx: BehaviourContext): DicomBehaviour {
  const p = product(rng.pick(a.products));
  const find = a.find ? findBehaviour(a.find, rng) : null;
  const [lo, hi] = a.studies;
  // Archives without counts stay under the scanner's follow-up budget, so their instance totals are exact.
  const cap = a.counts === 'always' ? ctx.maxStudies : Math.min(ctx.maxStudies, 150);
  const studies = Math.min(cap, skewed(rng, lo, hi));
  const archive =
    find !== null || a.get || a.move
      ? new Archive({
          endpoint: ctx.endpoint,
          fleetTag: ctx.fleetTag,
          studies,
          counts: a.counts,
          rng: rng.fork('archive'),
        })
      : null;
  return {
    product: p,
    identity: productIdentity(p),
    ae: aePolicy(a.ae, p),
    echo: a.echo,
    find,
    move: a.move,
    get: a.get,
    store: a.store,
    omitKeywords: a.omitKeywords ?? [],
    archive,
    maxAssociations: a.maxAssociations,
  };
}

/** Most archives small, a few large: lo + (hi-lo)·u³. */
function skewed(rng: Rng, lo: number, hi: number): number {
  const u = rng.float();
  return lo + Math.floor((hi - lo + 1) * u * u * u);
}
