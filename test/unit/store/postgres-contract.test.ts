/** The Repository contract against a real PostgreSQL (see pg.ts): a database of its own for this file. */
import { describeRepositoryContract } from './contract.ts';
import { createTestDatabase, postgresBackend, type TestDatabase } from './pg.ts';

let db: TestDatabase | undefined;

describeRepositoryContract('PostgreSQL', {
  ...postgresBackend(() => {
    if (!db) throw new Error('the test database was not created (see the error of the before hook)');
    return db;
  }),
  async setup() {
    db = await createTestDatabase();
  },
  async teardown() {
    await db?.drop();
  },
});
