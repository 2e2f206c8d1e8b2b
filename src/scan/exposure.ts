/**
 * Exposure levels of an endpoint, worst first (DESIGN.md): confidentiality before integrity,
 * since the breach pacsmap exists for is a read breach. An endpoint can be at several levels;
 * its exposure is the worst one present.
 */
export const EXPOSURE_LEVELS = ['retrievable', 'queryable', 'writable', 'associable', 'identified'] as const;
export type ExposureLevel = (typeof EXPOSURE_LEVELS)[number];
export type Exposure = ExposureLevel | 'none';

/**
 * Levels at which an endpoint counts as exposed in every figure pacsmap reports: a stranger's
 * association is accepted. `identified` (speaks DICOM, refuses strangers) is found, not exposed.
 */
export const EXPOSED_LEVELS: readonly ExposureLevel[] = ['retrievable', 'queryable', 'writable', 'associable'];

export function isExposed(exposure: string): boolean {
  return (EXPOSED_LEVELS as readonly string[]).includes(exposure);
}

export interface ExposureEvidence {
  /** Valid DICOM upper-layer answers came back (AC, RJ or A-ABORT). */
  readonly spokeDicom: boolean;
  /** The stranger's association was accepted. */
  readonly associationAccepted: boolean;
  /** A C-FIND from the stranger completed and answered. */
  readonly queryAllowed: boolean;
  /** Storage contexts accepted for the stranger. */
  readonly storeOffered: boolean;
  /** Q/R GET contexts accepted for the stranger (images come back on the same association). */
  readonly getOffered: boolean;
  /**
   * The retrieval proof (`--depth retrieve`): true when images left the archive, false when it
   * refused them; null when it did not run (then negotiation decides).
   */
  readonly retrieveProven?: boolean | null;
}

/**
 * Which levels the evidence supports. From negotiation alone, `retrievable` means the stranger
 * could query and the archive accepted C-GET, which returns images on the stranger's own
 * association; C-MOVE needs a destination the archive knows, so it alone does not count here.
 */
export function exposureLevels(e: ExposureEvidence): ExposureLevel[] {
  const levels: ExposureLevel[] = [];
  const retrievable = e.retrieveProven === true || (e.retrieveProven == null && e.queryAllowed && e.getOffered);
  if (e.associationAccepted && retrievable) levels.push('retrievable');
  if (e.associationAccepted && e.queryAllowed) levels.push('queryable');
  if (e.associationAccepted && e.storeOffered) levels.push('writable');
  if (e.associationAccepted) levels.push('associable');
  if (e.spokeDicom) levels.push('identified');
  return levels;
}

export function worstExposure(levels: readonly ExposureLevel[]): Exposure {
  for (const l of EXPOSURE_LEVELS) if (levels.includes(l)) return l;
  return 'none';
}
