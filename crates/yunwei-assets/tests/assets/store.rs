//! The asset store on SQLite and PostgreSQL: the lifecycle and its refusals, tags from the
//! rule and their uniqueness, the CI assignment, scope (another tenant's asset is not found),
//! stock-takes (found, missing, moved, unexpected, a repeat, apply and the lock) and the
//! reminder that is sent once.

use yunwei_assets::rules::lifecycle::AssetStatus;
use yunwei_assets::rules::stocktake::{Outcome, StockTakeStatus};
use yunwei_assets::store::{assets, reminders, stocktakes};
use yunwei_assets::testing::World;
use yunwei_db::testing::TestStore;
use yunwei_db::{StoreError, both_backends};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;

pub fn input(tenant: i64, name: &str) -> assets::AssetInput {
    assets::AssetInput { tenant_id: Some(tenant), name: Some(name.into()), ..Default::default() }
}

pub async fn try_create(
    store: &TestStore,
    actor: &Actor,
    input: assets::AssetInput,
) -> Result<assets::Asset, StoreError> {
    let mut tx = store.write().await.unwrap();
    let a = assets::create(&mut tx, actor, input).await?;
    tx.commit().await.unwrap();
    Ok(a)
}

async fn create(store: &TestStore, actor: &Actor, input: assets::AssetInput) -> assets::Asset {
    try_create(store, actor, input).await.unwrap()
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

async fn move_to(
    store: &TestStore,
    actor: &Actor,
    a: &assets::Asset,
    to: AssetStatus,
) -> Result<assets::Asset, StoreError> {
    let mut tx = store.write().await.unwrap();
    let r = assets::transition(&mut tx, actor, a.id, a.version, to).await?;
    tx.commit().await.unwrap();
    Ok(r)
}

both_backends!(tags_come_from_the_rule_are_unique_and_bad_input_stores_nothing, |store| async move {
    let w = World::build(&store).await;
    let at = |room: i64| assets::AssetInput { location_id: Some(Some(room)), ..input(w.tenant_a, "ThinkPad X1") };
    let first = create(&store, &w.manager_a, at(w.room_a)).await;
    let second = create(&store, &w.manager_a, at(w.room_a)).await;
    let other_room = create(&store, &w.manager_a, at(w.room_a2)).await;
    assert_eq!((first.tag.as_str(), second.tag.as_str()), ("D010210-001", "D010210-002"));
    assert_eq!(other_room.tag, "D010305-001");
    assert_eq!((first.status, first.version, first.currency.as_str()), (AssetStatus::InStock, 1, "CNY"));
    // A tag given by hand that the rule would make next is skipped by the rule.
    let given =
        create(&store, &w.manager_a, assets::AssetInput { tag: Some("D010210-003".into()), ..at(w.room_a) }).await;
    assert_eq!(given.tag, "D010210-003");
    assert_eq!(create(&store, &w.manager_a, at(w.room_a)).await.tag, "D010210-004");
    let dup = try_create(&store, &w.manager_a, assets::AssetInput { tag: Some("D010210-001".into()), ..at(w.room_a) });
    assert!(matches!(dup.await.unwrap_err(), StoreError::Duplicate { field: "tag", code: "asset_tag_taken" }));

    let before = count(&store, "assets").await;
    for (bad, field, code) in [
        (assets::AssetInput { name: Some(" ".into()), ..at(w.room_a) }, "name", "required"),
        (
            assets::AssetInput { warranty_end: Some(Some("2027-02-30".into())), ..at(w.room_a) },
            "warranty_end",
            "not_a_date",
        ),
        (assets::AssetInput { cost_cents: Some(Some(-1)), ..at(w.room_a) }, "cost_cents", "negative"),
        (assets::AssetInput { currency: Some("yuan".into()), ..at(w.room_a) }, "currency", "asset_currency_format"),
        (
            assets::AssetInput { location_id: Some(Some(w.room_b)), ..input(w.tenant_a, "x") },
            "location_id",
            "no_such_location",
        ),
        (assets::AssetInput { user_id: Some(Some(w.user_b.user_id)), ..at(w.room_a) }, "user_id", "no_such_user"),
        (assets::AssetInput { status: Some(AssetStatus::Retired), ..at(w.room_a) }, "status", "asset_initial_status"),
        (assets::AssetInput { tag: Some("A B".into()), ..at(w.room_a) }, "tag", "asset_tag_format"),
        (input(w.tenant_a, "no location"), "location_id", "tag_needs_location"),
        (input(w.tenant_b, "not mine"), "tenant_id", "no_such_tenant"),
    ] {
        let e = try_create(&store, &w.manager_a, bad).await.unwrap_err();
        assert_eq!(invalid(e), (field.to_string(), code));
    }
    assert_eq!(count(&store, "assets").await, before, "refused assets are not stored");
    // Agents and a client's IT contact read; they do not register.
    for actor in [&w.agent_a, &w.client_it_a, &w.config_a] {
        let e = try_create(&store, actor, at(w.room_a)).await.unwrap_err();
        assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))), "{e:?}");
    }

    // Another rule, set by an administrator: no location needed.
    let mut tx = store.write().await.unwrap();
    let e = assets::set_tag_rule(&mut tx, &w.admin, "IT-").await.unwrap_err();
    assert_eq!(invalid(e), ("pattern".to_string(), "tag_rule_needs_one_seq"));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assets::set_tag_rule(&mut tx, &w.admin, "IT-{seq:5}").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(create(&store, &w.manager_a, input(w.tenant_a, "Printer")).await.tag, "IT-00001");
});

