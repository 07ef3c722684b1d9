// <dataDir>/storage-nodes.json: which storage nodes the local cluster of a data dir runs, kept
// between runs (cluster.json lives only while the cluster runs). Written on every start and
// whenever `pairdb node add --start` adds a node or the supervisor stops a node that left the
// ring, so the next `pairdb cluster start` runs the same nodes. A data dir without it (a first
// start) runs nodes 0..--nodes-1.
//
// Format (JSON; "format" is 1, a newer one is refused rather than misread):
//   { "format": 1, "nodeIndices": [0, 2, 3] }     node k is node-<k>, ports per cluster-layout.ts
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CommandError } from '../exit-codes';

export const ROSTER_FILE_NAME = 'storage-nodes.json';
const ROSTER_FORMAT = 1;

export function rosterFilePath(dataDir: string): string {
  return path.join(dataDir, ROSTER_FILE_NAME);
}

/** The node indices recorded for `dataDir`; undefined when none are (a first start). */
export function readRoster(dataDir: string): number[] | undefined {
  const file = rosterFilePath(dataDir);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RosterFileError(file, `not JSON (${(error as Error).message})`);
  }
  const roster = parsed as { format?: unknown; nodeIndices?: unknown };
  if (roster.format !== ROSTER_FORMAT) {
    throw new RosterFileError(file, `format ${String(roster.format)} is not ${ROSTER_FORMAT}`);
  }
  const indices = roster.nodeIndices;
  if (
    !Array.isArray(indices) ||
    !indices.every((index) => Number.isSafeInteger(index) && (index as number) >= 0) ||
    new Set(indices).size !== indices.length
  ) {
    throw new RosterFileError(
      file,
      `nodeIndices ${JSON.stringify(indices)} is not a list of distinct whole numbers`,
    );
  }
  return indices as number[];
}

/** Atomically (temp file, then rename), so a crash leaves the old roster or the new one. */
export function writeRoster(dataDir: string, nodeIndices: readonly number[]): void {
  const file = rosterFilePath(dataDir);
  const temporary = `${file}.tmp`;
  const sorted = [...nodeIndices].sort((a, b) => a - b);
  writeFileSync(temporary, `${JSON.stringify({ format: ROSTER_FORMAT, nodeIndices: sorted })}\n`);
  renameSync(temporary, file);
}

/** A roster that cannot be read: which nodes to run is unknown, so nothing starts. */
export class RosterFileError extends CommandError {
  constructor(file: string, problem: string) {
    super(
      `${file}: ${problem}; fix it (it lists the storage nodes this cluster runs, e.g. ` +
        `{"format": ${ROSTER_FORMAT}, "nodeIndices": [0, 1, 2]}) or delete it to start --nodes again`,
    );
    this.name = 'RosterFileError';
  }
}
