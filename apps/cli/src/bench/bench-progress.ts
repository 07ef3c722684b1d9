// Progress of a benchmark phase on stderr (stdout stays for the report): a live bar on a
// terminal, a line every few seconds elsewhere (CI logs), nothing when asked to be quiet.
import { SingleBar } from 'cli-progress';
import type { Progress } from './bench-runner';

/** How often a non-terminal gets a progress line. */
const LINE_INTERVAL_MS = 5_000;

export function createProgress(stream: NodeJS.WriteStream, quiet: boolean): Progress {
  if (quiet) return { start: () => undefined, increment: () => undefined, stop: () => undefined };
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}

class BarProgress implements Progress {
  private bar: SingleBar | undefined;
  private started = 0;
  private done = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(phase: string, total: number): void {
    this.bar = new SingleBar({
      stream: this.stream,
      format: `${phase.padEnd(6)} |{bar}| {percentage}% | {value}/{total} ops | {rate} ops/s | eta {eta_formatted}`,
      hideCursor: true,
      barsize: 30,
    });
    this.bar.start(total, 0, { rate: 0 });
    this.started = performance.now();
  }

  increment(): void {
    this.done++;
    const seconds = (performance.now() - this.started) / 1000;
    this.bar?.increment(1, { rate: seconds > 0 ? Math.round(this.done / seconds) : 0 });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.done = 0;
  }
}

class LineProgress implements Progress {
  private phase = '';
  private total = 0;
  private done = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(phase: string, total: number): void {
    this.phase = phase;
    this.total = total;
    this.done = 0;
    this.timer = setInterval(() => this.line(), LINE_INTERVAL_MS);
    this.timer.unref();
  }

  increment(): void {
    this.done++;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.line();
  }

  private line(): void {
    const percent = this.total > 0 ? Math.floor((this.done * 100) / this.total) : 100;
    this.stream.write(`${this.phase}: ${this.done}/${this.total} ops (${percent}%)\n`);
  }
}
