//! The CMDB's pages against a real server on SQLite and PostgreSQL, through the platform's
//! cookie-keeping browser: a configuration manager's whole round (create, a refused value,
//! edit, relate, history, impact picture), another tenant's CI as the 404 page, both
//! languages, and names that try to be markup shown as text.

use serde_json::json;
use yunwei_cmdb::rules::relations::RelationKind;
use yunwei_cmdb::testing::World;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_web::testing::{Browser, Page};

use crate::store::{ci, relate};

const PASSWORD: &str = "correct horse battery";

struct Env {
    base: String,
    w: World,
}

async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let password = yunwei_db::identity::HashedPassword::new(PASSWORD).await.expect("hash");
    let mut tx = store.write().await.expect("begin");
    for a in [&w.admin, &w.config_a, &w.agent_a, &w.agent_ab, &w.client_it_a, &w.user_a] {
        yunwei_org::users::set_password(&mut tx, None, a.user_id, &password).await.expect("password");
    }
    tx.commit().await.expect("commit");
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { base, w }
}

async fn signed_in(env: &Env, login: &str, language: &str) -> Browser {
    let mut b = Browser::new(&env.base, language);
    b.login(login, PASSWORD).await.expect(303);
    b
}

/// Keeps a page in `$CMDB_UI_DUMP` (if set) to look at, e.g. rendered by a headless browser.
fn dump(store: &TestStore, name: &str, page: &Page) {
    if let Ok(dir) = std::env::var("CMDB_UI_DUMP") {
        let backend = if store.url.starts_with("postgres") { "pg" } else { "sqlite" };
        std::fs::write(format!("{dir}/{backend}-{name}.html"), &page.body).expect("dump");
    }
}

/// The id of the CI a successful create redirected to.
fn id_of_new(page: &Page) -> i64 {
    page.location().trim_start_matches("/cmdb/").parse().expect("a CI page")
}

