//! `yunwei generate`'s configuration estate: CIs of every shipped class for each client and
//! the provider's shared core switches, relationships from business services down to the core,
//! PCs on access switches and printers, and a sample of the generated tickets naming CIs —
//! loaded in bulk (`yunwei_cmdb::store::bulk`).
//!
//! Per client, of its share of the CIs: 0.2 % business services, 1 % applications, 0.6 %
//! databases and as many middleware, 1 % servers, 4 % virtual machines, 1 % access switches,
//! 3 % printers, 0.2 % storage, the rest PCs. The structural relationships (service → apps →
//! VMs → servers → switches → core) come first; the rest of the relationship budget is PCs'
//! extra uplinks and printers, as in an office where each PC uses a few printers.

use std::collections::{BTreeMap, HashSet};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};
use yunwei_cmdb::rules::CiStatus;
use yunwei_cmdb::rules::relations::RelationKind::{self, ConnectsTo, DependsOn, RunsOn, Uses};
use yunwei_cmdb::store::bulk::{self, NewCi};
use yunwei_cmdb::store::classes;
use yunwei_db::Store;
use yunwei_db::now_micros;

use crate::Fallible;
use crate::rng::Rng;

/// What was loaded.
pub struct Loaded {
    pub cis: u64,
    pub relationships: u64,
    pub ticket_links: u64,
}

/// A client organisation to give an estate: its id, end users and locations.
pub struct Client<'a> {
    pub tenant_id: i64,
    pub users: &'a [i64],
    pub locations: &'a [i64],
}

struct Plan {
    cis: Vec<NewCi>,
    rels: Vec<(i64, RelationKind, i64)>,
}

