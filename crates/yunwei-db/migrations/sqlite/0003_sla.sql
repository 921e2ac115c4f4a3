-- SLA management: business calendars, policies, one clock per ticket and target, threshold
-- firings (each recorded once, which makes escalations fire exactly once across instances),
-- and in-app notifications.

CREATE TABLE calendars (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    -- JSON: {"monday": ["09:00-12:00", "13:00-18:00"], …}; a missing day has no working time.
    hours TEXT NOT NULL,
    -- JSON lists of dates (YYYY-MM-DD).
    holidays TEXT NOT NULL DEFAULT '[]',
    make_up_days TEXT NOT NULL DEFAULT '[]',
    make_up_weekday TEXT NOT NULL DEFAULT 'monday',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    tenant_id BIGINT REFERENCES tenants(id),
    ticket_type TEXT,
    category_id BIGINT REFERENCES categories(id),
    calendar_id BIGINT NOT NULL REFERENCES calendars(id),
    -- JSON: {"response": [secs or null ×4 by priority], "resolution": […], "on_site": […]}
    targets TEXT NOT NULL,
    pause_on TEXT NOT NULL DEFAULT '["user","vendor","change"]',
    thresholds TEXT NOT NULL DEFAULT '[50,75]',
    notify_next_tier BOOLEAN NOT NULL DEFAULT FALSE,
    escalate_on_breach BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE tickets ADD COLUMN sla_policy_id BIGINT REFERENCES sla_policies(id);

CREATE TABLE sla_clocks (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    policy_id BIGINT NOT NULL REFERENCES sla_policies(id),
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
    updated_at BIGINT NOT NULL,
    UNIQUE (ticket_id, kind)
);
CREATE INDEX sla_clocks_next_fire ON sla_clocks (next_fire_at);
CREATE INDEX sla_clocks_due ON sla_clocks (due_at);

CREATE TABLE sla_firings (
    clock_id BIGINT NOT NULL REFERENCES sla_clocks(id),
    threshold BIGINT NOT NULL,
    target_secs BIGINT NOT NULL,
    fired_at BIGINT NOT NULL,
    PRIMARY KEY (clock_id, threshold, target_secs)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    tenant_id BIGINT REFERENCES tenants(id),
    ticket_id BIGINT REFERENCES tickets(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
