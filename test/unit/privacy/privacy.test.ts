import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SaltedDistinctCounter, newScanSalt } from '../../../src/privacy/salted-distinct.ts';
import { notePhiCategories, orderedCategories, hasValue } from '../../../src/privacy/phi-categories.ts';
import { Scope } from '../../../src/scope/scope.ts';

test('distinct counting keeps no identifier', () => {
  const c = new SaltedDistinctCounter(newScanSalt());
  for (const id of ['CNRY1', 'CNRY2', 'CNRY1', 'CNRY3', 'CNRY2']) c.add(id);
  assert.equal(c.size, 3);
  const inside = JSON.stringify([...(c as unknown as { seen: Set<string> }).seen]);
  assert.ok(!inside.includes('CNRY'), 'digests, not values, are held');
});

test('personal-data categories are booleans of presence', () => {
  const present = new Set<string>();
  notePhiCategories(
    { PatientName: [{ Alphabetic: 'CANARY^ZQX' }], PatientBirthDate: '', PatientSex: 'F', StudyDate: '20240101' },
    present,
  );
  assert.deepEqual(orderedCategories(present), ['name', 'sex', 'exam-date']);
  notePhiCategories({ PatientName: '^^^^', AccessionNumber: 'A1', InstitutionName: ['X'] }, present);
  assert.deepEqual(orderedCategories(present), ['name', 'sex', 'exam-date', 'accession-number', 'institution']);
  assert.equal(hasValue('   '), false);
  assert.equal(hasValue([]), false);
  assert.equal(hasValue({ Alphabetic: '' }), false);
});

test('scope allows listed addresses, subnets and ranges minus exclusions', () => {
  const s = new Scope().allow('127.0.0.0/8').allow('::1').exclude('127.0.0.5').allow('10.0.0.1-10.0.0.3');
  assert.equal(s.allows('127.1.2.3'), true);
  assert.equal(s.allows('127.0.0.5'), false);
  assert.equal(s.allows('::1'), true);
  assert.equal(s.allows('10.0.0.2'), true);
  assert.equal(s.allows('10.0.0.4'), false);
  assert.equal(s.allows('192.168.1.1'), false);
  assert.equal(s.allows('localhost'), false, 'names are resolved before the check');
  assert.throws(() => new Scope().allow('10.0.0.0/33'));
  assert.throws(() => new Scope().allow('not-an-address'));
});
