/**
 * The products the lab impersonates, from products.json (validated by lab-data.ts). What each
 * one announces in its A-ASSOCIATE-AC (the Implementation Class UID and Version Name) is taken
 * from the test vectors ("examples") of src/knowledge/fingerprints.json, never typed in twice:
 * the lab then announces exactly what the knowledge base says that product announces, and the
 * ground truth records what the fingerprint matcher is documented to answer for it (e.g. Orthanc
 * shows up as DCMTK, because it announces DCMTK's own values).
 */
import { fingerprints, type FingerprintDb } from '../knowledge/fingerprints.ts';
import { loadProducts, type ProductDef } from './lab-data.ts';

export type { ProductDef, ProductEntry } from './lab-data.ts';

export interface ProductIdentity {
  readonly classUid: string | null;
  readonly versionName: string | null;
  /** What pacsmap's fingerprint matcher is documented (by that example) to answer. */
  readonly expected: { readonly name: string; readonly version: string | null };
}

/** The entries without their `source` (documentation of the file): behaviours carry the product as before. */
export const PRODUCTS: readonly ProductDef[] = loadProducts().map(({ source: _source, ...p }) => p);

const BY_ID: ReadonlyMap<string, ProductDef> = new Map(PRODUCTS.map((p) => [p.id, p]));

export function product(id: string): ProductDef {
  const p = BY_ID.get(id);
  if (!p) throw new Error(`lab: unknown product ${id}`);
  return p;
}

/**
 * What a product announces and what the fingerprint matcher is documented to answer, from
 * fingerprints.json. Throws if the knowledge base lost the example (the lab must then be fixed).
 */
export function productIdentity(p: ProductDef, db: FingerprintDb = fingerprints()): ProductIdentity {
  const f = db.fingerprints.find((x) => x.id === p.fingerprintId);
  const ex = f?.examples[p.example];
  if (!f || !ex) throw new Error(`lab: fingerprints.json has no example ${p.example} for "${p.fingerprintId}"`);
  return {
    classUid: ex.classUid ?? null,
    versionName: ex.versionName ?? null,
    expected: { name: ex.expect.name, version: ex.expect.version },
  };
}
