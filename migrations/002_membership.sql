-- PairDB metadata schema, version 2: membership (docs/architecture.md#membership-metadata).
--
-- Applied after 001 by the same runner, in the same transaction, under the same advisory lock.
-- NEVER EDIT this file once applied: add a new numbered file instead. Plain SQL that runs
-- identically on PostgreSQL 15 and PGlite.

-- The coordinator registry. A coordinator id mints the dots of every write, so at most one
-- live process may hold it: a process holds its row while lease_expires_at (by the database's
-- clock) is in the future, and renews it by heartbeat. The row outlives the process (release
-- only lapses the lease) so that hlc_high_water survives restarts: a coordinator's clock never
-- starts below it. taken_ring_version is the newest ring version the holder has taken (its
-- requests under older versions drained); a migration step waits for every live coordinator.
CREATE TABLE coordinators (
    coordinator_id VARCHAR(255) PRIMARY KEY,
    instance_id VARCHAR(64) NOT NULL,
    address TEXT,
    lease_expires_at TIMESTAMPTZ NOT NULL,
    taken_ring_version BIGINT NOT NULL DEFAULT 0
        CONSTRAINT coordinators_taken_ring_version_non_negative CHECK (taken_ring_version >= 0),
    -- A hybrid-logical-clock reading: at most 2^63 - 1, the wire's int64 counter.
    hlc_high_water NUMERIC(20, 0) NOT NULL DEFAULT 0
        CONSTRAINT coordinators_hlc_high_water_int63
            CHECK (hlc_high_water BETWEEN 0 AND 9223372036854775807),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_coordinators_lease_expires_at ON coordinators (lease_expires_at);

-- Migrations become the membership state machine: node additions, node deletions and
-- replication-factor changes, each driven through its phases by one coordinator at a time
-- (driver_instance_id holding a lease until driver_lease_expires_at; driver_epoch grows with
-- every claim, and every update is conditional on it). ring_version is the ring version of the
-- migration's current phase.
ALTER TABLE migrations DROP CONSTRAINT migrations_type_known;
ALTER TABLE migrations ADD CONSTRAINT migrations_type_known
    CHECK (type IN ('node_addition', 'node_deletion', 'replication_factor_change'));

ALTER TABLE migrations DROP CONSTRAINT migrations_status_known;
ALTER TABLE migrations ADD CONSTRAINT migrations_status_known
    CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled',
                      'rolled_back'));

-- A replication-factor change moves no node: it names its tenant instead.
ALTER TABLE migrations ALTER COLUMN node_id DROP NOT NULL;

ALTER TABLE migrations
    ADD COLUMN tenant_id VARCHAR(255),
    ADD COLUMN from_replication_factor INTEGER
        CONSTRAINT migrations_from_replication_factor_range
            CHECK (from_replication_factor BETWEEN 1 AND 5),
    ADD COLUMN to_replication_factor INTEGER
        CONSTRAINT migrations_to_replication_factor_range
            CHECK (to_replication_factor BETWEEN 1 AND 5),
    ADD COLUMN force BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN driver_instance_id VARCHAR(64),
    ADD COLUMN driver_epoch BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_driver_epoch_non_negative CHECK (driver_epoch >= 0),
    ADD COLUMN driver_lease_expires_at TIMESTAMPTZ,
    ADD COLUMN ranges_done BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_ranges_done_non_negative CHECK (ranges_done >= 0),
    ADD COLUMN ranges_total BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_ranges_total_non_negative CHECK (ranges_total >= 0),
    ADD COLUMN bytes_migrated BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_bytes_migrated_non_negative CHECK (bytes_migrated >= 0),
    ADD COLUMN lost_ranges TEXT,
    ADD COLUMN ring_version BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_ring_version_non_negative CHECK (ring_version >= 0);

ALTER TABLE migrations ADD CONSTRAINT migrations_subject CHECK (
    CASE WHEN type = 'replication_factor_change'
        THEN node_id IS NULL AND tenant_id IS NOT NULL
            AND from_replication_factor IS NOT NULL AND to_replication_factor IS NOT NULL
        ELSE node_id IS NOT NULL AND tenant_id IS NULL
            AND from_replication_factor IS NULL AND to_replication_factor IS NULL
    END);

-- Schema 1 recorded migrations that nothing ever drove; none may block the rule below.
UPDATE migrations
SET status = 'cancelled', completed_at = now(), updated_at = now(),
    error_message = 'cancelled by schema migration 002: recorded before migrations were driven'
WHERE status IN ('pending', 'in_progress');

-- At most one unfinished migration of any kind (DESIGN rule "one migration, one driver"): every
-- unfinished row indexes the same constant, so a second one is a unique violation.
CREATE UNIQUE INDEX migrations_one_unfinished ON migrations ((TRUE))
    WHERE status IN ('pending', 'in_progress');

CREATE INDEX idx_migrations_started_at ON migrations (started_at);

-- Schema 1's per-range checkpoints knew neither the tenant nor the copy's source and
-- destination; nothing wrote them. Replaced by copy checkpoints.
DROP TABLE migration_checkpoints;

-- Resumable copy progress: one row per (tenant, token range, source, destination) of a
-- migration, written only after the destination made the batch durable. Tokens are uint64
-- ring positions as NUMERIC(20); a range may wrap, so range_start > range_end is legal.
-- last_key is the last key copied, as raw bytes.
CREATE TABLE migration_copy_checkpoints (
    migration_id VARCHAR(255) NOT NULL REFERENCES migrations (migration_id) ON DELETE CASCADE,
    tenant_id VARCHAR(255) NOT NULL,
    range_start NUMERIC(20, 0) NOT NULL
        CONSTRAINT migration_copy_checkpoints_range_start_uint64
            CHECK (range_start BETWEEN 0 AND 18446744073709551615),
    range_end NUMERIC(20, 0) NOT NULL
        CONSTRAINT migration_copy_checkpoints_range_end_uint64
            CHECK (range_end BETWEEN 0 AND 18446744073709551615),
    source_node_id VARCHAR(255) NOT NULL,
    destination_node_id VARCHAR(255) NOT NULL,
    last_key BYTEA,
    keys_copied BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migration_copy_checkpoints_keys_copied_non_negative CHECK (keys_copied >= 0),
    bytes_copied BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migration_copy_checkpoints_bytes_copied_non_negative CHECK (bytes_copied >= 0),
    completed BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, tenant_id, range_start, source_node_id, destination_node_id)
);
