// Zipfian popularity spread over the key space (YCSB's "zipfian" request distribution): draw
// from a zipfian over a huge item space, hash the draw, and fold it into [min, max]. The
// popular items are then scattered instead of being the lowest key numbers, and the skew does
// not depend on how many records there are.
import type { Random } from '../random';
import { fnvHash64 } from './key-hash';
import { ZipfianGenerator } from './zipfian';

/** The item space drawn from before folding: YCSB's 10^10, far above any record count. */
export const SCRAMBLE_ITEM_SPACE = 10_000_000_000;

export class ScrambledZipfianGenerator {
  private readonly zipfian: ZipfianGenerator;
  private readonly itemCount: bigint;

  constructor(
    private readonly min: number,
    max: number,
    random: Random,
  ) {
    if (!(max >= min)) throw new RangeError(`zipfian range [${min}, ${max}] is empty`);
    this.zipfian = new ZipfianGenerator(0, SCRAMBLE_ITEM_SPACE - 1, random);
    this.itemCount = BigInt(max - min + 1);
  }

  next(): number {
    return this.min + Number(fnvHash64(this.zipfian.next()) % this.itemCount);
  }
}
