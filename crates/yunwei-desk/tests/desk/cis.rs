//! Tickets and CIs, on both stores: a ticket names the CIs it is about (an end user only their
//! own devices, staff any CI of the requester's organisation or the provider's shared ones),
//! the CMDB sees which tickets are open on a CI, and another tenant's CI is refused.

use serde_json::json;
use yunwei_cmdb::store::{cis, work};
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_db::{Store, StoreError};
use yunwei_desk::store::tickets::{self, ActionRequest, NewTicket, TicketPatch, TicketRef};
use yunwei_desk::testing::World;
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;

async fn ci(store: &Store, w: &World, tenant: i64, class: &str, name: &str, user: Option<i64>) -> i64 {
    let mut tx = store.write().await.unwrap();
    let input = cis::CiInput {
        tenant_id: Some(tenant),
        class: Some(class.into()),
        name: Some(name.into()),
        user_id: Some(user),
        attributes: json!({}).as_object().cloned().unwrap(),
        ..Default::default()
    };
    let c = cis::create(&mut tx, &w.admin, input).await.unwrap();
    tx.commit().await.unwrap();
    c.id
}

async fn create(
    store: &Store,
    actor: &Actor,
    requester: Option<i64>,
    cis: Vec<i64>,
) -> Result<tickets::Ticket, StoreError> {
    let mut tx = store.write().await.unwrap();
    let new = NewTicket {
        ticket_type: "incident".into(),
        title: "电脑蓝屏".into(),
        channel: "web".into(),
        requester_id: requester,
        affected_cis: cis,
        ..Default::default()
    };
    let t = tickets::create(&mut tx, actor, new).await?;
    tx.commit().await.unwrap();
    Ok(t)
}

fn field(e: StoreError) -> (String, &'static str) {
    match e {
        StoreError::Domain(DomainError::Invalid(f)) => (f.field, f.problem.code),
        other => panic!("{other:?}"),
    }
}

async fn open_work(store: &TestStore, admin: &Actor, ci: i64) -> Vec<(String, bool)> {
    let mut tx = store.read().await.unwrap();
    let items = work::for_cis(&mut tx, admin, &[ci], false, 100).await.unwrap();
    items.into_iter().map(|w| (w.number, w.open)).collect()
}

both_backends!(a_ticket_names_its_cis_and_the_cmdb_sees_it_open_until_resolved, |store| async move {
    let w = World::build(&store).await;
    let provider = yunwei_org::tenants::provider(&mut store.write().await.unwrap()).await.unwrap().id;
    let laptop = ci(&store, &w, w.tenant_a, "pc", "张三的笔记本", Some(w.user_a.user_id)).await;
    let printer = ci(&store, &w, w.tenant_a, "printer", "三楼打印机", None).await;
    let core = ci(&store, &w, provider, "switch", "核心交换机", None).await;
    let globex = ci(&store, &w, w.tenant_b, "server", "Globex ERP", None).await;

    // An end user names their own device, not someone else's CI.
    let t = create(&store, &w.user_a, None, vec![laptop, laptop]).await.unwrap();
    assert_eq!(open_work(&store, &w.admin, laptop).await, vec![(t.number.clone(), true)]);
    let e = create(&store, &w.user_a, None, vec![printer]).await.unwrap_err();
    assert_eq!(field(e), ("affected_cis".into(), "no_such_ci"));
    // Staff name the organisation's CIs and the provider's shared ones, never another client's.
    let t2 = create(&store, &w.agent, Some(w.user_a.user_id), vec![printer, core]).await.unwrap();
    let e = create(&store, &w.engineer, Some(w.user_a.user_id), vec![globex]).await.unwrap_err();
    assert_eq!(field(e), ("affected_cis".into(), "no_such_ci"));
    let e = create(&store, &w.agent, Some(w.user_a.user_id), vec![globex]).await.unwrap_err();
    assert_eq!(field(e), ("affected_cis".into(), "no_such_ci"));

    // Resolving the ticket marks it done on its CIs; the list is edited with the ticket.
    let mut tx = store.write().await.unwrap();
    let mut cur = tickets::get(&mut tx, &w.agent, &TicketRef::Id(t2.id)).await.unwrap();
    let patch = TicketPatch { affected_cis: Some(vec![core]), ..Default::default() };
    cur = tickets::update(&mut tx, &w.agent, &TicketRef::Id(t2.id), cur.version, patch).await.unwrap();
    let names: Vec<String> =
        tickets::affected_cis(&mut tx, &w.agent, &cur).await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, vec!["核心交换机".to_string()]);
    let events = tickets::timeline_of(&mut tx, &w.agent, &cur).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!((last.kind.as_str(), &last.data.0["fields"]), ("update", &json!(["affected_cis"])));
    let resolve = ActionRequest::Resolve { code: "solved".into(), notes: "重启交换机端口".into() };
    let cur = tickets::act(&mut tx, &w.admin, &TicketRef::Id(t2.id), cur.version, resolve).await;
    tx.commit().await.unwrap();
    assert!(cur.is_ok(), "{cur:?}");
    assert_eq!(open_work(&store, &w.admin, core).await, vec![(t2.number.clone(), false)]);
    assert_eq!(open_work(&store, &w.admin, printer).await, Vec::<(String, bool)>::new());
    // The CMDB tells tenant B's engineer nothing about tenant A's tickets on the shared switch.
    let mut tx = store.read().await.unwrap();
    let theirs = work::for_cis(&mut tx, &w.engineer, &[core], false, 100).await.unwrap();
    assert_eq!(theirs.len(), 1, "the engineer serves tenant A too");
});

