export { mergeEntries, newestPerKey } from './merging-iterator';
export type { NewestPerKeyOptions } from './merging-iterator';