both_backends!(the_lifecycle_refuses_illegal_moves_and_stale_versions_and_keeps_the_history, |store| async move {
    let w = World::build(&store).await;
    let a =
        create(&store, &w.manager_a, assets::AssetInput { tag: Some("PC-1".into()), ..input(w.tenant_a, "PC") }).await;
    let deployed = move_to(&store, &w.manager_a, &a, AssetStatus::Deployed).await.unwrap();
    assert_eq!((deployed.status, deployed.version), (AssetStatus::Deployed, 2));
    // Stale: the version read before the move.
    let e = move_to(&store, &w.manager_a, &a, AssetStatus::InRepair).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let e = move_to(&store, &w.manager_a, &deployed, AssetStatus::Disposed).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::IllegalTransition { action: "disposed", from: "deployed" })));
    let repair = move_to(&store, &w.manager_a, &deployed, AssetStatus::InRepair).await.unwrap();
    let back = move_to(&store, &w.manager_a, &repair, AssetStatus::Deployed).await.unwrap();
    let retired = move_to(&store, &w.manager_a, &back, AssetStatus::Retired).await.unwrap();
    let disposed = move_to(&store, &w.manager_a, &retired, AssetStatus::Disposed).await.unwrap();
    for to in AssetStatus::ALL {
        let e = move_to(&store, &w.manager_a, &disposed, *to).await.unwrap_err();
        assert!(matches!(e, StoreError::Domain(DomainError::IllegalTransition { .. })), "disposed is final: {to}");
    }
    let e = move_to(&store, &w.agent_a, &disposed, AssetStatus::Retired).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))));
    let mut tx = store.read().await.unwrap();
    let h = assets::history_of(&mut tx, &w.agent_a, a.id).await.unwrap();
    let kinds: Vec<&str> = h.iter().map(|h| h.kind.as_str()).collect();
    assert_eq!(kinds, ["transition", "transition", "transition", "transition", "transition", "created"]);
    assert_eq!(h[0].data.0["to"], "disposed");
    assert_eq!(h[0].data.0["from"], "retired");
});

