/**
 * Child process of the crash test (run as a bundle, see crash.spec.ts): opens the engine in
 * argv[2] with sync=always and writes concurrently until killed, each writer drawing its
 * operations from its own stream derived from the seed argv[5]. It records every event, one line
 * each, in the log file argv[4]:
 *
 *   READY                        the engine is open (recovery finished)
 *   S <key> <valueId> <length>   an operation is about to be submitted (length -1: delete)
 *   A <key> <valueId>            that operation was acknowledged (its promise resolved)
 *
 * and prints READY on stdout too, which only tells the parent when to arm its kill timer.
 *
 * The record is a file written with fs.writeSync: once the call returns, the line is in the
 * kernel's page cache, which SIGKILL does not touch, so every operation the engine may have
 * received is in the log. stdout cannot be that record: it is a socket that Node writes without
 * blocking, and once the parent falls a few hundred lines behind (a loaded machine), Node keeps
 * the next lines inside this process, where SIGKILL loses them while the writes they announce
 * reach the commit log; the parent then finds values it never saw submitted.
 *
 * A put's value is `<valueId>|` followed by <length> 'x' bytes, so the parent can check every
 * recovered value is one that was submitted, byte for byte.
 */
import fs from 'node:fs';
import { BatchOp, Engine } from '../../src/engine';
import { parseSeed, SeededRandom } from '@pairdb/test-seed';

const WRITERS = 16;
const KEY_COUNT = 64;
const VALUE_PADDING_MAX = 300;

const [dir, round, logPath, seed] = process.argv.slice(2);
if (!dir || round === undefined || !logPath || seed === undefined) {
  throw new Error('usage: crash-writer.ts <dir> <round> <log file> <seed>');
}
const streams = new SeededRandom(parseSeed(seed));
const logFd = fs.openSync(logPath, 'w');

/** Appends lines to the log; they are safe from SIGKILL once this returns. */
function emit(...lines: string[]): void {
  const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  for (let written = 0; written < bytes.length;) {
    written += fs.writeSync(logFd, bytes, written);
  }
}

interface Operation {
  key: string;
  valueId: string;
  /** Padding length of the put's value; -1 for a delete. */
  length: number;
}

function toBatchOp(operation: Operation): BatchOp {
  const key = Buffer.from(operation.key);
  if (operation.length < 0) return { type: 'delete', key };
  const value = Buffer.from(`${operation.valueId}|${'x'.repeat(operation.length)}`);
  return { type: 'put', key, value };
}

async function writer(engine: Engine, writerId: number): Promise<void> {
  const random = new SeededRandom(streams.derive(writerId));
  for (let counter = 0; ; counter++) {
    const size = random.next() < 0.1 ? 3 : 1;
    const operations: Operation[] = [];
    for (let index = 0; index < size; index++) {
      const isDelete = random.next() < 0.1;
      operations.push({
        key: `key-${random.below(KEY_COUNT)}`,
        valueId: `${round}.${writerId}.${counter}.${index}`,
        length: isDelete ? -1 : random.below(VALUE_PADDING_MAX),
      });
    }
    emit(...operations.map((op) => `S ${op.key} ${op.valueId} ${op.length}`));
    await engine.write(operations.map(toBatchOp));
    emit(...operations.map((op) => `A ${op.key} ${op.valueId}`));
  }
}

async function main(): Promise<void> {
  const engine = await Engine.open({
    dir: dir!,
    syncPolicy: 'always',
    memtableBytesMax: 16 * 1024,
    l0CompactionTrigger: 2,
    level1BytesMax: 32 * 1024,
    levelSizeMultiplier: 2,
    tableBlockBytes: 1024,
    diskFreeBytesMin: 0,
  });
  emit('READY');
  process.stdout.write('READY\n');
  await Promise.all(Array.from({ length: WRITERS }, (_, id) => writer(engine, id)));
}

main().catch((error: unknown) => {
  emit(`FAILED ${error instanceof Error ? error.stack : String(error)}`.replace(/\n/g, ' | '));
  process.exit(1);
});
