/**
 * Property test: the engine behaves like a Map for random sequences of puts, deletes, batches,
 * gets, range scans, snapshots, flushes, compactions, clean reopens and crash reopens (a copy
 * of the directory as it stood, opened without close). The tree is tiny so that memtable
 * freezes, flushes and automatic compactions happen inside every sequence.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import { BatchOp, Engine } from '../../src/engine';
import { crashImage, smallTree, temporaryDir } from './engine-fixture';

type Model = Map<string, string>;

type Command =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'batch'; ops: ({ key: string; value: string } | { key: string })[] }
  | { kind: 'get'; key: string }
  | { kind: 'scan'; from: string; to: string; limit: number }
  | { kind: 'snapshot'; writes: { key: string; value: string }[] }
  | { kind: 'flush' }
  | { kind: 'compactAll' }
  | { kind: 'reopen' }
  | { kind: 'crashReopen' };

const keyArbitrary = fc.integer({ min: 0, max: 40 }).map((n) => `k${String(n).padStart(2, '0')}`);
const valueArbitrary = fc
  .tuple(fc.nat(1_000_000), fc.nat(300))
  .map(([id, padding]) => `${id}:${'v'.repeat(padding)}`);
const putArbitrary = fc.record({ key: keyArbitrary, value: valueArbitrary });

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: putArbitrary.map((put) => ({ kind: 'put' as const, ...put })) },
  { weight: 3, arbitrary: keyArbitrary.map((key) => ({ kind: 'delete' as const, key })) },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(putArbitrary, fc.record({ key: keyArbitrary })), {
        minLength: 1,
        maxLength: 5,
      })
      .map((ops) => ({ kind: 'batch' as const, ops })),
  },
  { weight: 4, arbitrary: keyArbitrary.map((key) => ({ kind: 'get' as const, key })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(keyArbitrary, keyArbitrary, fc.integer({ min: 1, max: 50 }))
      .map(([from, to, limit]) => ({ kind: 'scan' as const, from, to, limit })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(putArbitrary, { maxLength: 20 })
      .map((writes) => ({ kind: 'snapshot' as const, writes })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compactAll' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'crashReopen' as const }) },
);

function live(model: Model, from = '', to = '\uffff', limit = Infinity): [string, string][] {
  return [...model.entries()]
    .filter(([key]) => key >= from && key < to)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, limit);
}

function scan(engine: Engine, range: Parameters<Engine['iterate']>[0]): [string, string][] {
  return [...engine.iterate(range)].map(([key, value]) => [key.toString(), value.toString()]);
}

class Harness {
  readonly dirs: string[] = [];
  engine!: Engine;

  constructor(private dir: string) {
    this.dirs.push(dir);
  }

  private options() {
    return smallTree(this.dir, {
      memtableBytesMax: 1024,
      l0CompactionTrigger: 2,
      level1BytesMax: 4096,
      levelSizeMultiplier: 2,
      // Tombstones may go as soon as they reach the bottom: exercises dropping them.
      tombstoneGraceMs: 0,
    });
  }

  async open(): Promise<void> {
    this.engine = await Engine.open(this.options());
  }

  async run(command: Command, model: Model): Promise<void> {
    const engine = this.engine;
    switch (command.kind) {
      case 'put':
        await engine.put(Buffer.from(command.key), Buffer.from(command.value));
        model.set(command.key, command.value);
        return;
      case 'delete':
        await engine.delete(Buffer.from(command.key));
        model.delete(command.key);
        return;
      case 'batch':
        await engine.write(command.ops.map(toBatchOp));
        for (const op of command.ops) {
          if ('value' in op) model.set(op.key, op.value);
          else model.delete(op.key);
        }
        return;
      case 'get':
        expect(engine.get(Buffer.from(command.key))?.toString()).toBe(model.get(command.key));
        return;
      case 'scan':
        expect(
          scan(engine, {
            gte: Buffer.from(command.from),
            lt: Buffer.from(command.to),
            limit: command.limit,
          }),
        ).toEqual(live(model, command.from, command.to, command.limit));
        return;
      case 'snapshot':
        return this.checkSnapshot(command.writes, model);
      case 'flush':
        return engine.flush();
      case 'compactAll':
        return engine.compactAll();
      case 'reopen':
        this.count();
        await engine.close();
        return this.open();
      case 'crashReopen': {
        // Copying file by file is not atomic: let the tree settle so the copy is one state.
        await engine.idle();
        const image = crashImage(this.dir, 'model-crash');
        this.count();
        await engine.close();
        this.dir = image;
        this.dirs.push(image);
        return this.open();
      }
    }
  }

  /** A snapshot taken before `writes` still shows the old state after them and a flush. */
  private async checkSnapshot(writes: { key: string; value: string }[], model: Model) {
    const snapshot = this.engine.snapshot();
    const before = live(model);
    for (const write of writes) {
      await this.engine.put(Buffer.from(write.key), Buffer.from(write.value));
      model.set(write.key, write.value);
    }
    await this.engine.flush();
    expect(scan(this.engine, { snapshot })).toEqual(before);
    snapshot.release();
  }

  /** Figures summed over every engine this harness opened. */
  readonly totals = { flushes: 0, compactions: 0 };

  private count(): void {
    const stats = this.engine.stats();
    this.totals.flushes += stats.flushes;
    this.totals.compactions += stats.compactions;
  }

  async dispose(): Promise<void> {
    this.count();
    await this.engine.close();
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function toBatchOp(op: { key: string; value: string } | { key: string }): BatchOp {
  return 'value' in op
    ? { type: 'put', key: Buffer.from(op.key), value: Buffer.from(op.value) }
    : { type: 'delete', key: Buffer.from(op.key) };
}

describe('engine against a Map model', () => {
  it('random put/delete/batch/get/scan/snapshot/flush/compact/reopen sequences agree', async () => {
    const totals = { flushes: 0, compactions: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArbitrary, { minLength: 10, maxLength: 100 }),
        async (cmds) => {
          const harness = new Harness(temporaryDir('model'));
          const model: Model = new Map();
          try {
            await harness.open();
            for (const command of cmds) await harness.run(command, model);
            expect(scan(harness.engine, {})).toEqual(live(model));
            await harness.run({ kind: 'reopen' }, model);
            expect(scan(harness.engine, {})).toEqual(live(model));
          } finally {
            await harness.dispose();
            totals.flushes += harness.totals.flushes;
            totals.compactions += harness.totals.compactions;
          }
        },
      ),
      { numRuns: 100 },
    );
    // The sequences really went through flushes and compactions, not only the memtable.
    expect(totals.flushes).toBeGreaterThan(100);
    expect(totals.compactions).toBeGreaterThan(100);
  }, 120_000);
});
