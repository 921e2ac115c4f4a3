-- The configuration management database (CMDB): classes of configuration items with typed
-- attributes, the items (CIs) of each tenant, typed and directed relationships between them,
-- each CI's history, and the work (tickets, later problems and changes) that names a CI.

-- A class and its attributes (JSON: code, names, kind, required, unique, options, reference
-- class), installation-wide. `identify_by` lists the attribute codes that identify a CI of the
-- class on import, in order (serial number, UUID, asset tag, hostname).
CREATE TABLE ci_classes (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '[]',
    identify_by TEXT NOT NULL DEFAULT '[]',
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A configuration item of one tenant; the provider's own tenant holds shared CIs (a core
-- switch serving several clients). `attributes` holds the class's attribute values by code.
CREATE TABLE cis (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    class_id BIGINT NOT NULL REFERENCES ci_classes(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_service', 'maintenance', 'retired')),
    location_id BIGINT REFERENCES locations(id),
    owner_group_id BIGINT REFERENCES support_groups(id),
    user_id BIGINT REFERENCES users(id),
    attributes TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cis_tenant_class ON cis (tenant_id, class_id, name);
CREATE INDEX cis_tenant_name ON cis (tenant_id, name);
CREATE INDEX cis_user ON cis (user_id);

-- Values of unique attributes, one row each: uniqueness within a tenant and class, and the
-- lookups by serial number, UUID, asset tag or hostname that identify a CI on import.
CREATE TABLE ci_keys (
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    class_id BIGINT NOT NULL REFERENCES ci_classes(id),
    attribute TEXT NOT NULL,
    value TEXT NOT NULL,
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    PRIMARY KEY (tenant_id, class_id, attribute, value)
);
CREATE INDEX ci_keys_ci ON ci_keys (ci_id);

-- Which classes a relationship of a kind may join ('*' for any class).
CREATE TABLE ci_relation_rules (
    source_class TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_class TEXT NOT NULL,
    PRIMARY KEY (source_class, kind, target_class)
);

-- A typed, directed relationship: `source` runs on / depends on / … `target`. `dependent_id`
-- and `dependency_id` say which end fails when the other does (for `contains`, the contained
-- one), so impact analysis walks one pair of indexes whatever the kind.
CREATE TABLE ci_relations (
    id INTEGER PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES cis(id),
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL REFERENCES cis(id),
    dependent_id BIGINT NOT NULL,
    dependency_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (source_id, target_id, kind)
);
CREATE INDEX ci_relations_dependency ON ci_relations (dependency_id, dependent_id);
CREATE INDEX ci_relations_dependent ON ci_relations (dependent_id, dependency_id);
CREATE INDEX ci_relations_target ON ci_relations (target_id);

-- What happened to a CI: created, attribute changes (before/after), relationships added and
-- removed, with who and when.
CREATE TABLE ci_history (
    id INTEGER PRIMARY KEY,
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ci_history_ci ON ci_history (ci_id, id);

-- Work that names a CI (a ticket's affected CIs; later problems and changes), kept by the
-- module that owns the work through `yunwei_cmdb::work`: the number and title to show, and
-- whether it is still open.
CREATE TABLE ci_work (
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants(id),
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    open BOOLEAN NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (ci_id, kind, ref_id)
);
CREATE INDEX ci_work_ref ON ci_work (kind, ref_id);
CREATE INDEX ci_work_open ON ci_work (ci_id, open, linked_at);

-- Full-text search over CIs: name and text attributes, as for tickets.
CREATE VIRTUAL TABLE ci_search USING fts5(
    ci_id UNINDEXED,
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- The shipped classes (editable by an administrator).
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('business_service', '业务服务', 'Business service',
    '[{"code": "criticality", "name_zh": "重要性", "name_en": "Criticality", "kind": "enum", "required": true, "unique": false, "options": [{"code": "high", "name_zh": "高", "name_en": "High"}, {"code": "medium", "name_zh": "中", "name_en": "Medium"}, {"code": "low", "name_zh": "低", "name_en": "Low"}]}, {"code": "business_owner", "name_zh": "业务负责人", "name_en": "Business owner", "kind": "text", "required": false, "unique": false}, {"code": "service_hours", "name_zh": "服务时间", "name_en": "Service hours", "kind": "text", "required": false, "unique": false}]',
    '[]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('application', '应用系统', 'Application',
    '[{"code": "version", "name_zh": "版本", "name_en": "Version", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "url", "name_zh": "访问地址", "name_en": "URL", "kind": "text", "required": false, "unique": false}, {"code": "criticality", "name_zh": "重要性", "name_en": "Criticality", "kind": "enum", "required": false, "unique": false, "options": [{"code": "high", "name_zh": "高", "name_en": "High"}, {"code": "medium", "name_zh": "中", "name_en": "Medium"}, {"code": "low", "name_zh": "低", "name_en": "Low"}]}]',
    '[]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('database', '数据库', 'Database',
    '[{"code": "engine", "name_zh": "数据库类型", "name_en": "Engine", "kind": "enum", "required": true, "unique": false, "options": [{"code": "mysql", "name_zh": "MySQL", "name_en": "MySQL"}, {"code": "postgresql", "name_zh": "PostgreSQL", "name_en": "PostgreSQL"}, {"code": "oracle", "name_zh": "Oracle", "name_en": "Oracle"}, {"code": "sqlserver", "name_zh": "SQL Server", "name_en": "SQL Server"}, {"code": "dameng", "name_zh": "达梦", "name_en": "Dameng"}, {"code": "kingbase", "name_zh": "人大金仓", "name_en": "KingbaseES"}, {"code": "other", "name_zh": "其他", "name_en": "Other"}]}, {"code": "version", "name_zh": "版本", "name_en": "Version", "kind": "text", "required": false, "unique": false}, {"code": "port", "name_zh": "端口", "name_en": "Port", "kind": "number", "required": false, "unique": false}, {"code": "instance", "name_zh": "实例名", "name_en": "Instance", "kind": "text", "required": false, "unique": true}]',
    '["instance"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('middleware', '中间件', 'Middleware',
    '[{"code": "product", "name_zh": "产品", "name_en": "Product", "kind": "enum", "required": true, "unique": false, "options": [{"code": "nginx", "name_zh": "Nginx", "name_en": "Nginx"}, {"code": "tomcat", "name_zh": "Tomcat", "name_en": "Tomcat"}, {"code": "weblogic", "name_zh": "WebLogic", "name_en": "WebLogic"}, {"code": "redis", "name_zh": "Redis", "name_en": "Redis"}, {"code": "kafka", "name_zh": "Kafka", "name_en": "Kafka"}, {"code": "rabbitmq", "name_zh": "RabbitMQ", "name_en": "RabbitMQ"}, {"code": "other", "name_zh": "其他", "name_en": "Other"}]}, {"code": "version", "name_zh": "版本", "name_en": "Version", "kind": "text", "required": false, "unique": false}, {"code": "port", "name_zh": "端口", "name_en": "Port", "kind": "number", "required": false, "unique": false}]',
    '[]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('server', '服务器', 'Server',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "uuid", "name_zh": "UUID", "name_en": "UUID", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "os", "name_zh": "操作系统", "name_en": "Operating system", "kind": "enum", "required": false, "unique": false, "options": [{"code": "linux", "name_zh": "Linux", "name_en": "Linux"}, {"code": "windows", "name_zh": "Windows", "name_en": "Windows"}, {"code": "unix", "name_zh": "Unix", "name_en": "Unix"}, {"code": "kylin", "name_zh": "麒麟", "name_en": "Kylin"}, {"code": "other", "name_zh": "其他", "name_en": "Other"}]}, {"code": "os_version", "name_zh": "系统版本", "name_en": "OS version", "kind": "text", "required": false, "unique": false}, {"code": "patches", "name_zh": "补丁", "name_en": "Patches", "kind": "text", "required": false, "unique": false}, {"code": "cpu_cores", "name_zh": "CPU核数", "name_en": "CPU cores", "kind": "number", "required": false, "unique": false}, {"code": "memory_gb", "name_zh": "内存(GB)", "name_en": "Memory (GB)", "kind": "number", "required": false, "unique": false}, {"code": "ip_addresses", "name_zh": "IP地址", "name_en": "IP addresses", "kind": "ip_list", "required": false, "unique": false}, {"code": "rack", "name_zh": "机柜位置", "name_en": "Rack position", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "uuid", "asset_tag", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('virtual_machine', '虚拟机', 'Virtual machine',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "uuid", "name_zh": "UUID", "name_en": "UUID", "kind": "text", "required": false, "unique": true}, {"code": "os", "name_zh": "操作系统", "name_en": "Operating system", "kind": "enum", "required": false, "unique": false, "options": [{"code": "linux", "name_zh": "Linux", "name_en": "Linux"}, {"code": "windows", "name_zh": "Windows", "name_en": "Windows"}, {"code": "unix", "name_zh": "Unix", "name_en": "Unix"}, {"code": "kylin", "name_zh": "麒麟", "name_en": "Kylin"}, {"code": "other", "name_zh": "其他", "name_en": "Other"}]}, {"code": "os_version", "name_zh": "系统版本", "name_en": "OS version", "kind": "text", "required": false, "unique": false}, {"code": "patches", "name_zh": "补丁", "name_en": "Patches", "kind": "text", "required": false, "unique": false}, {"code": "cpu_cores", "name_zh": "CPU核数", "name_en": "CPU cores", "kind": "number", "required": false, "unique": false}, {"code": "memory_gb", "name_zh": "内存(GB)", "name_en": "Memory (GB)", "kind": "number", "required": false, "unique": false}, {"code": "ip_addresses", "name_zh": "IP地址", "name_en": "IP addresses", "kind": "ip_list", "required": false, "unique": false}, {"code": "host", "name_zh": "宿主机", "name_en": "Host", "kind": "reference", "required": false, "unique": false, "class": "server"}]',
    '["uuid", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('switch', '交换机', 'Switch',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "firmware", "name_zh": "固件版本", "name_en": "Firmware version", "kind": "text", "required": false, "unique": false}, {"code": "management_ip", "name_zh": "管理IP", "name_en": "Management IP", "kind": "ip", "required": false, "unique": false}, {"code": "port_count", "name_zh": "端口数", "name_en": "Ports", "kind": "number", "required": false, "unique": false}, {"code": "rack", "name_zh": "机柜位置", "name_en": "Rack position", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "asset_tag", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('router', '路由器', 'Router',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "firmware", "name_zh": "固件版本", "name_en": "Firmware version", "kind": "text", "required": false, "unique": false}, {"code": "management_ip", "name_zh": "管理IP", "name_en": "Management IP", "kind": "ip", "required": false, "unique": false}, {"code": "port_count", "name_zh": "端口数", "name_en": "Ports", "kind": "number", "required": false, "unique": false}, {"code": "rack", "name_zh": "机柜位置", "name_en": "Rack position", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "asset_tag", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('firewall', '防火墙', 'Firewall',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "firmware", "name_zh": "固件版本", "name_en": "Firmware version", "kind": "text", "required": false, "unique": false}, {"code": "management_ip", "name_zh": "管理IP", "name_en": "Management IP", "kind": "ip", "required": false, "unique": false}, {"code": "port_count", "name_zh": "端口数", "name_en": "Ports", "kind": "number", "required": false, "unique": false}, {"code": "rack", "name_zh": "机柜位置", "name_en": "Rack position", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "asset_tag", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('storage', '存储', 'Storage',
    '[{"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "capacity_tb", "name_zh": "容量(TB)", "name_en": "Capacity (TB)", "kind": "number", "required": false, "unique": false}, {"code": "management_ip", "name_zh": "管理IP", "name_en": "Management IP", "kind": "ip", "required": false, "unique": false}, {"code": "rack", "name_zh": "机柜位置", "name_en": "Rack position", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "asset_tag"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('pc', '个人计算机/终端', 'PC / terminal',
    '[{"code": "hostname", "name_zh": "主机名", "name_en": "Hostname", "kind": "text", "required": false, "unique": true}, {"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "os", "name_zh": "操作系统", "name_en": "Operating system", "kind": "enum", "required": false, "unique": false, "options": [{"code": "linux", "name_zh": "Linux", "name_en": "Linux"}, {"code": "windows", "name_zh": "Windows", "name_en": "Windows"}, {"code": "unix", "name_zh": "Unix", "name_en": "Unix"}, {"code": "kylin", "name_zh": "麒麟", "name_en": "Kylin"}, {"code": "other", "name_zh": "其他", "name_en": "Other"}]}, {"code": "os_version", "name_zh": "系统版本", "name_en": "OS version", "kind": "text", "required": false, "unique": false}, {"code": "ip_address", "name_zh": "IP地址", "name_en": "IP address", "kind": "ip", "required": false, "unique": false}, {"code": "mac_address", "name_zh": "MAC地址", "name_en": "MAC address", "kind": "text", "required": false, "unique": false}, {"code": "warranty_end", "name_zh": "保修截止", "name_en": "Warranty end", "kind": "date", "required": false, "unique": false}]',
    '["serial_number", "asset_tag", "hostname"]', TRUE, 0, 0);
INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, builtin, created_at, updated_at) VALUES ('printer', '打印机', 'Printer',
    '[{"code": "serial_number", "name_zh": "序列号", "name_en": "Serial number", "kind": "text", "required": false, "unique": true}, {"code": "asset_tag", "name_zh": "资产标签", "name_en": "Asset tag", "kind": "text", "required": false, "unique": true}, {"code": "model", "name_zh": "型号", "name_en": "Model", "kind": "text", "required": false, "unique": false}, {"code": "vendor", "name_zh": "厂商", "name_en": "Vendor", "kind": "text", "required": false, "unique": false}, {"code": "ip_address", "name_zh": "IP地址", "name_en": "IP address", "kind": "ip", "required": false, "unique": false}, {"code": "color", "name_zh": "彩色", "name_en": "Colour", "kind": "boolean", "required": false, "unique": false}]',
    '["serial_number", "asset_tag"]', TRUE, 0, 0);

-- Which classes each kind of relationship may join.
INSERT INTO ci_relation_rules (source_class, kind, target_class) VALUES
    ('application', 'runs_on', 'server'),
    ('application', 'installed_on', 'server'),
    ('application', 'runs_on', 'virtual_machine'),
    ('application', 'installed_on', 'virtual_machine'),
    ('database', 'runs_on', 'server'),
    ('database', 'installed_on', 'server'),
    ('database', 'runs_on', 'virtual_machine'),
    ('database', 'installed_on', 'virtual_machine'),
    ('middleware', 'runs_on', 'server'),
    ('middleware', 'installed_on', 'server'),
    ('middleware', 'runs_on', 'virtual_machine'),
    ('middleware', 'installed_on', 'virtual_machine'),
    ('virtual_machine', 'runs_on', 'server'),
    ('application', 'installed_on', 'pc'),
    ('business_service', 'depends_on', 'application'),
    ('business_service', 'depends_on', 'database'),
    ('business_service', 'depends_on', 'middleware'),
    ('business_service', 'depends_on', 'business_service'),
    ('application', 'depends_on', 'application'),
    ('application', 'depends_on', 'database'),
    ('application', 'depends_on', 'middleware'),
    ('application', 'uses', 'database'),
    ('application', 'uses', 'middleware'),
    ('application', 'uses', 'storage'),
    ('server', 'uses', 'storage'),
    ('virtual_machine', 'uses', 'storage'),
    ('pc', 'uses', 'printer'),
    ('server', 'connects_to', 'switch'),
    ('server', 'connects_to', 'router'),
    ('server', 'connects_to', 'firewall'),
    ('storage', 'connects_to', 'switch'),
    ('storage', 'connects_to', 'router'),
    ('storage', 'connects_to', 'firewall'),
    ('pc', 'connects_to', 'switch'),
    ('pc', 'connects_to', 'router'),
    ('pc', 'connects_to', 'firewall'),
    ('printer', 'connects_to', 'switch'),
    ('printer', 'connects_to', 'router'),
    ('printer', 'connects_to', 'firewall'),
    ('switch', 'connects_to', 'switch'),
    ('switch', 'connects_to', 'router'),
    ('switch', 'connects_to', 'firewall'),
    ('router', 'connects_to', 'switch'),
    ('router', 'connects_to', 'firewall'),
    ('firewall', 'connects_to', 'switch'),
    ('firewall', 'connects_to', 'router'),
    ('business_service', 'contains', 'business_service'),
    ('application', 'contains', 'application');