both_backends!(a_configuration_manager_creates_edits_relates_and_sees_the_impact, |store| async move {
    let env = start(&store).await;
    let mut b = signed_in(&env, "config.a", "en").await;
    let list = b.get("/cmdb").await;
    assert!(list.expect(200).body.contains("id=\"new-ci\""), "a manager may create");
    assert!(list.body.contains("id=\"nav-cmdb\""), "the CMDB is in the navigation");

    // Without a class the form first asks for one.
    let choice = b.get("/cmdb/new").await;
    assert!(choice.expect(200).body.contains("id=\"class-choice\"") && choice.body.contains("value=\"server\""));

    // A new server through the form; a bad IP is refused beside its field, the text kept.
    let form = b.get("/cmdb/new?class=server").await;
    assert!(form.expect(200).body.contains("name=\"attr.ip_addresses\""));
    assert!(form.body.contains("Operating system"), "attribute labels in the viewer's language");
    let csrf = form.csrf();
    let tenant = env.w.tenant_a.to_string();
    let location = env.w.location_a.to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("class", "server"),
        ("tenant_id", tenant.as_str()),
        ("name", "web-01"),
        ("status", "in_service"),
        ("location_id", location.as_str()),
        ("attr.hostname", "web01.acme.cn"),
        ("attr.os", "linux"),
        ("attr.cpu_cores", "8"),
        ("attr.ip_addresses", "10.0.0.1, 10.0.0.300"),
    ];
    let refused = b.post("/cmdb/new", &fields).await;
    dump(&store, "new-refused", &refused);
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-attr-ip_addresses\""), "{}", refused.body);
    assert!(refused.body.contains("is not an IPv4 or IPv6 address"));
    assert!(refused.body.contains("value=\"10.0.0.1, 10.0.0.300\""), "the typed text is kept");
    assert!(refused.body.contains("value=\"web01.acme.cn\""));
    fields.retain(|(k, _)| *k != "attr.ip_addresses");
    fields.push(("attr.ip_addresses", "10.0.0.1, 10.0.0.2"));
    let created = b.post("/cmdb/new", &fields).await;
    created.expect(303);
    let web = id_of_new(&created);
    let page = b.get(&format!("/cmdb/{web}")).await;
    page.expect(200);
    for text in
        ["web-01", "web01.acme.cn", "10.0.0.1, 10.0.0.2", "Linux", "In service", "Server", "数据中心 DC / 1 / 101"]
    {
        assert!(page.body.contains(text), "{text} on the page");
    }

    // Edit: a refused number keeps the form; then a good change shows in the history.
    let csrf = page.csrf();
    let version = page.version();
    let mut edit = vec![
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("name", "web-01"),
        ("status", "maintenance"),
        ("location_id", location.as_str()),
        ("attr.hostname", "web01.acme.cn"),
        ("attr.os", "linux"),
        ("attr.cpu_cores", "eight"),
        ("attr.ip_addresses", "10.0.0.1, 10.0.0.2"),
    ];
    let refused = b.post(&format!("/cmdb/{web}"), &edit).await;
    dump(&store, "edit-refused", &refused);
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-attr-cpu_cores\"") && refused.body.contains("value=\"eight\""));
    edit.retain(|(k, _)| *k != "attr.cpu_cores");
    edit.push(("attr.cpu_cores", "16"));
    b.post(&format!("/cmdb/{web}"), &edit).await.redirects_to(&format!("/cmdb/{web}"));
    let page = b.get(&format!("/cmdb/{web}")).await;
    assert!(page.body.contains("Under maintenance"));
    let history = &page.body[page.body.find("id=\"ci-history\"").expect("history")..];
    assert!(history.contains("CPU cores: 8 → 16"), "{history}");
    assert!(history.contains("Status: In service → Under maintenance"), "{history}");
    assert!(history.contains("created this CI"));

    // Relate an application to it by name; the page lists it both ways; the history says so.
    let app = ci(&store, &env.w.config_a, env.w.tenant_a, "application", "网上银行 Online bank", json!({})).await;
    let csrf = page.csrf();
    let res = b
        .post(&format!("/cmdb/{web}/relations"), &[("csrf", &csrf), ("kind", "in:runs_on"), ("target", "网上银行")])
        .await;
    res.redirects_to(&format!("/cmdb/{web}"));
    let page = b.get(&format!("/cmdb/{web}")).await;
    let incoming = &page.body[page.body.find("id=\"incoming\"").expect("incoming relations")..];
    assert!(incoming.contains("hosts") && incoming.contains(&format!("/cmdb/{}", app.id)));
    assert!(page.body.contains("added a relationship:"));
    let refused = b
        .post(
            &format!("/cmdb/{web}/relations"),
            &[("csrf", &csrf), ("kind", "out:runs_on"), ("target", "nothing-like-this")],
        )
        .await;
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-target\"") && refused.body.contains("value=\"nothing-like-this\""));
    dump(&store, "relate-refused", &refused);
    dump(&store, "web", &page);
    let unknown = [("csrf", csrf.as_str()), ("kind", "in:runs_on"), ("target", "999999")];
    let refused = b.post(&format!("/cmdb/{web}/relations"), &unknown).await;
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-target\"") && refused.body.contains("there is no CI 999999"));
    let app_page = b.get(&format!("/cmdb/{}", app.id)).await;
    assert!(app_page.body.contains("runs on"));

    // The impact picture: an SVG with both CIs, the start marked, the path listed.
    let impact = b.get(&format!("/cmdb/{web}/impact?direction=down&depth=3")).await;
    impact.expect(200);
    let svg = &impact.body[impact.body.find("<svg").expect("svg")..impact.body.find("</svg>").expect("end")];
    assert!(svg.contains("web-01") && svg.contains("网上银行 Online bank"), "{svg}");
    assert!(svg.contains("impact-node start") && svg.contains(">hosts<"));
    assert!(impact.body.contains("Affected CIs"));
    let up = b.get(&format!("/cmdb/{}/impact?direction=up", app.id)).await;
    assert!(up.expect(200).body.contains(">runs on<"));

    // Removing the relationship.
    let page = b.get(&format!("/cmdb/{web}")).await;
    let marker = "id=\"remove-relation-";
    let at = page.body.find(marker).expect("a remove button") + marker.len();
    let rel: String = page.body[at..].chars().take_while(char::is_ascii_digit).collect();
    let csrf = page.csrf();
    b.post(&format!("/cmdb/{web}/relations/{rel}/remove"), &[("csrf", &csrf)])
        .await
        .redirects_to(&format!("/cmdb/{web}"));
    assert!(b.get(&format!("/cmdb/{web}")).await.body.contains("removed a relationship:"));
});

