//! Store operations behind the web UI, on SQLite and PostgreSQL: sessions and the login
//! slow-down, the user's own preferences, satisfaction ratings and the console's queues.

use yunwei_db::Store;
use yunwei_db::StoreError;
use yunwei_db::both_backends;
use yunwei_db::preferences;
use yunwei_db::sessions::{self, LoginOutcome};
use yunwei_db::{audit, identity};
use yunwei_desk::store::queues::{self, Queue};
use yunwei_desk::store::ratings;
use yunwei_desk::store::tickets::{self, ActionRequest, NewTicket, TicketRef};
use yunwei_desk::testing::World;
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_org::users;

async fn set_password(store: &Store, user_id: i64, password: &str) {
    let password = yunwei_db::identity::HashedPassword::new(password).await.unwrap();
    let mut tx = store.write().await.unwrap();
    users::set_password(&mut tx, None, user_id, &password).await.unwrap();
    tx.commit().await.unwrap();
}

async fn login(store: &Store, login: &str, password: &str) -> LoginOutcome {
    sessions::login(store, login, password, "en").await.unwrap()
}

async fn new_ticket(store: &Store, actor: &Actor, title: &str) -> tickets::Ticket {
    let mut tx = store.write().await.unwrap();
    let new =
        NewTicket { ticket_type: "incident".into(), title: title.into(), channel: "web".into(), ..Default::default() };
    let t = tickets::create(&mut tx, actor, new).await.unwrap();
    tx.commit().await.unwrap();
    t
}

async fn act(store: &Store, actor: &Actor, t: &tickets::Ticket, req: ActionRequest) -> tickets::Ticket {
    let mut tx = store.write().await.unwrap();
    let t = tickets::act(&mut tx, actor, &TicketRef::Id(t.id), t.version, req).await.unwrap();
    tx.commit().await.unwrap();
    t
}

both_backends!(a_login_opens_a_session_whose_token_is_stored_only_as_a_hash, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.user_a.user_id, "user-a-pass").await;
    let LoginOutcome::LoggedIn { token, session, user, first_login } = login(&store, " User.A ", "user-a-pass").await
    else {
        panic!("login refused")
    };
    assert_eq!(user.id, w.user_a.user_id);
    assert!(first_login, "the first login is told apart");
    assert_eq!(token.len(), 64);
    assert_eq!(session.csrf_token.len(), 64);
    assert_ne!(session.csrf_token, token);

    let mut tx = store.read().await.unwrap();
    let (found, u) = sessions::lookup(&mut tx, &token).await.unwrap().expect("session found");
    assert_eq!((found.id, u.id), (session.id, w.user_a.user_id));
    assert!(sessions::lookup(&mut tx, &format!("{token}0")).await.unwrap().is_none());
    let stored: i64 = match &mut tx {
        yunwei_db::Tx::Sqlite(t) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(&mut **t)
            .await
            .unwrap(),
        yunwei_db::Tx::Postgres(t) => sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(&mut **t)
            .await
            .unwrap(),
    };
    assert_eq!(stored, 0, "the raw token is never stored");
    drop(tx);

    let LoginOutcome::LoggedIn { first_login, .. } = login(&store, "user.a", "user-a-pass").await else {
        panic!("second login refused")
    };
    assert!(!first_login);

    let mut tx = store.write().await.unwrap();
    sessions::end(&mut tx, &token).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert!(sessions::lookup(&mut tx, &token).await.unwrap().is_none(), "logged out");
});

/// The token and session id of a successful login.
async fn signed_in(store: &Store, login_name: &str, password: &str) -> (String, i64) {
    match login(store, login_name, password).await {
        LoginOutcome::LoggedIn { token, session, .. } => (token, session.id),
        other => panic!("login refused: {other:?}"),
    }
}

async fn session_alive(store: &Store, token: &str) -> bool {
    let mut tx = store.read().await.unwrap();
    sessions::lookup(&mut tx, token).await.unwrap().is_some()
}

both_backends!(a_password_reset_ends_every_session_of_the_user_and_no_one_elses, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.agent.user_id, "agent-pass").await;
    set_password(&store, w.engineer.user_id, "engineer-pass").await;
    let (office, _) = signed_in(&store, "agent", "agent-pass").await;
    let (home, _) = signed_in(&store, "agent", "agent-pass").await;
    let (other, _) = signed_in(&store, "engineer", "engineer-pass").await;
    set_password(&store, w.agent.user_id, "a-new-agent-pass").await;
    assert!(!session_alive(&store, &office).await, "the reset signs the user out");
    assert!(!session_alive(&store, &home).await, "everywhere");
    assert!(session_alive(&store, &other).await, "another user's session stays");
    assert!(matches!(login(&store, "agent", "agent-pass").await, LoginOutcome::Failed { .. }));
    signed_in(&store, "agent", "a-new-agent-pass").await;
});

