// tenant create, get and set-rf [--watch] (commands/tenant-commands.ts defines their options).
import type { ConflictResolution, Tenant } from '@pairdb/client';
import { toJson } from '../output/json-output';
import type { Session } from '../session';
import { followAdmission, type WatchFlags } from '../migration/migration-follow';

interface JsonFlag {
  json?: boolean;
}

export async function createTenant(
  session: Session,
  id: string,
  flags: JsonFlag & { replicationFactor?: number; conflictResolution: ConflictResolution },
): Promise<void> {
  const client = await session.client();
  const created = await client.createTenant(id, {
    replicationFactor: flags.replicationFactor,
    conflictResolution: flags.conflictResolution,
  });
  printTenant(created, session.json(flags.json));
}

export async function showTenant(session: Session, id: string, flags: JsonFlag): Promise<void> {
  const client = await session.client();
  printTenant(await client.getTenant(id), session.json(flags.json));
}

export async function setReplicationFactor(
  session: Session,
  id: string,
  replicationFactor: number,
  flags: JsonFlag & WatchFlags & { expectedVersion?: number },
): Promise<void> {
  const client = await session.client();
  const json = session.json(flags.json);
  const change = await client.setReplicationFactor(id, replicationFactor, {
    expectedVersion: flags.expectedVersion,
  });
  const migrationId = change.migrationId;
  if (!json) {
    printTenant(change.tenant, false);
    process.stdout.write(
      migrationId === ''
        ? `replication factor ${replicationFactor}: no data to move\n`
        : `migration ${migrationId}: copies ${id} to ${replicationFactor} replicas; the factor changes ` +
            `when it completes (\`pairdb migration status ${migrationId} --watch\`)\n`,
    );
  }
  await followAdmission(client, change, { ...flags, json });
}

function printTenant(tenant: Tenant, json: boolean): void {
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
