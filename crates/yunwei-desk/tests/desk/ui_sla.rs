//! The SLA pages of the web UI against a real server on 127.0.0.1, once on SQLite and once on
//! PostgreSQL: clocks on the ticket pages, the "breaching soon" queue, the compliance report,
//! and the administration of calendars and policies through the forms (with CSRF). The helpers
//! are those of `ui.rs`.

use jiff::SignedDuration;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_desk::rules::sla::Targets;
use yunwei_desk::store::sla::{self, ComplianceFilter, PolicyInput};
use yunwei_desk::testing::World;

use crate::common::*;

/// The ready-made calendars, and a 7×24 policy for organisation A with a one-hour response and
/// a two-hour resolution target, so new tickets are due within the default 4-hour horizon.
async fn seed_sla(store: &TestStore, w: &World) {
    let mut tx = store.write().await.expect("begin");
    sla::seed_defaults(&mut tx).await.expect("seed SLA");
    let always = sla::list_calendars(&mut tx, &w.admin).await.unwrap().into_iter().find(|c| c.name == "7×24").unwrap();
    let m = |n: i64| Some(SignedDuration::from_mins(n));
    let input = PolicyInput {
        name: Some("A 7×24".into()),
        tenant_id: Some(Some(w.tenant_a)),
        calendar_id: Some(always.id),
        targets: Some(Targets { response: [m(60); 4], resolution: [m(120); 4], ..Default::default() }),
        ..Default::default()
    };
    sla::create_policy(&mut tx, &w.admin, input).await.expect("policy");
    tx.commit().await.expect("commit");
}

/// The text of the first `data-cell="{cell}"` after `anchor` in `body`.
fn cell(body: &str, anchor: &str, cell: &str) -> String {
    let from = body.find(anchor).unwrap_or_else(|| panic!("{anchor} on the page"));
    let marker = format!("data-cell=\"{cell}\">");
    let start = body[from..].find(&marker).expect("the cell") + from + marker.len();
    let end = body[start..].find('<').expect("end of cell") + start;
    body[start..end].to_string()
}

