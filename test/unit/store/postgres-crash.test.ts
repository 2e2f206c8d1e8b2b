/** kill -9 of a child writing to PostgreSQL: committed batches stay, nothing lost or doubled. */
import { after, before, test } from 'node:test';
import { crashAndResume } from './crash-scenario.ts';
import { createTestDatabase, pgQuery, type TestDatabase } from './pg.ts';

let db: TestDatabase | undefined;
before(async () => {
  db = await createTestDatabase();
});
after(() => db?.drop());

test('PostgreSQL: kill -9 mid-scan twice, then resume: nothing lost, nothing doubled', async (t) => {
  if (!db) throw new Error('the test database was not created (see the error of the before hook)');
  const url = db.url;
  await crashAndResume(t, url, { sql: (text) => pgQuery(url, text) }, 8000);
});
