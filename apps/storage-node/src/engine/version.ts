/**
 * Version: one immutable arrangement of the live SSTables by level, as the manifest lists them.
 * The engine holds the current version; an iterator or a running compaction pins the version it
 * started with, so the files it reads stay on disk however the tree changes meanwhile.
 *
 * Laws:
 * - a file is deleted only once no referenced version lists it (each file counts the versions
 *   that list it; a version counts its pins);
 * - L0 is ordered newest first (by maxSeq); each level >= 1 is ordered by key, files disjoint;
 * - reading a key from L0 (newest first) down to the bottom level, the first file holding it
 *   has its newest version.
 */
import { LEVEL_COUNT, TableFile } from './manifest';

/**
 * A live SSTable: its manifest record plus how many versions list it. Its level is where a
 * version places it (meta.level is only where it was first written).
 */
export class LiveFile {
  versions = 0;

  constructor(
    readonly meta: TableFile,
    readonly path: string,
  ) {}

  get fileNumber(): number {
    return this.meta.fileNumber;
  }

  contains(key: Buffer): boolean {
    return (
      Buffer.compare(this.meta.smallestKey, key) <= 0 &&
      Buffer.compare(this.meta.largestKey, key) >= 0
    );
  }
}

/** Files leaving and joining levels; a file moved down is removed and added again. */
export interface VersionEdit {
  removed: ReadonlySet<number>;
  added: { level: number; file: LiveFile }[];
}

export class Version {
  readonly levels: readonly (readonly LiveFile[])[];
  private pins = 0;

  constructor(
    levels: readonly (readonly LiveFile[])[],
    private readonly onObsolete: (file: LiveFile) => void,
  ) {
    this.levels = Array.from({ length: LEVEL_COUNT }, (_, level) => {
      const files = [...(levels[level] ?? [])];
      if (level === 0) files.sort((a, b) => b.meta.maxSeq - a.meta.maxSeq);
      else files.sort((a, b) => Buffer.compare(a.meta.smallestKey, b.meta.smallestKey));
      return files;
    });
    for (const file of this.files()) file.versions++;
  }

  ref(): void {
    this.pins++;
  }

  /** Drops a pin; when the last goes, files listed by no other version become obsolete. */
  unref(): void {
    if (this.pins <= 0) throw new Error('version: unref without ref');
    if (--this.pins > 0) return;
    for (const file of this.files()) {
      if (--file.versions === 0) this.onObsolete(file);
    }
  }

  files(): LiveFile[] {
    return this.levels.flat();
  }

  /** Manifest records by level, with each file's level as this version places it. */
  metas(): TableFile[][] {
    return this.levels.map((files, level) => files.map((file) => ({ ...file.meta, level })));
  }

  /** A new version with `edit` applied (files moved between levels appear in both lists). */
  apply(edit: VersionEdit): Version {
    const levels = this.levels.map((files) =>
      files.filter((file) => !edit.removed.has(file.fileNumber)),
    );
    for (const { level, file } of edit.added) levels[level]!.push(file);
    return new Version(levels, this.onObsolete);
  }
}

/** The file of a sorted, disjoint level whose range holds `key`. */
export function findFile(files: readonly LiveFile[], key: Buffer): LiveFile | undefined {
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (Buffer.compare(files[middle]!.meta.largestKey, key) < 0) low = middle + 1;
    else high = middle;
  }
  const file = files[low];
  return file && Buffer.compare(file.meta.smallestKey, key) <= 0 ? file : undefined;
}
