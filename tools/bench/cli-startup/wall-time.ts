// Wall time of whole processes, as a user waits for them: spawn to exit, output discarded.
import { spawnSync } from 'node:child_process';

export interface Variant {
  /** How the command is run, e.g. "before: node main.js" or "after: node_modules/.bin/pairdb". */
  readonly label: string;
  readonly argv: readonly string[];
}

export interface Sample {
  readonly label: string;
  readonly runsMs: number[];
  failures: number;
}

/**
 * Runs every variant `runs` times, interleaved (a burst of load on the machine hits all of them
 * alike), after one unmeasured warm-up run of each (file cache, JIT-free either way).
 */
export function measure(
  variants: readonly Variant[],
  runs: number,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Sample[] {
  const samples: Sample[] = variants.map((variant) => ({
    label: variant.label,
    runsMs: [],
    failures: 0,
  }));
  for (const variant of variants) once(variant, env, cwd);
  for (let run = 0; run < runs; run++) {
    variants.forEach((variant, i) => {
      const { ms, ok } = once(variant, env, cwd);
      samples[i]!.runsMs.push(ms);
      if (!ok) samples[i]!.failures++;
    });
  }
  return samples;
}

function once(variant: Variant, env: NodeJS.ProcessEnv, cwd: string) {
  const start = process.hrtime.bigint();
  const result = spawnSync(variant.argv[0]!, variant.argv.slice(1), { env, cwd, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, ok: result.status === 0 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
