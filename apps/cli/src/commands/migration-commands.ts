// pairdb migration status ID [--watch] [--interval MS]: where a node addition or removal is.
import type { Command } from 'commander';
import { EXIT_FAILURE, EXIT_INTERRUPTED, CommandError } from '../exit-codes';
import { withClient } from '../client-session';
import {
  describeMigration,
  FINAL_STATUSES,
  watchMigration,
  WATCH_INTERVAL_MS_DEFAULT,
} from '../migration/migration-watch';
import { integerIn } from '../option-parsers';
import { toJson } from '../output/json-output';

/** Poll no faster than this: each poll is a metadata query on the coordinator. */
const WATCH_INTERVAL_MS_MIN = 100;
/** An hour between polls is no longer watching. */
const WATCH_INTERVAL_MS_MAX = 3_600_000;

export function registerMigrationCommands(program: Command): void {
  const migration = program.command('migration').description('follow data migrations');
  const status = migration
    .command('status')
    .description('show a migration; --watch follows it with a progress bar until it ends')
    .argument('<id>', 'migration id, as node add/remove printed it')
    .option('-w, --watch', 'poll until the migration completes, fails or is cancelled')
    .option(
      '--interval <ms>',
      `poll interval with --watch (default ${WATCH_INTERVAL_MS_DEFAULT})`,
      integerIn(WATCH_INTERVAL_MS_MIN, WATCH_INTERVAL_MS_MAX),
    )
    .option('--json', 'print the migration as JSON (the final state with --watch)')
    .action(async (id: string) => {
      const flags = status.opts<{ watch?: boolean; interval?: number; json?: boolean }>();
      const interrupt = new AbortController();
      const onInterrupt = () => interrupt.abort();
      process.once('SIGINT', onInterrupt);
      try {
        const final = await withClient(status, (client) =>
          flags.watch
            ? watchMigration({
                fetch: () => client.getMigrationStatus(id),
                output: flags.json ? { write: () => true } : process.stdout,
                intervalMs: flags.interval,
                signal: interrupt.signal,
              })
            : client.getMigrationStatus(id),
        );
        if (flags.json) process.stdout.write(`${toJson(final)}\n`);
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
    });
}
