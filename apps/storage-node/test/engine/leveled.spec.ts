import {
  BOTTOM_LEVEL,
  LeveledOptions,
  levelBytesMax,
  pickCompaction,
  planCompaction,
} from '../../src/engine/compaction/leveled';
import { LEVEL_COUNT, TableFile } from '../../src/engine/manifest';

const options: LeveledOptions = {
  l0CompactionTrigger: 4,
  level1BytesMax: 1000,
  levelSizeMultiplier: 10,
};

let nextNumber = 1;
function file(level: number, smallest: string, largest: string, bytes = 100): TableFile {
  return {
    fileNumber: nextNumber++,
    level,
    bytes,
    entryCount: 1,
    smallestKey: Buffer.from(smallest),
    largestKey: Buffer.from(largest),
    minSeq: nextNumber,
    maxSeq: nextNumber,
    tombstoneCount: 0,
  };
}

function levels(...files: TableFile[]): TableFile[][] {
  const result: TableFile[][] = Array.from({ length: LEVEL_COUNT }, () => []);
  for (const f of files) result[f.level]!.push(f);
  return result;
}

describe('leveled compaction picking', () => {
  it('level limits grow by the multiplier from L1', () => {
    expect([1, 2, 3, 4].map((level) => levelBytesMax(level, options))).toEqual([
      1000, 10_000, 100_000, 1_000_000,
    ]);
  });

  it('nothing is picked while L0 is under its file trigger and levels under their size', () => {
    const tree = levels(
      file(0, 'a', 'b'),
      file(0, 'a', 'c'),
      file(0, 'b', 'd'),
      file(1, 'a', 'z', 900),
    );
    expect(pickCompaction(tree, options, [])).toBeUndefined();
  });

  it('L0 at its trigger compacts all L0 files with the overlapping L1 files only', () => {
    const l1Inside = file(1, 'c', 'e');
    const l1Outside = file(1, 'x', 'z');
    const l0 = [file(0, 'a', 'd'), file(0, 'b', 'c'), file(0, 'a', 'b'), file(0, 'c', 'd')];
    const plan = pickCompaction(levels(...l0, l1Inside, l1Outside), options, [])!;
    expect(plan.level).toBe(0);
    expect(plan.outputLevel).toBe(1);
    expect(plan.inputs.map((f) => f.fileNumber).sort()).toEqual(l0.map((f) => f.fileNumber).sort());
    expect(plan.overlapping).toEqual([l1Inside]);
    expect(plan.trivialMove).toBe(false);
  });

  it('an oversized level compacts one file, round robin after the compact pointer', () => {
    const l1 = [file(1, 'a', 'b', 600), file(1, 'c', 'd', 600), file(1, 'e', 'f', 600)];
    const l2 = file(2, 'c', 'c');
    const tree = levels(...l1, l2);
    const first = pickCompaction(tree, options, [])!;
    expect(first.inputs).toEqual([l1[0]]);
    expect(first.trivialMove).toBe(true);
    const second = pickCompaction(tree, options, [undefined, Buffer.from('b')])!;
    expect(second.inputs).toEqual([l1[1]]);
    expect(second.overlapping).toEqual([l2]);
    expect(second.trivialMove).toBe(false);
    const wrapped = pickCompaction(tree, options, [undefined, Buffer.from('f')])!;
    expect(wrapped.inputs).toEqual([l1[0]]);
  });

  it('the level furthest past its limit goes first', () => {
    const l0 = [file(0, 'a', 'b'), file(0, 'a', 'b'), file(0, 'a', 'b'), file(0, 'a', 'b')];
    const l2 = file(2, 'm', 'n', 50_000);
    const plan = pickCompaction(levels(...l0, l2), options, [])!;
    expect(plan.level).toBe(2);
  });

  it('the bottom level is never picked however large it grows', () => {
    const tree = levels(file(BOTTOM_LEVEL, 'a', 'z', 10 ** 12));
    expect(pickCompaction(tree, options, [])).toBeUndefined();
  });

  it('a bottom-level plan rewrites in place with nothing below to merge', () => {
    const bottom = file(BOTTOM_LEVEL, 'a', 'z');
    const plan = planCompaction(levels(bottom), BOTTOM_LEVEL, [bottom], true);
    expect(plan).toMatchObject({ outputLevel: BOTTOM_LEVEL, overlapping: [], trivialMove: false });
  });
});
