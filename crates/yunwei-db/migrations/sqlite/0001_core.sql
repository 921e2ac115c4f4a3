-- The service desk core: organisation, users, tokens, tickets, timeline, links, attachments,
-- audit log. Times are UTC instants as microseconds since the Unix epoch (BIGINT), the same on
-- both backends so every query is written once.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('provider', 'client')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    role TEXT NOT NULL,
    password_hash TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_tenant ON users (tenant_id);

-- The client organisations a provider's agent serves.
CREATE TABLE user_tenants (
    user_id BIGINT NOT NULL REFERENCES users(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    PRIMARY KEY (user_id, tenant_id)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE support_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    tier BIGINT NOT NULL CHECK (tier BETWEEN 1 AND 3),
    description TEXT NOT NULL DEFAULT '',
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES support_groups(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- 区域划片: each area of a client's premises has a responsible group.
CREATE TABLE locations (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    building TEXT NOT NULL,
    floor TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    responsible_group_id BIGINT REFERENCES support_groups(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, building, floor, room)
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    parent_id BIGINT REFERENCES categories(id),
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);

-- Ticket numbers per installation; a row is locked while a number is taken, so numbers are
-- never handed out twice, however many instances create tickets at once.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('INC', 0), ('REQ', 0);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    ticket_type TEXT NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category_id BIGINT REFERENCES categories(id),
    channel TEXT NOT NULL,
    requester_id BIGINT NOT NULL REFERENCES users(id),
    location_id BIGINT REFERENCES locations(id),
    impact BIGINT NOT NULL,
    urgency BIGINT NOT NULL,
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    pending_reason TEXT,
    group_id BIGINT REFERENCES support_groups(id),
    assignee_id BIGINT REFERENCES users(id),
    resolution_code TEXT,
    resolution_notes TEXT,
    response_due_at BIGINT,
    resolution_due_at BIGINT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    assigned_at BIGINT,
    first_response_at BIGINT,
    in_progress_at BIGINT,
    pending_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    cancelled_at BIGINT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX tickets_tenant_updated ON tickets (tenant_id, updated_at, id);
CREATE INDEX tickets_tenant_created ON tickets (tenant_id, created_at, id);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at, id);
CREATE INDEX tickets_group_status ON tickets (group_id, status);
CREATE INDEX tickets_assignee_status ON tickets (assignee_id, status);
CREATE INDEX tickets_requester ON tickets (requester_id, created_at);

-- The timeline: replies, internal notes, state changes, assignments, links, attachments.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    kind TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    public BOOLEAN NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE ticket_links (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    from_ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    to_ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    kind TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (from_ticket_id, to_ticket_id, kind)
);
CREATE INDEX ticket_links_to ON ticket_links (to_ticket_id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id);

-- Who changed what, when, from what to what. Written in the same transaction as the change;
-- the store has no operation that updates or deletes a row of it.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT,
    actor_id BIGINT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    before TEXT,
    after TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
