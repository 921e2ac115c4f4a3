//! The store conformance suite: every test runs on SQLite and on PostgreSQL.

use yunwei_db::Backend;
use yunwei_db::Store;
use yunwei_db::StoreError;
use yunwei_db::audit;
use yunwei_db::both_backends;
use yunwei_db::settings;
use yunwei_db::testing::TestStore;
use yunwei_desk::rules::ticket::Status;
use yunwei_desk::store::tickets::{self, ActionRequest, NewTicket, SortKey, TicketFilter, TicketRef};
use yunwei_desk::testing::World;
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_org::tenants;
use yunwei_org::users;

fn incident(title: &str) -> NewTicket {
    NewTicket { ticket_type: "incident".into(), title: title.into(), channel: "web".into(), ..Default::default() }
}

async fn create(store: &Store, actor: &Actor, new: NewTicket) -> Result<tickets::Ticket, StoreError> {
    let mut tx = store.write().await.unwrap();
    let t = tickets::create(&mut tx, actor, new).await?;
    tx.commit().await.unwrap();
    Ok(t)
}

async fn act(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    req: ActionRequest,
) -> Result<tickets::Ticket, StoreError> {
    let mut tx = store.write().await.unwrap();
    let t = tickets::act(&mut tx, actor, &TicketRef::Id(id), version, req).await?;
    tx.commit().await.unwrap();
    Ok(t)
}

async fn read(store: &Store, actor: &Actor, id: i64) -> Result<tickets::Ticket, StoreError> {
    let mut tx = store.read().await.unwrap();
    tickets::get(&mut tx, actor, &TicketRef::Id(id)).await
}

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    let lite = TestStore::new(Backend::Sqlite).await;
    let pg = TestStore::new(Backend::Postgres).await;
    let mut tx = lite.read().await.unwrap();
    let yunwei_db::Tx::Sqlite(t) = &mut tx else { unreachable!() };
    let mut lite_cols: Vec<(String, String)> = sqlx::query_as(
        // FTS5's own shadow tables (ticket_search_data, …) are its storage, not our schema.
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
         JOIN pragma_table_list l ON l.name = m.name
         WHERE m.type = 'table' AND l.type IN ('table', 'virtual') AND m.name NOT LIKE 'sqlite_%'
           AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut **t)
    .await
    .unwrap();
    let mut tx = pg.read().await.unwrap();
    let yunwei_db::Tx::Postgres(t) = &mut tx else { unreachable!() };
    let mut pg_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut **t)
    .await
    .unwrap();
    lite_cols.sort();
    pg_cols.sort();
    assert!(lite_cols.len() > 100, "only {} columns found", lite_cols.len());
    assert_eq!(lite_cols, pg_cols);
}

both_backends!(tickets_are_numbered_per_type_and_prioritised_by_the_matrix, |store| async move {
    let w = World::build(&store).await;
    let a = create(&store, &w.user_a, incident("打印机卡纸")).await.unwrap();
    let b = create(&store, &w.user_a, NewTicket { ticket_type: "request".into(), ..incident("申请开通VPN") })
        .await
        .unwrap();
    let c = create(&store, &w.user_a, NewTicket { impact: Some(1), urgency: Some(1), ..incident("全楼断网") })
        .await
        .unwrap();
    assert_eq!((a.number.as_str(), b.number.as_str(), c.number.as_str()), ("INC-000001", "REQ-000001", "INC-000002"));
    assert_eq!((a.priority, c.priority), (3, 1));
    assert_eq!(a.status.as_str(), "new");
    assert_eq!(a.tenant_id, w.tenant_a);
    assert_eq!(a.requester_id, w.user_a.user_id);
});

both_backends!(a_ticket_at_a_location_goes_to_the_group_responsible_for_it, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, NewTicket { location_id: Some(w.location_a), ..incident("显示器黑屏") })
        .await
        .unwrap();
    assert_eq!((t.status.as_str(), t.group_id), ("assigned", Some(w.l1)));
    assert!(t.assigned_at.is_some());
});

