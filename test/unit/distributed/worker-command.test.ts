import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKER_USAGE, workerCommand } from '../../../src/cli/worker-command.ts';
import { UsageError } from '../../../src/cli/args.ts';

function io(): { out: string[]; err: string[]; o: (t: string) => void; e: (t: string) => void } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (t) => void out.push(t), e: (t) => void err.push(t) };
}

test('--help prints the usage', async () => {
  const c = io();
  assert.equal(await workerCommand(['--help'], { out: c.o, err: c.e }, 't'), 0);
  assert.equal(c.out.join(''), WORKER_USAGE);
  assert.match(WORKER_USAGE, /SIGTERM/);
});

test('a worker needs a PostgreSQL URL and sane numbers', async () => {
  const c = io();
  const saved = process.env.PACSMAP_DB;
  delete process.env.PACSMAP_DB;
  try {
    await assert.rejects(workerCommand([], { out: c.o, err: c.e }, 't'), UsageError);
    await assert.rejects(workerCommand(['--db', './pacsmap.db'], { out: c.o, err: c.e }, 't'), /PostgreSQL/);
    await assert.rejects(
      workerCommand(['--db', 'postgres://127.0.0.1:1/x', '--concurrency', '0'], { out: c.o, err: c.e }, 't'),
      /--concurrency/,
    );
    await assert.rejects(
      workerCommand(['--db', 'postgres://127.0.0.1:1/x', 'extra'], { out: c.o, err: c.e }, 't'),
      /unexpected/,
    );
  } finally {
    if (saved !== undefined) process.env.PACSMAP_DB = saved;
  }
});
