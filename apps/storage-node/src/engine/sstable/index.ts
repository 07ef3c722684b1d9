export { SSTableReader } from './reader';
export type { SSTableRange, SSTableReaderOptions } from './reader';
export {
  BLOCK_BYTES_DEFAULT,
  BLOOM_BITS_PER_KEY_DEFAULT,
  SSTABLE_FORMAT_VERSION,
  SSTableWriter,
} from './writer';
export type { SSTableMeta, SSTableWriterOptions } from './writer';
