import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvError, detectDelimiter, parseCsv } from '../../../src/facilities/csv.ts';

test('quotes, doubled quotes, new lines inside quotes, CRLF, BOM; line numbers of record starts', () => {
  const text = '\uFEFFid,name\r\n# a comment\r\na,"Hôpital, ""A"""\r\n\r\nb,"two\nlines"\nc,plain\n';
  const recs = parseCsv(text);
  assert.deepEqual(
    recs.map((r) => [r.line, ...r.fields]),
    [
      [1, 'id', 'name'],
      [3, 'a', 'Hôpital, "A"'],
      [5, 'b', 'two\nlines'],
      [7, 'c', 'plain'],
    ],
  );
  assert.deepEqual(
    parseCsv('a,b,\n').map((r) => r.fields),
    [['a', 'b', '']],
  );
  assert.deepEqual(
    parseCsv('a,b').map((r) => r.fields),
    [['a', 'b']],
    'no final new line',
  );
});

test('errors name the line', () => {
  assert.throws(
    () => parseCsv('id,name\nx,"open\n'),
    (e: unknown) => e instanceof CsvError && e.line === 2 && /unterminated/.test(e.message),
  );
  assert.throws(() => parseCsv('id,name\nx,"a"b\n'), /line 2: text after a closing quote/);
  assert.throws(() => parseCsv('id,name\nx,a"b\n'), /line 2: a quote inside an unquoted field/);
});

test('delimiter from the header: comma, semicolon, tab', () => {
  assert.equal(detectDelimiter('id,name;x\n'), ',');
  assert.equal(detectDelimiter('id;name;ranges\n'), ';');
  assert.equal(detectDelimiter('id\tname\n'), '\t');
  assert.equal(detectDelimiter('# comment, with comma\nid;name\n'), ';');
  assert.deepEqual(
    parseCsv('id;name\n1;"a;b"\n').map((r) => r.fields),
    [
      ['id', 'name'],
      ['1', 'a;b'],
    ],
  );
});
