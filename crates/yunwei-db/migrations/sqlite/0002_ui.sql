-- The web UI: login sessions, the slow-down after failed logins, the first UI login of each
-- user (whose browser language becomes their language), and satisfaction ratings.

-- Only a hash of the session token is stored; the cookie holds the token itself.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Consecutive failed logins per login name, and until when the login is locked.
CREATE TABLE login_failures (
    login TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE ui_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    first_login_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL
);

-- 满意度: one rating per ticket, by its requester, once it is resolved.
CREATE TABLE ticket_ratings (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL UNIQUE REFERENCES tickets(id),
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    rater_id BIGINT NOT NULL REFERENCES users(id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_ratings_tenant ON ticket_ratings (tenant_id, created_at);