both_backends!(a_ticket_goes_through_the_whole_lifecycle_with_timeline_and_audit, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("Outlook cannot connect")).await.unwrap();
    let t = act(&store, &w.agent, t.id, t.version, ActionRequest::Dispatch { group_id: w.l1, assignee_id: None })
        .await
        .unwrap();
    let t = act(&store, &w.agent, t.id, t.version, ActionRequest::Claim).await.unwrap();
    assert_eq!((t.status.as_str(), t.assignee_id), ("in_progress", Some(w.agent.user_id)));
    assert!(t.first_response_at.is_some());
    let t = act(
        &store,
        &w.agent,
        t.id,
        t.version,
        ActionRequest::Escalate { group_id: None, assignee_id: None, reason: "mail server side".into() },
    )
    .await
    .unwrap();
    assert_eq!((t.status.as_str(), t.group_id, t.assignee_id), ("assigned", Some(w.l2), None));
    let t = act(&store, &w.engineer, t.id, t.version, ActionRequest::Claim).await.unwrap();
    let t = act(
        &store,
        &w.engineer,
        t.id,
        t.version,
        ActionRequest::Suspend { reason: "vendor".into(), note: Some("waiting for Microsoft".into()) },
    )
    .await
    .unwrap();
    assert_eq!((t.status.as_str(), t.pending_reason.map(|p| p.as_str())), ("pending", Some("vendor")));
    let t = act(&store, &w.engineer, t.id, t.version, ActionRequest::Resume).await.unwrap();
    let t = act(
        &store,
        &w.engineer,
        t.id,
        t.version,
        ActionRequest::Resolve { code: "solved".into(), notes: "重建了邮件配置文件".into() },
    )
    .await
    .unwrap();
    assert_eq!(t.resolution_code.map(|c| c.as_str()), Some("solved"));
    let t = act(&store, &w.user_a, t.id, t.version, ActionRequest::Reopen { reason: "又坏了".into() }).await.unwrap();
    assert_eq!((t.status.as_str(), t.reopen_count, t.resolved_at), ("assigned", 1, None));
    let t = act(&store, &w.engineer, t.id, t.version, ActionRequest::Claim).await.unwrap();
    let t = act(
        &store,
        &w.engineer,
        t.id,
        t.version,
        ActionRequest::Resolve { code: "solved".into(), notes: "换了网卡驱动".into() },
    )
    .await
    .unwrap();
    let t = act(&store, &w.user_a, t.id, t.version, ActionRequest::Close).await.unwrap();
    assert_eq!(t.status.as_str(), "closed");
    assert!(t.closed_at.is_some());

    let mut tx = store.read().await.unwrap();
    let staff_view = tickets::timeline(&mut tx, &w.engineer, &TicketRef::Id(t.id)).await.unwrap();
    let kinds: Vec<&str> = staff_view.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "created", "dispatch", "claim", "escalate", "claim", "suspend", "resume", "resolve", "reopen", "claim",
            "resolve", "close"
        ]
    );
    let user_view = tickets::timeline(&mut tx, &w.user_a, &TicketRef::Id(t.id)).await.unwrap();
    assert!(user_view.iter().all(|e| e.public), "the end user sees internal entries");
    assert!(!user_view.iter().any(|e| e.kind == "escalate"));
    let entries = audit::for_entity(&mut tx, &w.admin, "ticket", t.id).await.unwrap();
    assert_eq!(entries.len(), kinds.len());
    let reopen = entries.iter().find(|e| e.action == "ticket.reopen").unwrap();
    assert!(reopen.before.as_deref().unwrap().contains("\"resolved\""));
    assert!(reopen.after.as_deref().unwrap().contains("\"assigned\""));
    assert_eq!(reopen.actor_id, Some(w.user_a.user_id));
});

both_backends!(a_stale_version_is_refused_and_changes_nothing, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("VPN slow")).await.unwrap();
    let t2 = act(&store, &w.agent, t.id, t.version, ActionRequest::Dispatch { group_id: w.l1, assignee_id: None })
        .await
        .unwrap();
    let err = act(&store, &w.agent, t.id, t.version, ActionRequest::Dispatch { group_id: w.l2, assignee_id: None })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let now = read(&store, &w.agent, t.id).await.unwrap();
    assert_eq!(now, t2);
});

both_backends!(illegal_transitions_are_refused_and_change_nothing, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("键盘失灵")).await.unwrap();
    let err = act(&store, &w.agent, t.id, t.version, ActionRequest::Close).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::IllegalTransition { .. })), "{err:?}");
    let err = act(&store, &w.user_a, t.id, t.version, ActionRequest::Dispatch { group_id: w.l1, assignee_id: None })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Forbidden(_))), "{err:?}");
    assert_eq!(read(&store, &w.agent, t.id).await.unwrap(), t);
    let mut tx = store.read().await.unwrap();
    assert_eq!(audit::for_entity(&mut tx, &w.admin, "ticket", t.id).await.unwrap().len(), 1);
});

