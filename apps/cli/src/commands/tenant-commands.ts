// Tenant administration:
//   pairdb tenant create ID [--replication-factor N] [--conflict-resolution lww|siblings]
//   pairdb tenant get ID
//   pairdb tenant set-rf ID N [--expected-version V] [--watch]
// The work is in actions/tenant-actions.ts, loaded when one of them runs.
import { Option, type Command } from 'commander';
import { CONFLICT_RESOLUTIONS } from '../client-values';
import type { Session } from '../session';
import { addWatchOptions } from './migration-commands';
import {
  integerIn,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
  replicationFactor,
} from '../option-parsers';

export function registerTenantCommands(program: Command, session: Session): void {
  const tenant = program.command('tenant').description('create, show and change tenants');

  const create = tenant
    .command('create')
    .description('create a tenant (its own keyspace)')
    .argument('<id>', 'tenant id: letters, digits, "_", "-", "."')
    .option(
      '-r, --replication-factor <n>',
      'replicas per key (default: the coordinator default, 3)',
      replicationFactor,
    )
    .addOption(
      new Option('--conflict-resolution <policy>', 'lww keeps one value; siblings keeps all')
        .choices(CONFLICT_RESOLUTIONS)
        .default('lww'),
    )
    .option('--json', 'print the tenant as JSON')
    .action(async (id: string) => {
      const { createTenant } = await import('../actions/tenant-actions.js');
      await createTenant(session, id, create.opts());
    });

  const get = tenant
    .command('get')
    .description('show a tenant')
    .argument('<id>', 'tenant id')
    .option('--json', 'print the tenant as JSON')
    .action(async (id: string) => {
      const { showTenant } = await import('../actions/tenant-actions.js');
      await showTenant(session, id, get.opts());
    });

  const setRf = addWatchOptions(
    tenant
      .command('set-rf')
      .description(
        "change a tenant's replication factor: a migration copies its data, then the factor changes",
      )
      .argument('<id>', 'tenant id')
      .argument(
        '<replication-factor>',
        `${REPLICATION_FACTOR_MIN}..${REPLICATION_FACTOR_MAX}`,
        replicationFactor,
      ),
  )
    .option(
      '--expected-version <v>',
      'only if the tenant is still at this version (exit 8 otherwise)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', 'print the tenant and the migration id as JSON')
    .action(async (id: string, factor: number) => {
      const { setReplicationFactor } = await import('../actions/tenant-actions.js');
      await setReplicationFactor(session, id, factor, setRf.opts());
    });
}
