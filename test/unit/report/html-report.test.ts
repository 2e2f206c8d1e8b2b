/**
 * The HTML reports escape everything a peer or a registry controls: a store holding hostile AE
 * titles, version names, product names, facility names and ids is rendered, and no markup,
 * attribute break, script or fetchable reference comes out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { esc, markup } from '../../../src/report/html/escape.ts';
import { writeReport } from '../../../src/report/html/write-report.ts';
import { facilityFile } from '../../../src/report/html/pages.ts';
import { openStore } from '../../../src/store/open.ts';
import { sampleResult } from '../store/helpers.ts';

const EVIL = `<script>alert(1)</script>"><img src=x onerror=alert(2)>'\u202e\u0007`;

test('esc neutralises markup, quotes, controls and bidi overrides; markup`` escapes values only', () => {
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(esc('a\u202eb\u0000c\td\n'), 'a\uFFFDb\uFFFDc\td\n');
  assert.equal(esc(null), '');
  assert.equal(esc(12), '12');
  assert.equal(markup`<b title="${EVIL}">${[EVIL, 3]}</b>`.text.includes('<script'), false);
  assert.equal(markup`<i>${markup`<b>ok</b>`}</i>`.text, '<i><b>ok</b></i>');
});

test('a report over hostile peer and registry strings contains none of them raw', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pacsmap-report-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await openStore(path.join(dir, 'r.db'));
  t.after(() => store.close());
  const facilityId = `F<1>"'`;
  await store.upsertFacilities([
    {
      id: facilityId,
      name: `Evil ${EVIL} Hospital`,
      region: `R${EVIL}`,
      country: 'AQ',
      contactEmail: `x${EVIL}@example.org`,
      ranges: ['10.9.0.0/24'],
      latitude: -80,
      longitude: 20,
    },
  ]);
  await store.createScan({ id: 'evil-scan', scope: `scope ${EVIL}`, settings: {} });
  const base = sampleResult('10.9.0.1', 104, EVIL);
  const result = {
    ...base,
    product: { name: `Prod${EVIL}`, version: `1.0${EVIL}`, confidence: 'high', ambiguousWith: [] },
    association: {
      ...base.association,
      calledAe: EVIL.slice(0, 16),
      acceptor: { calledAe: EVIL, callingAe: EVIL, maxPduLength: 1 },
    },
    tls: { certificate: { subject: `CN=${EVIL}`, issuer: `CN=${EVIL}` } },
  };
  await store.writeBatch({
    endpoints: [
      {
        scanId: 'evil-scan',
        host: '10.9.0.1',
        port: 104,
        transport: 'plaintext',
        status: 'success',
        service: 'dicom',
        exposure: 'queryable',
        facilityId,
        result,
        figures: {
          exposed: true,
          honeypot: false,
          patients: 3,
          studies: 5,
          instances: 120,
          countsCapped: false,
          phiCategories: ['name', `evil<b>`],
          riskScore: 80,
          country: null,
        },
      },
    ],
    findings: [
      {
        scanId: 'evil-scan',
        host: '10.9.0.1',
        port: 104,
        findingId: `dicom-query-unauthenticated`,
        severity: 'high',
        evidence: {},
      },
      { scanId: 'evil-scan', host: '10.9.0.1', port: 104, findingId: `x-${EVIL}`, severity: `bad"sev`, evidence: {} },
    ],
  });
  const out = path.join(dir, 'out');
  const files = await writeReport(store, 'evil-scan', { outDir: out, previousScanId: null });
  assert.equal(files.facilities.length, 1);
  assert.equal(path.basename(files.facilities[0]!), facilityFile(facilityId));
  assert.match(path.basename(files.facilities[0]!), /^facility-[A-Za-z0-9._-]+\.html$/, 'a safe file name');
  const names = readdirSync(out);
  assert.equal(names.length, 4);
  for (const name of names.filter((n) => n.endsWith('.html'))) {
    const text = readFileSync(path.join(out, name), 'utf8');
    assert.ok(text.includes('Evil &lt;script&gt;alert(1)&lt;/script&gt;'), `${name}: the name is shown, escaped`);
    assert.doesNotMatch(text, /<script|<img/i, name);
    assert.ok(!text.includes('\u202e') && !text.includes('\u0007'), `${name}: no control or bidi character`);
    // Every tag is one of ours: no event handler, no quote broke out of an attribute.
    for (const [tag] of text.matchAll(/<[a-z][^>]*>/gi)) {
      assert.doesNotMatch(tag, /onerror|alert|src=/i, `${name}: ${tag}`);
      assert.match(tag, /^<[a-z0-9]+(\s+[a-z-]+(="[^"<>]*")?)*\s*\/?>$/i, `${name}: ${tag.slice(0, 80)}`);
    }
  }
  const facility = readFileSync(files.facilities[0]!, 'utf8');
  assert.ok(facility.includes('Prod&lt;script&gt;'), 'the peer product name is shown escaped');
  assert.ok(facility.includes('What to do'), 'remediation from the catalogue');
  const csv = readFileSync(files.csv, 'utf8');
  assert.ok(csv.includes('"Evil <script>alert(1)</script>""><img'), 'CSV keeps the text, quoted');
});
