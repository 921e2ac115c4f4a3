-- Asset management (资产管理): the physical and licensed things a tenant owns, each with a
-- unique tag, its lifecycle, who has it and where, what it cost and when its warranty and
-- contract end; the history of every change; stock-takes (盘点) that compare what should be at
-- a place with what was scanned there; and the reminders sent before an end date.

-- An asset of one tenant. `tag` is unique in the installation (printed on the label);
-- `ci_id` is the CI the asset is, when it is in the CMDB (one asset per CI). Dates are
-- ISO calendar dates (`2027-06-30`), which compare correctly as text; `cost_cents` is the
-- price in the currency's minor unit. `missing` is set by a stock-take that did not find it.
CREATE TABLE assets (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    tag TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('ordered', 'in_stock', 'deployed', 'in_repair', 'retired', 'disposed')),
    ci_id BIGINT UNIQUE REFERENCES cis(id),
    user_id BIGINT REFERENCES users(id),
    location_id BIGINT REFERENCES locations(id),
    purchase_date TEXT,
    cost_cents BIGINT,
    currency TEXT NOT NULL DEFAULT 'CNY',
    vendor TEXT NOT NULL DEFAULT '',
    contract_number TEXT NOT NULL DEFAULT '',
    warranty_end TEXT,
    contract_end TEXT,
    missing BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX assets_tenant_tag ON assets (tenant_id, tag);
CREATE INDEX assets_tenant_location ON assets (tenant_id, location_id);
CREATE INDEX assets_user ON assets (user_id);
CREATE INDEX assets_serial ON assets (tenant_id, serial);
CREATE INDEX assets_warranty ON assets (warranty_end);
CREATE INDEX assets_contract ON assets (contract_end);

-- What happened to an asset: created, changed (before/after), lifecycle transitions,
-- stock-take corrections, with who and when.
CREATE TABLE asset_history (
    id INTEGER PRIMARY KEY,
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX asset_history_asset ON asset_history (asset_id, id);

-- The next sequence number of each tag prefix (the tag rule with its `{seq}` left out), taken
-- in the creating transaction so two new assets never share a number.
CREATE TABLE asset_tag_counters (
    prefix TEXT PRIMARY KEY,
    next_seq BIGINT NOT NULL
);

-- A stock-take (盘点) of one tenant, at one location or everywhere. `open` takes scans;
-- `applied` has written its corrections and takes nothing more.
CREATE TABLE stock_takes (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    location_id BIGINT REFERENCES locations(id),
    status TEXT NOT NULL CHECK (status IN ('open', 'applied')),
    started_by BIGINT REFERENCES users(id),
    applied_by BIGINT REFERENCES users(id),
    applied_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX stock_takes_tenant ON stock_takes (tenant_id, id);

-- One line of a stock-take: an asset expected there (the snapshot taken at the start), or
-- something scanned that was not expected (`asset_id` NULL when the tag is unknown). The
-- outcome (found, missing, moved, unexpected) is derived from these facts by the rules.
CREATE TABLE stock_take_items (
    id INTEGER PRIMARY KEY,
    stock_take_id BIGINT NOT NULL REFERENCES stock_takes(id),
    asset_id BIGINT REFERENCES assets(id),
    code TEXT NOT NULL,
    expected BOOLEAN NOT NULL,
    recorded_location_id BIGINT REFERENCES locations(id),
    scanned_location_id BIGINT REFERENCES locations(id),
    scans BIGINT NOT NULL DEFAULT 0,
    first_scanned_at BIGINT,
    scanned_by BIGINT REFERENCES users(id),
    UNIQUE (stock_take_id, code)
);
CREATE INDEX stock_take_items_asset ON stock_take_items (stock_take_id, asset_id);

-- Reminders sent before a warranty or contract ends: one per asset, kind and end date, so the
-- daily job tells people once (a new end date is a new reminder).
CREATE TABLE asset_reminders (
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    kind TEXT NOT NULL CHECK (kind IN ('warranty', 'contract')),
    end_date TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (asset_id, kind, end_date)
);
