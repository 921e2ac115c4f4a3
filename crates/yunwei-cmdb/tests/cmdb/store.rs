//! The CMDB's store on SQLite and PostgreSQL: CIs and their typed attributes, history,
//! relationships and their rules, impact analysis, and tenant isolation everywhere.

use serde_json::{Map, Value, json};
use yunwei_cmdb::rules::CiStatus;
use yunwei_cmdb::rules::impact::Direction;
use yunwei_cmdb::rules::relations::RelationKind;
use yunwei_cmdb::store::{cis, classes, impact, relations, work};
use yunwei_cmdb::testing::World;
use yunwei_db::testing::TestStore;
use yunwei_db::{StoreError, both_backends};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;

fn attrs(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

pub async fn ci(store: &TestStore, actor: &Actor, tenant: i64, class: &str, name: &str, values: Value) -> cis::Ci {
    try_ci(store, actor, tenant, class, name, values).await.unwrap()
}

async fn try_ci(
    store: &TestStore,
    actor: &Actor,
    tenant: i64,
    class: &str,
    name: &str,
    values: Value,
) -> Result<cis::Ci, StoreError> {
    let mut tx = store.write().await.unwrap();
    let input = cis::CiInput {
        tenant_id: Some(tenant),
        class: Some(class.into()),
        name: Some(name.into()),
        attributes: attrs(values),
        ..Default::default()
    };
    let c = cis::create(&mut tx, actor, input).await?;
    tx.commit().await.unwrap();
    Ok(c)
}

pub async fn relate(store: &TestStore, actor: &Actor, a: i64, kind: RelationKind, b: i64) -> Result<i64, StoreError> {
    let mut tx = store.write().await.unwrap();
    let r = relations::add(&mut tx, actor, a, kind, b).await?;
    tx.commit().await.unwrap();
    Ok(r.id)
}

fn invalid(e: StoreError) -> (String, &'static str) {
    match e {
        StoreError::Domain(DomainError::Invalid(f)) => (f.field, f.problem.code),
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

async fn count(store: &TestStore, table: &str) -> i64 {
    let mut tx = store.read().await.unwrap();
    scalar!(&mut tx, i64, &format!("SELECT COUNT(*) FROM {table}")).unwrap()
}

both_backends!(typed_attributes_are_checked_kept_canonical_and_unique_within_a_tenant, |store| async move {
    let w = World::build(&store).await;
    let values = json!({"hostname": "db-01", "serial_number": "SN-1", "os": "linux",
        "ip_addresses": ["10.0.0.1", "2001:DB8::1"], "cpu_cores": 16, "warranty_end": "2027-06-30"});
    let s = ci(&store, &w.config_a, w.tenant_a, "server", "数据库服务器 01", values).await;
    assert_eq!(s.attributes["ip_addresses"], json!(["10.0.0.1", "2001:db8::1"]));
    assert_eq!((s.status, s.class_code.as_str(), s.version), (CiStatus::InService, "server", 1));

    let before = count(&store, "cis").await;
    for (values, field, code) in [
        (json!({"ip_addresses": ["10.0.0.300"]}), "attributes.ip_addresses", "not_an_ip"),
        (json!({"cpu_cores": "many"}), "attributes.cpu_cores", "wrong_type"),
        (json!({"warranty_end": "2027-02-30"}), "attributes.warranty_end", "not_a_date"),
        (json!({"os": "beos"}), "attributes.os", "not_one_of"),
        (json!({"colour": "red"}), "attributes.colour", "unknown_attribute"),
        (json!({"serial_number": "SN-1"}), "attributes.serial_number", "attribute_taken"),
        (json!({"hostname": "x\u{0}y"}), "attributes.hostname", "control_chars"),
    ] {
        let e = try_ci(&store, &w.config_a, w.tenant_a, "server", "bad", values).await.unwrap_err();
        assert_eq!(invalid(e), (field.to_string(), code));
    }
    let e = try_ci(&store, &w.config_a, w.tenant_a, "database", "no engine", json!({})).await.unwrap_err();
    assert_eq!(invalid(e), ("attributes.engine".to_string(), "required"));
    let e = try_ci(&store, &w.config_a, w.tenant_a, "spaceship", "x", json!({})).await.unwrap_err();
    assert_eq!(invalid(e), ("class".to_string(), "no_such_class"));
    let long = "名".repeat(201);
    let e = try_ci(&store, &w.config_a, w.tenant_a, "server", &long, json!({})).await.unwrap_err();
    assert_eq!(invalid(e), ("name".to_string(), "too_long"));
    assert_eq!(count(&store, "cis").await, before, "refused CIs are not stored");

    // The same serial number at another client is not a clash (and says nothing about tenant A).
    ci(&store, &w.admin, w.tenant_b, "server", "Globex server", json!({"serial_number": "SN-1"})).await;
    // A tenant outside the manager's scope is no tenant at all.
    let e = try_ci(&store, &w.config_a, w.tenant_b, "server", "x", json!({})).await.unwrap_err();
    assert_eq!(invalid(e), ("tenant_id".to_string(), "no_such_tenant"));
    // Agents read, they do not write.
    let e = try_ci(&store, &w.agent_a, w.tenant_a, "server", "x", json!({})).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))), "{e:?}");
});

