// The one hook every change of a data key goes through: VersionStore calls it around its engine
// write, under the key's lock, with what the key held and what it will hold. The digest index
// (digests/digest-index.ts) keeps its digests with it (docs/architecture.md#anti-entropy).
import type { AppliedWrite } from '../engine';

/** A previous value that could not be read (damaged): a listener cannot account for it. */
export const PREVIOUS_UNREADABLE = Symbol('previous value unreadable');

export interface DataKeyChanges {
  /**
   * Runs `write`, the engine write taking `engineKey` from `previous` to `next` (undefined:
   * absent, encoded version sets otherwise), and resolves or rejects as it does once the write
   * is applied (Engine.writeApplied); its durability is the caller's to await.
   */
  commit(
    engineKey: Buffer,
    previous: Buffer | undefined | typeof PREVIOUS_UNREADABLE,
    next: Buffer | undefined,
    write: () => Promise<AppliedWrite>,
  ): Promise<AppliedWrite>;
}

/** For a VersionStore with nothing to keep in step (tests of other parts). */
export const UNTRACKED_CHANGES: DataKeyChanges = {
  commit: (_key, _previous, _next, write) => write(),
};
