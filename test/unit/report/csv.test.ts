import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { csvCell, csvRow, defuseFormula, quoteCsv } from '../../../src/report/csv.ts';
import { parseCsv } from './fixtures.ts';

test('formula-like cells get a leading apostrophe; others are left alone', () => {
  for (const start of ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) {
    assert.equal(defuseFormula(`${start}1+1`), `'${start}1+1`);
  }
  assert.equal(
    defuseFormula('=HYPERLINK("http://evil.example","click")'),
    `'=HYPERLINK("http://evil.example","click")`,
  );
  for (const safe of ['ORTHANC', 'OFFIS_DCMTK_367', '1.2.840.10008', '', ' =x', "'=already"]) {
    assert.equal(defuseFormula(safe), safe);
  }
});

test('RFC 4180 quoting: only when needed, quotes doubled', () => {
  assert.equal(quoteCsv('plain'), 'plain');
  assert.equal(quoteCsv('a,b'), '"a,b"');
  assert.equal(quoteCsv('say "hi"'), '"say ""hi"""');
  assert.equal(quoteCsv('two\nlines'), '"two\nlines"');
  assert.equal(quoteCsv('cr\r'), '"cr\r"');
});

test('cells: numbers, booleans and bigints as they are, null empty, text defused then quoted', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell(-5), '-5');
  assert.equal(csvCell(NaN), '');
  assert.equal(csvCell(12n), '12');
  assert.equal(csvCell(true), 'true');
  assert.equal(csvCell('=1,2'), `"'=1,2"`);
  assert.equal(csvRow(['a', 1, null, false]), 'a,1,,false\r\n');
});

test('any text round-trips through a CSV parser, defused', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 6 }), { maxLength: 8 }),
      (rows) => {
        const text = rows.map((r) => csvRow(r)).join('');
        const back = parseCsv(text);
        assert.deepEqual(
          back,
          rows.map((r) => r.map(defuseFormula)),
        );
        for (const row of back)
          for (const cell of row) assert.ok(!/^[=+\-@\t\r]/.test(cell), `undefused cell ${JSON.stringify(cell)}`);
      },
    ),
    { numRuns: 300 },
  );
});