both_backends!(
    every_change_is_in_the_history_with_before_and_after_and_a_stale_version_is_refused,
    |store| async move {
        let w = World::build(&store).await;
        let s = ci(&store, &w.config_a, w.tenant_a, "server", "app-01", json!({"hostname": "app-01", "memory_gb": 64}))
            .await;
        let mut tx = store.write().await.unwrap();
        let input = cis::CiInput {
            status: Some(CiStatus::Maintenance),
            location_id: Some(Some(w.location_a)),
            attributes: attrs(json!({"memory_gb": 128, "hostname": null})),
            ..Default::default()
        };
        let after = cis::update(&mut tx, &w.config_a, s.id, 1, input.clone()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!((after.version, after.status), (2, CiStatus::Maintenance));
        assert_eq!(Value::Object(after.attributes.0.clone()), json!({"memory_gb": 128}));

        let mut tx = store.write().await.unwrap();
        let stale = cis::update(&mut tx, &w.config_a, s.id, 1, input).await.unwrap_err();
        assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
        drop(tx);

        let mut tx = store.read().await.unwrap();
        let h = cis::history_of(&mut tx, &w.agent_a, s.id).await.unwrap();
        assert_eq!(h.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), vec!["updated", "created"]);
        let changes = &h[0].data["changes"];
        let find = |f: &str| changes.as_array().unwrap().iter().find(|c| c["field"] == f).cloned().unwrap();
        assert_eq!(find("attributes.memory_gb"), json!({"field": "attributes.memory_gb", "before": 64, "after": 128}));
        assert_eq!(find("attributes.hostname")["after"], Value::Null);
        assert_eq!(find("status")["before"], "in_service");
        assert_eq!(h[0].actor_name.as_deref(), Some("config.a"));
        let audit = yunwei_db::audit::for_entity(&mut tx, &w.admin, "ci", s.id).await.unwrap();
        assert_eq!(audit.len(), 2);
    }
);

