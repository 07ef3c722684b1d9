-- PairDB metadata schema, version 1 (DESIGN.md section 6).
--
-- Applied once, in order with the other numbered files, by the coordinator's migration runner
-- (apps/coordinator/src/metadata/migration-runner.ts) inside one transaction, under an
-- advisory lock; recorded with its checksum in schema_migrations. NEVER EDIT an applied file:
-- the runner refuses to start when a recorded checksum changes. Add a new numbered file instead.
-- Plain SQL that runs identically on PostgreSQL 15 and PGlite (no extensions, no procedures).

-- Tenants: each owns a keyspace. `version` is the optimistic-lock counter: every update sets
-- version = version + 1 and is conditional on the version the caller read.
CREATE TABLE tenants (
    tenant_id VARCHAR(255) PRIMARY KEY,
    replication_factor INTEGER NOT NULL DEFAULT 3
        CONSTRAINT tenants_replication_factor_range CHECK (replication_factor BETWEEN 1 AND 5),
    conflict_resolution VARCHAR(16) NOT NULL DEFAULT 'lww'
        CONSTRAINT tenants_conflict_resolution_known
            CHECK (conflict_resolution IN ('lww', 'siblings')),
    version BIGINT NOT NULL DEFAULT 1 CONSTRAINT tenants_version_positive CHECK (version >= 1),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_tenants_updated_at ON tenants (updated_at);

-- Storage nodes and their membership state (DESIGN.md section 5).
CREATE TABLE storage_nodes (
    node_id VARCHAR(255) PRIMARY KEY,
    host VARCHAR(255) NOT NULL,
    port INTEGER NOT NULL CONSTRAINT storage_nodes_port_range CHECK (port BETWEEN 1 AND 65535),
    status VARCHAR(16) NOT NULL DEFAULT 'joining'
        CONSTRAINT storage_nodes_status_known
            CHECK (status IN ('joining', 'active', 'draining', 'inactive')),
    virtual_nodes INTEGER NOT NULL DEFAULT 150
        CONSTRAINT storage_nodes_virtual_nodes_positive CHECK (virtual_nodes >= 1),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX idx_storage_nodes_status ON storage_nodes (status);

-- The ring version: exactly one row (the CHECK on the boolean key forbids a second). Every
-- change to storage_nodes bumps it in the same transaction and NOTIFYs channel `pairdb_ring`
-- with the new version, so coordinators know when to reload the ring.
CREATE TABLE ring_state (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CONSTRAINT ring_state_one_row CHECK (singleton),
    version BIGINT NOT NULL CONSTRAINT ring_state_version_non_negative CHECK (version >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO ring_state (singleton, version) VALUES (TRUE, 0);

-- Data migrations caused by adding or removing a storage node. Progress is counted in keys;
-- the percentage is derived (keys_migrated / total_keys), never stored.
CREATE TABLE migrations (
    migration_id VARCHAR(255) PRIMARY KEY,
    type VARCHAR(32) NOT NULL
        CONSTRAINT migrations_type_known CHECK (type IN ('node_addition', 'node_deletion')),
    node_id VARCHAR(255) NOT NULL,
    status VARCHAR(32) NOT NULL DEFAULT 'pending'
        CONSTRAINT migrations_status_known
            CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
    phase VARCHAR(32) NOT NULL DEFAULT 'dual_write'
        CONSTRAINT migrations_phase_known
            CHECK (phase IN ('dual_write', 'data_copy', 'cutover', 'cleanup')),
    keys_migrated BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_keys_migrated_non_negative CHECK (keys_migrated >= 0),
    total_keys BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migrations_total_keys_non_negative CHECK (total_keys >= 0),
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at TIMESTAMPTZ,
    error_message TEXT
);

CREATE INDEX idx_migrations_status ON migrations (status);
CREATE INDEX idx_migrations_node_id ON migrations (node_id);

-- Resumable copy progress, one row per token range of a migration. Tokens are ring positions
-- (uint64: the first 8 bytes of SHA-256), stored as NUMERIC(20) so no value loses precision.
-- A range may wrap past 2^64 - 1 to 0, so range_start > range_end is legal. The last migrated
-- key is the engine's raw key bytes, so BYTEA rather than text.
CREATE TABLE migration_checkpoints (
    migration_id VARCHAR(255) NOT NULL REFERENCES migrations (migration_id) ON DELETE CASCADE,
    range_start NUMERIC(20, 0) NOT NULL
        CONSTRAINT migration_checkpoints_range_start_uint64
            CHECK (range_start BETWEEN 0 AND 18446744073709551615),
    range_end NUMERIC(20, 0) NOT NULL
        CONSTRAINT migration_checkpoints_range_end_uint64
            CHECK (range_end BETWEEN 0 AND 18446744073709551615),
    last_migrated_key BYTEA,
    keys_migrated BIGINT NOT NULL DEFAULT 0
        CONSTRAINT migration_checkpoints_keys_migrated_non_negative CHECK (keys_migrated >= 0),
    completed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (migration_id, range_start)
);
