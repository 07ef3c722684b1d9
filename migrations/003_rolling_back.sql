-- PairDB metadata schema, version 3: a rollback is a phase of its own
-- (docs/architecture.md#membership-and-migrations).
--
-- Applied after 002 by the same runner, in the same transaction, under the same advisory lock.
-- NEVER EDIT this file once applied: add a new numbered file instead. Plain SQL that runs
-- identically on PostgreSQL 15 and PGlite.
--
-- A migration that cannot finish before cutover enters phase rolling_back, still in_progress:
-- writes and reads use only the old replicas, and once every coordinator has taken that ring
-- version the driver drops what the destinations received, then commits status rolled_back.
-- Being in_progress, it keeps its driver lease, so a takeover finishes the drops, and it keeps
-- the one-unfinished-migration rule, so no new change starts before they are done.
ALTER TABLE migrations DROP CONSTRAINT migrations_phase_known;
ALTER TABLE migrations ADD CONSTRAINT migrations_phase_known
    CHECK (phase IN ('dual_write', 'data_copy', 'cutover', 'cleanup', 'rolling_back'));

-- A migration in rolling_back only ends rolled back. (Rows that schema 2 rolled back straight
-- from data_copy keep the phase they had.)
ALTER TABLE migrations ADD CONSTRAINT migrations_rolling_back_ends_rolled_back
    CHECK (phase <> 'rolling_back' OR status IN ('in_progress', 'rolled_back'));