both_backends!(changing_ones_own_password_keeps_this_session_and_ends_the_others, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.user_a.user_id, "user-a-pass").await;
    let (here, here_id) = signed_in(&store, "user.a", "user-a-pass").await;
    let (elsewhere, _) = signed_in(&store, "user.a", "user-a-pass").await;
    identity::change_password(&store, &w.user_a, Some(here_id), "user-a-pass", "a brand new pass").await.unwrap();
    assert!(session_alive(&store, &here).await, "the session that changed it stays");
    assert!(!session_alive(&store, &elsewhere).await, "every other session ends");
    assert!(matches!(login(&store, "user.a", "user-a-pass").await, LoginOutcome::Failed { .. }));
    signed_in(&store, "user.a", "a brand new pass").await;
    let mut tx = store.read().await.unwrap();
    let entries = audit::for_entity(&mut tx, &w.admin, "user", w.user_a.user_id).await.unwrap();
    let last = entries.iter().rev().find(|e| e.action == "user.password").expect("audited");
    let after: serde_json::Value = serde_json::from_str(last.after.as_deref().expect("after")).unwrap();
    assert_eq!(after["sessions_ended"], 1);
    assert!(!after.to_string().contains("brand new"), "no password in the audit");
});

both_backends!(a_wrong_current_password_changes_nothing_and_counts_as_a_failed_login, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.user_a.user_id, "user-a-pass").await;
    let (here, here_id) = signed_in(&store, "user.a", "user-a-pass").await;
    let field_of = |e: StoreError| match e {
        StoreError::Domain(DomainError::Invalid(f)) => (f.field, f.problem.code),
        other => panic!("unexpected {other:?}"),
    };
    let short = identity::change_password(&store, &w.user_a, Some(here_id), "user-a-pass", "short").await.unwrap_err();
    assert_eq!(field_of(short).0, "new_password");
    for _ in 0..5 {
        let e = identity::change_password(&store, &w.user_a, Some(here_id), "guess", "a brand new pass").await;
        assert_eq!(field_of(e.unwrap_err()), ("current_password".to_string(), "wrong_password"));
    }
    // The login is now locked, for the form as for the login page, even with the right password.
    let e = identity::change_password(&store, &w.user_a, Some(here_id), "user-a-pass", "a brand new pass").await;
    assert_eq!(field_of(e.unwrap_err()).1, "password_locked");
    assert!(matches!(login(&store, "user.a", "user-a-pass").await, LoginOutcome::Locked { .. }));
    assert!(session_alive(&store, &here).await, "a refusal ends no session");
});

both_backends!(repeated_failed_logins_lock_the_login_for_a_while_even_with_the_right_password, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.agent.user_id, "agent-pass").await;
    for i in 1..5 {
        let LoginOutcome::Failed { locked_until: None } = login(&store, "agent", "wrong").await else {
            panic!("failure {i} locked already")
        };
    }
    let LoginOutcome::Failed { locked_until: Some(until) } = login(&store, "agent", "wrong").await else {
        panic!("the fifth failure did not lock")
    };
    let wait = until - yunwei_db::now_micros();
    assert!((50_000_000..=61_000_000).contains(&wait), "locked for about a minute, not {wait} µs");
    let LoginOutcome::Locked { until: again } = login(&store, "AGENT", "agent-pass").await else {
        panic!("a locked login let the right password in")
    };
    assert_eq!(again, until);
    // Another login is not affected.
    set_password(&store, w.engineer.user_id, "engineer-pass").await;
    assert!(matches!(login(&store, "engineer", "engineer-pass").await, LoginOutcome::LoggedIn { .. }));
});

both_backends!(a_disabled_user_loses_their_session, |store| async move {
    let w = World::build(&store).await;
    set_password(&store, w.user_b.user_id, "user-b-pass").await;
    let LoginOutcome::LoggedIn { token, .. } = login(&store, "user.b", "user-b-pass").await else { panic!() };
    let mut tx = store.write().await.unwrap();
    let v = users::get(&mut tx, &w.admin, w.user_b.user_id).await.unwrap();
    let patch = users::UserPatch { active: Some(false), ..Default::default() };
    users::update(&mut tx, &w.admin, w.user_b.user_id, v.user.version, patch).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    assert!(sessions::lookup(&mut tx, &token).await.unwrap().is_none());
});

both_backends!(users_set_their_own_language_and_time_zone_and_bad_values_are_refused, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    preferences::set_locale(&mut tx, &w.user_a, "en").await.unwrap();
    preferences::set_time_zone(&mut tx, &w.user_a, "Europe/Berlin").await.unwrap();
    let err = preferences::set_locale(&mut tx, &w.user_a, "fr").await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(e)) if e.field == "locale"));
    let err = preferences::set_time_zone(&mut tx, &w.user_a, "Mars/Base").await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(e)) if e.field == "time_zone"));
    let u = users::get(&mut tx, &w.user_a, w.user_a.user_id).await.unwrap().user;
    assert_eq!((u.locale.as_str(), u.time_zone.as_str()), ("en", "Europe/Berlin"));
});

