// pairdb repair [--tenant ID] [--no-wait] [--interval MS] [--json]
// Starts a full anti-entropy pass now and follows it to its end, as `nodetool repair` does. The
// work is in actions/repair-action.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Session } from '../session';
import { integerIn } from '../option-parsers';

const INTERVAL_MS_DEFAULT = 1_000;
/** Poll no faster than this: each poll is a few metadata queries on the coordinator. */
const INTERVAL_MS_MIN = 100;
/** An hour between polls is no longer following. */
const INTERVAL_MS_MAX = 3_600_000;

export function registerRepairCommand(program: Command, session: Session): void {
  const repair = program
    .command('repair')
    .description(
      'repair replicas now: start a full anti-entropy pass (every tenant, or --tenant) and ' +
        'print its progress until it ends; exit 1 if it ends incomplete',
    )
    .option('--tenant <id>', "repair only this tenant's ranges")
    .option('--no-wait', 'print the repair id and return at once')
    .option(
      '--interval <ms>',
      'poll interval while following it',
      integerIn(INTERVAL_MS_MIN, INTERVAL_MS_MAX),
      INTERVAL_MS_DEFAULT,
    )
    .option('--json', 'print the repair as JSON (its final state unless --no-wait)')
    .action(async () => {
      const { runRepair } = await import('../actions/repair-action.js');
      await runRepair(session, repair.opts());
    });
}
