/**
 * Everything works unchanged on either store: the same lab scanned through the command line into
 * SQLite and into PostgreSQL gives the same endpoints, figures, diff, reports and dashboard page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDashboard } from '../../../src/serve/app.ts';
import { newUser } from '../../../src/serve/users.ts';
import { scanFigures } from '../../../src/report/aggregate.ts';
import { openStore } from '../../../src/store/open.ts';
import { labSetup, pacsmap, subnetByte, type LabSetup } from '../fleet/helpers.ts';
import { createTestDb, type TestDb } from '../distributed/helpers.ts';
import { loggedIn, PASSWORD } from '../../unit/serve/helpers.ts';

let setup: LabSetup;
let pgDb: TestDb;

before(async () => {
  setup = await labSetup({ hosts: 10, seed: 'both-backends', subnetByte: subnetByte(83) });
  pgDb = await createTestDb();
});
after(async () => {
  await setup?.stop();
  await pgDb?.drop();
});

interface Outcome {
  readonly endpoints: unknown[];
  readonly figures: unknown;
  readonly diff: { counts: Record<string, number> };
  readonly reportFigures: unknown;
  readonly overview: string;
}

/** Without the scans' own ids and times (each backend's scans have theirs). */
function anonymous(text: string): string {
  return text
    .replace(/nonce="[^"]+"/g, 'nonce')
    .replace(/name="_csrf" value="[^"]+"/g, 'csrf')
    .replace(/>[0-9a-f]{8}</g, '>ID<')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID')
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME');
}

/** Scans twice, then reads back with every read command; ids and times are left out of what is compared. */
async function run(db: string, label: string): Promise<Outcome> {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await pacsmap([
      'scan',
      '--facilities',
      setup.registry,
      '-p',
      setup.ports,
      '--db',
      db,
      '--audit',
      'none',
      '--timeout',
      '1s',
      '--rate',
      '0',
      '--progress',
      'none',
      '--seed',
      'same-order',
    ]);
    assert.equal(r.code, 0, `${label}: ${r.err}`);
    const list = JSON.parse((await pacsmap(['scans', '--db', db, '--json'])).out) as { id: string }[];
    ids.unshift(list[0]!.id);
  }
  const [first, second] = ids.reverse() as [string, string];
  const shown = JSON.parse((await pacsmap(['show', second, '--db', db, '--json', '-'])).out) as {
    endpoints: Array<Record<string, unknown>>;
  };
  const endpoints = shown.endpoints
    .map((e) => {
      const q = e['query'] as Record<string, unknown>;
      return [
        e['host'],
        e['port'],
        e['service'],
        e['exposure'],
        q['patients'],
        q['studies'],
        q['instances'],
        e['facilityId'],
        (e['findings'] as { findingId: string }[]).map((f) => f.findingId).sort(),
      ];
    })
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));
  const diff = JSON.parse((await pacsmap(['diff', first, second, '--db', db, '--json', '-'])).out) as Outcome['diff'];
  const out = path.join(setup.dir, `report-${label}`);
  const rep = await pacsmap(['report', second, '--db', db, '--out', out]);
  assert.equal(rep.code, 0, rep.err);
  const reportFigures = JSON.parse(await readFile(path.join(out, 'figures.json'), 'utf8')) as Record<string, unknown>;
  const store = await openStore(db);
  try {
    const { scan: _scan, ...figures } = await scanFigures(store, second);
    await store.createUser(await newUser('viewer', 'viewer', PASSWORD));
    const { app } = await buildDashboard({ repo: store, secureCookies: false });
    const v = await loggedIn(app, 'viewer');
    const page = await v.request({ url: `/scans/${second}` });
    assert.equal(page.statusCode, 200, `${label}: overview`);
    await app.close();
    return {
      endpoints,
      figures,
      diff: { counts: diff.counts },
      reportFigures: anonymous(JSON.stringify(reportFigures)),
      // The overview without the scan's own ids and times.
      overview: anonymous(page.body),
    };
  } finally {
    await store.close();
  }
}

test('scan, show, diff, report and the dashboard give the same answers on SQLite and on PostgreSQL', async () => {
  const sqlite = await run(path.join(setup.dir, 'same.db'), 'sqlite');
  const postgres = await run(pgDb.url, 'postgres');
  assert.ok(sqlite.endpoints.length > 5, 'the lab has endpoints');
  assert.deepEqual(postgres.endpoints, sqlite.endpoints);
  assert.deepEqual(postgres.figures, sqlite.figures);
  assert.deepEqual(postgres.diff, sqlite.diff);
  assert.equal(sqlite.diff.counts['unchanged'], sqlite.endpoints.length, 'the same lab twice: nothing changed');
  assert.deepEqual(postgres.reportFigures, sqlite.reportFigures);
  assert.match(postgres.overview, /Overview/);
  assert.equal(postgres.overview, sqlite.overview);
});