both_backends!(other_tenants_tickets_are_not_found, |store| async move {
    let w = World::build(&store).await;
    let mine = create(&store, &w.user_a, incident("A's ticket")).await.unwrap();
    let theirs = create(&store, &w.user_b, incident("B's ticket")).await.unwrap();
    // The L1 agent serves only tenant A; user B's ticket does not exist for them.
    assert!(matches!(read(&store, &w.agent, theirs.id).await, Err(StoreError::NotFound("ticket"))));
    assert!(matches!(read(&store, &w.user_a, theirs.id).await, Err(StoreError::NotFound("ticket"))));
    assert!(read(&store, &w.engineer, theirs.id).await.is_ok());
    // Acting on it is not found either, and the number does not leak it.
    let err = act(&store, &w.agent, theirs.id, theirs.version, ActionRequest::Claim).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound("ticket")));
    let mut tx = store.read().await.unwrap();
    assert!(tickets::get(&mut tx, &w.agent, &TicketRef::Number(theirs.number.clone())).await.is_err());
    let page = tickets::list(&mut tx, &w.agent, &TicketFilter { limit: 50, ..Default::default() }).await.unwrap();
    assert_eq!(page.tickets.iter().map(|t| t.id).collect::<Vec<_>>(), vec![mine.id]);
    drop(tx);
    // Another user of the same tenant does not see A's ticket either (own tickets by default).
    let mut tx = store.write().await.unwrap();
    let other = users::create(
        &mut tx,
        Some(&w.admin),
        users::NewUser {
            tenant_id: Some(w.tenant_a),
            login: "user.a2".into(),
            name: "A2".into(),
            role: "end_user".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let other = yunwei_db::identity::actor(&mut tx, &other.user).await.unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(read(&store, &other, mine.id).await, Err(StoreError::NotFound("ticket"))));
    // Logging a ticket for a user of a tenant the agent does not serve is refused.
    let err = create(&store, &w.agent, NewTicket { requester_id: Some(w.user_b.user_id), ..incident("x") })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(ref e)) if e.field == "requester_id"), "{err:?}");
});

both_backends!(assignment_checks_membership_and_tiers, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("x")).await.unwrap();
    let err = act(
        &store,
        &w.agent,
        t.id,
        t.version,
        ActionRequest::Dispatch { group_id: w.l1, assignee_id: Some(w.engineer.user_id) },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(ref e)) if e.field == "assignee_id"), "{err:?}");
    let err = act(&store, &w.agent, t.id, t.version, ActionRequest::Dispatch { group_id: 9999, assignee_id: None })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(ref e)) if e.field == "group_id"), "{err:?}");
    let t = act(
        &store,
        &w.agent,
        t.id,
        t.version,
        ActionRequest::Dispatch { group_id: w.l2, assignee_id: Some(w.engineer.user_id) },
    )
    .await
    .unwrap();
    // The L1 agent is not in L2, so cannot claim; the engineer can.
    let err = act(&store, &w.agent, t.id, t.version, ActionRequest::Claim).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Forbidden(_))), "{err:?}");
    let t = act(&store, &w.engineer, t.id, t.version, ActionRequest::Claim).await.unwrap();
    // Escalating from L2 to L1 is refused; to L3 works.
    let err = act(
        &store,
        &w.engineer,
        t.id,
        t.version,
        ActionRequest::Escalate { group_id: Some(w.l1), assignee_id: None, reason: "r".into() },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(ref e)) if e.field == "group_id"), "{err:?}");
    let t = act(
        &store,
        &w.engineer,
        t.id,
        t.version,
        ActionRequest::Escalate { group_id: None, assignee_id: None, reason: "core switch".into() },
    )
    .await
    .unwrap();
    assert_eq!(t.group_id, Some(w.l3));
});

