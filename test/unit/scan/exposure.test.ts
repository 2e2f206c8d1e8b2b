import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposureLevels, worstExposure, type ExposureEvidence } from '../../../src/scan/exposure.ts';
import { rejectMeaning } from '../../../src/scan/endpoint-result.ts';

const none: ExposureEvidence = {
  spokeDicom: false,
  associationAccepted: false,
  queryAllowed: false,
  storeOffered: false,
  getOffered: false,
};

test('no DICOM answer is no exposure', () => {
  assert.deepEqual(exposureLevels(none), []);
  assert.equal(worstExposure([]), 'none');
});

test('a rejected association is identified only', () => {
  const l = exposureLevels({ ...none, spokeDicom: true });
  assert.deepEqual(l, ['identified']);
  assert.equal(worstExposure(l), 'identified');
});

test('storage offered to a stranger is writable, below queryable', () => {
  const l = exposureLevels({ ...none, spokeDicom: true, associationAccepted: true, storeOffered: true });
  assert.deepEqual(l, ['writable', 'associable', 'identified']);
  assert.equal(
    worstExposure(
      exposureLevels({ ...none, spokeDicom: true, associationAccepted: true, storeOffered: true, queryAllowed: true }),
    ),
    'queryable',
  );
});

test('C-GET with an answered query is retrievable; C-GET alone is not', () => {
  const all = { spokeDicom: true, associationAccepted: true, queryAllowed: true, storeOffered: true, getOffered: true };
  assert.deepEqual(exposureLevels(all), ['retrievable', 'queryable', 'writable', 'associable', 'identified']);
  assert.equal(worstExposure(exposureLevels({ ...all, queryAllowed: false })), 'writable');
});

test('reject reasons are named per PS3.8 Table 9-21', () => {
  assert.equal(rejectMeaning(1, 3), 'calling AE title not recognized');
  assert.equal(rejectMeaning(1, 7), 'called AE title not recognized');
  assert.equal(rejectMeaning(1, 1), 'no reason given');
  assert.equal(rejectMeaning(2, 2), 'protocol version not supported');
  assert.equal(rejectMeaning(3, 1), 'temporary congestion');
  assert.equal(rejectMeaning(1, 5), 'reserved reason 5');
});