both_backends!(clocks_show_on_ticket_pages_and_the_queue_and_report_follow_the_store, |store| async move {
    let env = start(&store).await;
    seed_sla(&store, &env.w).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await.redirects_to("/");
    let number = report(&mut user, "SLA clock on the page").await;

    // The console ticket page: both clocks, running, policy and calendar, figures in words.
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await.redirects_to("/");
    let page = agent.get(&format!("/console/tickets/{number}")).await;
    let body = &page.expect(200).body;
    assert!(body.contains("id=\"sla-clocks\""), "{body}");
    assert!(body.contains("First response") && body.contains("Resolution"));
    assert!(body.contains("data-status=\"running\""));
    assert!(body.contains("A 7×24 · 7×24"), "policy and calendar");
    assert!(body.contains("<dd>1 h</dd>") && body.contains("<dd>2 h</dd>"), "targets in hours");
    assert!(body.contains("class=\"sla-remaining\">59 min") || body.contains("class=\"sla-remaining\">1 h"));
    assert!(body.contains("class=\"sla-due\"><time datetime="));
    // Chinese units for a Chinese-speaking viewer.
    let mut zh = Browser::new(&env.base, "zh-CN");
    zh.login("engineer", PASSWORD).await.redirects_to("/");
    let zh_page = zh.get(&format!("/console/tickets/{number}")).await;
    assert!(zh_page.expect(200).body.contains("<dd>1小时</dd>"), "{}", zh_page.body);
    assert!(zh_page.body.contains("首次响应") && zh_page.body.contains("计时中"));

    // The portal shows the public figures only.
    let portal = user.get(&format!("/portal/tickets/{number}")).await;
    let pb = &portal.expect(200).body;
    assert!(pb.contains("id=\"sla-clocks\"") && pb.contains("Target") && pb.contains("class=\"sla-due\""));
    assert!(!pb.contains("sla-elapsed") && !pb.contains("A 7×24"), "no internal figures in the portal");

    // Breaching soon: due within the default 4 hours, linked to the ticket.
    let soon = agent.get("/console/sla/soon").await;
    assert!(soon.expect(200).body.contains(&format!("href=\"/console/tickets/{number}\"")), "{}", soon.body);
    assert!(soon.body.contains("<option value=\"4\" selected>"));
    let other = agent.get("/console/sla/soon?hours=8").await;
    assert!(other.expect(200).body.contains("<option value=\"8\" selected>"));

    // Warnings that have fired show on the ticket page.
    let mut tx = store.write().await.unwrap();
    let later = jiff::Timestamp::now() + SignedDuration::from_mins(46);
    assert!(sla::fire_due(&mut tx, later, 100).await.unwrap() >= 2);
    tx.commit().await.unwrap();
    let page = agent.get(&format!("/console/tickets/{number}")).await;
    assert!(page.expect(200).body.contains("<dt>Warnings fired</dt><dd>50 %, 75 %</dd>"), "{}", page.body);

    // The report's figures are the store's.
    let mut tx = store.read().await.unwrap();
    let f = ComplianceFilter { group_by: "none".into(), within_secs: 4 * 3600, ..Default::default() };
    let rows = sla::compliance(&mut tx, &env.w.agent, &f).await.unwrap();
    drop(tx);
    let page = agent.get("/console/sla/report?group_by=none&horizon=4").await;
    let body = &page.expect(200).body;
    assert!(body.contains("SLA compliance report") && body.contains("MTTA, mean time to respond (business time)"));
    assert!(body.contains("MTTR, mean time to resolve (wall-clock time)"));
    for kind in ["response", "resolution"] {
        let row = rows.iter().find(|r| r.kind == kind).expect("a row per clock kind");
        let anchor = format!("id=\"report-{kind}\"");
        assert_eq!(cell(body, &anchor, "total"), row.total.to_string(), "{kind} total");
        assert_eq!(cell(body, &anchor, "met"), row.met.to_string());
        assert_eq!(cell(body, &anchor, "breached"), row.breached.to_string());
        assert_eq!(cell(body, &anchor, "open"), row.open.to_string());
        assert_eq!(cell(body, &anchor, "soon"), row.breaching_soon.to_string());
        assert!(row.breaching_soon >= 1);
    }
    // Grouped by priority, in Chinese.
    let zh_report = zh.get("/console/sla/report?group_by=priority&from=2000-01-01&to=2999-12-31").await;
    assert!(
        zh_report.expect(200).body.contains("SLA 达标率报表")
            && zh_report.body.contains("平均解决时间 MTTR（工作时间）")
    );

    // Staff see the links; only administrators see the settings.
    assert!(body.contains("id=\"nav-sla-report\"") && !body.contains("id=\"nav-sla-admin\""));
    agent.get("/admin/sla").await.expect(403);
    agent.get("/admin/sla/calendars/new").await.expect(403);
    agent.get("/admin/sla/policies/1").await.expect(403);
    let csrf = agent.csrf("/console").await;
    agent.post("/admin/sla/calendars/new", &[("csrf", &csrf), ("name", "x"), ("time_zone", "UTC")]).await.expect(403);
    // End users see neither the report nor the queue.
    user.get("/console/sla/report").await.expect(404);
    user.get("/console/sla/soon").await.expect(404);
    user.get("/admin/sla").await.expect(403);
    assert!(!user.get("/portal").await.body.contains("nav-sla-report"));
});