both_backends!(replies_notes_links_merge_and_attachments, |store| async move {
    let w = World::build(&store).await;
    let a = create(&store, &w.user_a, incident("网络断了")).await.unwrap();
    let b = create(&store, &w.user_a, incident("上不了网")).await.unwrap();
    let mut tx = store.write().await.unwrap();
    let err = tickets::comment(&mut tx, &w.user_a, &TicketRef::Id(a.id), "secret", false).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Forbidden(_))));
    tickets::comment(&mut tx, &w.agent, &TicketRef::Id(a.id), "检查交换机端口", false).await.unwrap();
    tickets::comment(&mut tx, &w.agent, &TicketRef::Id(a.id), "请重启电脑试试", true).await.unwrap();
    tickets::attach(&mut tx, &w.user_a, &TicketRef::Id(a.id), "../截图.png", b"\x89PNG fake", false).await.unwrap();
    tickets::attach(&mut tx, &w.agent, &TicketRef::Id(a.id), "switch.log", b"port 12 down", false).await.unwrap();
    let links = tickets::link(&mut tx, &w.agent, &TicketRef::Id(a.id), "related", &b.number).await.unwrap();
    assert_eq!(links.len(), 1);
    tx.commit().await.unwrap();
    // A failed statement ends a PostgreSQL transaction, so the refusal gets its own.
    let mut tx = store.write().await.unwrap();
    let err = tickets::link(&mut tx, &w.agent, &TicketRef::Id(a.id), "related", &b.number).await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    drop(tx);

    let merged = act(&store, &w.agent, b.id, b.version, ActionRequest::Merge { into: a.number.clone() }).await.unwrap();
    assert_eq!((merged.status.as_str(), merged.resolution_code.map(|c| c.as_str())), ("closed", Some("duplicate")));
    let mut tx = store.read().await.unwrap();
    let links = tickets::links(&mut tx, &w.agent, &TicketRef::Id(a.id)).await.unwrap();
    assert!(links.iter().any(|l| l.kind == "duplicate_of" && l.from_ticket_id == b.id && l.to_ticket_id == a.id));
    let user_files = tickets::attachments(&mut tx, &w.user_a, &TicketRef::Id(a.id)).await.unwrap();
    assert_eq!(user_files.len(), 1, "the end user sees the agent's internal file");
    assert_eq!(user_files[0].file_name, "截图.png");
    let (meta, bytes) =
        tickets::attachment_content(&mut tx, &w.agent, &TicketRef::Id(a.id), user_files[0].id).await.unwrap();
    assert_eq!((meta.content_type.as_str(), bytes.as_slice()), ("image/png", b"\x89PNG fake".as_slice()));
    let timeline = tickets::timeline(&mut tx, &w.user_a, &TicketRef::Id(a.id)).await.unwrap();
    assert!(timeline.iter().any(|e| e.body == "请重启电脑试试"));
    assert!(!timeline.iter().any(|e| e.body == "检查交换机端口"));
    let t = tickets::get(&mut tx, &w.agent, &TicketRef::Id(a.id)).await.unwrap();
    assert!(t.first_response_at.is_some(), "a public agent reply is a first response");
});

both_backends!(lists_filter_sort_and_page_with_cursors, |store| async move {
    let w = World::build(&store).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let level = Some(1 + (i % 4));
        let new = NewTicket { impact: level, urgency: level, ..incident(&format!("Printer {i} jammed")) };
        let t = create(&store, &w.user_a, new).await.unwrap();
        ids.push(t.id);
    }
    create(&store, &w.user_a, incident("邮箱满了")).await.unwrap();
    let mut tx = store.read().await.unwrap();
    let mut seen = Vec::new();
    let mut f =
        TicketFilter { text: Some("printer".into()), sort: SortKey::Id, desc: true, limit: 3, ..Default::default() };
    loop {
        let page = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
        seen.extend(page.tickets.iter().map(|t| t.id));
        match page.next {
            Some(c) => f.after = Some(c),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    let f = TicketFilter { priorities: vec![1], limit: 50, ..Default::default() };
    let p1 = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
    assert!(!p1.tickets.is_empty() && p1.tickets.iter().all(|t| t.priority == 1));
    let f = TicketFilter { text: Some("邮箱".into()), limit: 50, ..Default::default() };
    assert_eq!(tickets::list(&mut tx, &w.agent, &f).await.unwrap().tickets.len(), 1);
    let f = TicketFilter { statuses: vec![Status::Closed], limit: 50, ..Default::default() };
    assert!(tickets::list(&mut tx, &w.agent, &f).await.unwrap().tickets.is_empty());
    let f = TicketFilter { text: Some("100%_".into()), limit: 50, ..Default::default() };
    assert!(tickets::list(&mut tx, &w.agent, &f).await.unwrap().tickets.is_empty());
});

both_backends!(the_priority_matrix_is_configurable, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let m = yunwei_desk::rules::priority::PriorityMatrix::new([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]])
        .unwrap();
    settings::put(&mut tx, &w.admin, yunwei_desk::store::matrix::KEY, &m).await.unwrap();
    assert!(settings::put(&mut tx, &w.agent, yunwei_desk::store::matrix::KEY, &m).await.is_err());
    tx.commit().await.unwrap();
    let t = create(&store, &w.user_a, NewTicket { impact: Some(4), urgency: Some(4), ..incident("x") }).await.unwrap();
    assert_eq!(t.priority, 1);
});