both_backends!(each_person_sees_only_the_cis_of_their_scope, |store| async move {
    let w = World::build(&store).await;
    let a = ci(&store, &w.admin, w.tenant_a, "pc", "张三的电脑", json!({"serial_number": "PC-A"})).await;
    let b = ci(&store, &w.admin, w.tenant_b, "pc", "Globex laptop", json!({"serial_number": "PC-B"})).await;
    let core = ci(&store, &w.admin, w.provider, "switch", "核心交换机 Core", json!({})).await;
    let mut tx = store.write().await.unwrap();
    let assign = cis::CiInput { user_id: Some(Some(w.user_a.user_id)), ..Default::default() };
    cis::update(&mut tx, &w.admin, a.id, 1, assign).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let mut names = async |actor: &Actor| {
        let all = cis::list(&mut tx, actor, &cis::CiFilter::default()).await.unwrap();
        all.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    let sorted = |mut v: Vec<i64>| {
        v.sort();
        v
    };
    assert_eq!(sorted(names(&w.admin).await), sorted(vec![a.id, b.id, core.id]));
    assert_eq!(sorted(names(&w.agent_a).await), sorted(vec![a.id, core.id]), "an agent sees the shared CIs too");
    assert_eq!(sorted(names(&w.agent_ab).await), sorted(vec![a.id, b.id, core.id]));
    assert_eq!(sorted(names(&w.client_it_a).await), sorted(vec![a.id]), "a client's IT sees their own only");
    assert_eq!(sorted(names(&w.user_a).await), sorted(vec![a.id]), "an end user sees their own device");
    assert_eq!(names(&w.user_b).await, Vec::<i64>::new());
    for (actor, id) in [(&w.agent_a, b.id), (&w.client_it_a, core.id), (&w.user_b, a.id), (&w.client_it_a, b.id)] {
        let e = cis::get(&mut tx, actor, id).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound("ci")), "{e:?}");
        let e = cis::history_of(&mut tx, actor, id).await.unwrap_err();
        assert!(matches!(e, StoreError::NotFound("ci")), "{e:?}");
    }
    // Search finds words and exact serial numbers, inside the scope only.
    let find = async |tx: &mut yunwei_db::Tx, actor: &Actor, q: &str| {
        let f = cis::CiFilter { q: Some(q.into()), ..Default::default() };
        cis::list(tx, actor, &f).await.unwrap().into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(find(&mut tx, &w.admin, "电脑").await, vec![a.id]);
    assert_eq!(find(&mut tx, &w.admin, "PC-B").await, vec![b.id]);
    assert_eq!(find(&mut tx, &w.agent_a, "PC-B").await, Vec::<i64>::new());
    assert_eq!(find(&mut tx, &w.agent_a, "globex").await, Vec::<i64>::new());
    assert_eq!(find(&mut tx, &w.agent_a, "core").await, vec![core.id]);
});

both_backends!(relationships_follow_the_class_rules_and_never_join_two_clients, |store| async move {
    let w = World::build(&store).await;
    let app = ci(&store, &w.config_a, w.tenant_a, "application", "ERP", json!({})).await;
    let srv = ci(&store, &w.config_a, w.tenant_a, "server", "erp-srv", json!({})).await;
    let core = ci(&store, &w.admin, w.provider, "switch", "Core", json!({})).await;
    let other = ci(&store, &w.admin, w.tenant_b, "server", "globex-srv", json!({})).await;

    let r = relate(&store, &w.config_a, app.id, RelationKind::RunsOn, srv.id).await.unwrap();
    let e = relate(&store, &w.config_a, app.id, RelationKind::RunsOn, srv.id).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { code: "relation_exists", .. }), "{e:?}");
    let e = relate(&store, &w.config_a, srv.id, RelationKind::RunsOn, app.id).await.unwrap_err();
    assert_eq!(invalid(e), ("kind".to_string(), "relation_not_allowed"));
    let e = relate(&store, &w.config_a, srv.id, RelationKind::ConnectsTo, srv.id).await.unwrap_err();
    assert_eq!(invalid(e).1, "relation_to_itself");
    relate(&store, &w.config_a, srv.id, RelationKind::ConnectsTo, core.id).await.unwrap();
    // Another client's server is not there for this manager; for the administrator it is, but
    // two clients are never joined.
    let e = relate(&store, &w.config_a, app.id, RelationKind::RunsOn, other.id).await.unwrap_err();
    assert_eq!(invalid(e), ("target_id".to_string(), "no_such_ci"));
    let e = relate(&store, &w.admin, app.id, RelationKind::RunsOn, other.id).await.unwrap_err();
    assert_eq!(invalid(e), ("target_id".to_string(), "relation_across_tenants"));
    relate(&store, &w.admin, other.id, RelationKind::ConnectsTo, core.id).await.unwrap();

    // The shared switch's relationships show each viewer only their own side.
    let mut tx = store.read().await.unwrap();
    let ends = async |tx: &mut yunwei_db::Tx, actor: &Actor| {
        let mut v: Vec<i64> = relations::of(tx, actor, core.id).await.unwrap().iter().map(|n| n.other_id).collect();
        v.sort();
        v
    };
    assert_eq!(ends(&mut tx, &w.agent_a).await, vec![srv.id]);
    assert_eq!(ends(&mut tx, &w.admin).await, vec![srv.id, other.id]);
    drop(tx);
    let mut tx = store.write().await.unwrap();
    relations::remove(&mut tx, &w.config_a, r).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let h = cis::history_of(&mut tx, &w.admin, srv.id).await.unwrap();
    let kinds: Vec<&str> = h.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["relation_removed", "relation_added", "relation_added", "created"]);
});

