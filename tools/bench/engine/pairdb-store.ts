// The engine is imported by path: it is part of the storage-node app, not a workspace lib.
import { ENGINE_DEFAULTS, Engine } from '../../../apps/storage-node/src/engine';
import { BenchStore, CACHE_BYTES, MiB, StoreOptions } from './bench-store';

export async function openPairdbStore(options: StoreOptions): Promise<BenchStore> {
  const engine = await Engine.open({
    dir: options.dir,
    syncPolicy: options.durable ? 'always' : 'none',
    blockCacheBytes: CACHE_BYTES,
  });
  return {
    put: (key, value) => engine.put(key, value),
    batch: (keys, values) =>
      engine.write(keys.map((key, index) => ({ type: 'put', key, value: values[index]! }))),
    get: (key) => engine.get(key),
    scan: (gte, limit) => {
      let count = 0;
      for (const _pair of engine.iterate({ gte, limit })) count++;
      return count;
    },
    engineBytesWritten: () => engine.stats().bytesWritten,
    describe: () =>
      `memtable ${ENGINE_DEFAULTS.memtableBytesMax / MiB} MiB, ` +
      `block cache ${CACHE_BYTES / MiB} MiB, syncPolicy ${options.durable ? 'always' : 'none'}`,
    close: () => engine.close(),
  };
}