both_backends!(another_tenants_ci_and_its_impact_are_the_404_page, |store| async move {
    let env = start(&store).await;
    let w = &env.w;
    let theirs = ci(&store, &w.admin, w.tenant_b, "server", "globex-db", json!({})).await;
    let ours = ci(&store, &w.admin, w.tenant_a, "server", "acme-app", json!({})).await;
    let mut b = signed_in(&env, "agent.a", "en").await;
    b.get(&format!("/cmdb/{}", theirs.id)).await.expect(404);
    b.get(&format!("/cmdb/{}/impact", theirs.id)).await.expect(404);
    b.get(&format!("/cmdb/{}", ours.id)).await.expect(200);
    let list = b.get("/cmdb").await;
    assert!(list.body.contains("acme-app") && !list.body.contains("globex-db"));
    assert!(!list.body.contains("id=\"new-ci\""), "an agent does not create CIs");
    // Nor may an agent post the forms.
    let csrf = list.csrf();
    let res = b
        .post(&format!("/cmdb/{}", ours.id), &[("csrf", &csrf), ("version", "1"), ("name", "x"), ("status", "retired")])
        .await;
    assert_eq!(res.status, 403, "{}", res.body);
    b.get("/cmdb/new?class=server").await.expect(404);
    // The client's IT contact sees their organisation's CIs; an end user sees no CMDB.
    // The client's IT contact is offered the CMDB in the navigation; an end user is not.
    let mut it = signed_in(&env, "it.a", "en").await;
    it.get(&format!("/cmdb/{}", ours.id)).await.expect(200);
    it.get(&format!("/cmdb/{}", theirs.id)).await.expect(404);
    let list = it.get("/cmdb").await;
    assert!(list.expect(200).body.contains("id=\"nav-cmdb\""), "a client's IT contact has a link to the CMDB");
    let mut user = signed_in(&env, "user.a", "en").await;
    let refused = user.get("/cmdb").await;
    assert!(!refused.expect(404).body.contains("id=\"nav-cmdb\""), "an end user has none");
});

both_backends!(the_cmdb_speaks_chinese_and_shows_markup_in_names_as_text, |store| async move {
    let env = start(&store).await;
    let w = &env.w;
    let evil = "<script>alert(1)</script>";
    let server = ci(&store, &w.config_a, w.tenant_a, "server", evil, json!({"os": "kylin"})).await;
    let app = ci(&store, &w.config_a, w.tenant_a, "application", "门户", json!({})).await;
    relate(&store, &w.config_a, app.id, RelationKind::RunsOn, server.id).await.unwrap();
    let mut b = signed_in(&env, "config.a", "zh-CN").await;
    let list = b.get("/cmdb").await;
    assert!(list.expect(200).body.contains("配置项") && list.body.contains("服务器") && list.body.contains("在用"));
    let page = b.get(&format!("/cmdb/{}", server.id)).await;
    for text in ["操作系统", "麒麟", "承载", "变更历史", "编辑"] {
        assert!(page.body.contains(text), "{text}");
    }
    let impact = b.get(&format!("/cmdb/{}/impact", server.id)).await;
    assert!(impact.body.contains("会影响什么") && impact.body.contains(">承载<"));
    dump(&store, "zh-ci", &page);
    dump(&store, "zh-impact", &impact);
    for p in [&list, &page, &impact] {
        assert!(!p.body.contains(evil), "markup in a name is escaped");
        assert!(!p.body.contains(" style=\""), "no inline style: the pages keep the strict CSP");
        assert!(p.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "and shown as text");
    }
    // Switching language shows the English labels.
    let csrf = page.csrf();
    let back = format!("/cmdb/{}", server.id);
    b.post("/lang", &[("csrf", &csrf), ("lang", "en"), ("back", &back)]).await.redirects_to(&back);
    let page = b.get(&back).await;
    assert!(page.body.contains("Operating system") && page.body.contains("Kylin") && page.body.contains("hosts"));
});