both_backends!(impact_counts_each_cis_open_work_and_lists_each_piece_once_newest_first, |store| async move {
    let w = World::build(&store).await;
    let m = &w.admin;
    let core = ci(&store, m, w.provider, "switch", "core", json!({})).await;
    let srv = ci(&store, m, w.tenant_a, "server", "a-srv", json!({})).await;
    let app = ci(&store, m, w.tenant_a, "application", "a-erp", json!({})).await;
    let srv_b = ci(&store, m, w.tenant_b, "server", "b-srv", json!({})).await;
    for (x, k, y) in [
        (srv.id, RelationKind::ConnectsTo, core.id),
        (app.id, RelationKind::RunsOn, srv.id),
        (srv_b.id, RelationKind::ConnectsTo, core.id),
    ] {
        relate(&store, m, x, k, y).await.unwrap();
    }
    // 250 open tickets on the server, the newest naming the application too; a closed one on
    // the application; one open on tenant B's server.
    let mut tx = store.write().await.unwrap();
    for n in 1..=250 {
        let cis = if n == 250 { vec![srv.id, app.id] } else { vec![srv.id] };
        work::link(&mut tx, "ticket", n, w.tenant_a, &format!("INC-{n:06}"), "slow", true, &cis).await.unwrap();
    }
    work::link(&mut tx, "ticket", 251, w.tenant_a, "INC-000251", "old", false, &[app.id]).await.unwrap();
    work::link(&mut tx, "ticket", 252, w.tenant_b, "INC-000252", "b", true, &[srv_b.id]).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let count = |i: &impact::Impact, id: i64| i.nodes.iter().find(|n| n.id == id).map(|n| n.open_tickets);
    let all = impact::analyse(&mut tx, &w.admin, core.id, Direction::Down, 6).await.unwrap();
    assert_eq!([count(&all, srv.id), count(&all, app.id), count(&all, srv_b.id)], [Some(250), Some(1), Some(1)]);
    // The list: 200, newest first, each ticket once though it names two CIs reached.
    let numbers: Vec<&str> = all.open_tickets.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(numbers.len(), 200);
    assert_eq!(&numbers[..2], ["INC-000252", "INC-000250"]);
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 200);
    // From the application alone, the ticket naming it and the server is listed once.
    let from_app = impact::analyse(&mut tx, &w.admin, app.id, Direction::Up, 6).await.unwrap();
    let numbers: Vec<&str> = from_app.open_tickets.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(numbers.len(), 200);
    assert_eq!(numbers.iter().filter(|n| **n == "INC-000250").count(), 1);
    let only_app = impact::analyse(&mut tx, &w.admin, app.id, Direction::Up, 1).await.unwrap();
    assert_eq!(count(&only_app, app.id), Some(1));
    // Tenant A's agent: nothing of tenant B counted or listed.
    let a = impact::analyse(&mut tx, &w.agent_a, core.id, Direction::Down, 6).await.unwrap();
    assert_eq!(count(&a, srv_b.id), None);
    assert!(a.open_tickets.iter().all(|t| t.tenant_id == w.tenant_a));
});

