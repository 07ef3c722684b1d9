/**
 * Leveled compaction picking (which files to merge next); the merge itself runs in the worker
 * (run-task.ts).
 *
 * Shape of the tree: L0 holds whole flushed memtables, which may overlap each other; every
 * level >= 1 holds files with disjoint key ranges, sorted by key. Data only moves down, so for
 * any key a version in a higher level (or a newer L0 file) is newer than one below it.
 *
 * Triggers: L0 when it holds `l0CompactionTrigger` files; level n >= 1 when its bytes exceed
 * level1BytesMax * levelSizeMultiplier^(n-1). The bottom level is never compacted further by
 * the picker. The level whose ratio (files or bytes over its limit) is highest goes first.
 *
 * Inputs: from L0 every file (they may overlap, and older L0 files must not be left above newer
 * data); from level n >= 1 the next file after the level's compact pointer (round robin over the
 * key space); plus every file of the next level overlapping the inputs' key range. A single
 * input with nothing to merge below is moved down without rewriting (trivial move).
 */
import { LEVEL_COUNT, TableFile } from '../manifest';

export const BOTTOM_LEVEL = LEVEL_COUNT - 1;
/** Compaction outputs are cut near level1BytesMax / this, bounding the work of one compaction. */
const OUTPUT_FILES_PER_LEVEL1 = 5;
/** Output files smaller than this would only add per-file overhead (index, bloom, open files). */
const OUTPUT_FILE_BYTES_MIN = 64 * 1024;

export interface LeveledOptions {
  l0CompactionTrigger: number;
  level1BytesMax: number;
  levelSizeMultiplier: number;
}

export interface CompactionPlan {
  level: number;
  outputLevel: number;
  /** Files of `level`, newest first for L0, by key otherwise. */
  inputs: TableFile[];
  /** Files of `outputLevel` overlapping the inputs, by key. */
  overlapping: TableFile[];
  /** Move the one input down by a manifest edit only. */
  trivialMove: boolean;
}

export function levelBytesMax(level: number, options: LeveledOptions): number {
  return options.level1BytesMax * options.levelSizeMultiplier ** Math.max(0, level - 1);
}

export function targetFileBytes(options: LeveledOptions): number {
  return Math.max(
    OUTPUT_FILE_BYTES_MIN,
    Math.floor(options.level1BytesMax / OUTPUT_FILES_PER_LEVEL1),
  );
}

export function levelBytes(files: readonly TableFile[]): number {
  return files.reduce((sum, file) => sum + file.bytes, 0);
}

/** How far past its trigger each level is (>= 1 means it needs compaction); bottom is 0. */
export function levelScores(levels: readonly TableFile[][], options: LeveledOptions): number[] {
  return levels.map((files, level) => {
    if (level === BOTTOM_LEVEL) return 0;
    if (level === 0) return files.length / options.l0CompactionTrigger;
    return levelBytes(files) / levelBytesMax(level, options);
  });
}

/**
 * The next compaction to run, or undefined when every level is within its limit.
 * `compactPointers[level]` is the largest key of the last file compacted from that level.
 */
export function pickCompaction(
  levels: readonly TableFile[][],
  options: LeveledOptions,
  compactPointers: readonly (Buffer | undefined)[],
): CompactionPlan | undefined {
  const scores = levelScores(levels, options);
  let level = -1;
  for (let candidate = 0; candidate < BOTTOM_LEVEL; candidate++) {
    if (scores[candidate]! >= 1 && (level < 0 || scores[candidate]! > scores[level]!)) {
      level = candidate;
    }
  }
  if (level < 0) return undefined;
  const files = levels[level]!;
  if (level === 0) return planCompaction(levels, 0, files, true);
  const pointer = compactPointers[level];
  const next =
    (pointer && files.find((file) => Buffer.compare(file.smallestKey, pointer) > 0)) ?? files[0]!;
  return planCompaction(levels, level, [next], true);
}

/** Plan for merging `inputs` (files of `level`) into level + 1 (or into itself at the bottom). */
export function planCompaction(
  levels: readonly TableFile[][],
  level: number,
  inputs: TableFile[],
  allowTrivialMove: boolean,
): CompactionPlan {
  const outputLevel = Math.min(level + 1, BOTTOM_LEVEL);
  const range = keyRange(inputs);
  const overlapping =
    outputLevel === level ? [] : overlappingFiles(levels[outputLevel] ?? [], range);
  return {
    level,
    outputLevel,
    inputs,
    overlapping,
    trivialMove:
      allowTrivialMove && outputLevel !== level && inputs.length === 1 && overlapping.length === 0,
  };
}

export function keyRange(files: readonly TableFile[]): { smallestKey: Buffer; largestKey: Buffer } {
  let smallestKey = files[0]!.smallestKey;
  let largestKey = files[0]!.largestKey;
  for (const file of files) {
    if (Buffer.compare(file.smallestKey, smallestKey) < 0) smallestKey = file.smallestKey;
    if (Buffer.compare(file.largestKey, largestKey) > 0) largestKey = file.largestKey;
  }
  return { smallestKey, largestKey };
}

export function overlappingFiles(
  files: readonly TableFile[],
  range: { smallestKey: Buffer; largestKey: Buffer },
): TableFile[] {
  return files.filter(
    (file) =>
      Buffer.compare(file.largestKey, range.smallestKey) >= 0 &&
      Buffer.compare(file.smallestKey, range.largestKey) <= 0,
  );
}
