import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classify, USER_AGENT } from '../../../src/protocol/http/client.ts';
import { notePhiInDicomJson } from '../../../src/probes/web/dicomweb.ts';
import { redirectKind } from '../../../src/probes/web/viewers.ts';
import { authRealm, parseJson } from '../../../src/probes/web/session.ts';

test('undici/node error codes map to the shared status vocabulary', () => {
  const err = (code: string): Error => Object.assign(new Error('x'), { code });
  assert.deepEqual(classify(err('ECONNREFUSED'), false, false), ['connection-refused', 'ECONNREFUSED']);
  assert.equal(classify(err('UND_ERR_CONNECT_TIMEOUT'), false, false)[0], 'connection-timeout');
  assert.equal(classify(err('UND_ERR_HEADERS_TIMEOUT'), true, false)[0], 'io-timeout');
  assert.equal(classify(err('UND_ERR_BODY_TIMEOUT'), true, false)[0], 'io-timeout');
  assert.equal(classify(err('HPE_INVALID_CONSTANT'), true, false)[0], 'protocol-error');
  // undici 7's HTTPParserError carries no code, only its name.
  assert.equal(classify(Object.assign(new Error('x'), { name: 'HTTPParserError' }), true, false)[0], 'protocol-error');
  assert.equal(classify(err('UND_ERR_SOCKET'), true, false)[0], 'connection-closed');
  assert.equal(classify(err('UND_ERR_SOCKET'), false, true)[0], 'handshake-error');
  assert.equal(classify(err('ERR_SSL_WRONG_VERSION_NUMBER'), false, true)[0], 'handshake-error');
  assert.equal(classify(new TypeError('boom'), true, false)[0], 'unknown-error');
  // The detail is an error code or name, never a message that could carry peer text.
  assert.equal(classify(Object.assign(new Error('peer said CNRYZQX'), { code: 'HPE_X' }), true, false)[1], 'HPE_X');
});

test('the User-Agent names pacsmap and its purpose', () => {
  assert.match(USER_AGENT, /^pacsmap /);
  assert.match(USER_AGENT, /read-only/);
});

test('personal-data categories from DICOM JSON: presence only, empty values ignored', () => {
  const found = new Set<string>();
  notePhiInDicomJson(
    {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
      '00100020': { vr: 'LO', Value: [''] },
      '00100030': { vr: 'DA' },
      '00080050': { vr: 'SH', Value: ['A123'] },
      '00080020': { vr: 'DA', Value: ['20240101'] },
    },
    found,
  );
  assert.deepEqual([...found].sort(), ['accession-number', 'exam-date', 'name']);
  // Nothing but category ids ever lands in the set, whatever the values are.
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), (value) => {
      const s = new Set<string>();
      notePhiInDicomJson(
        { '00100010': { vr: 'PN', Value: [{ Alphabetic: value }] }, '00100020': { Value: [value] } },
        s,
      );
      for (const id of s) assert.ok(['name', 'patient-id'].includes(id));
    }),
  );
});

test('redirects are described relative to the endpoint, the target is not kept', () => {
  const ep = { host: '127.0.0.1', port: 8042, tls: false };
  assert.equal(redirectKind('app/explorer.html', ep), 'same-origin');
  assert.equal(redirectKind('/ui/app/', ep), 'same-origin');
  assert.equal(redirectKind('http://127.0.0.1:8042/x', ep), 'same-origin');
  assert.equal(redirectKind('https://127.0.0.1:8042/x', ep), 'other-origin');
  assert.equal(redirectKind('http://10.9.9.9/', ep), 'other-origin');
  assert.equal(redirectKind('http://[::1', ep), 'unparseable');
  assert.equal(redirectKind('/x', { host: '::1', port: 80, tls: false }), 'same-origin');
});

test('auth realm and JSON parsing are bounded and never throw', () => {
  assert.equal(authRealm('Basic realm="Orthanc Secure Area"'), 'Orthanc Secure Area');
  assert.equal(authRealm('Bearer'), null);
  assert.equal(authRealm(undefined), null);
  assert.equal(authRealm(`Basic realm="${'x'.repeat(500)}"`), null);
  assert.equal(parseJson(Buffer.from('{"a":1}'), false) !== null, true);
  assert.equal(parseJson(Buffer.from('{"a":1}'), true), null);
  assert.equal(parseJson(Buffer.from('<html>'), false), null);
});
