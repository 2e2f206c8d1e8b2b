#!/usr/bin/env node
// `pacsmap worker` as its own process, until main.ts dispatches `worker` (node src/distributed/worker-entry.ts …).
import { processIo } from '../cli/io.ts';
import { version } from '../cli/main.ts';
import { workerCommand, WORKER_USAGE } from '../cli/worker-command.ts';
import { UsageError } from '../cli/args.ts';

try {
  process.exitCode = await workerCommand(process.argv.slice(2), processIo, version());
} catch (err) {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`pacsmap: ${(err as Error).message}\n\n${WORKER_USAGE}`);
    process.exitCode = 64;
  } else {
    process.stderr.write(`pacsmap: ${(err as Error).name}: ${(err as Error).message}\n`);
    process.exitCode = 70;
  }
}
