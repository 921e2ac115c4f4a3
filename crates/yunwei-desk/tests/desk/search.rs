//! Full-text search over tickets, on both backends: Chinese words and English words anywhere
//! in the public text, kept up to date by every change, never across the caller's scope and
//! never through an internal note.

use yunwei_db::Store;
use yunwei_db::both_backends;
use yunwei_desk::store::search;
use yunwei_desk::store::tickets::{self, ActionRequest, NewTicket, TicketFilter, TicketPatch, TicketRef};
use yunwei_desk::testing::{self, World};
use yunwei_kernel::permission::Actor;

fn incident(title: &str, description: &str) -> NewTicket {
    NewTicket {
        ticket_type: "incident".into(),
        title: title.into(),
        description: Some(description.into()),
        channel: "web".into(),
        ..Default::default()
    }
}

async fn create(store: &Store, actor: &Actor, new: NewTicket) -> tickets::Ticket {
    let mut tx = store.write().await.unwrap();
    let t = tickets::create(&mut tx, actor, new).await.unwrap();
    tx.commit().await.unwrap();
    t
}

/// The numbers on a page, in its order.
fn numbers(page: &tickets::Page) -> Vec<&str> {
    page.tickets.iter().map(|t| t.number.as_str()).collect()
}

/// The numbers of the tickets the actor finds with `q`, newest first.
async fn find(store: &Store, actor: &Actor, q: &str) -> Vec<String> {
    let mut tx = store.read().await.unwrap();
    let f = TicketFilter { text: Some(q.into()), limit: 50, desc: true, ..Default::default() };
    tickets::list(&mut tx, actor, &f).await.unwrap().tickets.into_iter().map(|t| t.number).collect()
}

both_backends!(words_in_chinese_and_english_find_tickets_by_title_and_description, |store| async move {
    let w = World::build(&store).await;
    let printer = create(&store, &w.user_a, incident("门诊打印机卡纸", "每次打印发票都卡纸")).await;
    let mail = create(&store, &w.user_a, incident("Outlook cannot send email", "忘记邮箱密码了")).await;
    let vpn = create(&store, &w.user_a, incident("申请开通VPN账号", "")).await;
    assert_eq!(find(&store, &w.agent, "打印机").await, [printer.number.as_str()]);
    assert_eq!(find(&store, &w.agent, "发票").await, [printer.number.as_str()], "a word of the description");
    assert_eq!(find(&store, &w.agent, "密码").await, [mail.number.as_str()], "a two-character word");
    assert_eq!(find(&store, &w.agent, "EMAIL").await, [mail.number.as_str()], "case folded");
    assert_eq!(find(&store, &w.agent, "vpn").await, [vpn.number.as_str()], "a Latin word inside Chinese text");
    assert_eq!(find(&store, &w.agent, "send").await, [mail.number.as_str()]);
    assert_eq!(find(&store, &w.agent, "sen").await, [mail.number.as_str()], "a Latin word is a prefix");
    assert!(find(&store, &w.agent, "打印服务器").await.is_empty(), "every term must match");
    assert!(find(&store, &w.agent, "（）%_*\"").await.is_empty(), "punctuation finds nothing");
    assert_eq!(find(&store, &w.agent, &vpn.number.to_lowercase()).await, [vpn.number.as_str()], "by number");
    let both = find(&store, &w.agent, "卡纸").await;
    assert_eq!(both, [printer.number.as_str()]);
});

both_backends!(the_index_follows_edits_replies_and_resolution_but_not_internal_notes, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("网络断了", "")).await;
    let mut tx = store.write().await.unwrap();
    let r = TicketRef::Id(t.id);
    tickets::comment(&mut tx, &w.agent, &r, "交换机端口 gi0/12 故障", false).await.unwrap();
    tickets::comment(&mut tx, &w.agent, &r, "请重启电脑试试", true).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&store, &w.agent, "重启电脑").await, [t.number.as_str()], "a public reply");
    assert!(find(&store, &w.agent, "交换机").await.is_empty(), "an internal note is not searchable");

    let mut tx = store.write().await.unwrap();
    let patch = TicketPatch { title: Some("无线网络断了".into()), ..Default::default() };
    let t = tickets::update(&mut tx, &w.agent, &r, t.version, patch).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&store, &w.agent, "无线").await, [t.number.as_str()], "the new title");

    let mut tx = store.write().await.unwrap();
    let t = tickets::act(&mut tx, &w.agent, &r, t.version, ActionRequest::Claim).await.unwrap();
    let resolve = ActionRequest::Resolve { code: "solved".into(), notes: "更换了 AP 天线".into() };
    tickets::act(&mut tx, &w.agent, &r, t.version, resolve).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(find(&store, &w.agent, "天线").await, [t.number.as_str()], "the resolution notes");
});