both_backends!(impact_follows_dependencies_both_ways_stays_in_scope_and_explains_each_ci, |store| async move {
    let w = World::build(&store).await;
    let m = &w.admin;
    let core = ci(&store, m, w.provider, "switch", "核心交换机", json!({})).await;
    let srv_a = ci(&store, m, w.tenant_a, "server", "a-srv", json!({})).await;
    let vm_a = ci(&store, m, w.tenant_a, "virtual_machine", "a-vm", json!({})).await;
    let app_a = ci(&store, m, w.tenant_a, "application", "a-erp", json!({})).await;
    let svc_a = ci(&store, m, w.tenant_a, "business_service", "a-finance", json!({"criticality": "high"})).await;
    let srv_b = ci(&store, m, w.tenant_b, "server", "b-srv", json!({})).await;
    let app_b = ci(&store, m, w.tenant_b, "application", "b-crm", json!({})).await;
    let svc_b = ci(&store, m, w.tenant_b, "business_service", "b-sales", json!({"criticality": "low"})).await;
    for (x, k, y) in [
        (svc_b.id, RelationKind::DependsOn, app_b.id),
        (srv_a.id, RelationKind::ConnectsTo, core.id),
        (vm_a.id, RelationKind::RunsOn, srv_a.id),
        (app_a.id, RelationKind::RunsOn, vm_a.id),
        (svc_a.id, RelationKind::DependsOn, app_a.id),
        (srv_b.id, RelationKind::ConnectsTo, core.id),
        (app_b.id, RelationKind::RunsOn, srv_b.id),
        // A cycle in the data: the service also contains itself through another service.
        (svc_a.id, RelationKind::Contains, svc_a.id + 1000),
    ] {
        let _ = relate(&store, m, x, k, y).await;
    }
    // Open and closed tickets on tenant A's application and tenant B's.
    let mut tx = store.write().await.unwrap();
    work::link(&mut tx, "ticket", 1, w.tenant_a, "INC-000001", "ERP 登录慢", true, &[app_a.id]).await.unwrap();
    work::link(&mut tx, "ticket", 2, w.tenant_a, "INC-000002", "旧问题", false, &[app_a.id]).await.unwrap();
    work::link(&mut tx, "ticket", 3, w.tenant_b, "INC-000003", "CRM down", true, &[app_b.id]).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.read().await.unwrap();
    let down = impact::analyse(&mut tx, &w.admin, core.id, Direction::Down, 6).await.unwrap();
    let ids: Vec<i64> = down.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    let svc = down.nodes.iter().find(|n| n.id == svc_a.id).unwrap();
    assert_eq!(svc.path, vec![core.id, srv_a.id, vm_a.id, app_a.id, svc_a.id]);
    assert_eq!((svc.depth, svc.kind), (4, Some(RelationKind::DependsOn)));
    assert_eq!(down.tenants, {
        let mut t = vec![w.provider, w.tenant_a, w.tenant_b];
        t.sort();
        t
    });
    let numbers: Vec<&str> = down.open_tickets.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(numbers.len(), 2);
    assert!(numbers.contains(&"INC-000001") && numbers.contains(&"INC-000003"));

    // Tenant A's agent sees the switch's impact on tenant A only: no server, CI, tenant or
    // ticket of tenant B.
    let a = impact::analyse(&mut tx, &w.agent_a, core.id, Direction::Down, 6).await.unwrap();
    let ids: Vec<i64> = a.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![core.id, srv_a.id, vm_a.id, app_a.id, svc_a.id]);
    assert!(!a.tenants.contains(&w.tenant_b));
    assert_eq!(a.open_tickets.iter().map(|t| t.number.as_str()).collect::<Vec<_>>(), vec!["INC-000001"]);
    assert_eq!(a.nodes.iter().find(|n| n.id == app_a.id).unwrap().open_tickets, 1);

    // Depth limits; up from the service finds what it stands on.
    let shallow = impact::analyse(&mut tx, &w.agent_a, core.id, Direction::Down, 2).await.unwrap();
    assert_eq!(shallow.nodes.len(), 3);
    let up = impact::analyse(&mut tx, &w.agent_a, svc_a.id, Direction::Up, 6).await.unwrap();
    let ids: Vec<i64> = up.nodes.iter().map(|n| n.id).collect();
    assert_eq!(ids, vec![svc_a.id, app_a.id, vm_a.id, srv_a.id, core.id]);
    // Another client's CI is not found, and an end user may not analyse.
    let e = impact::analyse(&mut tx, &w.agent_a, srv_b.id, Direction::Down, 6).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound("ci")), "{e:?}");
    let e = impact::analyse(&mut tx, &w.user_a, core.id, Direction::Down, 6).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))), "{e:?}");

    // The business services a ticket's CIs serve, from all of them at once, in the viewer's
    // scope: the switch serves both clients' services, tenant A's agent sees A's only, and a
    // service named itself counts.
    let both = impact::services_of(&mut tx, &w.admin, &[core.id, app_b.id]).await.unwrap();
    assert_eq!(both, vec![(svc_a.id, "a-finance".to_string()), (svc_b.id, "b-sales".to_string())]);
    let only_a = impact::services_of(&mut tx, &w.agent_a, &[core.id, app_b.id]).await.unwrap();
    assert_eq!(only_a, vec![(svc_a.id, "a-finance".to_string())]);
    let itself = impact::services_of(&mut tx, &w.agent_a, &[svc_a.id]).await.unwrap();
    assert_eq!(itself, vec![(svc_a.id, "a-finance".to_string())]);
    assert!(impact::services_of(&mut tx, &w.agent_a, &[srv_b.id]).await.unwrap().is_empty());
});

