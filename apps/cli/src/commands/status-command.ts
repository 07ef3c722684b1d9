// pairdb status [--replication-factor N | --tenant ID] [--json]
// The work is in actions/status-action.ts, loaded when it runs.
import type { Command } from 'commander';
import type { Session } from '../session';
import { replicationFactor } from '../option-parsers';

/** The replication factor new tenants get by default: the "effective" column's default. */
const REPLICATION_FACTOR_DEFAULT = 3;

export function registerStatusCommand(program: Command, session: Session): void {
  const status = program
    .command('status')
    .description('nodes, state, ring ownership, health and key counts')
    .option(
      '-r, --replication-factor <n>',
      'replication factor for the EFFECTIVE column',
      replicationFactor,
      REPLICATION_FACTOR_DEFAULT,
    )
    .option('--tenant <id>', "use this tenant's replication factor for EFFECTIVE")
    .option('--json', 'print the status as JSON')
    .action(async () => {
      const { showStatus } = await import('../actions/status-action.js');
      await showStatus(session, status.opts());
    });
}
