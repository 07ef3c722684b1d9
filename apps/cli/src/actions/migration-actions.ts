// migration status [--watch] (commands/migration-commands.ts defines its options).
import { CommandError, EXIT_FAILURE, EXIT_INTERRUPTED } from '../exit-codes';
import { describeMigration, FINAL_STATUSES, watchMigration } from '../migration/migration-watch';
import { toJson } from '../output/json-output';
import type { Session } from '../session';

export async function showMigration(
  session: Session,
  id: string,
  flags: { watch?: boolean; interval: number; json?: boolean },
): Promise<void> {
  const json = session.json(flags.json);
  const client = await session.client();
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const final = flags.watch
      ? await watchMigration({
          fetch: () => client.getMigrationStatus(id),
          output: json ? { write: () => true } : process.stdout,
          intervalMs: flags.interval,
          signal: interrupt.signal,
        })
      : await client.getMigrationStatus(id);
    if (json) process.stdout.write(`${toJson(final)}\n`);
    // Without a terminal the watch already printed every change, the last one included.
    else if (!flags.watch || process.stdout.isTTY) {
      process.stdout.write(`${describeMigration(final)}\n`);
    }
    if (interrupt.signal.aborted) throw new CommandError('interrupted', EXIT_INTERRUPTED);
    if (flags.watch && FINAL_STATUSES.has(final.status) && final.status !== 'completed') {
      throw new CommandError(`migration ${id} ${final.status}`, EXIT_FAILURE);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
