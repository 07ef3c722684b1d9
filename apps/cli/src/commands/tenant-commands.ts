// Tenant administration:
//   pairdb tenant create ID [--replication-factor N] [--conflict-resolution lww|siblings]
//   pairdb tenant get ID
//   pairdb tenant set-rf ID N [--expected-version V]
import { Option, type Command } from 'commander';
import { CONFLICT_RESOLUTIONS, type ConflictResolution, type Tenant } from '@pairdb/client';
import { withClient } from '../client-session';
import {
  integerIn,
  REPLICATION_FACTOR_MAX,
  REPLICATION_FACTOR_MIN,
  replicationFactor,
} from '../option-parsers';
import { toJson } from '../output/json-output';

export function registerTenantCommands(program: Command): void {
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
      const flags = create.opts<{
        replicationFactor?: number;
        conflictResolution: ConflictResolution;
        json?: boolean;
      }>();
      const created = await withClient(create, (client) =>
        client.createTenant(id, {
          replicationFactor: flags.replicationFactor,
          conflictResolution: flags.conflictResolution,
        }),
      );
      printTenant(created, flags.json);
    });

  const get = tenant
    .command('get')
    .description('show a tenant')
    .argument('<id>', 'tenant id')
    .option('--json', 'print the tenant as JSON')
    .action(async (id: string) => {
      const found = await withClient(get, (client) => client.getTenant(id));
      printTenant(found, get.opts<{ json?: boolean }>().json);
    });

  const setRf = tenant
    .command('set-rf')
    .description("change a tenant's replication factor")
    .argument('<id>', 'tenant id')
    .argument(
      '<replication-factor>',
      `${REPLICATION_FACTOR_MIN}..${REPLICATION_FACTOR_MAX}`,
      replicationFactor,
    )
    .option(
      '--expected-version <v>',
      'only if the tenant is still at this version (exit 8 otherwise)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option('--json', 'print the tenant as JSON')
    .action(async (id: string, replicationFactor: number) => {
      const flags = setRf.opts<{ expectedVersion?: number; json?: boolean }>();
      const updated = await withClient(setRf, (client) =>
        client.setReplicationFactor(id, replicationFactor, {
          expectedVersion: flags.expectedVersion,
        }),
      );
      printTenant(updated, flags.json);
    });
}

function printTenant(tenant: Tenant, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${toJson(tenant)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['tenant', tenant.tenantId],
    ['replication factor', String(tenant.replicationFactor)],
    ['conflict resolution', tenant.conflictResolution],
    ['version', String(tenant.version)],
    ['created', isoTime(tenant.createdAtUnixMs)],
    ['updated', isoTime(tenant.updatedAtUnixMs)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join(''));
}

function isoTime(unixMs: number): string {
  return unixMs > 0 ? new Date(unixMs).toISOString() : '-';
}