/// PCs connected to `switch`, one per entry of `tenants` (its tenant), named from `from` on;
/// their ids in the same order.
async fn pcs_on(store: &TestStore, w: &World, switch: i64, tenants: &[i64], from: usize) -> Vec<i64> {
    let mut tx = store.write().await.unwrap();
    let mut ids = vec![0; tenants.len()];
    for tenant in [w.tenant_a, w.tenant_b] {
        let (at, inputs): (Vec<usize>, Vec<cis::CiInput>) = tenants
            .iter()
            .enumerate()
            .filter(|(_, t)| **t == tenant)
            .map(|(i, _)| {
                let input = cis::CiInput {
                    class: Some("pc".into()),
                    name: Some(format!("pc-{:05}", from + i)),
                    ..Default::default()
                };
                (i, input)
            })
            .unzip();
        for (i, c) in at.into_iter().zip(cis::create_many(&mut tx, &w.admin, tenant, inputs).await.unwrap()) {
            ids[i] = c.unwrap().id;
        }
    }
    let rels: Vec<(i64, RelationKind, i64)> = ids.iter().map(|&pc| (pc, RelationKind::ConnectsTo, switch)).collect();
    yunwei_cmdb::store::bulk::insert_relations(&mut tx, &rels, 0).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

both_backends!(the_node_limit_counts_only_the_cis_the_caller_may_see, |store| async move {
    // A provider's switch that thousands of both clients' PCs hang off, interleaved: the walk
    // learns which CIs a caller may see in batches, in the order it takes them, and stops at
    // the limit, so the result must still be the first visible ones, and "cut short" only
    // when a visible CI was left out.
    let w = World::build(&store).await;
    let switch = ci(&store, &w.admin, w.provider, "switch", "core-1", json!({})).await;
    // 5,200 PCs, every fourth of tenant B: 3,900 of A.
    let tenants: Vec<i64> = (0..5200).map(|i| if i % 4 == 0 { w.tenant_b } else { w.tenant_a }).collect();
    let first = pcs_on(&store, &w, switch.id, &tenants, 0).await;
    let mut all: Vec<i64> = first.clone();
    all.sort();
    let of_a = |ids: &[i64]| -> Vec<i64> {
        let mut a: Vec<i64> =
            ids.iter().zip(tenants.iter().cycle()).filter(|(_, t)| **t == w.tenant_a).map(|(i, _)| *i).collect();
        a.sort();
        a
    };
    let limit = impact::MAX_NODES;

    let mut tx = store.read().await.unwrap();
    let admin = impact::analyse(&mut tx, &w.admin, switch.id, Direction::Down, 3).await.unwrap();
    assert!(admin.truncated);
    assert_eq!(admin.nodes.len(), limit);
    assert_eq!(admin.nodes[1..].iter().map(|n| n.id).collect::<Vec<_>>(), all[..limit - 1]);
    let a = impact::analyse(&mut tx, &w.agent_a, switch.id, Direction::Down, 3).await.unwrap();
    assert!(!a.truncated, "3,900 of A's PCs fit within the limit");
    assert_eq!(a.nodes[1..].iter().map(|n| n.id).collect::<Vec<_>>(), of_a(&first));
    assert_eq!(a.tenants, {
        let mut t = vec![w.provider, w.tenant_a];
        t.sort();
        t
    });
    drop(tx);

    // 1,600 more, as many of A: now A alone passes the limit.
    let second = pcs_on(&store, &w, switch.id, &tenants[..1600], 5200).await;
    let mut a_ids = of_a(&first);
    a_ids.extend(of_a(&second));
    a_ids.sort();
    let mut tx = store.read().await.unwrap();
    let a = impact::analyse(&mut tx, &w.agent_a, switch.id, Direction::Down, 3).await.unwrap();
    assert!(a.truncated);
    assert_eq!(a.nodes[1..].iter().map(|n| n.id).collect::<Vec<_>>(), a_ids[..limit - 1]);
});

both_backends!(a_cycle_in_the_data_never_loops_the_walk, |store| async move {
    let w = World::build(&store).await;
    let m = &w.admin;
    let s1 = ci(&store, m, w.tenant_a, "business_service", "s1", json!({"criticality": "low"})).await;
    let s2 = ci(&store, m, w.tenant_a, "business_service", "s2", json!({"criticality": "low"})).await;
    let s3 = ci(&store, m, w.tenant_a, "business_service", "s3", json!({"criticality": "low"})).await;
    relate(&store, m, s1.id, RelationKind::DependsOn, s2.id).await.unwrap();
    relate(&store, m, s2.id, RelationKind::DependsOn, s3.id).await.unwrap();
    relate(&store, m, s3.id, RelationKind::DependsOn, s1.id).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let up = impact::analyse(&mut tx, m, s1.id, Direction::Up, 10).await.unwrap();
    assert_eq!(up.nodes.iter().map(|n| n.id).collect::<Vec<_>>(), vec![s1.id, s2.id, s3.id]);
    assert!(!up.truncated);
});

both_backends!(a_class_change_keeps_unique_values_honest, |store| async move {
    let w = World::build(&store).await;
    ci(&store, &w.admin, w.tenant_a, "pc", "pc-1", json!({"model": "ThinkPad T14"})).await;
    ci(&store, &w.admin, w.tenant_a, "pc", "pc-2", json!({"model": "ThinkPad T14"})).await;
    let mut tx = store.write().await.unwrap();
    let class = classes::by_code(&mut tx, "pc").await.unwrap().unwrap();
    let mut specs = class.attributes.0.clone();
    let model = specs.iter_mut().find(|a| a.code == "model").unwrap();
    model.unique = true;
    let input = classes::ClassInput { attributes: Some(specs.clone()), ..Default::default() };
    let e = classes::update(&mut tx, &w.config_a, class.id, class.version, input).await.unwrap_err();
    assert_eq!(invalid(e).1, "values_repeated");
    drop(tx);
    // A required attribute added later is asked for on the next change.
    let mut tx = store.write().await.unwrap();
    let class = classes::by_code(&mut tx, "pc").await.unwrap().unwrap();
    let mut specs = class.attributes.0.clone();
    let mut owner = specs[0].clone();
    owner.code = "cost_centre".into();
    owner.kind = yunwei_cmdb::rules::attributes::AttrKind::Text;
    owner.unique = false;
    owner.required = true;
    specs.push(owner);
    let input = classes::ClassInput { attributes: Some(specs), ..Default::default() };
    classes::update(&mut tx, &w.config_a, class.id, class.version, input).await.unwrap();
    tx.commit().await.unwrap();
    let e = try_ci(&store, &w.admin, w.tenant_a, "pc", "pc-3", json!({})).await.unwrap_err();
    assert_eq!(invalid(e), ("attributes.cost_centre".to_string(), "required"));
    // Agents may not define classes.
    let mut tx = store.write().await.unwrap();
    let input = classes::ClassInput {
        code: Some("rack".into()),
        name_zh: Some("机柜".into()),
        name_en: Some("Rack".into()),
        ..Default::default()
    };
    let e = classes::create(&mut tx, &w.agent_a, input.clone()).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))));
    classes::create(&mut tx, &w.config_a, input.clone()).await.unwrap();
    let e = classes::create(&mut tx, &w.config_a, input).await.unwrap_err();
    assert!(matches!(e, StoreError::Duplicate { code: "class_code_taken", .. }), "{e:?}");
});

