/** The condition interpreter: each operator, absent facts, and composition. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, factAt } from '../../../src/assess/condition.ts';
import { Checker, parseCondition, type Condition } from '../../../src/knowledge/schema.ts';
import { closedDoor, overlay } from './helpers.ts';

const c = new Checker('test', 'condition');
const cond = (v: unknown): Condition => parseCondition(c, v, 'when');
const facts = overlay(closedDoor(), {
  query: { allowed: true, patients: 10, studies: null, phiCategories: ['name', 'sex'], phiCategoryCount: 2 },
  product: { name: 'DCMTK', version: '3.6.7', confidence: 'medium', ambiguousWith: [] },
});

test('factAt walks dotted paths; missing and null are undefined', () => {
  assert.equal(factAt(facts, 'query.patients'), 10);
  assert.equal(factAt(facts, 'query.studies'), undefined);
  assert.equal(factAt(facts, 'web.viewer.detected'), undefined);
  assert.equal(factAt(facts, 'aeDiscovery.accepted.calledAe'), undefined);
});

test('comparisons', () => {
  assert.equal(evaluate(cond({ path: 'query.patients', gt: 9 }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.patients', gt: 10 }), facts), false);
  assert.equal(evaluate(cond({ path: 'query.patients', gte: 10 }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.patients', lt: 11 }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.patients', lte: 9 }), facts), false);
  assert.equal(evaluate(cond({ path: 'query.allowed', eq: true }), facts), true);
  assert.equal(evaluate(cond({ path: 'product.name', ne: 'Orthanc' }), facts), true);
  assert.equal(evaluate(cond({ path: 'product.version', in: ['3.6.6', '3.6.7'] }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.phiCategories', includes: 'sex' }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.phiCategories', includes: 'birth-date' }), facts), false);
  assert.equal(evaluate(cond({ path: 'query.phiCategories', nonEmpty: true }), facts), true);
});

test('an absent fact fails every comparison but exists:false and ne', () => {
  for (const op of ['gt', 'gte', 'lt', 'lte'])
    assert.equal(evaluate(cond({ path: 'query.studies', [op]: 0 }), facts), false, op);
  assert.equal(evaluate(cond({ path: 'query.studies', eq: 0 }), facts), false);
  assert.equal(evaluate(cond({ path: 'query.studies', eq: null }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.studies', exists: false }), facts), true);
  assert.equal(evaluate(cond({ path: 'query.studies', exists: true }), facts), false);
  assert.equal(evaluate(cond({ path: 'web.viewer.detected', eq: false }), facts), false);
  assert.equal(evaluate(cond({ path: 'web.viewer.detected', ne: true }), facts), true);
  assert.equal(evaluate(cond({ path: 'web.dicomweb.phiCategories', nonEmpty: false }), facts), false);
});

test('all, any, not', () => {
  const yes = { path: 'query.allowed', eq: true };
  const no = { path: 'query.allowed', eq: false };
  assert.equal(evaluate(cond({ all: [yes, yes] }), facts), true);
  assert.equal(evaluate(cond({ all: [yes, no] }), facts), false);
  assert.equal(evaluate(cond({ any: [no, yes] }), facts), true);
  assert.equal(evaluate(cond({ any: [no, no] }), facts), false);
  assert.equal(evaluate(cond({ not: no }), facts), true);
  assert.equal(evaluate(cond({ not: { all: [yes, { not: no }] } }), facts), false);
});
