import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatEndpoint } from '../../../src/cli/summary.ts';
import { sampleResult } from '../store/helpers.ts';

test('a peer-chosen implementation version name cannot put control characters on the terminal', () => {
  const r = sampleResult('192.0.2.1', 104);
  const hostile = {
    ...r,
    product: null,
    implementation: { classUid: '1.2.3', versionName: 'EVIL\x1b[2J\x1b]0;pwned\x07\u202e' },
  };
  const text = formatEndpoint(hostile);
  // No control or bidi character survives (newlines between lines are ours).
  assert.ok(![...text].some((c) => c !== '\n' && /[\p{Cc}\p{Cf}]/u.test(c)), JSON.stringify(text));
  assert.match(text, /EVIL\\x1b\[2J/);
});
