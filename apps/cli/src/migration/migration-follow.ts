// --watch for every command that starts or shows a migration (migration status, node add,
// node remove, tenant set-rf): follow it to its end, then exit by how it ended.
import type { Migration, PairDBClient } from '@pairdb/client';
import { CommandError, EXIT_FAILURE, EXIT_INTERRUPTED } from '../exit-codes';
import { toJson } from '../output/json-output';
import { describeMigration, isFinished } from './migration-text';
import { watchMigration } from './migration-watch';

export interface WatchFlags {
  watch?: boolean;
  interval: number;
}

/** How a watch ended: the last state seen, and whether Ctrl-C ended it. */
export interface WatchEnd {
  readonly final: Migration;
  readonly interrupted: boolean;
}

/**
 * Follows migration `id` until it ends, with a progress bar on a terminal and a line per change
 * elsewhere (nothing with `json`: the caller prints the final state, then calls
 * `checkWatchEnd`). Ctrl-C ends the watch, not the migration.
 */
export async function followMigration(
  client: PairDBClient,
  id: string,
  options: { intervalMs: number; json: boolean },
): Promise<WatchEnd> {
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const final = await watchMigration({
      fetch: () => client.getMigrationStatus(id),
      output: options.json ? { write: () => true } : process.stdout,
      intervalMs: options.intervalMs,
      signal: interrupt.signal,
    });
    // Without a terminal the watch already printed every change, the last one included.
    if (!options.json && process.stdout.isTTY) {
      process.stdout.write(`${describeMigration(final)}\n`);
    }
    return { final, interrupted: interrupt.signal.aborted };
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** Exit 130 for a watch ended by Ctrl-C, 1 for a migration that ended other than completed. */
export function checkWatchEnd(end: WatchEnd): void {
  const id = end.final.migrationId;
  if (end.interrupted) {
    throw new CommandError(
      `interrupted; migration ${id} goes on (\`pairdb migration status ${id}\`)`,
      EXIT_INTERRUPTED,
    );
  }
  if (isFinished(end.final) && end.final.status !== 'completed') {
    throw new CommandError(`migration ${id} ${end.final.status}`, EXIT_FAILURE);
  }
}

/**
 * After a command that may have started a migration (printed already, unless `json`): with
 * --watch, follows it; with `json`, prints the answer, and with --watch the migration's final
 * state under "migration".
 */
export async function followAdmission(
  client: PairDBClient,
  admission: { readonly migrationId: string },
  flags: WatchFlags & { json: boolean },
): Promise<Migration | undefined> {
  const watching = flags.watch === true && admission.migrationId !== '';
  const end = watching
    ? await followMigration(client, admission.migrationId, {
        intervalMs: flags.interval,
        json: flags.json,
      })
    : undefined;
  if (flags.json) {
    const output = end ? { ...admission, migration: end.final } : admission;
    process.stdout.write(`${toJson(output)}\n`);
  }
  if (end) checkWatchEnd(end);
  return end?.final;
}
