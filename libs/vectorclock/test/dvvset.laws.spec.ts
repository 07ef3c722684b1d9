// Property tests for the laws stated at the top of src/dvvset.ts.

import fc from 'fast-check';
import {
  type Dot,
  HybridLogicalClock,
  type VersionSet,
  VersionVector,
  applyBounds,
  covers,
  joinVersionVectors,
  descends,
  makeDot,
  readContext,
  sync,
  update,
  versionSetsEqual,
} from '../src';
import { dotKey, hex, smallActor, smallVersionSet } from './arbitraries';

const RUNS = 3000;

describe('law 1: sync is a join on arbitrary sets', () => {
  it('sync is commutative', () => {
    fc.assert(
      fc.property(smallVersionSet, smallVersionSet, (a, b) => {
        expect(hex(sync(a, b))).toBe(hex(sync(b, a)));
      }),
      { numRuns: RUNS },
    );
  });

  it('sync is associative', () => {
    fc.assert(
      fc.property(smallVersionSet, smallVersionSet, smallVersionSet, (a, b, c) => {
        expect(hex(sync(sync(a, b), c))).toBe(hex(sync(a, sync(b, c))));
      }),
      { numRuns: RUNS },
    );
  });

  it('sync is idempotent', () => {
    fc.assert(
      fc.property(smallVersionSet, (a) => {
        expect(hex(sync(a, a))).toBe(hex(a));
      }),
      { numRuns: RUNS },
    );
  });
});

/** A dot above every counter of `vector`, so no context derived from it covers the dot. */
const freshDot = (vector: VersionVector, actor: string, step: bigint): Dot => {
  const top = vector.entries().reduce((max, [, counter]) => (counter > max ? counter : max), 0n);
  return makeDot(actor, top + step);
};

