// What the command line needs of the libraries before any command runs (option defaults for
// --help, value lists and bounds to refuse a bad value at once), kept here so that help, version
// and usage errors load no library code, gRPC least of all (docs/architecture.md#the-pairdb-command).
// Each list must name every member of the client's type or this file does not compile; the
// defaults and bounds are the libraries', which test/unit/client-values.spec.ts checks.
import type { ConflictResolution, Consistency } from '@pairdb/client';
import { BASE_PORT_DEFAULT, LOOPBACK_HOST } from './cluster/cluster-layout';

/** The coordinator of a local cluster in its default layout (`pairdb cluster start`). */
export const ADDRESS_DEFAULT = `${LOOPBACK_HOST}:${BASE_PORT_DEFAULT}`;
/** Longer than the coordinator's 5 s write timeout, so its quorum error arrives before ours. */
export const TIMEOUT_MS_DEFAULT = 10_000;

/** The most ring positions one storage node may have (the hash ring's bound). */
export const VIRTUAL_NODES_MAX = 4096;

export const CONSISTENCY_LEVELS = everyValueOf<Consistency>()(['one', 'quorum', 'all'] as const);
export const CONFLICT_RESOLUTIONS = everyValueOf<ConflictResolution>()([
  'lww',
  'siblings',
] as const);

/** Takes a list of `Union`'s members; a list missing one is a type error. */
function everyValueOf<Union extends string>() {
  return <List extends readonly Union[]>(
    list: List & ([Exclude<Union, List[number]>] extends [never] ? unknown : never),
  ): List => list;
}
