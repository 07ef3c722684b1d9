// Following data migrations (node additions and removals, replication factor changes):
//   pairdb migration status ID [--watch] [--interval MS]
//   pairdb migration list [--limit N]
// The work is in actions/migration-actions.ts, loaded when one of them runs.
import type { Command } from 'commander';
import type { Session } from '../session';
import { integerIn } from '../option-parsers';

const WATCH_INTERVAL_MS_DEFAULT = 1_000;
/** Poll no faster than this: each poll is a metadata query on the coordinator. */
const WATCH_INTERVAL_MS_MIN = 100;
/** An hour between polls is no longer watching. */
const WATCH_INTERVAL_MS_MAX = 3_600_000;
/** The coordinator's own default (admin-service.ts MIGRATIONS_LISTED_DEFAULT). */
const LIST_LIMIT_DEFAULT = 20;
/** The coordinator's MIGRATIONS_LISTED_MAX: each migration is one metadata row. */
const LIST_LIMIT_MAX = 1_000;

/** --watch and --interval, for every command that starts or shows a migration. */
export function addWatchOptions(command: Command): Command {
  return command
    .option('-w, --watch', 'follow the migration with a progress bar until it ends')
    .option(
      '--interval <ms>',
      'poll interval with --watch',
      integerIn(WATCH_INTERVAL_MS_MIN, WATCH_INTERVAL_MS_MAX),
      WATCH_INTERVAL_MS_DEFAULT,
    );
}

export function registerMigrationCommands(program: Command, session: Session): void {
  const migration = program.command('migration').description('follow data migrations');
  const status = addWatchOptions(
    migration
      .command('status')
      .description('show a migration; --watch follows it with a progress bar until it ends')
      .argument('<id>', 'migration id, as node add/remove or tenant set-rf printed it'),
  )
    .option('--json', 'print the migration as JSON (the final state with --watch)')
    .action(async (id: string) => {
      const { showMigration } = await import('../actions/migration-actions.js');
      await showMigration(session, id, status.opts());
    });

  const list = migration
    .command('list')
    .alias('ls')
    .description('list migrations, newest first: type, status, phase and progress')
    .option(
      '-l, --limit <n>',
      'at most this many',
      integerIn(1, LIST_LIMIT_MAX),
      LIST_LIMIT_DEFAULT,
    )
    .option('--json', 'print the migrations as JSON')
    .action(async () => {
      const { listMigrations } = await import('../actions/migration-actions.js');
      await listMigrations(session, list.opts());
    });
}
