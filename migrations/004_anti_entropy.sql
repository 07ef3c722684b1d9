-- PairDB metadata schema, version 4: anti-entropy (docs/architecture.md#anti-entropy).
--
-- Applied after 003 by the same runner, in the same transaction, under the same advisory lock.
-- NEVER EDIT this file once applied: add a new numbered file instead. Plain SQL that runs
-- identically on PostgreSQL 15 and PGlite.

-- The anti-entropy lease: one row, so one runner per cluster. A coordinator holds it while
-- lease_expires_at (by the database's clock) is in the future and renews it by heartbeat; every
-- claim by another instance, or after a lapse, increments epoch, which the runner's repairs
-- carry so that storage nodes refuse a deposed runner.
CREATE TABLE anti_entropy_lease (
    lease_id SMALLINT PRIMARY KEY CONSTRAINT anti_entropy_lease_one_row CHECK (lease_id = 1),
    runner_instance_id VARCHAR(64),
    epoch BIGINT NOT NULL DEFAULT 0
        CONSTRAINT anti_entropy_lease_epoch_non_negative CHECK (epoch >= 0),
    lease_expires_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO anti_entropy_lease (lease_id) VALUES (1);

-- Completed passes, newest last; a pass is recorded only by the runner whose epoch is current.
CREATE TABLE anti_entropy_passes (
    pass_id VARCHAR(255) PRIMARY KEY,
    runner_instance_id VARCHAR(64) NOT NULL,
    epoch BIGINT NOT NULL CONSTRAINT anti_entropy_passes_epoch_positive CHECK (epoch > 0),
    ring_version BIGINT NOT NULL
        CONSTRAINT anti_entropy_passes_ring_version_non_negative CHECK (ring_version >= 0),
    started_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ NOT NULL,
    ranges_compared BIGINT NOT NULL
        CONSTRAINT anti_entropy_passes_ranges_compared_non_negative CHECK (ranges_compared >= 0),
    buckets_differing BIGINT NOT NULL
        CONSTRAINT anti_entropy_passes_buckets_differing_non_negative
            CHECK (buckets_differing >= 0),
    keys_repaired BIGINT NOT NULL
        CONSTRAINT anti_entropy_passes_keys_repaired_non_negative CHECK (keys_repaired >= 0),
    CONSTRAINT anti_entropy_passes_ordered CHECK (completed_at >= started_at)
);

CREATE INDEX idx_anti_entropy_passes_completed_at ON anti_entropy_passes (completed_at);

-- Per pass, every node the pass compared and the keys it repaired into it (0 included), so a
-- node's last completed pass is the newest row naming it.
CREATE TABLE anti_entropy_pass_nodes (
    pass_id VARCHAR(255) NOT NULL REFERENCES anti_entropy_passes (pass_id) ON DELETE CASCADE,
    node_id VARCHAR(255) NOT NULL,
    keys_repaired BIGINT NOT NULL
        CONSTRAINT anti_entropy_pass_nodes_keys_repaired_non_negative CHECK (keys_repaired >= 0),
    PRIMARY KEY (pass_id, node_id)
);

CREATE INDEX idx_anti_entropy_pass_nodes_node ON anti_entropy_pass_nodes (node_id);
