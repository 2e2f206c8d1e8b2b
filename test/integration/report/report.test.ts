/**
 * `pacsmap report` over a real lab scan and a rescan after a change: every file is written, the
 * HTML is self-contained (strict CSP, no script, no fetchable reference), the figures in the JSON
 * and CSV equal the store's, the changes section names the changed facility, no lab canary
 * (synthetic patient names, IDs, accession numbers, UIDs) appears in any file, and — where Debian's
 * Chromium is installed — the PDF is printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { reportCommand } from '../../../src/cli/report-command.ts';
import { LAB_CANARIES } from '../../../src/lab/archive.ts';
import { scanFigures } from '../../../src/report/aggregate.ts';
import { CHROMIUM } from '../../../src/report/html/write-report.ts';
import { facilityFile } from '../../../src/report/html/pages.ts';
import { REPORT_CSP } from '../../../src/report/html/page.ts';
import { esc } from '../../../src/report/html/escape.ts';
import { isExposed } from '../../../src/scan/exposure.ts';
import { openStore } from '../../../src/store/open.ts';
import { captureIo, subnetByte } from '../fleet/helpers.ts';
import { reportLab, type ReportLab } from './lab.ts';

let setup: ReportLab;
let scanA: string;
let scanB: string;
let closedFacility: string;

before(async () => {
  setup = await reportLab({ hosts: 10, seed: 'report-html', subnetByte: subnetByte(67) });
  scanA = await setup.scan();
  const victim = setup.lab.endpoints.find(
    (e) =>
      (e.kind === 'dicom' || e.kind === 'dicom-tls') &&
      e.stranger.query.allowed &&
      (e.stranger.query.patients ?? 0) > 0,
  );
  assert.ok(victim, 'the lab has an archive with patients');
  closedFacility = victim.facilityId;
  await setup.restart([{ endpoint: `${victim.host}:${victim.plannedPort ?? victim.port}`, action: 'close' }]);
  scanB = await setup.scan();
});
after(() => setup?.stop());

async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await readdir(dir)) if (!f.endsWith('.pdf')) out.set(f, await readFile(path.join(dir, f), 'utf8'));
  return out;
}

test('report writes self-contained HTML, JSON and CSV with the store figures and the changes; no canary anywhere', async () => {
  const out = path.join(setup.dir, 'report');
  const io = captureIo();
  const code = await reportCommand([scanB.slice(0, 8), '--db', setup.db, '--out', out], io);
  assert.equal(code, 0, io.stderr.join(''));
  assert.match(io.stdout.join(''), new RegExp(`compared with scan ${scanA}`));

  const repo = await openStore(setup.db);
  const figures = await scanFigures(repo, scanB).finally(() => repo.close());
  const written = await files(out);
  const expectedNames = [
    'ministry.html',
    'figures.json',
    'figures.csv',
    ...figures.facilities.map((f) => facilityFile(f.id)),
  ];
  assert.deepEqual([...written.keys()].sort(), expectedNames.sort());

  for (const [name, text] of written) {
    if (!name.endsWith('.html')) continue;
    // Self-contained: strict CSP first thing in <head>, nothing that could fetch.
    assert.ok(text.includes(`<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">`), `${name} CSP`);
    assert.match(REPORT_CSP, /default-src 'none'/);
    assert.doesNotMatch(text, /<script|<link|<img|<iframe|<object|<embed|@import|url\(|\ssrc=|srcset=/i, name);
    assert.doesNotMatch(text, /\son[a-z]+=/i, `${name}: no inline event handler`);
    // Any http(s) URL is plain text in a reference list item, never an attribute.
    const outsideRefs = text.replace(/<li class="ref">[^<>"]*<\/li>/g, '');
    assert.doesNotMatch(outsideRefs, /https?:\/\//i, `${name}: a URL outside the reference lists`);
    for (const m of text.matchAll(/href="([^"]*)"/g))
      assert.match(m[1]!, /^facility-[A-Za-z0-9._-]+\.html$/, `${name}: only links to sibling report files`);
  }
  const ministry = written.get('ministry.html')!;
  assert.ok(ministry.includes(figures.headline.text), 'the headline figure');
  assert.match(ministry, /<svg\s+viewBox="0 0 960 500"/, 'the inline map');
  const withCoords = figures.facilities.filter((f) => f.latitude !== null).length;
  assert.equal((ministry.match(/<circle /g) ?? []).length, withCoords, 'one point per facility');
  assert.ok(ministry.includes('Changes since the previous scan'));
  assert.ok(ministry.includes(`<span class="fixed">1 fixed</span>`), 'the closed archive is counted as fixed');
  for (const f of figures.facilities) assert.ok(ministry.includes(`href="${facilityFile(f.id)}"`), f.id);
  const page = written.get(facilityFile(closedFacility))!;
  assert.match(page, /<td class="fixed">fixed<\/td>/, 'the facility page shows what changed');
  assert.match(page, /What to do/);

  // JSON and CSV carry the same figures as the store.
  const json = JSON.parse(written.get('figures.json')!) as {
    figures: typeof figures;
    changes: { counts: Record<string, number> };
  };
  assert.deepEqual(json.figures, JSON.parse(JSON.stringify(figures)));
  assert.equal(json.changes.counts['fixed'], 1);
  const csv = written.get('figures.csv')!.trimEnd().split('\r\n');
  assert.equal(csv.length, 1 + 1 + figures.countries.length + figures.regions.length + figures.facilities.length);
  const total = csv[1]!.split(',');
  assert.deepEqual(total.slice(0, 1), ['total']);
  assert.equal(Number(total[8]), figures.total.patients);
  assert.equal(Number(total[10]), figures.total.instances);
  const exposedTruth = setup.lab.endpoints.filter((e) => e.kind !== 'closed' && isExposed(e.stranger.exposure)).length;
  assert.equal(Number(total[5]), exposedTruth);

  // Privacy: the lab's synthetic patients never reach a report (and the search does see text).
  const all = [...written.values()].join('\n');
  assert.ok(all.includes(figures.facilities[0]!.name), 'positive control: report text is searched');
  for (const canary of [...LAB_CANARIES, '2.25.31337'])
    assert.ok(!all.includes(canary), `canary ${canary} in a report`);
});

test('report --pdf prints ministry.html with Chromium, or says it needs it', async () => {
  const out = path.join(setup.dir, 'report-pdf');
  const io = captureIo();
  const code = await reportCommand([scanB, '--db', setup.db, '--out', out, '--no-previous', '--pdf'], io);
  if (!existsSync(CHROMIUM)) {
    assert.equal(code, 2);
    assert.match(io.stderr.join(''), /needs Chromium/);
    return;
  }
  assert.equal(code, 0, io.stderr.join(''));
  const pdf = path.join(out, 'ministry.pdf');
  const head = (await readFile(pdf)).subarray(0, 5).toString('latin1');
  assert.equal(head, '%PDF-');
  assert.ok((await stat(pdf)).size > 10_000);
});

test('report refuses an unknown scan and a missing database', async () => {
  const io = captureIo();
  assert.equal(await reportCommand(['zzzzzzzz', '--db', setup.db, '--out', path.join(setup.dir, 'x')], io), 2);
  assert.equal(await reportCommand([scanA, '--db', path.join(setup.dir, 'none.db')], captureIo()), 2);
  assert.ok(!existsSync(path.join(setup.dir, 'none.db')), 'no database created by a typo');
});
