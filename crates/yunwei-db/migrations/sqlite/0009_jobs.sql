-- Background work of every module, written in the same transaction as the change that calls
-- for it and run by a worker on any instance: claimed with a lease (one runner at a time),
-- retried with backoff, kept with the reason when it finally fails.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    -- What the job needs, as JSON.
    payload TEXT NOT NULL,
    -- Set for a job that must exist once (kind, key): a second enqueue is a no-op while the
    -- first is pending.
    dedupe_key TEXT,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    -- A runner holds the job until this instant; past it, another may take it over.
    locked_until BIGINT,
    locked_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    failed_at BIGINT
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE done_at IS NULL AND failed_at IS NULL;
CREATE UNIQUE INDEX jobs_pending_key ON jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND done_at IS NULL AND failed_at IS NULL;
