// The ring version (table ring_state): read it, and bump it inside a transaction with the
// change it announces.
import { RING_CHANGE_CHANNEL } from './metadata-store';
import type { SqlQueryable } from './sql-executor';
import { decodeInteger } from './sql-values';

/** Bumps the ring version inside `transaction`; the NOTIFY is delivered when it commits. */
export async function bumpRing(transaction: SqlQueryable): Promise<number> {
  const rows = await transaction.query(
    'UPDATE ring_state SET version = version + 1, updated_at = now() RETURNING version',
  );
  const ringVersion = decodeInteger(rows[0]!.version, 'version');
  await transaction.query('SELECT pg_notify($1, $2)', [RING_CHANGE_CHANNEL, String(ringVersion)]);
  return ringVersion;
}

export async function readRingVersion(queryable: SqlQueryable): Promise<number> {
  const rows = await queryable.query('SELECT version FROM ring_state');
  return decodeInteger(rows[0]!.version, 'version');
}