both_backends!(a_wide_impact_collapses_into_more_boxes_that_expand, |store| async move {
    let env = start(&store).await;
    let w = &env.w;
    let switch = ci(&store, &w.admin, w.provider, "switch", "核心交换机 Core switch", json!({})).await;
    for i in 0..30 {
        let server = ci(&store, &w.config_a, w.tenant_a, "server", &format!("srv-{i:02}"), json!({})).await;
        relate(&store, &w.admin, server.id, RelationKind::ConnectsTo, switch.id).await.unwrap();
        for j in 0..2 {
            let app =
                ci(&store, &w.config_a, w.tenant_a, "application", &format!("应用 app-{i:02}-{j}"), json!({})).await;
            relate(&store, &w.config_a, app.id, RelationKind::RunsOn, server.id).await.unwrap();
        }
    }
    let mut b = signed_in(&env, "admin", "zh-CN").await;
    let page = b.get(&format!("/cmdb/{}/impact?direction=down&depth=2", switch.id)).await;
    page.expect(200);
    let svg = &page.body[page.body.find("<svg").expect("svg")..page.body.find("</svg>").expect("end")];
    assert_eq!(svg.matches("<rect").count(), 1 + 12 + 12, "eleven and one box for the rest, per level");
    assert!(svg.contains("另外 19 个") && svg.contains("另外 49 个"), "{svg}");
    assert!(svg.contains(&format!("/cmdb/{}/impact?direction=down", switch.id)) && svg.contains("expand=1\""));
    assert_eq!(page.body.matches("class=\"impact-path\"").count(), 90, "the list names every CI");
    let wide = b.get(&format!("/cmdb/{}/impact?direction=down&depth=2&expand=1", switch.id)).await;
    let svg = &wide.body[wide.body.find("<svg").expect("svg")..wide.body.find("</svg>").expect("end")];
    assert_eq!(svg.matches("<rect").count(), 1 + 30 + 12);
    // The list: pages of fifty by name, filters by class, status and words.
    let first = b.get("/cmdb").await;
    assert_eq!(first.body.matches("<tr data-href=").count(), 50);
    let marker = "id=\"next-page\"";
    assert!(first.body.contains(marker));
    let at = first.body.find("&#38;after=").or_else(|| first.body.find("&amp;after=")).expect("a next page link");
    let after: String = first.body[at..].split('=').nth(1).unwrap().chars().take_while(char::is_ascii_digit).collect();
    let second = b.get(&format!("/cmdb?after={after}")).await;
    assert_eq!(second.body.matches("<tr data-href=").count(), 91 - 50);
    assert!(!second.body.contains(marker));
    let servers = b.get("/cmdb?class=server&status=in_service").await;
    assert_eq!(servers.body.matches("<tr data-href=").count(), 30);
    let one = b.get("/cmdb?q=srv-07").await;
    assert_eq!(one.body.matches("<tr data-href=").count(), 1, "{}", one.body);
    assert_eq!(b.get("/cmdb?status=retired").await.body.matches("<tr data-href=").count(), 0);
    if let Ok(dir) = std::env::var("CMDB_UI_DUMP") {
        let backend = if store.url.starts_with("postgres") { "pg" } else { "sqlite" };
        for (name, p) in [("impact.html", &page), ("impact_wide.html", &wide)] {
            std::fs::write(format!("{dir}/{}-{name}", backend), &p.body).unwrap();
        }
        let ci_page = b.get(&format!("/cmdb/{}", switch.id)).await;
        std::fs::write(format!("{dir}/{}-ci.html", backend), &ci_page.body).unwrap();
        let list = b.get("/cmdb").await;
        std::fs::write(format!("{dir}/{}-list.html", backend), &list.body).unwrap();
    }
});

