/** Where a read command sends an export: an existing store to read from, a file or stdout to write to. */
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { openStore, parseStoreUrl } from '../store/open.ts';
import { StoreError, type Repository } from '../store/repository.ts';

/** The database a read command was pointed at does not exist (and was not created). */
export class NoDatabaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoDatabaseError';
  }
}

/**
 * Opens a store for reading. Opening an SQLite path creates the file, so a path that does not
 * exist is refused first: a typo in --db must not leave an empty database behind.
 */
export async function openExistingStore(url: string): Promise<Repository> {
  const loc = parseStoreUrl(url);
  if (loc.kind === 'sqlite' && loc.path !== ':memory:' && !existsSync(loc.path)) {
    throw new NoDatabaseError(`no database at ${loc.path} (give --db, or run a scan first)`);
  }
  return openStore(url);
}

/**
 * The same for a command: a missing database or a store that cannot be opened is said on stderr
 * (the caller then exits 2) and gives null; other errors propagate.
 */
export async function openForCommand(url: string, say: (text: string) => void): Promise<Repository | null> {
  try {
    return await openExistingStore(url);
  } catch (err) {
    if (err instanceof NoDatabaseError || err instanceof StoreError) {
      say(`pacsmap: ${err.message}\n`);
      return null;
    }
    throw err;
  }
}

export interface FileSink {
  readonly write: (chunk: string) => void | Promise<void>;
  /** Flushes and closes; resolves when the data is handed to the OS. */
  close(): Promise<void>;
}

/** A file written with back-pressure: `write` resolves when the stream can take more. */
export function fileSink(path: string): FileSink {
  const stream = createWriteStream(path, { encoding: 'utf8' });
  let failure: Error | null = null;
  stream.on('error', (err) => {
    failure = err;
  });
  const check = (): void => {
    if (failure) throw failure;
  };
  return {
    async write(chunk: string): Promise<void> {
      check();
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), once(stream, 'error')]);
      check();
    },
    async close(): Promise<void> {
      check();
      stream.end();
      await once(stream, 'finish');
      check();
    },
  };
}
