-- PairDB metadata schema, version 5: anti-entropy passes an operator can ask for and follow
-- (docs/architecture.md#anti-entropy).
--
-- Applied after 004 by the same runner, in the same transaction, under the same advisory lock.
-- NEVER EDIT this file once applied: add a new numbered file instead. Plain SQL that runs
-- identically on PostgreSQL 15 and PGlite.

-- Every pass, from when it is asked for (StartRepair, on any coordinator: status pending) or
-- started by the runner on its own schedule, through its progress (written by the runner holding
-- the anti-entropy lease as it goes), to how it ended. repair_id is the pass id of
-- anti_entropy_passes once it completes. Times are the database's clock.
CREATE TABLE anti_entropy_repairs (
    repair_id VARCHAR(255) PRIMARY KEY,
    -- NULL: every tenant.
    tenant_id VARCHAR(255),
    requested BOOLEAN NOT NULL,
    status VARCHAR(16) NOT NULL CONSTRAINT anti_entropy_repairs_status_known
        CHECK (status IN ('pending', 'running', 'completed', 'incomplete')),
    runner_instance_id VARCHAR(64),
    epoch BIGINT CONSTRAINT anti_entropy_repairs_epoch_positive CHECK (epoch > 0),
    ranges_done BIGINT NOT NULL DEFAULT 0
        CONSTRAINT anti_entropy_repairs_ranges_done_non_negative CHECK (ranges_done >= 0),
    ranges_total BIGINT NOT NULL DEFAULT 0
        CONSTRAINT anti_entropy_repairs_ranges_total_non_negative CHECK (ranges_total >= 0),
    keys_repaired BIGINT NOT NULL DEFAULT 0
        CONSTRAINT anti_entropy_repairs_keys_repaired_non_negative CHECK (keys_repaired >= 0),
    buckets_differing BIGINT NOT NULL DEFAULT 0
        CONSTRAINT anti_entropy_repairs_buckets_differing_non_negative
            CHECK (buckets_differing >= 0),
    requested_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    message TEXT,
    CONSTRAINT anti_entropy_repairs_requested_has_time
        CHECK (requested = (requested_at IS NOT NULL)),
    CONSTRAINT anti_entropy_repairs_started_has_runner
        CHECK (status = 'pending' OR (started_at IS NOT NULL AND epoch IS NOT NULL))
);

-- One pending request per tenant (and one for every tenant): asking again answers that one.
CREATE UNIQUE INDEX idx_anti_entropy_repairs_one_pending
    ON anti_entropy_repairs ((COALESCE(tenant_id, ''))) WHERE status = 'pending';
-- One pass runs at a time: the lease makes one runner, and it runs passes one after another.
CREATE UNIQUE INDEX idx_anti_entropy_repairs_one_running
    ON anti_entropy_repairs ((1)) WHERE status = 'running';
CREATE INDEX idx_anti_entropy_repairs_updated_at ON anti_entropy_repairs (updated_at);

-- A completed pass that covered one tenant only names it; NULL: every tenant.
ALTER TABLE anti_entropy_passes ADD COLUMN tenant_id VARCHAR(255);