both_backends!(many_cis_are_checked_one_by_one_and_written_together, |store| async move {
    let w = World::build(&store).await;
    let server = |name: &str, serial: &str, location: Option<i64>| cis::CiInput {
        class: Some("server".into()),
        name: Some(name.into()),
        location_id: Some(location),
        attributes: attrs(json!({ "serial_number": serial, "hostname": format!("{name}.local") })),
        ..Default::default()
    };
    let other_tenant = ci(&store, &w.admin, w.tenant_b, "server", "b-srv", json!({ "serial_number": "SN-B" })).await;
    // A virtual machine's host must be a server its tenant (or the provider) holds.
    let vm = |name: &str, host: i64| cis::CiInput {
        class: Some("virtual_machine".into()),
        name: Some(name.into()),
        attributes: attrs(json!({ "host": host })),
        ..Default::default()
    };
    let inputs = vec![
        server("db-1", "SN-1", Some(w.location_a)),
        server("db-1 twin", "SN-1", None),
        server("db-2", "SN-2", Some(999_999)),
        server("", "SN-3", None),
        server("db-4", "SN-B", None),
        server("db-5", "SN-5", None),
        vm("vm-1", other_tenant.id),
    ];
    let mut tx = store.write().await.unwrap();
    let out = cis::create_many(&mut tx, &w.config_a, w.tenant_a, inputs).await.unwrap();
    tx.commit().await.unwrap();
    let verdicts: Vec<Result<String, (String, &str)>> = out
        .into_iter()
        .map(|r| {
            r.map(|c| c.name).map_err(|e| match e {
                DomainError::Invalid(f) => (f.field, f.problem.code),
                other => panic!("{other:?}"),
            })
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            Ok("db-1".to_string()),
            Err(("attributes.serial_number".to_string(), "attribute_taken")),
            Err(("location_id".to_string(), "no_such_location")),
            Err(("name".to_string(), "required")),
            Ok("db-4".to_string()),
            Ok("db-5".to_string()),
            Err(("attributes.host".to_string(), "no_such_ci")),
        ],
        "another tenant's serial number is no clash (unique within a tenant)"
    );
    // Each stored CI got its own values, keys, search document, history and audit entry.
    let mut tx = store.read().await.unwrap();
    let rows: Vec<(String, String)> = fetch_all!(
        &mut tx,
        (String, String),
        "SELECT c.name, k.value FROM cis c JOIN ci_keys k ON k.ci_id = c.id
         WHERE c.tenant_id = $1 AND k.attribute = 'hostname' ORDER BY c.name",
        w.tenant_a
    )
    .unwrap();
    assert_eq!(
        rows,
        [("db-1", "db-1.local"), ("db-4", "db-4.local"), ("db-5", "db-5.local")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let found = cis::list(&mut tx, &w.config_a, &cis::CiFilter { q: Some("db-4.local".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["db-4"]);
    let created = scalar!(
        &mut tx,
        i64,
        "SELECT COUNT(*) FROM ci_history WHERE kind = 'created' AND ci_id <> $1",
        other_tenant.id
    );
    assert_eq!(created.unwrap(), 3);
    let audited = scalar!(
        &mut tx,
        i64,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'ci.create' AND tenant_id = $1",
        w.tenant_a
    );
    assert_eq!(audited.unwrap(), 3);
});

both_backends!(long_lists_of_ids_find_exactly_their_cis, |store| async move {
    let w = World::build(&store).await;
    let a = ci(&store, &w.admin, w.tenant_a, "server", "a", json!({})).await;
    let b = ci(&store, &w.admin, w.tenant_a, "server", "b", json!({})).await;
    let other = ci(&store, &w.admin, w.tenant_b, "server", "other", json!({})).await;
    let mut tx = store.read().await.unwrap();
    assert!(cis::visible_among(&mut tx, &w.admin, &[]).await.unwrap().is_empty());
    // Thousands of ids, most of them no CI's, with another tenant's among them.
    let mut ids: Vec<i64> = (1_000_000..1_003_000).collect();
    ids.extend([b.id, other.id, a.id, -1]);
    let mut found: Vec<i64> =
        cis::visible_among(&mut tx, &w.config_a, &ids).await.unwrap().iter().map(|c| c.id).collect();
    found.sort();
    assert_eq!(found, vec![a.id, b.id]);
    let all = cis::visible_among(&mut tx, &w.admin, &ids).await.unwrap();
    assert_eq!(all.len(), 3);
});
