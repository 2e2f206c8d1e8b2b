import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, parseAeTitle, parseDuration, parseHostPort, parsePortList } from '../../../src/cli/args.ts';

test('host and port forms', () => {
  assert.deepEqual(parseHostPort('127.0.0.1'), { host: '127.0.0.1', port: null });
  assert.deepEqual(parseHostPort('127.0.0.1:4242'), { host: '127.0.0.1', port: 4242 });
  assert.deepEqual(parseHostPort('pacs.example'), { host: 'pacs.example', port: null });
  assert.deepEqual(parseHostPort('[::1]:104'), { host: '::1', port: 104 });
  assert.deepEqual(parseHostPort('::1'), { host: '::1', port: null });
  assert.throws(() => parseHostPort('127.0.0.1:70000'), UsageError);
  assert.throws(() => parseHostPort('a b'), UsageError);
});

test('port lists and ranges', () => {
  assert.deepEqual(parsePortList('104,11112'), [104, 11112]);
  assert.deepEqual(parsePortList('4240-4243,104,104'), [4240, 4241, 4242, 4243, 104]);
  assert.throws(() => parsePortList('0'), UsageError);
  assert.throws(() => parsePortList('10-5'), UsageError);
  assert.throws(() => parsePortList(''), UsageError);
});

test('durations', () => {
  assert.equal(parseDuration('10s'), 10_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2'), 2_000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.throws(() => parseDuration('soon'), UsageError);
});

test('AE titles follow the AE VR', () => {
  assert.equal(parseAeTitle(' PACSMAP ', 'x'), 'PACSMAP');
  assert.throws(() => parseAeTitle('A'.repeat(17), 'x'), UsageError);
  assert.throws(() => parseAeTitle('BAD\\AE', 'x'), UsageError);
  assert.throws(() => parseAeTitle('', 'x'), UsageError);
});
