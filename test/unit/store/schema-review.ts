/**
 * Every column of the schema, reviewed: none is meant for patient data. Adding a column fails the
 * contract suite (on every backend) until it is reviewed and listed here.
 */
export const REVIEWED_COLUMNS: Record<string, string[]> = {
  endpoints: [
    'scan_id',
    'host',
    'port',
    'transport',
    'status',
    'service',
    'exposure',
    'facility_id',
    'result',
    // 0003: counts, flags, category ids, a score and a country code (never a patient value)
    'exposed',
    'honeypot',
    'exposed_records',
    'exposed_exams',
    'exposed_images',
    'counts_capped',
    'data_categories',
    'risk_score',
    'country',
  ],
  facilities: ['id', 'name', 'region', 'country', 'contact_email', 'ranges', 'latitude', 'longitude'],
  findings: ['scan_id', 'host', 'port', 'finding_id', 'severity', 'evidence'],
  observations: ['scan_id', 'host', 'port', 'probe', 'status', 'started_at', 'duration_ms', 'detail', 'facts'],
  scans: ['id', 'created_at', 'started_at', 'finished_at', 'status', 'scope', 'settings', 'cursor'],
  schema_migrations: ['version', 'name', 'applied_at'],
  targets: ['scan_id', 'host', 'port', 'seq', 'state'],
  // 0003: dashboard accounts (operators, not patients); a hash, never a password
  users: ['name', 'role', 'password_hash', 'created_at'],
};

export const PERSONAL =
  /patient|person|birth|dob|sex|gender|accession|physician|referring|study|series|instance|sop|uid|mrn|ssn|phone|address|dataset|pixel/i;

/** What a peer's C-FIND answered, as a probe holds it in memory for a moment (same marker as test/fixtures/studies). */
export const PEER_DATASETS = [
  {
    PatientName: 'CNRYZQX^ALICE',
    PatientID: 'CNRYZQX-0001',
    PatientBirthDate: '19120304',
    AccessionNumber: 'ACC-CNRYZQX-77',
  },
  {
    PatientName: 'CNRYZQX^BOB',
    PatientID: 'CNRYZQX-0002',
    PatientBirthDate: '19150607',
    AccessionNumber: 'ACC-CNRYZQX-78',
  },
];
export const CANARIES = ['CNRYZQX', ...PEER_DATASETS.flatMap((d) => Object.values(d))];
/** A value we do pass to the store, to prove the search sees stored text at all. */
export const POSITIVE_CONTROL = 'PCSMAPPOSITIVECTRL';