both_backends!(the_audit_log_cannot_be_edited, |store| async move {
    let w = World::build(&store).await;
    create(&store, &w.user_a, incident("x")).await.unwrap();
    let mut tx = store.write().await.unwrap();
    let r = on_tx_execute(&mut tx, "UPDATE audit_log SET action = 'forged'").await;
    assert!(r.is_err(), "the audit log was edited");
    drop(tx);
    let mut tx = store.write().await.unwrap();
    assert!(on_tx_execute(&mut tx, "DELETE FROM audit_log").await.is_err(), "the audit log was deleted");
});

async fn on_tx_execute(tx: &mut yunwei_db::Tx, sql: &'static str) -> Result<u64, sqlx::Error> {
    match tx {
        yunwei_db::Tx::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await.map(|r| r.rows_affected()),
        yunwei_db::Tx::Postgres(t) => sqlx::query(sql).execute(&mut **t).await.map(|r| r.rows_affected()),
    }
}

both_backends!(concurrent_creators_never_share_a_number, |store| async move {
    let w = World::build(&store).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.store.clone();
        let actor = w.user_a.clone();
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for j in 0..10 {
                let t = create(&s, &actor, incident(&format!("load {i}-{j}"))).await.unwrap();
                numbers.push(t.number);
            }
            numbers
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 80);
    assert_eq!(all.last().unwrap(), "INC-000080");
});

both_backends!(tokens_identify_their_user_until_the_user_is_disabled, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let token = yunwei_db::identity::create_token(&mut tx, None, w.agent.user_id, "cli").await.unwrap();
    assert!(token.starts_with("yw_"));
    let (user, actor) = yunwei_db::identity::by_token(&mut tx, &token).await.unwrap().expect("the token's user");
    assert_eq!(user.id, w.agent.user_id);
    assert_eq!(actor, w.agent, "the same actor, with the tenants served, as yunwei_db::identity::actor gives");
    let two = yunwei_db::identity::create_token(&mut tx, None, w.engineer.user_id, "cli").await.unwrap();
    let (_, engineer) = yunwei_db::identity::by_token(&mut tx, &two).await.unwrap().expect("the engineer");
    assert_eq!(engineer.served_tenants, [w.tenant_a.min(w.tenant_b), w.tenant_a.max(w.tenant_b)]);
    assert_eq!(engineer, w.engineer);
    assert!(yunwei_db::identity::by_token(&mut tx, "yw_wrong").await.unwrap().is_none());
    let u = users::get(&mut tx, &w.admin, w.agent.user_id).await.unwrap();
    let patch = users::UserPatch { active: Some(false), ..Default::default() };
    users::update(&mut tx, &w.admin, w.agent.user_id, u.user.version, patch).await.unwrap();
    assert!(yunwei_db::identity::by_token(&mut tx, &token).await.unwrap().is_none());
    assert!(yunwei_db::identity::check_password(&store, "admin", "correct horse").await.unwrap().is_some());
    assert!(yunwei_db::identity::check_password(&store, "admin", "wrong horse").await.unwrap().is_none());
    let err = users::create(
        &mut tx,
        Some(&w.admin),
        users::NewUser { login: "ADMIN".into(), name: "x".into(), role: "agent".into(), ..Default::default() },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "login", .. }), "{err:?}");
    drop(tx);
    let mut tx = store.read().await.unwrap();
    let t = tenants::list(&mut tx, &w.agent).await.unwrap();
    assert_eq!(t.iter().map(|t| t.id).collect::<Vec<_>>(), vec![w.tenant_a]);
});

