//! The dashboard's figures on SQLite and PostgreSQL, against a hand count, in scope.

use yunwei_db::Tx;
use yunwei_db::both_backends;
use yunwei_desk::rules::priority::PriorityMatrix;
use yunwei_desk::store::categories;
use yunwei_desk::store::dashboard;
use yunwei_desk::store::tickets::{self, NewTicket};
use yunwei_desk::testing::World;

const DAY: i64 = 24 * 3600 * 1_000_000;

async fn raw(tx: &mut Tx, sql: &'static str, a: i64, b: i64) {
    match tx {
        Tx::Sqlite(t) => sqlx::query(sql).bind(a).bind(b).execute(&mut **t).await.map(|_| ()).unwrap(),
        Tx::Postgres(t) => sqlx::query(sql).bind(a).bind(b).execute(&mut **t).await.map(|_| ()).unwrap(),
    }
}

both_backends!(dashboard_counts_match_a_hand_count_in_scope, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let cats = categories::list(&mut tx).await.unwrap();
    let top = cats.iter().find(|c| c.parent_id.is_none()).unwrap().clone();
    let child = cats.iter().find(|c| c.parent_id == Some(top.id)).unwrap().clone();
    let other_top = cats.iter().find(|c| c.parent_id.is_none() && c.id != top.id).unwrap().clone();
    let m = PriorityMatrix::default();
    // (tenant, impact, urgency, group, category)
    let plan = [
        (w.tenant_a, 1, 1, Some(w.l1), Some(child.id)),
        (w.tenant_a, 1, 1, Some(w.l2), Some(top.id)),
        (w.tenant_a, 4, 4, Some(w.l1), Some(other_top.id)),
        (w.tenant_a, 4, 4, None, None),
        (w.tenant_b, 1, 1, Some(w.l2), Some(child.id)),
    ];
    let mut made = Vec::new();
    for (tenant, impact, urgency, group, category) in plan {
        let new = NewTicket {
            ticket_type: "incident".into(),
            title: "dashboard".into(),
            channel: "phone".into(),
            tenant_id: Some(tenant),
            requester_id: Some(if tenant == w.tenant_a { w.user_a.user_id } else { w.user_b.user_id }),
            impact: Some(impact),
            urgency: Some(urgency),
            group_id: group,
            category_id: category,
            ..Default::default()
        };
        made.push(tickets::create(&mut tx, &w.admin, new).await.unwrap());
    }
    // Spread them over days: ticket i created i days before `now`; ticket 3 resolved today.
    let now = yunwei_db::now_micros();
    for (i, t) in made.iter().enumerate() {
        raw(&mut tx, "UPDATE tickets SET created_at = $1 WHERE id = $2", now - i as i64 * DAY, t.id).await;
    }
    raw(&mut tx, "UPDATE tickets SET status = 'resolved', resolved_at = $1 WHERE id = $2", now, made[3].id).await;
    tx.commit().await.unwrap();

    let p_high = m.priority(1, 1) as i64;
    let p_low = m.priority(4, 4) as i64;
    let mut tx = store.read().await.unwrap();
    // Admin: every tenant; ticket 3 is resolved and no longer open.
    let by_p = dashboard::open_by_priority(&mut tx, &w.admin).await.unwrap();
    assert_eq!(by_p, vec![(p_high, 3), (p_low, 1)]);
    let by_g = dashboard::open_by_group(&mut tx, &w.admin).await.unwrap();
    let count = |g: i64| by_g.iter().find(|(id, _, _)| *id == g).map(|x| x.2).unwrap_or(0);
    assert_eq!((count(w.l1), count(w.l2), count(0)), (2, 2, 0));
    // The agent serves tenant A only.
    let by_p = dashboard::open_by_priority(&mut tx, &w.agent).await.unwrap();
    assert_eq!(by_p, vec![(p_high, 2), (p_low, 1)]);
    let by_g = dashboard::open_by_group(&mut tx, &w.agent).await.unwrap();
    let count = |g: i64| by_g.iter().find(|(id, _, _)| *id == g).map(|x| x.2).unwrap_or(0);
    assert_eq!((count(w.l1), count(w.l2)), (2, 1));

    // Five one-day periods ending just after now: period 4 holds today.
    let bounds: Vec<i64> = (0..=5).map(|i| now + 1 - (5 - i) * DAY).collect();
    let per_day = dashboard::created_resolved(&mut tx, &w.admin, &bounds).await.unwrap();
    assert_eq!(per_day, vec![(1, 0), (1, 0), (1, 0), (1, 0), (1, 1)]);
    let per_day = dashboard::created_resolved(&mut tx, &w.agent, &bounds).await.unwrap();
    assert_eq!(per_day, vec![(0, 0), (1, 0), (1, 0), (1, 0), (1, 1)]);

    // Categories counted on the top level: `top` has 3 (two via its child), other_top 1.
    let cats = dashboard::top_categories(&mut tx, &w.admin, now - 10 * DAY, 10).await.unwrap();
    let n = |id: i64| cats.iter().find(|c| c.0 == id).map(|c| c.3).unwrap_or(0);
    assert_eq!((n(top.id), n(other_top.id), n(child.id)), (3, 1, 0));
    assert_eq!(cats[0].0, top.id);
    let cats = dashboard::top_categories(&mut tx, &w.agent, now - 10 * DAY, 10).await.unwrap();
    let n = |id: i64| cats.iter().find(|c| c.0 == id).map(|c| c.3).unwrap_or(0);
    assert_eq!((n(top.id), n(other_top.id)), (2, 1));
    // End users have no dashboard.
    assert!(dashboard::open_by_priority(&mut tx, &w.user_a).await.is_err());
});