both_backends!(the_requester_rates_a_resolved_ticket_once, |store| async move {
    let w = World::build(&store).await;
    let t = new_ticket(&store, &w.user_a, "打印机卡纸").await;
    let r = TicketRef::Id(t.id);
    let mut tx = store.write().await.unwrap();
    let err = ratings::rate(&mut tx, &w.user_a, &r, 5, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(e)) if e.field == "score"), "not yet resolved");
    drop(tx);
    let t = act(&store, &w.agent, &t, ActionRequest::Claim).await;
    let t = act(&store, &w.agent, &t, ActionRequest::Resolve { code: "solved".into(), notes: "换了硒鼓".into() }).await;

    let mut tx = store.write().await.unwrap();
    let err = ratings::rate(&mut tx, &w.agent, &r, 5, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Forbidden(_))), "only the requester rates");
    let err = ratings::rate(&mut tx, &w.user_b, &r, 5, "").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound("ticket")), "another tenant's ticket is not found");
    let err = ratings::rate(&mut tx, &w.user_a, &r, 6, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Invalid(e)) if e.field == "score"));
    let rating = ratings::rate(&mut tx, &w.user_a, &r, 4, "  很快就修好了  ").await.unwrap();
    assert_eq!((rating.score, rating.comment.as_str()), (4, "很快就修好了"));
    tx.commit().await.unwrap();

    let mut tx = store.write().await.unwrap();
    let err = ratings::rate(&mut tx, &w.user_a, &r, 1, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Duplicate { field: "score", .. }), "{err:?}");
    drop(tx);

    let mut tx = store.read().await.unwrap();
    assert_eq!(ratings::for_ticket(&mut tx, &w.agent, &r).await.unwrap(), Some(rating.clone()));
    let events = tickets::timeline(&mut tx, &w.user_a, &r).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.kind.as_str(), last.public, last.body.as_str()), ("rating", true, "很快就修好了"));
    assert_eq!(t.status.as_str(), "resolved");
});

both_backends!(queues_count_what_they_list_within_the_actors_scope, |store| async move {
    let w = World::build(&store).await;
    let a1 = new_ticket(&store, &w.user_a, "A1").await;
    let _a2 = new_ticket(&store, &w.user_a, "A2").await;
    let b1 = new_ticket(&store, &w.user_b, "B1").await;
    // The agent serves tenant A only and is in L1; the engineer serves both and is in L2.
    act(&store, &w.agent, &a1, ActionRequest::Claim).await;
    act(&store, &w.engineer, &b1, ActionRequest::Dispatch { group_id: w.l2, assignee_id: None }).await;

    let mut tx = store.read().await.unwrap();
    let counts = |v: Vec<(Queue, i64)>| v.into_iter().map(|(q, n)| (q.as_str(), n)).collect::<Vec<_>>();
    assert_eq!(
        counts(queues::counts(&mut tx, &w.agent).await.unwrap()),
        [("mine", 1), ("groups", 1), ("unassigned", 1), ("open", 2), ("recent", 2)]
    );
    assert_eq!(
        counts(queues::counts(&mut tx, &w.engineer).await.unwrap()),
        [("mine", 0), ("groups", 1), ("unassigned", 2), ("open", 3), ("recent", 3)]
    );
    // Each queue lists exactly as many tickets as it counts.
    for actor in [&w.agent, &w.engineer] {
        let groups = queues::my_groups(&mut tx, actor).await.unwrap();
        for (q, n) in queues::counts(&mut tx, actor).await.unwrap() {
            let f = q.filter(actor, &groups, yunwei_db::now_micros());
            let page = tickets::list(&mut tx, actor, &f).await.unwrap();
            assert_eq!(page.tickets.len() as i64, n, "queue {}", q.as_str());
        }
    }
});

both_backends!(assignable_people_are_the_active_members_who_serve_the_organisation, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.read().await.unwrap();
    let groups = yunwei_org::directory::assignable(&mut tx, &w.agent, w.tenant_b).await.unwrap();
    let names: Vec<(&str, Vec<i64>)> =
        groups.iter().map(|g| (g.name.as_str(), g.members.iter().map(|m| m.0).collect())).collect();
    // The L1 agent serves tenant A only, so tenant B's ticket cannot go to them.
    assert_eq!(
        names,
        [("Service desk", vec![]), ("Desktop support", vec![w.engineer.user_id]), ("Network engineering", vec![])]
    );
    let err = yunwei_org::directory::assignable(&mut tx, &w.user_a, w.tenant_a).await.unwrap_err();
    assert!(matches!(err, StoreError::Domain(DomainError::Forbidden(_))));
});
