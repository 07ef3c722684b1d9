// Every key number in [min, max] equally likely (YCSB's "uniform" request distribution).
import type { Random } from '../random';

export class UniformGenerator {
  private readonly count: number;

  constructor(
    private readonly min: number,
    max: number,
    private readonly random: Random,
  ) {
    if (!(max >= min)) throw new RangeError(`uniform range [${min}, ${max}] is empty`);
    this.count = max - min + 1;
  }

  next(): number {
    return this.min + Math.floor(this.random.nextDouble() * this.count);
  }
}