both_backends!(the_console_shows_the_business_services_a_tickets_cis_serve, |store| async move {
    use yunwei_cmdb::rules::relations::RelationKind;
    use yunwei_cmdb::store::relations;
    let env = crate::common::start(&store).await;
    let w = &env.w;
    let server = ci(&store, w, w.tenant_a, "server", "财务服务器", None).await;
    let app = ci(&store, w, w.tenant_a, "application", "财务系统", None).await;
    let mut tx = store.write().await.unwrap();
    let input = cis::CiInput {
        tenant_id: Some(w.tenant_a),
        class: Some("business_service".into()),
        name: Some("Payroll".into()),
        attributes: json!({ "criticality": "high" }).as_object().cloned().unwrap(),
        ..Default::default()
    };
    let service = cis::create(&mut tx, &w.admin, input).await.unwrap().id;
    relations::add(&mut tx, &w.admin, app, RelationKind::RunsOn, server).await.unwrap();
    relations::add(&mut tx, &w.admin, service, RelationKind::DependsOn, app).await.unwrap();
    tx.commit().await.unwrap();
    let t = create(&store, &w.agent, Some(w.user_a.user_id), vec![server]).await.unwrap();

    let mut agent = crate::common::Browser::new(&env.base, "en");
    agent.login("agent", crate::common::PASSWORD).await;
    let page = agent.get(&format!("/console/tickets/{}", t.number)).await.expect(200).body.clone();
    let section = &page[page.find("id=\"cis\"").expect("the CIs section")..];
    // The CIs come right under the ticket's facts, above the attachments and linked tickets.
    let at = |text: &str| page.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("class=\"card facts\"") < at("id=\"cis\""), "the facts first");
    assert!(at("id=\"cis\"") < at(">Attachments</h2>") && at("id=\"cis\"") < at(">Linked tickets</h2>"));
    let line = &section[section.find("Business services affected").expect("the services line")..];
    assert!(line[..line.find("</p>").unwrap()].contains(&format!("<a href=\"/cmdb/{service}\">Payroll</a>")), "{line}");

    // Logging a call names the CI by its name (the caller's organisation's), and the new
    // ticket's page shows the service it serves; a CI nobody has is refused and nothing is
    // logged.
    let csrf = agent.csrf("/console/new").await;
    let requester = w.user_a.user_id.to_string();
    let call = |ci: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("requester_id", requester.clone()),
            ("channel", "phone".to_string()),
            ("type", "incident".to_string()),
            ("title", "财务系统打不开".to_string()),
            ("ci", ci.to_string()),
        ]
    };
    let fields = call("no such thing");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = agent.post("/console/new", &pairs).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("no such thing"), "the refusal names what was typed");
    let fields = call("财务服务器");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = agent.post("/console/new", &pairs).await;
    let to = done.header("location").to_string();
    assert!(to.starts_with("/console/tickets/INC-"), "{to}");
    let page = agent.get(&to).await.expect(200).body.clone();
    // The agent is told the call is logged, not promised a reply as a requester is.
    assert!(page.contains("Ticket logged.") && !page.contains("We will be in touch"), "{page}");
    let section = &page[page.find("id=\"cis\"").expect("the CIs section")..];
    assert!(section.contains("财务服务器") && section.contains("Payroll"), "{section}");
    let mut tx = store.read().await.unwrap();
    let logged =
        yunwei_db::scalar!(&mut tx, i64, "SELECT COUNT(*) FROM tickets WHERE title = '财务系统打不开'").unwrap();
    assert_eq!(logged, 1, "the refused call logged nothing");
});

both_backends!(the_portal_form_ticks_the_device_its_link_names_and_ignores_anyone_elses, |store| async move {
    let env = crate::common::start(&store).await;
    let w = &env.w;
    let mine = ci(&store, w, w.tenant_a, "pc", "我的笔记本", Some(w.user_a.user_id)).await;
    let unassigned = ci(&store, w, w.tenant_a, "pc", "Spare laptop", None).await;
    let theirs = ci(&store, w, w.tenant_b, "pc", "Globex laptop", Some(w.user_b.user_id)).await;
    let mut user = crate::common::Browser::new(&env.base, "zh-CN");
    user.login("user.a", crate::common::PASSWORD).await.redirects_to("/");
    let ticked = format!("name=\"ci{mine}\" value=\"on\" checked");
    let page = user.get(&format!("/portal/new?ci={mine}")).await;
    assert!(page.expect(200).body.contains(&ticked), "the device from the link is ticked: {}", page.body);
    assert!(!user.get("/portal/new").await.body.contains(&ticked), "nothing is ticked without a link");
    for foreign in [theirs.to_string(), unassigned.to_string(), "abc".to_string(), "-1".to_string()] {
        let page = user.get(&format!("/portal/new?ci={foreign}")).await;
        let body = &page.expect(200).body;
        assert!(body.contains(&format!("name=\"ci{mine}\"")) && !body.contains(&ticked), "{foreign} ticks nothing");
        assert!(!body.contains(&format!("name=\"ci{theirs}\"")) && !body.contains(&format!("name=\"ci{unassigned}\"")));
        assert!(
            !body.contains("Globex laptop") && !body.contains("Spare laptop"),
            "only the viewer's devices are listed"
        );
    }
});
