/**
 * Product fingerprints: every entry's own test vectors, then the edges (absent values, padding,
 * unknown UIDs, ambiguity) and the loader's refusal of malformed data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  FingerprintDataError,
  fingerprints,
  identifyProduct,
  parseFingerprints,
  type FingerprintDb,
} from '../../../src/knowledge/fingerprints.ts';

const RAW = JSON.parse(readFileSync(new URL('../../../src/knowledge/fingerprints.json', import.meta.url), 'utf8')) as {
  fingerprints: Array<Record<string, unknown>>;
};

/** A deep copy of the bundled data with one entry changed, for the loader's error paths. */
function withEntry(i: number, change: (e: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(RAW);
  change(copy.fingerprints[i] as Record<string, unknown>);
  return copy;
}

/** A one-entry database for matcher edge cases. */
function db(match: unknown, extra: Record<string, unknown> = {}): FingerprintDb {
  return parseFingerprints({
    version: 1,
    fingerprints: [
      {
        id: 'x',
        product: 'X',
        match,
        source: [{ kind: 'documentation', ref: 'test' }],
        examples: [{ classUid: '1.2.3', expect: { name: 'X', version: null } }],
        ...extra,
      },
    ],
  });
}

const DB = fingerprints();

test('the bundled fingerprints load, and every entry cites a source and has test vectors', () => {
  assert.ok(DB.fingerprints.length >= 10);
  for (const f of DB.fingerprints) {
    assert.ok(f.source.length > 0, `${f.id} has a source`);
    assert.ok(f.examples.length > 0, `${f.id} has examples`);
  }
});

for (const f of DB.fingerprints) {
  test(`fingerprint "${f.id}": every example identifies as expected`, () => {
    let exercised = false;
    for (const [i, e] of f.examples.entries()) {
      const what = `${f.id} examples[${i}] ${JSON.stringify({ classUid: e.classUid, versionName: e.versionName })}`;
      const got = identifyProduct({ classUid: e.classUid, versionName: e.versionName });
      assert.ok(got, `${what}: no match`);
      assert.equal(got.name, e.expect.name, `${what}: name`);
      assert.equal(got.version, e.expect.version, `${what}: version`);
      if (e.expect.confidence) assert.equal(got.confidence, e.expect.confidence, `${what}: confidence`);
      if (e.expect.ambiguousWith)
        assert.deepEqual([...got.ambiguousWith].sort(), [...e.expect.ambiguousWith].sort(), `${what}: ambiguousWith`);
      const ids = got.candidates.map((c) => c.fingerprintId);
      for (const id of e.expect.candidates ?? [])
        assert.ok(ids.includes(id), `${what}: candidate ${id} in ${ids.join(', ')}`);
      if (ids.includes(f.id)) exercised = true;
    }
    assert.ok(exercised, `${f.id}: at least one of its examples matches the entry itself`);
  });
}

test("Debian's DCMTK 3.6.7 and Orthanc 1.10.1 announce the same values; the answer says so", () => {
  const observed = { classUid: '1.2.276.0.7230010.3.0.3.6.7', versionName: 'OFFIS_DCMTK_367' };
  const got = identifyProduct(observed);
  assert.ok(got);
  assert.equal(got.name, 'DCMTK');
  assert.equal(got.version, '3.6.7');
  assert.equal(got.confidence, 'medium', 'lowered from high: two products fit');
  assert.deepEqual(got.ambiguousWith, ['Orthanc']);
  assert.deepEqual(
    got.candidates.map((c) => [c.fingerprintId, c.confidence, c.version]),
    [
      ['dcmtk', 'high', '3.6.7'],
      ['orthanc', 'high', null],
    ],
  );
  // Both observations are recorded as sources.
  const observedRefs = DB.fingerprints.flatMap((f) => f.source.filter((s) => s.kind === 'observed').map((s) => s.ref));
  assert.ok(observedRefs.some((r) => r.includes('dcmtk 3.6.7')));
  assert.ok(observedRefs.some((r) => r.includes('orthanc 1.10.1')));
});

test('nothing given, empty or blank values: null', () => {
  assert.equal(identifyProduct({}), null);
  assert.equal(identifyProduct({ classUid: '', versionName: '' }), null);
  assert.equal(identifyProduct({ classUid: '  ', versionName: '\0' }), null);
  assert.equal(identifyProduct({ classUid: null, versionName: null }), null);
});

test('unknown class UID and unknown version name: null', () => {
  assert.equal(identifyProduct({ classUid: '1.2.3.4.5.6.7' }), null);
  assert.equal(identifyProduct({ classUid: '1.2.3.4.5.6.7', versionName: 'SOMETHING_1' }), null);
  assert.equal(identifyProduct({ versionName: 'SOMETHING_1' }), null);
});

test('absent version name: the class UID alone gives medium confidence and no invented version', () => {
  assert.deepEqual(
    (({ name, version, confidence }) => ({ name, version, confidence }))(
      identifyProduct({ classUid: '1.3.6.1.4.1.30071.8' }) ?? { name: '', version: '', confidence: '' },
    ),
    { name: 'fo-dicom', version: null, confidence: 'medium' },
  );
  const conquest = identifyProduct({ classUid: '1.2.826.0.1.3680043.2.135.1066.101' });
  assert.equal(conquest?.name, 'Conquest DICOM Server');
  assert.equal(conquest?.version, null);
  assert.equal(conquest?.confidence, 'medium');
  // A version carried by the UID itself still comes through.
  const pynetdicom = identifyProduct({ classUid: '1.2.826.0.1.3680043.9.3811.2.0.5' });
  assert.equal(pynetdicom?.version, '2.0.5');
  assert.equal(pynetdicom?.confidence, 'medium');
});

test('absent class UID: the version name alone identifies, at medium confidence', () => {
  const got = identifyProduct({ versionName: 'PYNETDICOM_210' });
  assert.equal(got?.name, 'pynetdicom');
  assert.equal(got?.version, '2.1.0');
  assert.equal(got?.confidence, 'medium');
});

test('values padded as peers pad them (trailing spaces, NULs) still match', () => {
  const got = identifyProduct({ classUid: '1.3.6.1.4.1.30071.8\0', versionName: 'fo-dicom 4.0.8 ' });
  assert.equal(got?.name, 'fo-dicom');
  assert.equal(got?.version, '4.0.8');
  assert.equal(got?.confidence, 'high');
});

test('a contradicting version name lowers confidence to low', () => {
  const got = identifyProduct({ classUid: '1.2.276.0.7230010.3.0.3.6.7', versionName: 'MY_PACS_2' });
  assert.equal(got?.name, 'DCMTK');
  assert.equal(got?.version, '3.6.7', 'the UID still carries the toolkit version');
  assert.equal(got?.confidence, 'low');
});

test('a UID that merely starts like a known one does not match', () => {
  assert.equal(identifyProduct({ classUid: '1.3.6.1.4.1.30071.80' }), null);
  assert.equal(identifyProduct({ classUid: '1.2.276.0.7230010.3.0.3.6.7.1' })?.fingerprintId ?? null, null);
});

test('prefix rules match the root and what is under it, not a longer arc', () => {
  const d = db({ classUid: { prefix: '1.2.3' } });
  assert.equal(identifyProduct({ classUid: '1.2.3' }, d)?.name, 'X');
  assert.equal(identifyProduct({ classUid: '1.2.3.99.1' }, d)?.name, 'X');
  assert.equal(identifyProduct({ classUid: '1.2.34' }, d), null);
});

test('the loader refuses malformed data and names the bad entry', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not an object', 42, /top level: document must be an object/],
    ['wrong version', { version: 2, fingerprints: RAW.fingerprints }, /version must be 1/],
    ['no fingerprints', { version: 1, fingerprints: [] }, /fingerprints must not be empty/],
    [
      'missing source',
      withEntry(2, (e) => delete e.source),
      /fingerprints\[2\] \(id "horos-osirix"\): source must be an array/,
    ],
    ['empty examples', withEntry(3, (e) => (e.examples = [])), /\(id "conquest"\): examples must not be empty/],
    [
      'bad regex',
      withEntry(0, (e) => ((e.match as Record<string, unknown>).versionName = { regex: '^OFFIS_(DCMTK$' })),
      /\(id "dcmtk"\): match\.versionName\.regex is not a valid regular expression/,
    ],
    [
      'unanchored regex',
      withEntry(0, (e) => ((e.match as Record<string, unknown>).versionName = { regex: 'OFFIS' })),
      /must be anchored/,
    ],
    [
      'invalid UID',
      withEntry(4, (e) => ((e.match as Record<string, unknown>).classUid = { exact: ['1.2.040'] })),
      /\(id "dcm4che"\): match\.classUid\.exact\[0\] is not a valid UID/,
    ],
    [
      'two UID rules',
      withEntry(4, (e) => ((e.match as Record<string, unknown>).classUid = { exact: ['1.2'], prefix: '1.2' })),
      /exactly one of exact, prefix, regex/,
    ],
    [
      'unknown key',
      withEntry(5, (e) => (e.prodcut = 'typo')),
      /\(id "dcm4che-legacy"\): entry has unknown key "prodcut"/,
    ],
    ['no match rules', withEntry(6, (e) => (e.match = {})), /\(id "pynetdicom"\): match needs classUid or versionName/],
    [
      'bad source kind',
      withEntry(7, (e) => (e.source = [{ kind: 'rumour', ref: 'x' }])),
      /\(id "fo-dicom"\): source\[0\]\.kind must be one of/,
    ],
    ['bad id', withEntry(8, (e) => (e.id = 'Clear Canvas')), /id must match/],
    ['duplicate id', withEntry(1, (e) => (e.id = 'dcmtk')), /duplicate id "dcmtk"/],
    [
      'dangling ambiguousWith',
      withEntry(0, (e) => (e.ambiguousWith = ['nope'])),
      /id "dcmtk": ambiguousWith names unknown id "nope"/,
    ],
    [
      'example with no input',
      withEntry(9, (e) => (e.examples = [{ expect: { name: 'GDCM', version: null } }])),
      /\(id "gdcm"\): examples\[0\] needs classUid or versionName/,
    ],
    [
      'missing product',
      withEntry(10, (e) => delete e.product),
      /\(id "dcmjs-dimse"\): product must be a non-empty string/,
    ],
  ];
  for (const [what, data, message] of cases) {
    assert.throws(
      () => parseFingerprints(data),
      (e: unknown) => e instanceof FingerprintDataError && message.test(e.message),
      what,
    );
  }
});