both_backends!(an_administrator_creates_and_edits_calendars_and_policies_through_the_forms, |store| async move {
    let env = start(&store).await;
    seed_sla(&store, &env.w).await;
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let list = admin.get("/admin/sla").await;
    assert!(
        list.expect(200).body.contains("5×8 中国 China")
            && list.body.contains("id=\"admin-sla\" aria-current=\"page\"")
    );
    let calendars = async |store: &TestStore, w: &World| {
        let mut tx = store.read().await.unwrap();
        sla::list_calendars(&mut tx, &w.admin).await.unwrap()
    };
    let before = calendars(&store, &env.w).await.len();

    // A bad time zone: the error beside the field, in the user's language, nothing stored.
    let csrf = admin.csrf("/admin/sla/calendars/new").await;
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("name", "Shanghai office"),
        ("time_zone", "Mars/Olympus"),
        ("hours_monday", "09:00-12:00, 13:00-18:00"),
        ("hours_tuesday", "09:00-18:00"),
        ("holidays", "2026-10-01, 2026-10-02"),
        ("make_up_days", "2026-09-27"),
        ("make_up_weekday", "monday"),
    ];
    let res = admin.post("/admin/sla/calendars/new", &fields).await;
    res.expect(422);
    assert!(res.body.contains("id=\"error-time_zone\">Unknown time zone"), "{}", res.body);
    assert!(res.body.contains("value=\"Shanghai office\""), "what was typed is kept");
    assert_eq!(calendars(&store, &env.w).await.len(), before, "nothing stored");
    // Without the form's token: refused.
    admin.post("/admin/sla/calendars/new", &fields[1..]).await.expect(403);

    fields[2] = ("time_zone", "Asia/Shanghai");
    admin.post("/admin/sla/calendars/new", &fields).await.redirects_to("/admin/sla");
    let cal = calendars(&store, &env.w).await.into_iter().find(|c| c.name == "Shanghai office").expect("created");
    let spec = cal.spec();
    assert_eq!(spec.hours["monday"], vec!["09:00-12:00", "13:00-18:00"]);
    assert_eq!(spec.holidays, vec!["2026-10-01", "2026-10-02"]);
    assert_eq!(spec.make_up_days, vec!["2026-09-27"]);
    assert!(admin.get("/admin/sla").await.body.contains("Saved."));

    // Edit: the form shows what is stored, with its version; a stale version is refused.
    let path = format!("/admin/sla/calendars/{}", cal.id);
    let edit = admin.get(&path).await;
    assert!(edit.expect(200).body.contains("value=\"09:00-12:00, 13:00-18:00\""));
    let csrf = edit.csrf();
    let version = cal.version.to_string();
    let mut edit_fields = vec![
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("name", "Shanghai office"),
        ("time_zone", "Asia/Shanghai"),
        ("hours_monday", "08:30-17:30"),
        ("hours_saturday", "10:00-12:00"),
        ("holidays", "2026-10-01"),
        ("make_up_days", ""),
        ("make_up_weekday", "friday"),
    ];
    admin.post(&path, &edit_fields).await.redirects_to("/admin/sla");
    let after = calendars(&store, &env.w).await.into_iter().find(|c| c.id == cal.id).unwrap();
    assert_eq!(after.version, cal.version + 1);
    assert_eq!(after.spec().hours["monday"], vec!["08:30-17:30"]);
    assert_eq!(after.spec().hours["saturday"], vec!["10:00-12:00"]);
    assert_eq!(after.make_up_weekday, "friday");
    let res = admin.post(&path, &edit_fields).await;
    res.expect(409);
    assert!(res.body.contains("Someone else changed this"));
    // Bad hours: shown beside that day, nothing changed.
    let v2 = after.version.to_string();
    edit_fields[1] = ("version", v2.as_str());
    edit_fields[4] = ("hours_monday", "18:00-09:00");
    let res = admin.post(&path, &edit_fields).await;
    res.expect(422);
    assert!(res.body.contains("id=\"error-hours_monday\""), "{}", res.body);
    assert_eq!(calendars(&store, &env.w).await.into_iter().find(|c| c.id == cal.id).unwrap().version, after.version);

    // A policy: targets in minutes and hours per priority.
    let csrf = admin.csrf("/admin/sla/policies/new").await;
    let cal_id = cal.id.to_string();
    let tenant = env.w.tenant_b.to_string();
    let mut pf = vec![
        ("csrf", csrf.as_str()),
        ("name", "B incidents"),
        ("tenant_id", tenant.as_str()),
        ("ticket_type", "incident"),
        ("calendar_id", cal_id.as_str()),
        ("response_1", "30"),
        ("response_2", "60"),
        ("response_unit", "min"),
        ("resolution_1", "4"),
        ("resolution_2", "1.5"),
        ("resolution_unit", "h"),
        ("pause_user", "1"),
        ("thresholds", "50, 80"),
        ("active", "1"),
    ];
    // A response target longer than the resolution one: refused beside the targets.
    pf[5] = ("response_1", "300");
    let res = admin.post("/admin/sla/policies/new", &pf).await;
    res.expect(422);
    assert!(res.body.contains("id=\"error-response\""), "{}", res.body);
    pf[5] = ("response_1", "30");
    admin.post("/admin/sla/policies/new", &pf).await.redirects_to("/admin/sla");
    let policies = async |store: &TestStore, w: &World| {
        let mut tx = store.read().await.unwrap();
        sla::list_policies(&mut tx, &w.admin).await.unwrap()
    };
    let p = policies(&store, &env.w).await.into_iter().find(|p| p.name == "B incidents").expect("created");
    let t = p.targets();
    assert_eq!(t.response[0], Some(SignedDuration::from_mins(30)));
    assert_eq!(t.resolution[0], Some(SignedDuration::from_mins(240)));
    assert_eq!(t.resolution[1], Some(SignedDuration::from_mins(90)));
    assert_eq!(t.resolution[2], None);
    assert_eq!(p.tenant_id, Some(env.w.tenant_b));
    assert_eq!(p.ticket_type.as_deref(), Some("incident"));
    assert_eq!(p.thresholds(), vec![50, 80]);
    assert_eq!(p.pause_on().len(), 1);

    // Edit it: the form shows the targets back, and the change is stored with a new version.
    let path = format!("/admin/sla/policies/{}", p.id);
    let edit = admin.get(&path).await;
    assert!(edit.expect(200).body.contains("name=\"resolution_1\" value=\"240\""), "mixed hours shown in minutes");
    let csrf = edit.csrf();
    let version = p.version.to_string();
    let mut ef = pf.clone();
    ef[0] = ("csrf", csrf.as_str());
    ef[1] = ("name", "B incidents v2");
    ef.push(("version", version.as_str()));
    ef.retain(|(k, _)| *k != "active");
    admin.post(&path, &ef).await.redirects_to("/admin/sla");
    let p2 = policies(&store, &env.w).await.into_iter().find(|x| x.id == p.id).unwrap();
    assert_eq!((p2.name.as_str(), p2.version, p2.active), ("B incidents v2", p.version + 1, false));
    admin.post(&path, &ef).await.expect(409);

    // In Chinese, the errors are in Chinese.
    let mut zh = Browser::new(&env.base, "zh-CN");
    zh.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = zh.csrf("/admin/sla").await;
    zh.post("/lang", &[("csrf", &csrf), ("lang", "zh-CN"), ("back", "/admin/sla")]).await.redirects_to("/admin/sla");
    let csrf = zh.csrf("/admin/sla/calendars/new").await;
    let res = zh
        .post("/admin/sla/calendars/new", &[("csrf", &csrf), ("name", "坏时区"), ("time_zone", "Nowhere/City")])
        .await;
    res.expect(422);
    assert!(res.body.contains("未知时区"), "{}", res.body);
});