/// Loads `total` CIs and about `relationships` relationships over the clients and the
/// provider, then links every 5th ticket to a CI of its organisation.
pub async fn run(
    store: &Store,
    provider: i64,
    clients: &[Client<'_>],
    total: u64,
    relationships: u64,
    rng: &mut Rng,
) -> Fallible<Loaded> {
    if total == 0 || clients.is_empty() {
        return Ok(Loaded { cis: 0, relationships: 0, ticket_links: 0 });
    }
    let mut tx = store.write().await?;
    let class_ids: BTreeMap<String, i64> =
        classes::list(&mut tx).await?.into_iter().map(|c| (c.code.clone(), c.id)).collect();
    let mut next = bulk::next_id(&mut tx, "cis").await?;
    tx.commit().await?;
    let class = |code: &str| class_ids.get(code).copied().ok_or_else(|| format!("no class {code}"));

    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("generate: {bar:40} {pos}/{len} CIs  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let now = now_micros();
    let mut loaded = Loaded { cis: 0, relationships: 0, ticket_links: 0 };
    // The provider's core switches, shared by every client.
    let cores_n = (clients.len() as i64).clamp(2, 40);
    let mut plan = Plan { cis: vec![], rels: vec![] };
    let mut cores = Vec::new();
    for i in 0..cores_n {
        let id = next;
        next += 1;
        let attrs = json!({"hostname": format!("core-sw-{:02}", i + 1), "serial_number": format!("CORE{:06}", i + 1),
            "model": "CE12808", "vendor": "华为 Huawei", "management_ip": format!("10.255.0.{}", i + 1)});
        plan.cis.push(ci(
            id,
            provider,
            class("switch")?,
            format!("核心交换机 Core switch {:02}", i + 1),
            attrs,
            None,
            None,
            now,
        ));
        cores.push(id);
    }
    for pair in cores.windows(2) {
        plan.rels.push((pair[1], ConnectsTo, pair[0]));
    }
    load(store, &mut plan, now).await?;
    loaded.cis += cores.len() as u64;
    loaded.relationships += cores.len() as u64 - 1;

    let per_client = ((total - loaded.cis) / clients.len() as u64).max(20) as usize;
    let rel_per_client = (relationships.saturating_sub(loaded.relationships) / clients.len() as u64) as usize;
    for (ci_no, c) in clients.iter().enumerate() {
        let share = |f: f64| ((per_client as f64 * f).round() as usize).max(1);
        let counts = [
            ("business_service", share(0.002)),
            ("application", share(0.01)),
            ("database", share(0.006)),
            ("middleware", share(0.006)),
            ("server", share(0.01)),
            ("virtual_machine", share(0.04)),
            ("switch", share(0.01)),
            ("printer", share(0.03)),
            ("storage", share(0.002)),
        ];
        let fixed: usize = counts.iter().map(|(_, n)| n).sum();
        let pcs = per_client.saturating_sub(fixed).max(1);
        let mut ids: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        let loc = |rng: &mut Rng| if c.locations.is_empty() { None } else { Some(*rng.pick(c.locations)) };
        for (code, n) in counts.iter().copied().chain(std::iter::once(("pc", pcs))) {
            let class_id = class(code)?;
            for i in 0..n {
                let id = next;
                next += 1;
                let (name, attrs, user) = describe(code, ci_no, i, c, rng);
                let mut new = ci(id, c.tenant_id, class_id, name, attrs, loc(rng), user, now);
                if code == "business_service" || code == "application" {
                    new.location_id = None;
                }
                plan.cis.push(new);
                ids.entry(code).or_default().push(id);
                if plan.cis.len() >= 2000 {
                    loaded.cis += plan.cis.len() as u64;
                    bar.inc(plan.cis.len() as u64);
                    loaded.relationships += plan.rels.len() as u64;
                    load(store, &mut plan, now).await?;
                }
            }
        }
        let get = |code: &str| ids.get(code).cloned().unwrap_or_default();
        let (svcs, apps, dbs, mws, servers, vms, switches, printers, storage, pcs) = (
            get("business_service"),
            get("application"),
            get("database"),
            get("middleware"),
            get("server"),
            get("virtual_machine"),
            get("switch"),
            get("printer"),
            get("storage"),
            get("pc"),
        );
        let mut rels: Vec<(i64, RelationKind, i64)> = Vec::new();
        let mut seen: HashSet<(i64, RelationKind, i64)> = HashSet::new();
        let mut add = |rels: &mut Vec<_>, s: i64, k: RelationKind, t: i64| {
            if s != t && seen.insert((s, k, t)) {
                rels.push((s, k, t));
            }
        };
        for (i, s) in svcs.iter().enumerate() {
            for j in 0..5 {
                add(&mut rels, *s, DependsOn, apps[(i * 5 + j) % apps.len()]);
            }
        }
        for (i, a) in apps.iter().enumerate() {
            add(&mut rels, *a, RunsOn, vms[(2 * i) % vms.len()]);
            add(&mut rels, *a, RunsOn, vms[(2 * i + 1) % vms.len()]);
            add(&mut rels, *a, Uses, dbs[i % dbs.len()]);
            add(&mut rels, *a, DependsOn, mws[i % mws.len()]);
        }
        for (i, d) in dbs.iter().enumerate() {
            add(&mut rels, *d, RunsOn, vms[(vms.len() / 2 + i) % vms.len()]);
        }
        for (i, m) in mws.iter().enumerate() {
            add(&mut rels, *m, RunsOn, vms[(vms.len() / 3 + i) % vms.len()]);
        }
        for (i, v) in vms.iter().enumerate() {
            add(&mut rels, *v, RunsOn, servers[i % servers.len()]);
        }
        for (i, s) in servers.iter().enumerate() {
            add(&mut rels, *s, ConnectsTo, switches[i % switches.len()]);
            add(&mut rels, *s, Uses, storage[i % storage.len()]);
        }
        for (i, sw) in switches.iter().enumerate() {
            add(&mut rels, *sw, ConnectsTo, cores[(ci_no + i) % cores.len()]);
        }
        for (i, pc) in pcs.iter().enumerate() {
            add(&mut rels, *pc, ConnectsTo, switches[i % switches.len()]);
            add(&mut rels, *pc, Uses, printers[i % printers.len()]);
        }
        // The rest of the budget: more printers per PC, a second uplink for some.
        let mut round = 1;
        while rels.len() < rel_per_client && round < 12 {
            for (i, pc) in pcs.iter().enumerate() {
                if rels.len() >= rel_per_client {
                    break;
                }
                if round % 4 == 0 {
                    add(&mut rels, *pc, ConnectsTo, switches[(i + round) % switches.len()]);
                } else {
                    add(&mut rels, *pc, Uses, printers[(i + round * 7) % printers.len()]);
                }
            }
            round += 1;
        }
        plan.rels.extend(rels);
        if ci_no + 1 == clients.len() || plan.rels.len() > 20_000 {
            loaded.cis += plan.cis.len() as u64;
            bar.inc(plan.cis.len() as u64);
            loaded.relationships += plan.rels.len() as u64;
            load(store, &mut plan, now).await?;
        }
    }
    loaded.cis += plan.cis.len() as u64;
    loaded.relationships += plan.rels.len() as u64;
    load(store, &mut plan, now).await?;
    bar.finish();
    loaded.ticket_links = link_tickets(store, clients, rng).await?;
    let mut tx = store.write().await?;
    bulk::finish(&mut tx).await?;
    tx.commit().await?;
    Ok(loaded)
}

async fn load(store: &Store, plan: &mut Plan, now: i64) -> Fallible {
    let mut tx = store.write().await?;
    for chunk in plan.cis.chunks(1000) {
        bulk::insert_cis(&mut tx, chunk).await?;
    }
    bulk::insert_relations(&mut tx, &plan.rels, now).await?;
    tx.commit().await?;
    plan.cis.clear();
    plan.rels.clear();
    Ok(())
}

/// Links every 5th ticket to a CI of its organisation.
async fn link_tickets(store: &Store, clients: &[Client<'_>], rng: &mut Rng) -> Fallible<u64> {
    let mut tx = store.write().await?;
    let tickets = yunwei_desk::store::bulk::sample_tickets(&mut tx, 5).await?;
    let mut by_tenant: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let ci_tenants = yunwei_cmdb::store::bulk::ids_by_tenant(&mut tx).await?;
    for (tenant, id) in ci_tenants {
        by_tenant.entry(tenant).or_default().push(id);
    }
    let mut rows = Vec::with_capacity(tickets.len());
    for (id, tenant, number, title, open) in tickets {
        if let Some(cis) = by_tenant.get(&tenant).filter(|c| !c.is_empty())
            && clients.iter().any(|c| c.tenant_id == tenant)
        {
            rows.push((*rng.pick(cis), id, tenant, number, title, open));
        }
    }
    bulk::insert_work(&mut tx, yunwei_desk::store::intake::WORK_KIND, &rows, now_micros()).await?;
    tx.commit().await?;
    Ok(rows.len() as u64)
}

#[allow(clippy::too_many_arguments)]
fn ci(
    id: i64,
    tenant_id: i64,
    class_id: i64,
    name: String,
    attrs: Value,
    location_id: Option<i64>,
    user_id: Option<i64>,
    now: i64,
) -> NewCi {
    let attributes: Map<String, Value> = attrs.as_object().cloned().unwrap_or_default();
    let keys = ["hostname", "serial_number", "uuid", "asset_tag", "instance"]
        .iter()
        .filter_map(|k| attributes.get(*k).and_then(Value::as_str).map(|v| (k.to_string(), v.to_string())))
        .collect();
    let texts = ["hostname", "model", "vendor", "os_version", "ip_address", "management_ip"]
        .iter()
        .filter_map(|k| attributes.get(*k).and_then(Value::as_str).map(str::to_string))
        .collect();
    NewCi {
        id,
        tenant_id,
        class_id,
        name,
        status: CiStatus::InService,
        location_id,
        owner_group_id: None,
        user_id,
        attributes,
        keys,
        texts,
        created_at: now,
    }
}

/// A believable name and attributes for CI number `i` of a class at client `c`.
fn describe(code: &str, client: usize, i: usize, c: &Client<'_>, rng: &mut Rng) -> (String, Value, Option<i64>) {
    let p = format!("c{:03}", client + 1);
    let ip = |net: usize| format!("10.{}.{}.{}", client % 250, net + (i / 250) % 50, 1 + i % 250);
    match code {
        "business_service" => (
            format!("{} 业务服务 Service {}", ["门户", "财务", "仓储", "人事", "客服"][i % 5], i + 1),
            json!({"criticality": (["high", "medium", "low"][i % 3]), "service_hours": "7×24"}),
            None,
        ),
        "application" => (
            format!("{p}-app-{:03}", i + 1),
            json!({"version": format!("{}.{}", 1 + i % 9, i % 10), "criticality": "medium"}),
            None,
        ),
        "database" => (
            format!("{p}-db-{:03}", i + 1),
            json!({"engine": (["oracle", "mysql", "postgresql", "dameng"][i % 4]), "instance": format!("{p}db{i}"), "port": 1521}),
            None,
        ),
        "middleware" => (
            format!("{p}-mw-{:03}", i + 1),
            json!({"product": (["tomcat", "nginx", "redis", "kafka"][i % 4]), "port": 8080}),
            None,
        ),
        "server" => (
            format!("{p}-srv-{:03}", i + 1),
            json!({"hostname": format!("{p}-srv-{:03}", i + 1), "serial_number": format!("{}SRV{:06}", p.to_uppercase(), i),
                "model": "PowerEdge R750", "vendor": "戴尔 Dell", "os": "linux", "cpu_cores": 64, "memory_gb": 512,
                "ip_addresses": [ip(1)]}),
            None,
        ),
        "virtual_machine" => (
            format!("{p}-vm-{:04}", i + 1),
            json!({"hostname": format!("{p}-vm-{:04}", i + 1), "os": "linux", "os_version": "麒麟 Kylin V10", "cpu_cores": 8,
                "memory_gb": 16, "ip_addresses": [ip(60)]}),
            None,
        ),
        "switch" => (
            format!("接入交换机 {p}-sw-{:03}", i + 1),
            json!({"hostname": format!("{p}-sw-{:03}", i + 1), "serial_number": format!("{}SW{:06}", p.to_uppercase(), i),
                "model": "S5735", "vendor": "华为 Huawei", "management_ip": ip(120)}),
            None,
        ),
        "printer" => (
            format!("打印机 {p}-prn-{:03}", i + 1),
            json!({"serial_number": format!("{}PRN{:06}", p.to_uppercase(), i), "model": "LaserJet M406", "vendor": "惠普 HP", "ip_address": ip(130)}),
            None,
        ),
        "storage" => (
            format!("{p}-san-{:02}", i + 1),
            json!({"serial_number": format!("{}SAN{:04}", p.to_uppercase(), i), "capacity_tb": 100}),
            None,
        ),
        _ => {
            let user = if c.users.is_empty() || rng.below(10) == 0 { None } else { Some(c.users[i % c.users.len()]) };
            (
                format!("{p}-pc-{:05}", i + 1),
                json!({"hostname": format!("{p}-pc-{:05}", i + 1), "serial_number": format!("{}PC{:07}", p.to_uppercase(), i),
                    "model": "ThinkCentre M90q", "vendor": "联想 Lenovo", "os": "windows", "ip_address": ip(140)}),
                user,
            )
        }
    }
}
