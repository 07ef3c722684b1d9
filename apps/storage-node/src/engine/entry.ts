/**
 * The unit the engine stores: one version of one key. Shared by the commit log, the memtable,
 * SSTables and compaction.
 *
 * Law: entries are totally ordered by `compareEntries`: key ascending (unsigned bytewise,
 * Buffer.compare), then seq descending, so the newest version of a key comes first.
 */

/** DO NOT CHANGE THESE VALUES: they are stored on disk (commit log and SSTables). 0 is reserved. */
export enum EntryKind {
  Put = 1,
  Delete = 2,
}

export interface Entry {
  /** User key bytes, compared with Buffer.compare (unsigned bytewise). */
  key: Buffer;
  /** Engine sequence number, unique per write, increasing; < 2^53. */
  seq: number;
  kind: EntryKind;
  /** Put: the value; Delete: 8-byte big-endian unix ms of the delete. */
  value: Buffer;
}

/** Internal order: key ascending, then seq DESCENDING (newest first for equal keys). */
export function compareEntries(a: Entry, b: Entry): number {
  const byKey = Buffer.compare(a.key, b.key);
  if (byKey !== 0) return byKey;
  return b.seq - a.seq;
}