both_backends!(a_configuration_manager_edits_classes_and_relationship_rules, |store| async move {
    let env = start(&store).await;
    let mut b = signed_in(&env, "config.a", "en").await;
    let list = b.get("/admin/cmdb/classes").await;
    assert!(list.expect(200).body.contains(">server<"));
    // A new class, then an enumeration attribute added on its page.
    let csrf = list.csrf();
    let refused = b
        .post(
            "/admin/cmdb/classes",
            &[("csrf", &csrf), ("code", "Bad Code"), ("name_zh", "不间断电源"), ("name_en", "UPS")],
        )
        .await;
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-code\"") && refused.body.contains("value=\"不间断电源\""));
    let created = b
        .post("/admin/cmdb/classes", &[("csrf", &csrf), ("code", "ups"), ("name_zh", "不间断电源"), ("name_en", "UPS")])
        .await;
    created.expect(303);
    let at = created.location().to_string();
    let page = b.get(&at).await;
    let (csrf, version) = (page.csrf(), page.version());
    let enum_row = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("name_zh", "不间断电源"),
        ("name_en", "UPS"),
        ("active", "1"),
        ("rows", "1"),
        ("a0.new", "1"),
        ("a0.code", "phase"),
        ("a0.name_zh", "相数"),
        ("a0.name_en", "Phases"),
        ("a0.kind", "enum"),
        ("a0.options", ""),
    ];
    let refused = b.post(&at, &enum_row).await;
    dump(&store, "class-refused", &refused);
    refused.expect(422);
    assert!(refused.body.contains("id=\"err-row-0\"") && refused.body.contains("value=\"phase\""), "{}", refused.body);
    let mut good = enum_row.to_vec();
    good.retain(|(k, _)| *k != "a0.options");
    good.push(("a0.options", "single=单相/Single phase\nthree=三相/Three phase"));
    b.post(&at, &good).await.redirects_to(&at);
    let page = b.get(&at).await;
    assert!(page.body.contains("three=三相/Three phase"));
    // The class is offered for a new CI with its attribute.
    let form = b.get("/cmdb/new?class=ups").await;
    assert!(form.expect(200).body.contains("Three phase") && form.body.contains("Phases"));

    // Rules: allow a UPS to be contained in a rack, forbid it again.
    let rules = b.get("/admin/cmdb/rules").await;
    let csrf = rules.csrf();
    let allow = [("csrf", csrf.as_str()), ("source", "ups"), ("kind", "uses"), ("target", "storage"), ("allow", "1")];
    b.post("/admin/cmdb/rules", &allow).await.redirects_to("/admin/cmdb/rules");
    let rules = b.get("/admin/cmdb/rules").await;
    dump(&store, "rules", &rules);
    assert!(rules.body.contains("<td>UPS</td><td>uses</td>"), "{}", rules.body);
    let forbid = [("csrf", csrf.as_str()), ("source", "ups"), ("kind", "uses"), ("target", "storage"), ("allow", "0")];
    b.post("/admin/cmdb/rules", &forbid).await.redirects_to("/admin/cmdb/rules");
    assert!(!b.get("/admin/cmdb/rules").await.body.contains("<td>UPS</td>"));

    // In Chinese.
    let csrf = b.get("/admin/cmdb/classes").await.csrf();
    b.post("/lang", &[("csrf", &csrf), ("lang", "zh-CN"), ("back", &at)]).await.redirects_to(&at);
    let page = b.get(&at).await;
    dump(&store, "zh-class", &page);
    for text in ["属性", "中文名称", "选项", "单相", "必填", "唯一", "关联类别"] {
        assert!(page.body.contains(text), "{text}");
    }

    // An agent may not.
    let mut agent = signed_in(&env, "agent.a", "en").await;
    agent.get("/admin/cmdb/classes").await.expect(403);
    agent.get("/admin/cmdb/rules").await.expect(403);
});

both_backends!(tickets_naming_a_ci_show_on_its_page_and_in_its_impact, |store| async move {
    let env = start(&store).await;
    let w = &env.w;
    let server = ci(&store, &w.config_a, w.tenant_a, "server", "db-host", json!({})).await;
    let app = ci(&store, &w.config_a, w.tenant_a, "application", "ERP", json!({})).await;
    relate(&store, &w.config_a, app.id, RelationKind::RunsOn, server.id).await.unwrap();
    let mut tx = store.write().await.unwrap();
    yunwei_cmdb::store::work::link(&mut tx, "ticket", 1, w.tenant_a, "INC-0001", "ERP 打不开", true, &[app.id])
        .await
        .unwrap();
    yunwei_cmdb::store::work::link(&mut tx, "ticket", 2, w.tenant_a, "INC-0000", "ERP slow", false, &[app.id])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut b = signed_in(&env, "agent.a", "en").await;
    let page = b.get(&format!("/cmdb/{}", app.id)).await;
    let open = &page.body[page.body.find("id=\"open-work\"").expect("open tickets")..];
    assert!(open.starts_with("id=\"open-work\"") && open.contains("href=\"/console/tickets/INC-0001\""));
    let past = &page.body[page.body.find("id=\"past-work\"").expect("earlier tickets")..];
    assert!(past.contains("INC-0000") && !past.contains("INC-0001"));
    let impact = b.get(&format!("/cmdb/{}/impact", server.id)).await;
    let svg = &impact.body[impact.body.find("<svg").expect("svg")..impact.body.find("</svg>").expect("end")];
    assert!(svg.contains(">1 open<"), "{svg}");
    let tickets = &impact.body[impact.body.find("id=\"affected-tickets\"").expect("tickets")..];
    assert!(tickets.contains("/console/tickets/INC-0001") && !tickets.contains("INC-0000"));
    // The client's IT contact sees the CIs but not the provider's tickets.
    let mut it = signed_in(&env, "it.a", "en").await;
    let page = it.get(&format!("/cmdb/{}", app.id)).await;
    assert!(page.expect(200).body.contains("No tickets name this CI.") && !page.body.contains("INC-0001"));
});
