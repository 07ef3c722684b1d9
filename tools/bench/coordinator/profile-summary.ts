// Where a process's CPU time went, from a V8 profile (`node --cpu-prof`, written by
// `bench.ts --profile`):
//   node --require @swc-node/register tools/bench/coordinator/profile-summary.ts FILE [--top N]
// Prints self time per module (an npm package, a node: internal, or a source file of a bundle,
// found through the `// path` comments esbuild writes above each bundled file), time per module
// including its callees, and the functions with the most self time.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const DEFAULT_TOP = 25;
/** Frames V8 reports without a function of ours: idle, GC, native code with no JS caller. */
const META_FRAMES = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const MICROSECONDS_PER_MS = 1_000;

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based. */
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  /** Microseconds since the previous sample. */
  readonly timeDeltas: readonly number[];
}

/** Maps a line of a bundle to the source file esbuild wrote it from. */
class BundleSources {
  private readonly starts = new Map<string, { line: number; source: string }[]>();

  sourceOf(url: string, lineNumber: number): string | undefined {
    let starts = this.starts.get(url);
    if (!starts) {
      starts = bundleFileStarts(url);
      this.starts.set(url, starts);
    }
    let found: string | undefined;
    for (const start of starts) {
      if (start.line > lineNumber) break;
      found = start.source;
    }
    return found;
  }
}

function bundleFileStarts(url: string): { line: number; source: string }[] {
  if (!url.startsWith('file://') || url.includes('/node_modules/')) return [];
  let text: string;
  try {
    text = readFileSync(new URL(url), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line, index) => {
    const match = /^\/\/ ((?:apps|libs)\/\S+\.ts)$/.exec(line);
    return match ? [{ line: index, source: match[1]! }] : [];
  });
}

function moduleOf(frame: CallFrame, sources: BundleSources): string {
  if (META_FRAMES.has(frame.functionName) && frame.url === '') return frame.functionName;
  if (frame.url === '') return '(native)';
  if (frame.url.startsWith('node:')) return 'node:internal';
  const nodeModules = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url);
  if (nodeModules) return nodeModules[1]!;
  return sources.sourceOf(frame.url, frame.lineNumber) ?? path.basename(frame.url);
}

function functionLabel(frame: CallFrame, module: string): string {
  return `${frame.functionName || '(anonymous)'}  [${module}:${frame.lineNumber + 1}]`;
}

/** Samples V8 took while the thread had nothing to run. */
function isIdle(key: string): boolean {
  return (
    key === '(idle)' || key.startsWith('(idle)  ') || key === '(root)' || key.startsWith('(root)  ')
  );
}

function add(totals: Map<string, number>, key: string, micros: number): void {
  totals.set(key, (totals.get(key) ?? 0) + micros);
}

function summarize(profile: CpuProfile, top: number): string {
  const sources = new BundleSources();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfByModule = new Map<string, number>();
  const inclusiveByModule = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByFunction = new Map<string, number>();
  let totalMicros = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    totalMicros += micros;
    const node = byId.get(id)!;
    const module = moduleOf(node.callFrame, sources);
    add(selfByModule, module, micros);
    add(selfByFunction, functionLabel(node.callFrame, module), micros);
    const modulesOnStack = new Set<string>();
    const functionsOnStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const frameModule = moduleOf(frame, sources);
      modulesOnStack.add(frameModule);
      functionsOnStack.add(functionLabel(frame, frameModule));
    }
    for (const seen of modulesOnStack) add(inclusiveByModule, seen, micros);
    for (const seen of functionsOnStack) add(inclusiveByFunction, seen, micros);
  });
  const busyMicros = totalMicros - (selfByModule.get('(idle)') ?? 0);
  const section = (title: string, totals: Map<string, number>) => [
    '',
    `${title} (ms, % of busy time)`,
    ...[...totals.entries()]
      .filter(([key]) => !isIdle(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([key, micros]) =>
          `${(micros / MICROSECONDS_PER_MS).toFixed(0).padStart(8)} ` +
          `${((100 * micros) / busyMicros).toFixed(1).padStart(5)}%  ${key}`,
      ),
  ];
  return [
    `${(totalMicros / MICROSECONDS_PER_MS).toFixed(0)} ms sampled, ` +
      `${(busyMicros / MICROSECONDS_PER_MS).toFixed(0)} ms busy (not idle)`,
    ...section('self time by module', selfByModule),
    ...section('time by module, callees included', inclusiveByModule),
    ...section('self time by function', selfByFunction),
    ...section('time by function, callees included', inclusiveByFunction),
  ].join('\n');
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string' } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error('usage: profile-summary.ts FILE.cpuprofile [--top N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as CpuProfile;
console.log(summarize(profile, Number(values.top ?? DEFAULT_TOP)));