both_backends!(scope_end_users_and_the_ci_assignment, |store| async move {
    let w = World::build(&store).await;
    // A CI of tenant A, made by a configuration manager.
    let mut tx = store.write().await.unwrap();
    let ci_input = yunwei_cmdb::store::cis::CiInput {
        tenant_id: Some(w.tenant_a),
        class: Some("pc".into()),
        name: Some("Laptop of user A".into()),
        ..Default::default()
    };
    let ci = yunwei_cmdb::store::cis::create(&mut tx, &w.config_a, ci_input).await.unwrap();
    tx.commit().await.unwrap();
    let mine = create(
        &store,
        &w.manager_a,
        assets::AssetInput {
            tag: Some("LT-1".into()),
            ci_id: Some(Some(ci.id)),
            user_id: Some(Some(w.user_a.user_id)),
            warranty_end: Some(Some("2030-01-31".into())),
            ..input(w.tenant_a, "Laptop")
        },
    )
    .await;
    let mut tx = store.read().await.unwrap();
    let ci_now = yunwei_cmdb::store::cis::get(&mut tx, &w.admin, ci.id).await.unwrap();
    assert_eq!(ci_now.user_id, Some(w.user_a.user_id), "the CI is assigned with the asset");
    drop(tx);
    // Handing it to a colleague moves the CI too; a second asset may not be the same CI.
    let mut tx = store.write().await.unwrap();
    let change = assets::AssetInput { user_id: Some(Some(w.user_a2.user_id)), ..Default::default() };
    let handed = assets::update(&mut tx, &w.manager_a, mine.id, 1, change).await.unwrap();
    let ci_now = yunwei_cmdb::store::cis::get(&mut tx, &w.admin, ci.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((handed.user_id, handed.version), (Some(w.user_a2.user_id), 2));
    assert_eq!(ci_now.user_id, Some(w.user_a2.user_id));
    let mut tx = store.read().await.unwrap();
    let h = yunwei_cmdb::store::cis::history_of(&mut tx, &w.admin, ci.id).await.unwrap();
    assert_eq!(h[0].kind, "updated", "the CI's history shows the assignment");
    drop(tx);
    let twin = assets::AssetInput { tag: Some("LT-2".into()), ci_id: Some(Some(ci.id)), ..input(w.tenant_a, "Twin") };
    assert_eq!(invalid(try_create(&store, &w.manager_a, twin).await.unwrap_err()), ("ci_id".into(), "asset_ci_taken"));
    let mut tx = store.write().await.unwrap();
    let e = assets::update(&mut tx, &w.manager_a, mine.id, 1, assets::AssetInput::default()).await.unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "stale version");
    drop(tx);

    let theirs =
        create(&store, &w.admin, assets::AssetInput { tag: Some("GX-1".into()), ..input(w.tenant_b, "Globex PC") })
            .await;
    let mut tx = store.read().await.unwrap();
    for actor in [&w.manager_a, &w.agent_a, &w.client_it_a, &w.user_a] {
        assert!(matches!(assets::get(&mut tx, actor, theirs.id).await, Err(StoreError::NotFound(_))));
        assert!(matches!(assets::history_of(&mut tx, actor, theirs.id).await, Err(StoreError::NotFound(_))));
    }
    // An end user sees only what is assigned to them; their colleague now has the laptop.
    assert!(matches!(assets::get(&mut tx, &w.user_a, mine.id).await, Err(StoreError::NotFound(_))));
    assert_eq!(assets::get(&mut tx, &w.user_a2, mine.id).await.unwrap().tag, "LT-1");
    let all = assets::AssetFilter::default();
    assert_eq!(assets::list(&mut tx, &w.user_a, &all).await.unwrap().len(), 0);
    assert_eq!(assets::list(&mut tx, &w.client_it_a, &all).await.unwrap().len(), 1);
    assert_eq!(assets::list(&mut tx, &w.admin, &all).await.unwrap().len(), 2);
    let by_serial_or_tag = assets::AssetFilter { q: Some("GX-1".into()), ..Default::default() };
    assert_eq!(assets::list(&mut tx, &w.manager_a, &by_serial_or_tag).await.unwrap().len(), 0);
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let e = assets::update(&mut tx, &w.manager_a, theirs.id, 1, assets::AssetInput::default()).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)));
    let e = assets::transition(&mut tx, &w.manager_a, theirs.id, 1, AssetStatus::Deployed).await.unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)));
});

