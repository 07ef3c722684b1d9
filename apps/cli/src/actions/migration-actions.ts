// migration status [--watch] and migration list (commands/migration-commands.ts defines their
// options).
import { checkWatchEnd, followMigration, type WatchFlags } from '../migration/migration-follow';
import { describeMigration, migrationNotes, migrationTable } from '../migration/migration-text';
import { toJson } from '../output/json-output';
import type { Session } from '../session';

export async function showMigration(
  session: Session,
  id: string,
  flags: WatchFlags & { json?: boolean },
): Promise<void> {
  const json = session.json(flags.json);
  const client = await session.client();
  if (!flags.watch) {
    const migration = await client.getMigrationStatus(id);
    process.stdout.write(json ? `${toJson(migration)}\n` : `${describeMigration(migration)}\n`);
    return;
  }
  const end = await followMigration(client, id, { intervalMs: flags.interval, json });
  if (json) process.stdout.write(`${toJson(end.final)}\n`);
  checkWatchEnd(end);
}

export async function listMigrations(
  session: Session,
  flags: { limit: number; json?: boolean },
): Promise<void> {
  const client = await session.client();
  const migrations = await client.listMigrations(flags.limit);
  if (session.json(flags.json)) {
    process.stdout.write(`${toJson(migrations)}\n`);
    return;
  }
  if (migrations.length === 0) {
    process.stdout.write('no migrations yet\n');
    return;
  }
  const notes = migrationNotes(migrations).map((line) => `${line}\n`);
  process.stdout.write(
    `${migrationTable(migrations)}\n${notes.length ? `\n${notes.join('')}` : ''}`,
  );
}
