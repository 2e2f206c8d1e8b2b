/** The AE-title knowledge file and its loader: every entry valid and sourced, bad data refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  AeTitleDataError,
  aeTitleProblem,
  aeTitles,
  candidateTitles,
  parseAeTitles,
  type AeTitleDb,
} from '../../../src/knowledge/ae-titles.ts';
import { parseAeTitle } from '../../../src/cli/args.ts';

const raw = JSON.parse(readFileSync(new URL('../../../src/knowledge/ae-titles.json', import.meta.url), 'utf8')) as {
  called: Array<Record<string, unknown>>;
  calling: Array<Record<string, unknown>>;
};

test('the bundled file loads; both lists are non-empty and keep the file order', () => {
  const db = aeTitles();
  assert.ok(db.called.length >= 8, `${db.called.length} called titles`);
  assert.ok(db.calling.length >= 8, `${db.calling.length} calling titles`);
  assert.deepEqual(
    db.called.map((e) => e.aeTitle),
    raw.called.map((e) => e.aeTitle),
  );
  assert.deepEqual(
    db.calling.map((e) => e.aeTitle),
    raw.calling.map((e) => e.aeTitle),
  );
});

test('every entry is a valid AE title, also by the CLI rule, and carries products and sources', () => {
  for (const role of ['called', 'calling'] as const) {
    for (const e of aeTitles()[role]) {
      assert.equal(aeTitleProblem(e.aeTitle), null, `${role} ${e.aeTitle}`);
      assert.equal(parseAeTitle(e.aeTitle, role), e.aeTitle, `CLI accepts ${e.aeTitle} unchanged`);
      assert.ok(e.products.length > 0 && e.products.every((p) => p.length > 0), `${e.aeTitle} products`);
      assert.ok(e.source.length > 0, `${e.aeTitle} has a source`);
      for (const s of e.source) {
        assert.ok(s.ref.length > 10, `${e.aeTitle} source ref says where`);
        if (s.url) assert.match(s.url, /^https:\/\//);
      }
    }
  }
});

test('no title appears twice in a list', () => {
  for (const role of ['called', 'calling'] as const) {
    const titles = aeTitles()[role].map((e) => e.aeTitle);
    assert.equal(new Set(titles).size, titles.length, role);
  }
});

test('the products the brief names are covered', () => {
  const called = aeTitles().called.map((e) => e.aeTitle);
  for (const t of ['ORTHANC', 'DCM4CHEE', 'CONQUESTSRV1', 'ANY-SCP', 'DICOOGLE-STORAGE', 'STORESCP'])
    assert.ok(called.includes(t), t);
  const calling = aeTitles().calling.map((e) => e.aeTitle);
  for (const t of ['STORESCU', 'FINDSCU', 'ECHOSCU', 'ORTHANC', 'DCM4CHEE']) assert.ok(calling.includes(t), t);
});

test('AE title rules: length, repertoire, backslash, spaces', () => {
  assert.equal(aeTitleProblem('A'), null);
  assert.equal(aeTitleProblem('ABCDEFGHIJKLMNOP'), null);
  assert.equal(aeTitleProblem('MY AE'), null, 'inner space is allowed');
  assert.match(aeTitleProblem('') ?? '', /1-16/);
  assert.match(aeTitleProblem('ABCDEFGHIJKLMNOPQ') ?? '', /1-16/);
  assert.match(aeTitleProblem('A\\B') ?? '', /backslash/);
  assert.match(aeTitleProblem('A\nB') ?? '', /control/);
  assert.match(aeTitleProblem('A\u0000') ?? '', /control/);
  assert.match(aeTitleProblem('ÄRZTE') ?? '', /ASCII/);
  assert.match(aeTitleProblem('    ') ?? '', /all spaces/);
  assert.match(aeTitleProblem(' PACS') ?? '', /leading or trailing/);
});

function doc(called: unknown[], calling: unknown[] = [entry('X')]): unknown {
  return { version: 1, called, calling };
}
function entry(aeTitle: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { aeTitle, products: ['P'], source: [{ kind: 'documentation', ref: 'a manual' }], ...extra };
}

test('bad data is refused with the entry named', () => {
  const cases: Array<[unknown, RegExp]> = [
    [doc([entry('A\\B')]), /called\[0\].*backslash/],
    [doc([entry('ABCDEFGHIJKLMNOPQ')]), /called\[0\].*1-16/],
    [doc([entry('ORTHANC'), entry('ORTHANC')]), /called\[1\].*duplicate/],
    [doc([entry('A', { source: [] })]), /source must be a non-empty array/],
    [doc([entry('A', { products: [] })]), /products must be a non-empty array/],
    [doc([entry('A', { source: [{ kind: 'rumour', ref: 'x' }] })]), /kind must be one of/],
    [doc([entry('A', { source: [{ kind: 'observed', ref: 'x', url: 'http://x' }] })]), /https/],
    [doc([entry('A', { typo: 1 })]), /unknown key "typo"/],
    [doc([]), /called: must be a non-empty array/],
    [{ version: 2, called: [entry('A')], calling: [entry('B')] }, /version must be 1/],
  ];
  for (const [data, re] of cases)
    assert.throws(
      () => parseAeTitles(data),
      (e: unknown) => {
        assert.ok(e instanceof AeTitleDataError, String(e));
        assert.match(e.message, re);
        return true;
      },
    );
});

const small: AeTitleDb = parseAeTitles({
  version: 1,
  called: [entry('ALPHA', { products: ['Alpha'] }), entry('BETA', { products: ['Beta PACS'] }), entry('GAMMA')],
  calling: [entry('ONE'), entry('TWO')],
});

test('candidates: file order, minus excluded titles, hinted product first, never twice', () => {
  assert.deepEqual(candidateTitles('called', { db: small }), ['ALPHA', 'BETA', 'GAMMA']);
  assert.deepEqual(candidateTitles('called', { db: small, exclude: ['BETA'] }), ['ALPHA', 'GAMMA']);
  assert.deepEqual(candidateTitles('called', { db: small, productHint: 'beta' }), ['BETA', 'ALPHA', 'GAMMA']);
  assert.deepEqual(candidateTitles('called', { db: small, productHint: 'nothing' }), ['ALPHA', 'BETA', 'GAMMA']);
  assert.deepEqual(candidateTitles('calling', { db: small, exclude: [' ONE '] }), ['TWO']);
  const orthanc = candidateTitles('called', { productHint: 'Orthanc' });
  assert.equal(orthanc[0], 'ORTHANC');
  assert.equal(new Set(orthanc).size, orthanc.length);
  const dicoogle = candidateTitles('called', { productHint: 'Dicoogle' });
  assert.equal(dicoogle[0], 'DICOOGLE-STORAGE');
  assert.equal(dicoogle.length, aeTitles().called.length);
});
