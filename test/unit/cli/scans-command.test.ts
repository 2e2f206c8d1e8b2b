import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { uniquePrefixLength, shortTime } from '../../../src/cli/scans-command.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../store/helpers.ts';
import { FACILITIES, FLEET, seedScan } from '../report/fixtures.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

test('scans: newest first, with progress, endpoints, exposed and scope', async (t) => {
  const db = path.join(tempDir(t), 'p.db');
  const repo = SqliteStore.open(db);
  await repo.upsertFacilities(FACILITIES);
  const old = await seedScan(repo, {
    createdAt: '2025-03-01T10:00:00.000Z',
    status: 'finished',
    cursor: '512',
    endpoints: FLEET,
  });
  const running = await seedScan(repo, {
    createdAt: '2025-03-04T08:30:00.000Z',
    cursor: '1234',
    settings: { ports: [104], workTotal: '2730' },
    scope: `the registry of every hospital in the north region ${'x'.repeat(80)}`,
    endpoints: FLEET.slice(2, 4),
  });
  const empty = await seedScan(repo, {
    createdAt: '2025-03-02T00:00:00.000Z',
    status: 'interrupted',
    settings: { ports: [104] },
    endpoints: [],
  });
  await repo.close();

  const r = await run(['scans', '--db', db]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID +CREATED +STATUS +PROGRESS +ENDPOINTS +EXPOSED +SCOPE$/);
  assert.equal(lines.length, 4);
  assert.ok(lines[1]!.startsWith(running.id.slice(0, 8)));
  assert.ok(lines[2]!.startsWith(empty.id.slice(0, 8)));
  assert.ok(lines[3]!.startsWith(old.id.slice(0, 8)));
  assert.match(lines[1]!, /2025-03-04 08:30Z +running +45\.2% \(1,234\/2,730\) +2 +1 +the registry of every hospital/);
  assert.ok(lines[1]!.endsWith('…'), 'long scope truncated');
  assert.ok(lines[1]!.length < 200);
  assert.match(lines[2]!, /interrupted +- +0 +0 /);
  // 5 endpoints, 4 of them at some level (one is none).
  assert.match(lines[3]!, /finished +100\.0% \(512\/512\) +5 +3 +127\.1\.0\.0\/24 ports 104,4242$/);

  const j = await run(['scans', '--db', db, '--json']);
  assert.equal(j.code, 0);
  const list = JSON.parse(j.out);
  assert.deepEqual(
    list.map((s: { id: string }) => s.id),
    [running.id, empty.id, old.id],
  );
  assert.deepEqual(list[0].progress, { done: '1234', total: '2730' });
  assert.equal(list[0].workTotal, '2730');
  assert.equal(list[2].counts.exposed, 3);
  assert.equal(list[2].counts.endpoints, 5);
  assert.equal(list[2].counts.exposure.retrievable, 1);
  assert.equal(list[1].progress.total, null);
});

test('scans: empty store, missing database not created, stray argument', async (t) => {
  const dir = tempDir(t);
  const db = path.join(dir, 'e.db');
  (await SqliteStore.open(db)).close();
  const empty = await run(['scans', '--db', db]);
  assert.equal(empty.code, 0);
  assert.equal(empty.out, `no scans in ${db}\n`);
  assert.deepEqual(JSON.parse((await run(['scans', '--db', db, '--json'])).out), []);
  const missing = path.join(dir, 'missing.db');
  const r = await run(['scans', '--db', missing]);
  assert.equal(r.code, 2);
  assert.match(r.err, /no database at .*missing\.db/);
  assert.equal(existsSync(missing), false);
  const stray = await run(['scans', 'extra', '--db', db]);
  assert.equal(stray.code, 64);
  assert.match(stray.err, /Usage: pacsmap scans/);
  const help = await run(['help']);
  assert.match(help.out, /scans +the scans in the store/);
  assert.match(help.out, /show SCAN_ID/);
});

test('short ids are unique prefixes of at least 8 characters; times shortened', () => {
  assert.equal(uniquePrefixLength(['abcdef0123', 'ffff']), 8);
  assert.equal(uniquePrefixLength(['abcdef0123', 'abcdef0199', 'x']), 9);
  assert.equal(uniquePrefixLength([]), 8);
  assert.equal(shortTime('2025-03-04T08:30:59.999Z'), '2025-03-04 08:30Z');
  assert.equal(shortTime(null), '-');
  assert.equal(shortTime('garbage'), 'garbage');
});