both_backends!(
    group_olas_are_set_in_the_form_and_the_engineer_records_arrival_on_the_ticket_page,
    |store| async move {
        let env = start(&store).await;
        let mut tx = store.write().await.expect("begin");
        sla::seed_defaults(&mut tx).await.expect("seed SLA");
        let always =
            sla::list_calendars(&mut tx, &env.w.admin).await.unwrap().into_iter().find(|c| c.name == "7×24").unwrap();
        let m = |n: i64| Some(SignedDuration::from_mins(n));
        let input = PolicyInput {
            name: Some("A on site".into()),
            tenant_id: Some(Some(env.w.tenant_a)),
            calendar_id: Some(always.id),
            targets: Some(Targets { resolution: [m(480); 4], on_site: [m(120); 4], ..Default::default() }),
            ..Default::default()
        };
        sla::create_policy(&mut tx, &env.w.admin, input).await.expect("policy");
        tx.commit().await.expect("commit");
        let policies = async |store: &TestStore, w: &World| {
            let mut tx = store.read().await.unwrap();
            sla::list_policies(&mut tx, &w.admin).await.unwrap()
        };

        // The administrator gives the service desk an OLA of one hour through the form.
        let mut admin = Browser::new(&env.base, "en");
        admin.login("admin", PASSWORD).await.redirects_to("/");
        let form = admin.get("/admin/sla/policies/new").await;
        assert!(form.expect(200).body.contains("name=\"ola_1\""), "the OLA row");
        assert!(form.body.contains("name=\"group_id\"") && form.body.contains("L1 Service desk"));
        let (csrf, cal, l1) = (form.csrf(), always.id.to_string(), env.w.l1.to_string());
        let mut pf = vec![
            ("csrf", csrf.as_str()),
            ("name", "Desk OLA"),
            ("group_id", l1.as_str()),
            ("calendar_id", cal.as_str()),
            ("resolution_1", "4"),
            ("resolution_unit", "h"),
            ("ola_1", "1"),
            ("ola_2", "1"),
            ("ola_3", "1"),
            ("ola_4", "1"),
            ("ola_unit", "h"),
            ("raise_priority_on_breach", "1"),
            ("active", "1"),
        ];
        // A resolution target in a group's OLA is refused, and nothing is stored.
        let count = policies(&store, &env.w).await.len();
        admin.post("/admin/sla/policies/new", &pf).await.expect(422);
        assert_eq!(policies(&store, &env.w).await.len(), count);
        pf.retain(|(k, _)| !k.starts_with("resolution_"));
        admin.post("/admin/sla/policies/new", &pf).await.redirects_to("/admin/sla");
        let p = policies(&store, &env.w).await.into_iter().find(|p| p.name == "Desk OLA").expect("created");
        assert_eq!((p.group_id, p.targets().ola[2], p.raise_priority_on_breach), (Some(env.w.l1), m(60), true));
        let edit = admin.get(&format!("/admin/sla/policies/{}", p.id)).await;
        assert!(
            edit.expect(200).body.contains(&format!("<option value=\"{l1}\" selected>")),
            "the group is shown back"
        );

        // A ticket dispatched to the desk carries the desk's OLA clock; the assignee records the
        // arrival on site from the ticket page.
        let mut user = Browser::new(&env.base, "en");
        user.login("user.a", PASSWORD).await.redirects_to("/");
        let number = report(&mut user, "Projector in room 5").await;
        let mut agent = Browser::new(&env.base, "en");
        agent.login("agent", PASSWORD).await.redirects_to("/");
        let page = agent.get(&format!("/console/tickets/{number}")).await;
        assert!(!page.expect(200).body.contains("id=\"act-arrive\""), "nobody holds it yet");
        let (csrf, version) = (page.csrf(), page.version());
        let assign = format!("g:{}:u:{}", env.w.l1, env.w.agent.user_id);
        let act = |a: &str| format!("/console/tickets/{number}/act/{a}");
        agent.post(&act("dispatch"), &[("csrf", &csrf), ("version", &version), ("assign", &assign)]).await.expect(303);
        let page = agent.get(&format!("/console/tickets/{number}")).await;
        let body = &page.expect(200).body;
        assert!(body.contains("Group hold time (OLA) · <span class=\"sla-group\">Service desk</span>"), "{body}");
        assert!(body.contains("id=\"act-arrive\""));
        let version = page.version();
        agent.post(&act("arrive"), &[("csrf", &csrf), ("version", &version)]).await.expect(303);
        let page = agent.get(&format!("/console/tickets/{number}")).await;
        let body = &page.expect(200).body;
        assert!(!body.contains("id=\"act-arrive\""), "arrival is recorded once");
        assert!(body.contains("id=\"arrived-at\""), "the arrival time is among the ticket's facts");
        let on_site = &body[body.find("data-kind=\"on_site\"").expect("on-site clock")..];
        assert!(on_site.contains("data-status=\"met\""), "{on_site}");
        assert!(on_site.contains("data-event=\"started\"") && on_site.contains("data-event=\"stopped\""), "{on_site}");
        assert!(body.contains("arrived on site"), "the timeline says so");
        // The report names each clock's mean for what it measures: arriving on site is no MTTR.
        let page = agent.get("/console/sla/report?group_by=none").await;
        let body = &page.expect(200).body;
        let on_site = &body[body.find("id=\"report-on_site\"").expect("the on-site table")..];
        let on_site = &on_site[..on_site.find("</section>").expect("its end")];
        assert!(
            on_site.contains("Mean time to arrive on site (business time)") && !on_site.contains("MTT"),
            "{on_site}"
        );
        // The requester's portal shows no OLA.
        let portal = user.get(&format!("/portal/tickets/{number}")).await;
        assert!(!portal.expect(200).body.contains("data-kind=\"ola\""));
    }
);

