import { ClassicLevel } from 'classic-level';
import { BenchStore, CACHE_BYTES, MiB, StoreOptions } from './bench-store';

/** classic-level's default write buffer (LevelDB's memtable), printed beside the figures. */
const LEVELDB_WRITE_BUFFER_BYTES = 4 * MiB;

export async function openClassicLevelStore(options: StoreOptions): Promise<BenchStore> {
  const db = new ClassicLevel<Buffer, Buffer>(options.dir, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    cacheSize: CACHE_BYTES,
  });
  await db.open();
  const writeOptions = { sync: options.durable };
  return {
    put: (key, value) => db.put(key, value, writeOptions),
    batch: (keys, values) =>
      db.batch(
        keys.map((key, index) => ({ type: 'put' as const, key, value: values[index]! })),
        writeOptions,
      ),
    get: (key) => db.get(key),
    scan: async (gte, limit) => (await db.iterator({ gte, limit }).all()).length,
    engineBytesWritten: () => undefined,
    describe: () =>
      `write buffer ${LEVELDB_WRITE_BUFFER_BYTES / MiB} MiB (default), cache ${CACHE_BYTES / MiB} MiB, ` +
      `snappy (default), sync ${options.durable}`,
    close: () => db.close(),
  };
}
