-- no-transaction
-- OLA clocks (one per period a support group holds a ticket), arrival on site, raising the
-- priority at a breach, and each clock's history.
--
-- A ticket now has several clocks of kind 'ola', so the UNIQUE (ticket_id, kind) of
-- sla_clocks must go. SQLite cannot drop a table constraint: the table is rebuilt, with
-- foreign keys off for the copy (sla_firings points at it), all in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;

ALTER TABLE tickets ADD COLUMN arrived_at BIGINT;

-- A policy with a group is that group's OLA: its `ola` targets time how long the group holds a
-- ticket. Policies without one are the SLA a ticket is measured on.
ALTER TABLE sla_policies ADD COLUMN group_id BIGINT REFERENCES support_groups(id);
ALTER TABLE sla_policies ADD COLUMN raise_priority_on_breach BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE sla_clocks_new (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    policy_id BIGINT NOT NULL REFERENCES sla_policies(id),
    -- The group an 'ola' clock times; NULL for the ticket's SLA clocks.
    group_id BIGINT REFERENCES support_groups(id),
    target_secs BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    paused_since BIGINT,
    stopped_at BIGINT,
    -- JSON list of [from, to] pauses in microseconds.
    pauses TEXT NOT NULL DEFAULT '[]',
    -- Derived on every change, for lists, reports and the escalation scan:
    due_at BIGINT,
    breached BOOLEAN NOT NULL DEFAULT FALSE,
    elapsed_secs BIGINT NOT NULL DEFAULT 0,
    next_fire_at BIGINT,
    updated_at BIGINT NOT NULL
);
INSERT INTO sla_clocks_new (id, ticket_id, tenant_id, kind, policy_id, target_secs, started_at, paused_since,
    stopped_at, pauses, due_at, breached, elapsed_secs, next_fire_at, updated_at)
SELECT id, ticket_id, tenant_id, kind, policy_id, target_secs, started_at, paused_since,
    stopped_at, pauses, due_at, breached, elapsed_secs, next_fire_at, updated_at FROM sla_clocks;
DROP TABLE sla_clocks;
ALTER TABLE sla_clocks_new RENAME TO sla_clocks;

-- One clock of each SLA kind per ticket, and at most one running OLA clock.
CREATE UNIQUE INDEX sla_clocks_ticket_kind ON sla_clocks (ticket_id, kind) WHERE kind <> 'ola';
CREATE UNIQUE INDEX sla_clocks_running_ola ON sla_clocks (ticket_id) WHERE kind = 'ola' AND stopped_at IS NULL;
CREATE INDEX sla_clocks_ticket ON sla_clocks (ticket_id, id);
CREATE INDEX sla_clocks_next_fire ON sla_clocks (next_fire_at);
CREATE INDEX sla_clocks_due ON sla_clocks (due_at);
CREATE INDEX sla_clocks_running_due ON sla_clocks (due_at)
    WHERE stopped_at IS NULL AND paused_since IS NULL AND breached = FALSE;

-- What happened to each clock and when: started, paused, resumed, stopped, restarted,
-- retargeted (with the target before). Firings are in sla_firings.
CREATE TABLE sla_clock_events (
    id INTEGER PRIMARY KEY,
    clock_id BIGINT NOT NULL REFERENCES sla_clocks(id),
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    event TEXT NOT NULL,
    at BIGINT NOT NULL,
    target_secs BIGINT NOT NULL,
    previous_target_secs BIGINT
);
CREATE INDEX sla_clock_events_ticket ON sla_clock_events (ticket_id, id);

COMMIT;
PRAGMA foreign_keys = ON;