both_backends!(a_stock_take_finds_misses_moves_and_flags_the_unexpected_then_locks, |store| async move {
    let w = World::build(&store).await;
    let at = |tag: &str, serial: &str, room: i64| assets::AssetInput {
        tag: Some(tag.into()),
        serial: Some(serial.into()),
        location_id: Some(Some(room)),
        ..input(w.tenant_a, tag)
    };
    let here = create(&store, &w.manager_a, at("A-1", "SN-1", w.room_a)).await;
    let gone = create(&store, &w.manager_a, at("A-2", "SN-2", w.room_a)).await;
    let elsewhere = create(&store, &w.manager_a, at("A-3", "SN-3", w.room_a2)).await;
    let retired = create(&store, &w.manager_a, at("A-4", "SN-4", w.room_a)).await;
    move_to(&store, &w.manager_a, &retired, AssetStatus::Retired).await.unwrap();
    let theirs = create(
        &store,
        &w.admin,
        assets::AssetInput { tag: Some("B-1".into()), location_id: Some(Some(w.room_b)), ..input(w.tenant_b, "B") },
    )
    .await;

    let mut tx = store.write().await.unwrap();
    let e = stocktakes::start(&mut tx, &w.manager_a, w.tenant_a, Some(w.room_b)).await.unwrap_err();
    assert_eq!(invalid(e), ("location_id".into(), "no_such_location"));
    drop(tx);
    let mut tx = store.write().await.unwrap();
    let d = stocktakes::start(&mut tx, &w.manager_a, w.tenant_a, Some(w.room_a)).await.unwrap();
    tx.commit().await.unwrap();
    let id = d.stock_take.id;
    assert_eq!((d.counts.expected, d.counts.pending), (2, 2), "held assets at the room: not the retired one");

    let scan = async |code: &str, at: Option<i64>| {
        let mut tx = store.write().await.unwrap();
        let r = stocktakes::scan(&mut tx, &w.manager_a, id, code, at).await;
        if r.is_ok() {
            tx.commit().await.unwrap();
        }
        r
    };
    let r = scan("A-1", None).await.unwrap();
    assert_eq!((r.item.outcome, r.repeat, r.item.asset_id), (Outcome::Found, false, Some(here.id)));
    // The same asset by its serial number is a repeat: a warning, nothing changes.
    let r = scan(" SN-1 ", Some(w.room_a2)).await.unwrap();
    assert_eq!((r.item.outcome, r.repeat, r.warning.as_deref()), (Outcome::Found, true, Some("already_scanned")));
    assert_eq!(r.item.scans, 2);
    // An asset recorded in another room turns up here: moved.
    let r = scan("A-3", None).await.unwrap();
    assert_eq!((r.item.outcome, r.item.expected), (Outcome::Moved, false));
    // Another tenant's tag is unknown here: unexpected, and says nothing about it.
    let r = scan("B-1", None).await.unwrap();
    assert_eq!((r.item.outcome, r.item.asset_id), (Outcome::Unexpected, None));
    let r = scan("NO-SUCH", None).await.unwrap();
    assert_eq!(r.item.outcome, Outcome::Unexpected);
    assert!(scan("NO-SUCH", None).await.unwrap().repeat);
    assert_eq!(invalid(scan("  ", None).await.unwrap_err()), ("tag_or_serial".into(), "required"));
    assert_eq!(invalid(scan("A-2", Some(w.room_b)).await.unwrap_err()), ("location_id".into(), "no_such_location"));
    let c = r.counts;
    assert_eq!((c.found, c.pending, c.moved, c.unexpected), (1, 1, 1, 2));
    // Only asset managers scan; the agent reads it.
    let mut tx = store.write().await.unwrap();
    let e = stocktakes::scan(&mut tx, &w.agent_a, id, "A-2", None).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::Forbidden(_))));
    assert!(stocktakes::detail(&mut tx, &w.agent_a, id).await.is_ok());
    assert!(matches!(stocktakes::detail(&mut tx, &w.user_a, id).await, Err(StoreError::NotFound(_))));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let d = stocktakes::apply(&mut tx, &w.manager_a, id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(d.stock_take.status, StockTakeStatus::Applied);
    let c = d.counts;
    assert_eq!((c.found, c.missing, c.moved, c.unexpected, c.pending), (1, 1, 1, 2, 0));
    let mut tx = store.read().await.unwrap();
    let moved = assets::get(&mut tx, &w.admin, elsewhere.id).await.unwrap();
    assert_eq!((moved.location_id, moved.missing), (Some(w.room_a), false), "moved assets get the new place");
    let lost = assets::get(&mut tx, &w.admin, gone.id).await.unwrap();
    assert!(lost.missing, "missing ones are flagged");
    assert!(!assets::get(&mut tx, &w.admin, here.id).await.unwrap().missing);
    assert_eq!(assets::get(&mut tx, &w.admin, theirs.id).await.unwrap().location_id, Some(w.room_b));
    let h = assets::history_of(&mut tx, &w.admin, elsewhere.id).await.unwrap();
    assert_eq!((h[0].kind.as_str(), h[0].data.0["outcome"].as_str()), ("stock_take", Some("moved")));
    drop(tx);
    // Locked: no more scans, no second apply.
    let e = scan("A-2", None).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::IllegalTransition { action: "scan", .. })), "{e:?}");
    let mut tx = store.write().await.unwrap();
    let e = stocktakes::apply(&mut tx, &w.manager_a, id).await.unwrap_err();
    assert!(matches!(e, StoreError::Domain(DomainError::IllegalTransition { action: "apply", .. })));
});

