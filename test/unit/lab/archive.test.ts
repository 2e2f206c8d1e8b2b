/** The synthetic archive: consistent totals, UIDs that parse back, PS3.4 matching, fast identifiers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Archive, LAB_CANARIES, responseIdentifier } from '../../../src/lab/archive.ts';
import { encodeIdentifier } from '../../../src/lab/identifier.ts';
import { Rng } from '../../../src/lab/random.ts';
import { encodeDataset } from '../../../src/protocol/dimse/dataset.ts';
import { TransferSyntax } from '../../../src/protocol/dimse/constants.ts';

const archive = (studies = 50, counts: 'always' | 'never' | 'sometimes' = 'always') =>
  new Archive({ endpoint: 12, fleetTag: 77, studies, counts, rng: new Rng('archive-test') });

test('totals agree with the structure; every patient has a study', () => {
  const a = archive(120);
  let instances = 0;
  let series = 0;
  for (let s = 0; s < a.studyCount; s++) {
    series += a.seriesCount(s);
    for (let k = 0; k < a.seriesCount(s); k++) instances += a.instancesOfSeries(s, k);
    assert.equal(
      a.instancesOfStudy(s),
      Array.from({ length: a.seriesCount(s) }, (_, k) => a.instancesOfSeries(s, k)).reduce((x, y) => x + y, 0),
    );
  }
  assert.deepEqual(a.totals, { patients: a.patients, studies: 120, series, instances });
  let owned = 0;
  for (let p = 0; p < a.patients; p++) {
    const list = a.studiesOfPatient(p);
    assert.ok(list.length >= 1);
    for (const s of list) assert.equal(a.studyPatient[s], p);
    owned += list.length;
  }
  assert.equal(owned, 120);
  assert.deepEqual(a.visible(null), { patients: a.patients, studies: 120, instances, capped: false });
  assert.equal(a.visible(10).studies, 10);
  assert.equal(a.visible(10).capped, true);
  assert.equal(a.visible(500).capped, false);
});

test("UIDs are the lab's own, unique, and parse back; foreign UIDs do not", () => {
  const a = archive(20);
  const seen = new Set<string>();
  for (let s = 0; s < a.studyCount; s++) {
    const su = a.studyUid(s);
    assert.ok(su.length <= 64 && /^2\.25\.31337\d+$/.test(su));
    assert.deepEqual(a.parseUid(su), { level: 1, study: s, series: 0, instance: 0 });
    seen.add(su);
    for (let k = 0; k < a.seriesCount(s); k++) {
      assert.deepEqual(a.parseUid(a.seriesUid(s, k)), { level: 2, study: s, series: k, instance: 0 });
      seen.add(a.seriesUid(s, k));
      const last = a.instancesOfSeries(s, k) - 1;
      assert.deepEqual(a.parseUid(a.instanceUid(s, k, last)), { level: 3, study: s, series: k, instance: last });
      assert.equal(a.parseUid(a.instanceUid(s, k, last + 1)), null);
    }
  }
  assert.equal(seen.size, 20 + a.totals.series);
  const other = new Archive({ endpoint: 13, fleetTag: 77, studies: 20, counts: 'always', rng: new Rng('x') });
  assert.equal(a.parseUid(other.studyUid(0)), null, "another endpoint's UID");
  assert.equal(a.parseUid('1.2.3'), null);
  assert.equal(a.parseUid(a.studyUid(0) + '9'), null);
});

test('matching: universal, UID lists, wildcards, date ranges, modality', () => {
  const a = archive(60);
  const count = (level: 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE', keys: Record<string, unknown>) =>
    [...a.match(level, keys)].length;
  assert.equal(count('STUDY', { StudyInstanceUID: '' }), 60);
  assert.equal(count('PATIENT', { PatientID: '' }), a.patients);
  assert.equal(count('SERIES', {}), a.totals.series);
  assert.equal(count('IMAGE', { StudyInstanceUID: a.studyUid(3) }), a.instancesOfStudy(3));
  assert.equal(count('STUDY', { StudyInstanceUID: [a.studyUid(1), a.studyUid(2), a.studyUid(1)] }), 2);
  const pid = a.patientId(0);
  assert.equal(count('STUDY', { PatientID: pid }), a.studiesOfPatient(0).length);
  assert.equal(count('STUDY', { PatientID: `LABPID12-*` }), 60);
  assert.equal(count('STUDY', { PatientID: 'NOBODY*' }), 0);
  assert.equal(count('PATIENT', { PatientName: 'LAB^PATIENT12-?' }), Math.min(10, a.patients));
  const dates = [...a.match('STUDY', {})].map((e) => a.value('StudyDate', 'STUDY', e, '') as string).sort();
  const mid = dates[30]!;
  assert.equal(count('STUDY', { StudyDate: `-${mid}` }), dates.filter((d) => d <= mid).length);
  assert.equal(count('STUDY', { StudyDate: `${mid}-` }), dates.filter((d) => d >= mid).length);
  const mod = a.modality(0, 0);
  assert.equal(
    count('SERIES', { StudyInstanceUID: a.studyUid(0), Modality: mod }),
    [...Array(a.seriesCount(0)).keys()].filter((k) => a.modality(0, k) === mod).length,
  );
});

test('count policies: always, never, sometimes', () => {
  const some = archive(90, 'sometimes');
  const present = Array.from({ length: 90 }, (_, s) => some.hasStudyCount(s)).filter(Boolean).length;
  assert.ok(present > 30 && present < 90, `${present} of 90 studies with counts`);
  const never = archive(5, 'never');
  const e = [...never.match('STUDY', {})][0]!;
  assert.equal(never.value('NumberOfStudyRelatedInstances', 'STUDY', e, ''), undefined);
  const id = responseIdentifier(never, 'STUDY', e, ['NumberOfStudyRelatedInstances', 'PatientName'], {
    aeTitle: 'X',
    charset: false,
  });
  assert.equal(id['NumberOfStudyRelatedInstances'], '', 'asked for and unknown: returned empty');
  assert.ok(String(id['PatientName']).startsWith('LAB^PATIENT'), 'a fake name, a canary');
  assert.ok(LAB_CANARIES.some((c) => String(id['PatientName']).includes(c)));
});

test('the fast identifier encoder writes exactly what encodeDataset writes', () => {
  const a = archive(10);
  const keys = [
    'SpecificCharacterSet',
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'PatientSex',
    'StudyInstanceUID',
    'StudyDate',
    'StudyTime',
    'AccessionNumber',
    'StudyID',
    'StudyDescription',
    'ReferringPhysicianName',
    'InstitutionName',
    'ModalitiesInStudy',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
    'RetrieveAETitle',
    'OtherPatientIDs',
  ];
  for (const e of a.match('STUDY', {})) {
    const id = responseIdentifier(a, 'STUDY', e, keys, { aeTitle: 'ORTHANC', charset: true });
    for (const ts of [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian]) {
      assert.deepEqual(Buffer.from(encodeIdentifier(id, ts)), Buffer.from(encodeDataset(id, ts)));
    }
  }
  // Big endian and deflate go through encodeDataset itself.
  const e = [...a.match('STUDY', {})][0]!;
  const id = responseIdentifier(a, 'STUDY', e, keys, { aeTitle: 'ORTHANC', charset: true });
  for (const ts of [TransferSyntax.ExplicitVRBigEndian, TransferSyntax.DeflatedExplicitVRLittleEndian]) {
    assert.deepEqual(Buffer.from(encodeIdentifier(id, ts)), Buffer.from(encodeDataset(id, ts)));
  }
});