// The caller behind a token is looked up without a transaction: a token revoked (here, its
// user disabled) stops working on the next lookup, even on a connection that is already open,
// while a read transaction keeps the snapshot it started with.
both_backends!(a_lookup_sees_each_commit_and_a_read_keeps_its_snapshot, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let token = yunwei_db::identity::create_token(&mut tx, None, w.agent.user_id, "cli").await.unwrap();
    tx.commit().await.unwrap();

    let mut lookup = store.lookup().await.unwrap();
    let mut read = store.read().await.unwrap();
    assert!(yunwei_db::identity::by_token(&mut lookup, &token).await.unwrap().is_some());
    assert!(yunwei_db::identity::by_token(&mut read, &token).await.unwrap().is_some());

    let mut tx = store.write().await.unwrap();
    let u = users::get(&mut tx, &w.admin, w.agent.user_id).await.unwrap();
    let patch = users::UserPatch { active: Some(false), ..Default::default() };
    users::update(&mut tx, &w.admin, w.agent.user_id, u.user.version, patch).await.unwrap();
    tx.commit().await.unwrap();

    assert!(yunwei_db::identity::by_token(&mut lookup, &token).await.unwrap().is_none(), "the lookup saw the commit");
    assert!(yunwei_db::identity::by_token(&mut read, &token).await.unwrap().is_some(), "the read kept its snapshot");
    drop((lookup, read));
    assert!(yunwei_db::identity::by_token(&mut store.lookup().await.unwrap(), &token).await.unwrap().is_none());
});

#[tokio::test]
async fn sqlite_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("y.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("survives")).await.unwrap();
    store.close().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(read(&store, &w.user_a, t.id).await.unwrap().title, "survives");
}

both_backends!(user_search_takes_wildcards_literally, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.read().await.unwrap();
    let f = |text: &str| users::UserFilter { text: Some(text.into()), ..Default::default() };
    let all = users::list(&mut tx, &w.admin, &f("")).await.unwrap();
    assert!(all.len() > 3);
    assert!(users::list(&mut tx, &w.admin, &f("%")).await.unwrap().is_empty());
    assert!(users::list(&mut tx, &w.admin, &f("user_a")).await.unwrap().is_empty(), "_ matched any character");
    assert_eq!(users::list(&mut tx, &w.admin, &f("user.a")).await.unwrap().len(), 1);
});

// Stored values that are not what their column should hold fail the read, loudly and naming
// the value, instead of turning into a default: an unknown status is not `new`, an unreadable
// pause list is not empty, an instant out of range is not 1970, unreadable event data is not
// "nothing changed".
both_backends!(stored_values_that_are_not_what_they_should_be_fail_the_read, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    yunwei_desk::store::sla::seed_defaults(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let t = create(&store, &w.user_a, incident("Printer offline")).await.unwrap();
    let id = TicketRef::Id(t.id);
    let corrupt = async |sql: &str| {
        let mut tx = store.write().await.unwrap();
        assert_eq!(yunwei_db::execute!(&mut tx, sql, t.id).unwrap(), 1, "{sql}");
        tx.commit().await.unwrap();
    };
    let fails = async |what: &str, wanted: &str| {
        let mut tx = store.read().await.unwrap();
        let read = match what {
            "ticket" => tickets::get(&mut tx, &w.agent, &id).await.map(|_| ()),
            "timeline" => tickets::timeline(&mut tx, &w.agent, &id).await.map(|_| ()),
            _ => yunwei_desk::store::sla::clocks(&mut tx, &w.agent, &id).await.map(|_| ()),
        };
        let err = read.expect_err(&format!("{what}: a corrupt value was read as something else")).to_string();
        assert!(err.contains(wanted), "{what}: {err}");
    };

    corrupt("UPDATE tickets SET status = 'closd' WHERE id = $1").await;
    fails("ticket", "unknown Status \"closd\"").await;
    corrupt("UPDATE tickets SET status = 'new' WHERE id = $1").await;
    tickets::get(&mut store.read().await.unwrap(), &w.agent, &id).await.unwrap();

    corrupt("UPDATE ticket_events SET created_at = 9223372036854775807 WHERE ticket_id = $1 AND kind = 'created'")
        .await;
    fails("timeline", "out of range").await;
    corrupt("UPDATE ticket_events SET created_at = 0 WHERE ticket_id = $1 AND kind = 'created'").await;
    tickets::timeline(&mut store.read().await.unwrap(), &w.agent, &id).await.unwrap();

    corrupt("UPDATE ticket_events SET data = '{not json' WHERE ticket_id = $1 AND kind = 'created'").await;
    fails("timeline", "unreadable").await;

    corrupt("UPDATE sla_clocks SET pauses = 'none' WHERE ticket_id = $1 AND kind = 'resolution'").await;
    fails("clocks", "unreadable").await;
    corrupt("UPDATE sla_clocks SET pauses = '[]', started_at = 9223372036854775807 WHERE ticket_id = $1 AND kind = 'resolution'")
        .await;
    fails("clocks", "out of range").await;
});
