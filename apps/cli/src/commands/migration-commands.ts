// pairdb migration status ID [--watch] [--interval MS]: where a node addition or removal is.
// The work is in actions/migration-actions.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Session } from '../session';
import { integerIn } from '../option-parsers';

const WATCH_INTERVAL_MS_DEFAULT = 1_000;
/** Poll no faster than this: each poll is a metadata query on the coordinator. */
const WATCH_INTERVAL_MS_MIN = 100;
/** An hour between polls is no longer watching. */
const WATCH_INTERVAL_MS_MAX = 3_600_000;

export function registerMigrationCommands(program: Command, session: Session): void {
  const migration = program.command('migration').description('follow data migrations');
  const status = migration
    .command('status')
    .description('show a migration; --watch follows it with a progress bar until it ends')
    .argument('<id>', 'migration id, as node add/remove printed it')
    .option('-w, --watch', 'poll until the migration completes, fails or is cancelled')
    .option(
      '--interval <ms>',
      'poll interval with --watch',
      integerIn(WATCH_INTERVAL_MS_MIN, WATCH_INTERVAL_MS_MAX),
      WATCH_INTERVAL_MS_DEFAULT,
    )
    .option('--json', 'print the migration as JSON (the final state with --watch)')
    .action(async (id: string) => {
      const { showMigration } = await import('../actions/migration-actions.js');
      await showMigration(session, id, status.opts());
    });
}
