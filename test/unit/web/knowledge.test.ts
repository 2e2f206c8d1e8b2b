import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hasContentRule,
  parseWebFingerprints,
  viewerMatches,
  webFingerprints,
  WebFingerprintDataError,
} from '../../../src/knowledge/web-fingerprints.ts';
import {
  credentialsFor,
  defaultCredentials,
  parseDefaultCredentials,
  DefaultCredentialDataError,
} from '../../../src/knowledge/default-credentials.ts';

const src = [{ kind: 'documentation', ref: 'a manual' }];

function minimal(): Record<string, unknown> {
  return {
    version: 1,
    dicomweb: [{ id: 'p', prefix: '/dicom-web', product: 'X', source: src }],
    wadoUri: [{ id: 'w', path: '/wado', product: 'X', source: src }],
    viewers: [{ id: 'v', product: 'V', path: '/app/', match: { status: [200], bodyRegex: '<title>V' }, source: src }],
  };
}

test('bundled web fingerprints load, every entry has a source, ids are unique', () => {
  const db = webFingerprints();
  const all = [...db.dicomweb, ...db.wadoUri, ...db.viewers];
  assert.ok(db.dicomweb.some((d) => d.prefix === '/dicom-web'));
  assert.ok(db.viewers.some((v) => v.id === 'orthanc-explorer' && v.path === '/app/explorer.html'));
  for (const e of all) assert.ok(e.source.length > 0, `${e.id} has a source`);
  assert.equal(new Set(all.map((e) => e.id)).size, all.length);
});

test('web fingerprint validation names the bad entry', () => {
  const cases: Array<[(d: Record<string, unknown>) => void, RegExp]> = [
    [(d) => ((d.viewers as Obj[])[0]!.path = 'app'), /viewers\[0\]\.path/],
    [(d) => ((d.viewers as Obj[])[0]!.match = { status: [99] }), /viewers\[0\]\.match\.status\[0\]/],
    [(d) => ((d.viewers as Obj[])[0]!.match = { status: [200], bodyRegex: '(' }), /invalid regular expression/],
    [(d) => ((d.dicomweb as Obj[])[0]!.prefix = '/dicom-web/'), /must not end with \//],
    [(d) => ((d.dicomweb as Obj[])[0]!.source = []), /dicomweb\[0\]\.source/],
    [(d) => ((d.wadoUri as Obj[])[0]!.id = 'p'), /duplicate id "p"/],
    [(d) => ((d.viewers as Obj[])[0]!.extra = 1), /unknown key "extra"/],
    [(d) => (d.version = 2), /version must be 1/],
  ];
  for (const [mutate, re] of cases) {
    const d = minimal();
    mutate(d);
    assert.throws(
      () => parseWebFingerprints(d),
      (e: unknown) => e instanceof WebFingerprintDataError && re.test(e.message),
    );
  }
  assert.doesNotThrow(() => parseWebFingerprints(minimal()));
});

type Obj = Record<string, unknown>;

test('viewer matching: status, body regex (case-insensitive), header rule', () => {
  const db = parseWebFingerprints({
    ...minimal(),
    viewers: [
      {
        id: 'b',
        product: 'B',
        path: '/b',
        match: { status: [200], bodyRegex: '<title>\\s*Orthanc Explorer' },
        source: src,
      },
      {
        id: 'h',
        product: 'H',
        path: '/h',
        match: { status: [200, 302], header: { name: 'Server', regex: '^Foo/' } },
        source: src,
      },
      { id: 'po', product: 'P', path: '/p', match: { status: [200] }, source: src },
    ],
  });
  const [b, h, p] = db.viewers as [never, never, never];
  assert.equal(viewerMatches(b, 200, {}, Buffer.from('<html><TITLE> orthanc explorer</TITLE>')), true);
  assert.equal(viewerMatches(b, 404, {}, Buffer.from('<title>Orthanc Explorer</title>')), false);
  assert.equal(viewerMatches(b, 200, {}, Buffer.from('<title>Other</title>')), false);
  assert.equal(viewerMatches(h, 302, { server: 'Foo/1.2' }, Buffer.alloc(0)), true);
  assert.equal(viewerMatches(h, 200, { server: 'Bar' }, Buffer.alloc(0)), false);
  assert.equal(viewerMatches(h, 200, {}, Buffer.alloc(0)), false);
  assert.equal(hasContentRule(p), false);
  assert.equal(hasContentRule(b), true);
});

test('default credentials: bundled entries have sources; Orthanc docker default present; lookup by product', () => {
  const all = defaultCredentials();
  assert.ok(all.length > 0);
  for (const c of all) assert.ok(c.source.length > 0, `${c.id} has a source`);
  const orthanc = credentialsFor('orthanc');
  assert.ok(orthanc.some((c) => c.id === 'orthanc-docker-default' && c.user === 'orthanc'));
  assert.deepEqual(credentialsFor('No Such Product'), []);
});

test('default credential validation names the bad entry', () => {
  const good = { id: 'a', product: 'X', user: 'u', password: 'p', source: src };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...good, user: 'a:b' }, /credentials\[0\].*may not contain ":"/],
    [{ ...good, password: '' }, /credentials\[0\]: password/],
    [{ ...good, source: [] }, /credentials\[0\]/],
    [{ ...good, note: 'x' }, /unknown key "note"/],
  ];
  for (const [entry, re] of bad) {
    assert.throws(
      () => parseDefaultCredentials({ version: 1, credentials: [entry] }),
      (e: unknown) => e instanceof DefaultCredentialDataError && re.test(e.message),
    );
  }
  assert.throws(() => parseDefaultCredentials({ version: 1, credentials: [good, good] }), /duplicate id "a"/);
  assert.equal(parseDefaultCredentials({ version: 1, credentials: [good] }).length, 1);
});