both_backends!(the_queue_shows_each_tickets_resolution_due_and_whether_it_is_late, |store| async move {
    let env = start(&store).await;
    seed_sla(&store, &env.w).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await;
    let late = report(&mut user, "Late one").await;
    let soon = report(&mut user, "Soon one").await;
    let calm = report(&mut user, "Calm one").await;
    // The saved due instants, as the clocks left them: a minute ago, in an hour, in ten.
    let now = yunwei_db::now_micros();
    let mut tx = store.write().await.unwrap();
    for (number, due) in [(&late, now - 60_000_000), (&soon, now + 3_600_000_000), (&calm, now + 36_000_000_000)] {
        let n =
            yunwei_db::execute!(&mut tx, "UPDATE tickets SET resolution_due_at = $1 WHERE number = $2", due, number)
                .unwrap();
        assert_eq!(n, 1);
    }
    tx.commit().await.unwrap();
    for (lang, words) in [("en", ["Breached", "Due soon"]), ("zh-CN", ["已超时", "即将超时"])] {
        let mut agent = Browser::new(&env.base, lang);
        agent.login("agent", PASSWORD).await;
        agent.speak(lang).await;
        let page = agent.get("/console?queue=open").await;
        let body = &page.expect(200).body;
        let row = |number: &str| {
            let at = body.find(&format!(">{number}</a>")).unwrap_or_else(|| panic!("{number} listed"));
            let end = body[at..].find("</tr>").unwrap() + at;
            body[at..end].to_string()
        };
        assert!(row(&late).contains("data-due=\"breached\"") && row(&late).contains(words[0]), "{}", row(&late));
        assert!(row(&soon).contains("data-due=\"soon\"") && row(&soon).contains(words[1]), "{}", row(&soon));
        assert!(row(&calm).contains("data-due=\"running\"") && !row(&calm).contains("badge sla-"), "{}", row(&calm));
    }
});