both_backends!(a_reminder_is_sent_once_per_asset_and_end_date, |store| async move {
    let w = World::build(&store).await;
    let today = yunwei_assets::store::today();
    let in_days = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap().to_string();
    let with = |tag: &str, warranty: Option<String>, contract: Option<String>| assets::AssetInput {
        tag: Some(tag.into()),
        warranty_end: Some(warranty),
        contract_end: Some(contract),
        ..input(w.tenant_a, tag)
    };
    let soon = create(&store, &w.manager_a, with("W-1", Some(in_days(10)), Some(in_days(20)))).await;
    create(&store, &w.manager_a, with("W-2", Some(in_days(90)), None)).await;
    create(&store, &w.manager_a, with("W-3", Some(in_days(-1)), None)).await;
    let gone = create(&store, &w.manager_a, with("W-4", Some(in_days(5)), None)).await;
    move_to(&store, &w.manager_a, &gone, AssetStatus::Retired).await.unwrap();

    let mut tx = store.read().await.unwrap();
    let ending = assets::AssetFilter { warranty_within_days: Some(30), ..Default::default() };
    let tags: Vec<String> =
        assets::list(&mut tx, &w.agent_a, &ending).await.unwrap().into_iter().map(|a| a.tag).collect();
    assert_eq!(tags, ["W-1"]);
    drop(tx);

    // The daily job, run twice (as on two days, or two instances): one notice per end date.
    let kinds = yunwei_assets::MODULE.job_kinds;
    for _ in 0..2 {
        let mut tx = store.write().await.unwrap();
        yunwei_db::jobs::enqueue(&mut tx, reminders::JOB, &serde_json::Value::Null, None).await.unwrap();
        tx.commit().await.unwrap();
        yunwei_db::jobs::run_due(&store, kinds, "test", 20).await.unwrap();
    }
    let mut tx = store.read().await.unwrap();
    let notes = yunwei_db::notify::for_actor(&mut tx, &w.manager_a, false).await.unwrap();
    let mut kinds: Vec<&str> = notes.iter().map(|n| n.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["assets.contract_ending", "assets.warranty_ending"], "{notes:#?}");
    let warranty = notes.iter().find(|n| n.kind == "assets.warranty_ending").unwrap();
    assert_eq!(warranty.args["tag"], "W-1");
    assert_eq!(warranty.subject.as_ref().map(|s| s.id), Some(soon.id));
    // The agent is not told; the next day's run is queued, once.
    assert!(yunwei_db::notify::for_actor(&mut tx, &w.agent_a, false).await.unwrap().is_empty());
    let tomorrow = today.tomorrow().unwrap().to_string();
    let queued = scalar!(
        &mut tx,
        i64,
        "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND done_at IS NULL",
        reminders::JOB,
        format!("{}:{tomorrow}", reminders::JOB)
    )
    .unwrap();
    assert_eq!(queued, 1);
    drop(tx);
    assert_eq!(count(&store, "asset_reminders").await, 2);
    // A new end date is a new reminder.
    let mut tx = store.write().await.unwrap();
    let change = assets::AssetInput { warranty_end: Some(Some(in_days(12))), ..Default::default() };
    assets::update(&mut tx, &w.manager_a, soon.id, soon.version, change).await.unwrap();
    assert_eq!(reminders::send_due(&mut tx, today, reminders::LEAD_DAYS).await.unwrap(), 1);
    assert_eq!(reminders::send_due(&mut tx, today, reminders::LEAD_DAYS).await.unwrap(), 0);
    tx.commit().await.unwrap();
});