describe('laws 2 and 3: update', () => {
  it('update with a context covering every sibling leaves exactly the new sibling', () => {
    fc.assert(
      fc.property(smallVersionSet, smallActor, fc.bigInt(1n, 20n), (set, actor, step) => {
        const dot = freshDot(readContext(set), actor, step);
        const written = update(set, readContext(set), dot, { value: new Uint8Array([7]) });
        expect(written.siblings.map((sibling) => dotKey(sibling.dot))).toEqual([dotKey(dot)]);
        expect(covers(readContext(written), dot)).toBe(true);
        expect(descends(written.context, set.context)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('two updates from the same read become two siblings', () => {
    fc.assert(
      fc.property(smallVersionSet, smallActor, smallActor, (set, actor1, actor2) => {
        const context = readContext(set);
        const first = freshDot(context, actor1, 1n);
        const second = freshDot(context, actor2, 2n);
        const once = update(set, context, first, { value: new Uint8Array([1]) });
        const twice = update(once, context, second, { tombstone: true });
        expect(twice.siblings.map((sibling) => dotKey(sibling.dot))).toEqual([
          dotKey(first),
          dotKey(second),
        ]);
      }),
      { numRuns: RUNS },
    );
  });

  it('two updates with any shared context keep both new dots and every uncovered sibling', () => {
    fc.assert(
      fc.property(smallVersionSet, smallVersionSet, smallActor, (set, read, actor) => {
        const context = read.context;
        // Fresh for the replica as well as the reader: a dot the replica already covers is a
        // resent write, a no-op (law 6).
        const seen = joinVersionVectors(readContext(set), context);
        const first = freshDot(seen, actor, 1n);
        const second = freshDot(seen, actor, 2n);
        const once = update(set, context, first, { value: new Uint8Array([1]) });
        const twice = update(once, context, second, { value: new Uint8Array([2]) });
        const expected = set.siblings
          .filter((sibling) => !covers(context, sibling.dot))
          .map((sibling) => sibling.dot)
          .concat([first, second])
          .map(dotKey);
        const actual = twice.siblings.map((sibling) => dotKey(sibling.dot));
        expect(new Set(actual)).toEqual(new Set(expected));
        expect(actual).toHaveLength(new Set(expected).size);
      }),
      { numRuns: RUNS },
    );
  });
});

// Law 4: random histories of writes and syncs over a few replicas, with a model of what each
// replica has heard of. Each actor (coordinator) writes through a home replica and to any other
// subset of replicas, in any order relative to its earlier writes (replicas miss writes).

type ContextChoice = { kind: 'blind' } | { kind: 'read'; replica: number } | { kind: 'stale' };

type Operation =
  | {
      kind: 'write';
      actor: number;
      context: ContextChoice;
      tombstone: boolean;
      extraTargets: number;
      wallStepMs: number;
    }
  | { kind: 'sync'; target: number; source: number; bothWays: boolean }
  | { kind: 'read'; replica: number };

const REPLICAS = 3;
const ACTORS = ['c0', 'c1', 'c2', 'c3'];

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    actor: fc.nat(ACTORS.length - 1),
    context: fc.oneof(
      fc.constant({ kind: 'blind' as const }),
      fc.record({ kind: fc.constant('read' as const), replica: fc.nat(REPLICAS - 1) }),
      fc.constant({ kind: 'stale' as const }),
    ),
    tombstone: fc.boolean(),
    extraTargets: fc.nat((1 << REPLICAS) - 1),
    // Wall clocks stall and step backwards too.
    wallStepMs: fc.integer({ min: -3, max: 3 }),
  }),
  fc.record({
    kind: fc.constant('sync' as const),
    target: fc.nat(REPLICAS - 1),
    source: fc.nat(REPLICAS - 1),
    bothWays: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('read' as const), replica: fc.nat(REPLICAS - 1) }),
);

interface Knowledge {
  readonly dots: Set<string>;
  /** Indices into History.contexts. */
  readonly contexts: Set<number>;
}

class History {
  readonly states: VersionSet[] = Array.from({ length: REPLICAS }, () => ({
    context: VersionVector.EMPTY,
    siblings: [],
  }));
  readonly heard: Knowledge[] = Array.from({ length: REPLICAS }, () => ({
    dots: new Set(),
    contexts: new Set(),
  }));
  readonly contexts: VersionVector[] = [];
  readonly written = new Map<string, string>();
  private readonly dotsByActor = ACTORS.map((): string[] => []);
  private readonly walls = ACTORS.map(() => 1_000);
  private readonly clocks = ACTORS.map(
    (actor, index) => new HybridLogicalClock(actor, { now: () => this.walls[index] as number }),
  );
  private readonly staleReads: VersionVector[] = [];

  /** `transform` lets a second world bound its states after every step. */
  constructor(private readonly transform: (set: VersionSet) => VersionSet = (set) => set) {}

  apply(step: Operation, contextFrom: (choice: ContextChoice) => VersionVector): void {
    if (step.kind === 'read') {
      this.staleReads.push(readContext(this.states[step.replica] as VersionSet));
    } else if (step.kind === 'sync') {
      this.sync(step.target, step.source);
      if (step.bothWays) this.sync(step.source, step.target);
    } else {
      this.write(step, contextFrom(step.context));
    }
  }

  contextFor(choice: ContextChoice): VersionVector {
    if (choice.kind === 'blind') return VersionVector.EMPTY;
    if (choice.kind === 'read') return readContext(this.states[choice.replica] as VersionSet);
    return this.staleReads[this.staleReads.length - 1] ?? VersionVector.EMPTY;
  }

  /** Sibling dots the law says replica `replica` must hold. */
  expected(replica: number): string[] {
    const heard = this.heard[replica] as Knowledge;
    const coveredBy = [...heard.contexts].map((index) => this.contexts[index] as VersionVector);
    return [...heard.dots]
      .filter((key) => !coveredBy.some((context) => covers(context, this.dotFromKey(key))))
      .sort();
  }

  private dotFromKey(key: string): Dot {
    const [actor, counter] = key.split(':') as [string, string];
    return makeDot(actor, BigInt(counter));
  }

  private write(step: Extract<Operation, { kind: 'write' }>, context: VersionVector): void {
    this.walls[step.actor] = (this.walls[step.actor] as number) + step.wallStepMs;
    const dot = (this.clocks[step.actor] as HybridLogicalClock).nextDot();
    const key = dotKey(dot);
    const content = step.tombstone ? { tombstone: true as const } : { value: Buffer.from(key) };
    this.written.set(key, step.tombstone ? 'tombstone' : key);
    const contextIndex = this.contexts.push(context) - 1;
    const earlier = this.dotsByActor[step.actor] as string[];
    const home = step.actor % REPLICAS;
    for (let replica = 0; replica < REPLICAS; replica++) {
      const heard = this.heard[replica] as Knowledge;
      const chosen = replica === home || (step.extraTargets & (1 << replica)) !== 0;
      if (!chosen) continue;
      const state = this.states[replica] as VersionSet;
      this.states[replica] = this.transform(update(state, context, dot, content));
      heard.dots.add(key);
      heard.contexts.add(contextIndex);
    }
    earlier.push(key);
  }

  private sync(target: number, source: number): void {
    const merged = sync(this.states[target] as VersionSet, this.states[source] as VersionSet);
    this.states[target] = this.transform(merged);
    const into = this.heard[target] as Knowledge;
    const from = this.heard[source] as Knowledge;
    for (const key of from.dots) into.dots.add(key);
    for (const index of from.contexts) into.contexts.add(index);
  }
}

const history = fc.array(operation, { minLength: 1, maxLength: 40 });

function siblingKeys(set: VersionSet): string[] {
  return set.siblings.map((sibling) => dotKey(sibling.dot)).sort();
}

describe('law 4: no write is dropped unless a context that covers it was written over it', () => {
  it('each replica holds exactly the heard dots no heard client context covers', () => {
    fc.assert(
      fc.property(history, (operations) => {
        const world = new History();
        for (const step of operations) {
          world.apply(step, (choice) => world.contextFor(choice));
          expect(world.states.map(siblingKeys)).toEqual(
            world.states.map((_, replica) => world.expected(replica)),
          );
        }
        for (const state of world.states) {
          for (const sibling of state.siblings) {
            const stored = sibling.tombstone ? 'tombstone' : Buffer.from(sibling.value).toString();
            expect(stored).toBe(world.written.get(dotKey(sibling.dot)));
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a full exchange converges every replica to the same bytes', () => {
    fc.assert(
      fc.property(history, (operations) => {
        const world = new History();
        for (const step of operations) world.apply(step, (choice) => world.contextFor(choice));
        const merged = world.states.reduce(sync);
        const converged = world.states.map((state) => hex(sync(state, merged)));
        expect(new Set(converged).size).toBe(1);
        expect(converged[0]).toBe(hex(merged));
      }),
      { numRuns: RUNS },
    );
  });

  it('pruned contexts keep every sibling the unpruned history keeps', () => {
    const prune = (set: VersionSet): VersionSet =>
      applyBounds(set, { vectorEntriesMax: 1, siblingsMax: Number.MAX_SAFE_INTEGER }).set;
    fc.assert(
      fc.property(history, (operations) => {
        const exact = new History();
        const pruned = new History(prune);
        for (const step of operations) {
          // Both worlds take the client contexts the exact world would hand out.
          const contextFrom = (choice: ContextChoice): VersionVector => exact.contextFor(choice);
          pruned.apply(step, contextFrom);
          exact.apply(step, contextFrom);
          const lost = exact.states.flatMap((state, replica) => {
            const kept = new Set(siblingKeys(pruned.states[replica] as VersionSet));
            return siblingKeys(state).filter((key) => !kept.has(key));
          });
          expect(lost).toEqual([]);
          expect(Math.max(...pruned.states.map((state) => state.context.size))).toBeLessThan(2);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('law 6: update is idempotent', () => {
  it('applying the same write twice equals applying it once', () => {
    fc.assert(
      fc.property(
        smallVersionSet,
        smallVersionSet,
        smallActor,
        fc.bigInt(1n, 30n),
        (set, read, actor, counter) => {
          const dot = makeDot(actor, counter);
          const once = update(set, read.context, dot, { value: new Uint8Array([3]) });
          const twice = update(once, read.context, dot, { value: new Uint8Array([3]) });
          expect(hex(twice)).toBe(hex(once));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('versionSetsEqual', () => {
  it('says equal exactly when the canonical encodings are equal', () => {
    fc.assert(
      fc.property(smallVersionSet, smallVersionSet, (a, b) => {
        expect(versionSetsEqual(a, b)).toBe(hex(a) === hex(b));
        expect(versionSetsEqual(a, a)).toBe(true);
        // sync with itself changes nothing, and the result is equal to the input.
        expect(versionSetsEqual(sync(a, a), a)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
