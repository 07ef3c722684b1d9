// YCSB's "latest" request distribution: the most recently inserted records are the most
// popular. A zipfian draw d over [0, latest) picks record latest - d, so the newest record is
// the likeliest and popularity follows new inserts as they arrive.
import type { Random } from '../random';
import type { AcknowledgedCounter } from './acknowledged-counter';
import { ZipfianGenerator } from './zipfian';

export class SkewedLatestGenerator {
  private readonly zipfian: ZipfianGenerator;

  constructor(
    private readonly inserted: AcknowledgedCounter,
    random: Random,
  ) {
    this.zipfian = new ZipfianGenerator(0, Math.max(0, inserted.lastValue() - 1), random);
  }

  next(): number {
    const latest = this.inserted.lastValue();
    if (latest <= 0) return 0;
    return latest - this.zipfian.next(latest);
  }
}
