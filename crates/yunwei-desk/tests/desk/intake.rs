//! Tickets logged together: a batch written in one transaction gives each ticket exactly what
//! it would get logged alone (number, priority, group, SLA clocks, timeline, search document,
//! audit entry), and one ticket that cannot be written does not take the others down with it.

use yunwei_db::Store;
use yunwei_db::StoreError;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::both_backends;
use yunwei_desk::store::categories;
use yunwei_desk::store::intake::{self, Draft, Intake};
use yunwei_desk::store::sla;
use yunwei_desk::store::tickets::{self, NewTicket, TicketFilter, TicketRef};
use yunwei_desk::testing::World;
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;

fn new(ticket_type: &str, title: &str) -> NewTicket {
    NewTicket {
        ticket_type: ticket_type.into(),
        title: title.into(),
        description: Some(format!("{title} — 详细描述")),
        channel: "phone".into(),
        ..Default::default()
    }
}

async fn prepare(store: &Store, actor: &Actor, n: NewTicket) -> Draft {
    let mut tx = store.read().await.unwrap();
    intake::prepare(&mut tx, actor, n).await.unwrap()
}

/// What a ticket got, with the instants taken relative to its creation.
async fn outcome(store: &Store, w: &World, t: &tickets::Ticket) -> String {
    let mut tx = store.read().await.unwrap();
    let reports = sla::clocks(&mut tx, &w.admin, &TicketRef::Id(t.id)).await.unwrap();
    // The due instants written onto the ticket are its clocks' (on business hours they hang on
    // the moment of logging, so they are compared, not printed).
    let due = |kind: &str| reports.iter().find(|c| c.kind == kind).and_then(|c| c.due_at);
    assert_eq!((t.response_due_at, t.resolution_due_at), (due("response"), due("resolution")), "{}", t.number);
    let clocks: Vec<String> = reports
        .iter()
        .map(|c| {
            let events: Vec<String> = c.history.iter().map(|e| e.event.clone()).collect();
            format!("{}:{}:{:?}:{}:{}:{events:?}", c.kind, c.policy_name, c.group_id, c.target_secs, c.status)
        })
        .collect();
    let timeline: Vec<String> = tickets::timeline(&mut tx, &w.admin, &TicketRef::Id(t.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} by {:?}: {}", e.kind, e.actor_id, e.data.text()))
        .collect();
    let audit: Vec<String> = audit::for_entity(&mut tx, &w.admin, "ticket", t.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{} by {:?}", a.action, a.actor_id))
        .collect();
    format!(
        "{} {} p{} {} {:?} tenant {} | due {} {} | clocks {clocks:?} | timeline {timeline:?} | audit {audit:?}",
        t.ticket_type,
        t.title,
        t.priority,
        t.status,
        t.group_name,
        t.tenant_code,
        t.response_due_at.is_some(),
        t.resolution_due_at.is_some(),
    )
}

async fn found(store: &Store, actor: &Actor, q: &str) -> Vec<String> {
    let mut tx = store.read().await.unwrap();
    let f = TicketFilter { text: Some(q.into()), limit: 50, desc: true, ..Default::default() };
    tickets::list(&mut tx, actor, &f).await.unwrap().tickets.into_iter().map(|t| t.number).collect()
}

/// A mix: two types, staff logging for a user, a location that dispatches, an explicit group
/// and assignee, impact and urgency that change the priority.
async fn mix(store: &Store, w: &World) -> Vec<Draft> {
    let mut at_location = new("incident", "Printer jammed 打印机卡纸");
    at_location.location_id = Some(w.location_a);
    at_location.category_id = Some(w.category);
    let mut for_user = new("request", "New laptop 新电脑");
    for_user.requester_id = Some(w.user_b.user_id);
    let mut urgent = new("incident", "Core switch down 核心交换机故障");
    (urgent.impact, urgent.urgency) = (Some(1), Some(1));
    urgent.requester_id = Some(w.user_a.user_id);
    urgent.group_id = Some(w.l2);
    urgent.assignee_id = Some(w.engineer.user_id);
    vec![
        prepare(store, &w.user_a, at_location).await,
        prepare(store, &w.admin, for_user).await,
        prepare(store, &w.admin, urgent).await,
        prepare(store, &w.user_b, new("incident", "VPN refuses my password")).await,
    ]
}

/// The default SLA policies, the [`mix`], and the mix logged one ticket at a time.
async fn mix_logged_alone(store: &Store, w: &World) -> (Vec<Draft>, Vec<tickets::Ticket>) {
    let mut tx = store.write().await.unwrap();
    sla::seed_defaults(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let drafts = mix(store, w).await;
    let mut alone = Vec::new();
    for d in &drafts {
        let mut tx = store.write().await.unwrap();
        alone.extend(intake::insert(&mut tx, std::slice::from_ref(d)).await.unwrap());
        tx.commit().await.unwrap();
    }
    (drafts, alone)
}

both_backends!(a_batch_gives_each_ticket_what_it_would_get_alone, |store| async move {
    let w = World::build(&store).await;
    let (drafts, alone) = mix_logged_alone(&store, &w).await;
    let mut tx = store.write().await.unwrap();
    let together = intake::insert(&mut tx, &drafts).await.unwrap();
    tx.commit().await.unwrap();

    // Numbers per type, in the order given, after the ones logged alone.
    let numbers: Vec<&str> = together.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(numbers, ["INC-000004", "REQ-000002", "INC-000005", "INC-000006"]);
    for (a, b) in alone.iter().zip(&together) {
        let (a_out, b_out) = (outcome(&store, &w, a).await, outcome(&store, &w, b).await);
        assert_eq!(a_out, b_out);
        assert!(a_out.contains("clocks [\"response:"), "{a_out}");
        assert!(a_out.contains("audit [\"ticket.create by Some("), "{a_out}");
    }
    assert_eq!(together[0].group_name.as_deref(), Some("Service desk"), "the location's group");
    assert_eq!(together[2].priority, 1);
    assert_eq!(together[2].assignee_id, Some(w.engineer.user_id));
    // Each document is searchable at once, and only in its own tenant's scope.
    assert_eq!(found(&store, &w.agent, "打印机").await, [together[0].number.as_str(), alone[0].number.as_str()]);
    assert_eq!(found(&store, &w.user_b, "VPN").await, [together[3].number.as_str(), alone[3].number.as_str()]);
    assert!(found(&store, &w.user_a, "VPN").await.is_empty());
});

/// Removes a category behind a prepared ticket's back, so writing that ticket fails.
async fn remove_category(tx: &mut Tx, id: i64) {
    let sql = "DELETE FROM categories WHERE id = $1";
    let removed = match tx {
        Tx::Sqlite(t) => sqlx::query(sql).bind(id).execute(&mut **t).await.unwrap().rows_affected(),
        Tx::Postgres(t) => sqlx::query(sql).bind(id).execute(&mut **t).await.unwrap().rows_affected(),
    };
    assert_eq!(removed, 1);
}

both_backends!(a_ticket_that_cannot_be_written_fails_alone, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let input = yunwei_desk::store::categories::CategoryInput {
        code: Some("gone".into()),
        name_zh: Some("将删除".into()),
        name_en: Some("To be removed".into()),
        ..Default::default()
    };
    let doomed_category = yunwei_desk::store::categories::create(&mut tx, &w.admin, input).await.unwrap().id;
    tx.commit().await.unwrap();
    let mut doomed = new("incident", "Doomed");
    doomed.category_id = Some(doomed_category);
    let doomed = prepare(&store, &w.user_a, doomed).await;
    let mut tx = store.write().await.unwrap();
    remove_category(&mut tx, doomed_category).await;
    tx.commit().await.unwrap();

    // Written together, the batch fails as a whole and leaves nothing behind.
    let good = prepare(&store, &w.user_a, new("incident", "Fine")).await;
    let mut tx = store.write().await.unwrap();
    assert!(intake::insert(&mut tx, &[good.clone(), doomed.clone()]).await.is_err());
    drop(tx);
    assert!(found(&store, &w.agent, "Fine").await.is_empty());

    // Through the intake, logged at the same moment, the others are written and numbered
    // without a gap; only the doomed one fails.
    let intake = Intake::new(store.store.clone());
    let mut jobs = Vec::new();
    for i in 0..12 {
        let d = if i == 5 {
            doomed.clone()
        } else {
            prepare(&store, &w.user_a, new("incident", &format!("Job {i}"))).await
        };
        let intake = intake.clone();
        jobs.push(tokio::spawn(async move { intake.create(d).await }));
    }
    let mut numbers = Vec::new();
    for (i, job) in jobs.into_iter().enumerate() {
        match job.await.unwrap() {
            Ok(t) => {
                assert_ne!(i, 5, "the doomed ticket was written");
                assert_eq!(t.title, format!("Job {i}"));
                numbers.push(t.number);
            }
            Err(e) => assert_eq!(i, 5, "job {i} failed: {e}"),
        }
    }
    numbers.sort();
    let expected: Vec<String> = (1..=11).map(|n| format!("INC-{n:06}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(found(&store, &w.agent, "Job").await.len(), 11);
});

fn refused_for(err: &StoreError) -> Option<(&str, &str)> {
    match err {
        StoreError::Domain(DomainError::Invalid(e)) => Some((e.field.as_str(), e.code())),
        _ => None,
    }
}

both_backends!(a_new_ticket_needs_a_category_that_exists_and_is_in_use, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.read().await.unwrap();
    let mut missing = new("incident", "Which category?");
    missing.category_id = Some(987_654);
    let err = intake::prepare(&mut tx, &w.user_a, missing).await.unwrap_err();
    assert_eq!(refused_for(&err), Some(("category_id", "no_such_category")), "{err:?}");
    assert_eq!(err.problem().and_then(|p| p.arg("id").map(str::to_string)).as_deref(), Some("987654"));
    drop(tx);

    let mut tx = store.write().await.unwrap();
    let c = categories::get(&mut tx, w.category).await.unwrap();
    let off = categories::CategoryInput { active: Some(false), ..Default::default() };
    categories::update(&mut tx, &w.admin, w.category, c.version, off).await.unwrap();
    let mut retired = new("incident", "Old category");
    retired.category_id = Some(w.category);
    let err = tickets::create(&mut tx, &w.user_a, retired).await.unwrap_err();
    assert_eq!(refused_for(&err), Some(("category_id", "category_retired")), "{err:?}");
    tx.commit().await.unwrap();
    assert!(found(&store, &w.agent, "category").await.is_empty(), "nothing was written");
});

both_backends!(the_intake_returns_each_ticket_as_stored_and_as_logged_alone, |store| async move {
    let w = World::build(&store).await;
    let (drafts, alone) = mix_logged_alone(&store, &w).await;
    // On SQLite the intake writes on a connection of its own, not through the transaction
    // above: what it answers must still be what is stored, down to the joined names.
    let intake = Intake::new(store.store.clone());
    let jobs: Vec<_> = drafts
        .iter()
        .map(|d| {
            let (intake, d) = (intake.clone(), d.clone());
            tokio::spawn(async move { intake.create(d).await })
        })
        .collect();
    for (job, a) in jobs.into_iter().zip(&alone) {
        let t = job.await.unwrap().unwrap();
        let mut tx = store.read().await.unwrap();
        let stored = tickets::get(&mut tx, &w.admin, &TicketRef::Id(t.id)).await.unwrap();
        drop(tx);
        assert_eq!(t, stored, "{}", t.number);
        assert_eq!(outcome(&store, &w, &t).await, outcome(&store, &w, a).await);
    }
    assert_eq!(found(&store, &w.agent, "打印机").await.len(), 2);
});

/// On SQLite the intake's connection and the store's own writer take turns, in the order they
/// asked: a new ticket waits for a write transaction in progress (instead of failing on a
/// locked file, or retrying after sleeps while later writers go first).
#[tokio::test]
async fn the_intake_takes_its_turn_to_write_in_order_on_sqlite() {
    let store = yunwei_db::testing::TestStore::new(yunwei_db::Backend::Sqlite).await;
    let w = World::build(&store).await;
    let draft = prepare(&store, &w.user_a, new("incident", "Asked first")).await;
    let intake = Intake::new(store.store.clone());
    let open = store.write().await.unwrap();
    let first = tokio::spawn({
        let intake = intake.clone();
        async move { intake.create(draft).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!first.is_finished(), "the intake wrote while another write was open");
    let second = tokio::spawn({
        let (store, user) = (store.store.clone(), w.user_a.clone());
        async move {
            let mut tx = store.write().await?;
            let t = tickets::create(&mut tx, &user, new("incident", "Asked second")).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(t)
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    open.commit().await.unwrap();
    let wait = std::time::Duration::from_secs(5);
    let first = tokio::time::timeout(wait, first).await.unwrap().unwrap().unwrap();
    let second = tokio::time::timeout(wait, second).await.unwrap().unwrap().unwrap();
    assert_eq!((first.number.as_str(), second.number.as_str()), ("INC-000001", "INC-000002"));
}

/// On SQLite new tickets reach the database file itself in the background, not only once the
/// writer's log holds 10,000 pages (when the writer would copy them inside a commit), and also
/// when a reader held the older pages at the time: the checkpoint is tried again until the log
/// is copied to its end, without waiting for the next write.
#[tokio::test]
async fn new_tickets_reach_the_sqlite_database_file_in_the_background() {
    let store = yunwei_db::testing::TestStore::new(yunwei_db::Backend::Sqlite).await;
    let w = World::build(&store).await;
    assert_eq!(store.background_checkpoints(), Some(0));
    let file = store.url.strip_prefix("sqlite://").unwrap().to_owned();
    // A reader whose snapshot is older than the ticket keeps its pages from being copied.
    let reader = rusqlite::Connection::open(&file).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let before: i64 = reader.query_row("SELECT count(*) FROM tickets", [], |row| row.get(0)).unwrap();
    let intake = Intake::new(store.store.clone());
    let t = intake.create(prepare(&store, &w.user_a, new("incident", "Copied")).await).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.background_checkpoints() == Some(0) {
        assert!(std::time::Instant::now() < deadline, "no background checkpoint after a new ticket");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The database file alone, without its log, comes to hold the ticket.
    let in_file = || {
        let copy = tempfile::NamedTempFile::new().unwrap();
        std::fs::copy(&file, copy.path()).unwrap();
        let alone = rusqlite::Connection::open(copy.path()).unwrap();
        alone.query_row("SELECT number FROM tickets WHERE id = ?1", [t.id], |row| row.get::<_, String>(0)).ok()
    };
    assert_eq!(in_file(), None, "the reader's snapshot should have kept the ticket in the log");
    let still: i64 = reader.query_row("SELECT count(*) FROM tickets", [], |row| row.get(0)).unwrap();
    assert_eq!(still, before);
    reader.execute_batch("COMMIT").unwrap();
    let number = loop {
        if let Some(n) = in_file() {
            break n;
        }
        assert!(std::time::Instant::now() < deadline, "the ticket never reached the database file");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(number, t.number);
}