both_backends!(search_stays_inside_the_callers_scope, |store| async move {
    let w = World::build(&store).await;
    let a = create(&store, &w.user_a, incident("打印机没有反应", "")).await;
    let b = create(&store, &w.user_b, incident("打印机没有反应", "")).await;
    assert_eq!(find(&store, &w.agent, "打印机").await, [a.number.as_str()], "the agent serves tenant A only");
    assert_eq!(find(&store, &w.user_b, "打印机").await, [b.number.as_str()], "an end user sees their own");
    let mut both = find(&store, &w.engineer, "打印机").await;
    both.sort();
    assert_eq!(both, [a.number.as_str(), b.number.as_str()]);
});

both_backends!(tickets_from_before_the_index_are_indexed_once_at_start_up, |store| async move {
    let w = World::build(&store).await;
    let t = create(&store, &w.user_a, incident("邮件发送被退回", "")).await;
    // As if the ticket predated the index: its document gone, the migration's marker set.
    let mut tx = store.write().await.unwrap();
    testing::forget_search_document(&mut tx, t.id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(find(&store, &w.agent, "退回").await.is_empty());
    assert_eq!(search::backfill(&store).await.unwrap(), 1);
    assert_eq!(find(&store, &w.agent, "退回").await, [t.number.as_str()]);
    assert_eq!(search::backfill(&store).await.unwrap(), 0, "done once");
});

both_backends!(newest_first_search_pages_through_matches_that_the_scope_mostly_hides, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(tickets::create(&mut tx, &w.user_a, incident(&format!("打印机故障 A{i}"), "")).await.unwrap().number);
    }
    // More newer matches than the first chunk of the index walk holds, all out of the agent's
    // scope, so the walk must go further down to fill the page.
    for i in 0..300 {
        tickets::create(&mut tx, &w.user_b, incident(&format!("打印机故障 B{i}"), "")).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let mut f = TicketFilter {
        text: Some("打印机".into()),
        sort: tickets::SortKey::Id,
        desc: true,
        limit: 2,
        ..Default::default()
    };
    let first = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
    assert_eq!(numbers(&first), [mine[2].as_str(), mine[1].as_str()]);
    f.after = first.next;
    let second = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
    assert_eq!(numbers(&second), [mine[0].as_str()]);
    assert!(second.next.is_none());
    // The engineer serves both tenants: the newest 50 are B's, in order.
    f.after = None;
    f.limit = 50;
    let all = tickets::list(&mut tx, &w.engineer, &f).await.unwrap();
    assert_eq!(all.tickets.len(), 50);
    assert!(all.tickets.windows(2).all(|p| p[0].id > p[1].id));
    assert!(all.tickets[0].title.ends_with("B299"));
});

both_backends!(a_newest_first_search_reaches_past_thousands_of_newer_tickets_without_the_word, |store| async move {
    let w = World::build(&store).await;
    let mut tx = store.write().await.unwrap();
    let mut old = Vec::new();
    for i in 0..3 {
        old.push(
            tickets::create(&mut tx, &w.user_a, incident(&format!("Outlook crashes {i}"), "")).await.unwrap().number,
        );
    }
    // Newer than them, more tickets than PostgreSQL's first id range of the walk holds.
    let other =
        yunwei_desk::store::intake::prepare(&mut tx, &w.user_a, incident("Printer jammed", "卡纸")).await.unwrap();
    for _ in 0..70 {
        yunwei_desk::store::intake::insert(&mut tx, &vec![other.clone(); 64]).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.read().await.unwrap();
    let mut f = TicketFilter { text: Some("outlook".into()), desc: true, limit: 2, ..Default::default() };
    let first = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
    assert_eq!(numbers(&first), [old[2].as_str(), old[1].as_str()]);
    f.after = first.next;
    let second = tickets::list(&mut tx, &w.agent, &f).await.unwrap();
    assert_eq!(numbers(&second), [old[0].as_str()]);
    assert!(second.next.is_none());
    assert_eq!(find(&store, &w.agent, "卡纸").await.len(), 50, "a common word fills the page from the newest");
});
