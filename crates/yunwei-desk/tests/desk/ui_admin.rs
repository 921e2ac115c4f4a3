//! The dashboard and the administration pages over HTTP against a real server, on SQLite and
//! PostgreSQL: SVG charts with the right counts and links, who may open the admin pages, users
//! created and disabled through the forms, the priority matrix's rules and stale versions.

use yunwei_db::both_backends;

use crate::common::*;

fn count_of(body: &str, class: &str, date: &str) -> i64 {
    let marker = format!("class=\"bar-link {class}\" data-date=\"{date}\" data-count=\"");
    let start = body.find(&marker).map(|i| i + marker.len()).unwrap_or_else(|| panic!("no {class} bar for {date}"));
    body[start..body[start..].find('"').unwrap() + start].parse().unwrap()
}

both_backends!(the_dashboard_draws_svg_charts_with_the_right_counts_and_links, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await.redirects_to("/");
    report(&mut user, "打印机卡纸").await;
    report(&mut user, "网络断开").await;
    // End users have no dashboard.
    user.get("/console/dashboard").await.expect(404);

    let mut lead = Browser::new(&env.base, "en");
    lead.login("admin", PASSWORD).await.redirects_to("/");
    let page = lead.get("/console/dashboard").await;
    let body = &page.expect(200).body.replace("&#38;", "&").replace("&amp;", "&");
    assert!(body.contains("<svg class=\"chart hchart\""), "server-drawn SVG");
    assert!(body.contains("id=\"open-total\">2<"), "two open tickets");
    assert!(body.contains("id=\"created-total\">2<"));
    // Both are unprioritised portal reports with the default priority; the bar links to the queue.
    let mut tx = store.read().await.unwrap();
    let f = yunwei_desk::store::tickets::TicketFilter { limit: 10, ..Default::default() };
    let list = yunwei_desk::store::tickets::list(&mut tx, &env.w.admin, &f).await.unwrap();
    drop(tx);
    let p = list.tickets[0].priority;
    assert!(body.contains(&format!("href=\"/console?queue=open&priority={p}\"")), "priority link");
    let label = ["Critical", "High", "Medium", "Low"][p as usize - 1];
    assert!(body.contains(&format!("<title>{label}: 2</title>")), "the bar counts both");
    // Today (in the viewer's zone) has two created tickets, and its bar links to that day.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let today = today.strftime("%Y-%m-%d").to_string();
    assert_eq!(count_of(body, "day-created", &today), 2);
    assert_eq!(count_of(body, "day-resolved", &today), 0);
    let link = format!("/console?queue=all&created_from={today}&created_to={today}&sort=-created_at");
    assert!(body.contains(&link), "day link");
    let q = lead.get(&link).await;
    assert!(q.expect(200).body.contains("打印机卡纸") && q.body.contains("网络断开"), "the linked queue lists them");
    let yesterday = lead.get(&link.replace(&today, "2000-01-01")).await;
    assert!(!yesterday.expect(200).body.contains("打印机卡纸"), "another day lists nothing");
    // The agent sees the dashboard of their scope too.
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await.redirects_to("/");
    assert!(agent.get("/console/dashboard").await.expect(200).body.contains("id=\"open-total\">2<"));
});

both_backends!(only_administrators_open_the_admin_pages, |store| async move {
    let env = start(&store).await;
    for login in ["agent", "user.a"] {
        let mut b = Browser::new(&env.base, "en");
        b.login(login, PASSWORD).await.redirects_to("/");
        for path in ["/admin/users", "/admin/matrix", &format!("/admin/users/{}", env.w.admin.user_id)] {
            b.get(path).await.expect(403);
        }
        let csrf = b.csrf("/account").await;
        b.post("/admin/matrix", &[("csrf", &csrf), ("version", "0")]).await.expect(403);
        b.post("/admin/users", &[("csrf", &csrf), ("login", "x.y")]).await.expect(403);
    }
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    admin.get("/admin/users").await.expect(200);
    // A form without the CSRF token is refused.
    admin.post("/admin/matrix", &[("version", "0")]).await.expect(403);
});

both_backends!(each_admin_page_names_its_own_things, |store| async move {
    let env = start(&store).await;
    for (lang, user_words, thing_words) in [
        ("zh-CN", ["创建用户", "姓名"], ["创建支持组", "创建单位", "创建地点", "名称"]),
        ("en", ["Create user", "Name"], ["Create group", "Create organisation", "Create location", "Name"]),
    ] {
        let mut admin = Browser::new(&env.base, lang);
        admin.login("admin", PASSWORD).await.redirects_to("/");
        admin.speak(lang).await;
        let users = admin.get("/admin/users").await;
        assert!(user_words.iter().all(|w| users.expect(200).body.contains(w)), "{lang} users page");
        for (path, create) in [("/admin/groups", 0), ("/admin/tenants", 1), ("/admin/locations", 2)] {
            let page = admin.get(path).await;
            let page = &page.expect(200).body;
            assert!(page.contains(thing_words[create]), "{lang} {path}");
            assert!(path.ends_with("locations") || page.contains(thing_words[3]), "{lang} {path} names");
            assert!(!page.contains(user_words[0]), "{lang} {path} offers to create a user");
            if lang == "zh-CN" {
                assert!(!page.contains("姓名"), "{path} calls a name of a thing a person's name");
            }
        }
    }
});

both_backends!(an_admin_creates_and_disables_a_user_who_then_cannot_log_in, |store| async move {
    let env = start(&store).await;
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = admin.csrf("/admin/users").await;
    let l1 = env.w.l1.to_string();
    let group = format!("group_{l1}");
    let serve = format!("serve_{}", env.w.tenant_a);
    let fields = [
        ("csrf", csrf.as_str()),
        ("login", "zhao.lei"),
        ("password", "new-user-pass"),
        ("name", "赵磊"),
        ("role", "agent"),
        ("tenant_id", "1"),
        (group.as_str(), "1"),
        (serve.as_str(), "1"),
    ];
    // A short password is refused beside the field, nothing is created.
    let mut short = fields;
    short[2].1 = "short";
    let res = admin.post("/admin/users", &short).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("id=\"err-password\">must be at least 8 characters"), "{}", res.body);
    let res = admin.post("/admin/users", &fields).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let path = res.location().to_string();
    // The same login again: the duplicate shows beside the login field.
    let res = admin.post("/admin/users", &fields).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("id=\"err-login\">this login is already taken"));

    let mut tx = store.read().await.unwrap();
    let id: i64 = path.trim_start_matches("/admin/users/").parse().unwrap();
    let u = yunwei_org::users::get(&mut tx, &env.w.admin, id).await.unwrap();
    assert_eq!(
        (u.user.role.as_str(), u.groups.clone(), u.served_tenants.clone()),
        ("agent", vec![env.w.l1], vec![env.w.tenant_a])
    );
    drop(tx);

    let mut zhao = Browser::new(&env.base, "zh-CN");
    zhao.login("zhao.lei", "new-user-pass").await.redirects_to("/");
    zhao.get("/console").await.expect(200);

    let page = admin.get(&path).await;
    let version = page.expect(200).version();
    let csrf = page.csrf();
    admin
        .post(&format!("{path}/active"), &[("csrf", &csrf), ("version", &version), ("active", "0")])
        .await
        .redirects_to(&path);
    assert!(admin.get(&path).await.body.contains("id=\"disabled-badge\""));
    // Their session ended, and they can no longer log in.
    zhao.get("/console").await.redirects_to("/login?next=%2Fconsole");
    let mut again = Browser::new(&env.base, "zh-CN");
    let res = again.login("zhao.lei", "new-user-pass").await;
    assert_ne!(res.status, 303, "a disabled user is refused");

    // Reset the password and enable again: the new password works.
    let page = admin.get(&path).await;
    let (csrf, version) = (page.csrf(), page.version());
    admin.post(&format!("{path}/password"), &[("csrf", &csrf), ("password", "reset-pass-1")]).await.redirects_to(&path);
    admin
        .post(&format!("{path}/active"), &[("csrf", &csrf), ("version", &version), ("active", "1")])
        .await
        .redirects_to(&path);
    again.login("zhao.lei", "reset-pass-1").await.redirects_to("/");
});

both_backends!(a_refusal_is_worded_from_its_code_in_the_viewers_language, |store| async move {
    let env = start(&store).await;
    let mut admin = Browser::new(&env.base, "zh-CN");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = admin.csrf("/admin/users").await;
    let long_name = "名".repeat(201);
    let user = |login: &'static str, name: &str| {
        [
            ("csrf", csrf.clone()),
            ("login", login.into()),
            ("password", "new-user-pass".into()),
            ("name", name.into()),
            ("role", "agent".into()),
        ]
    };
    let post = async |admin: &mut Browser, fields: [(&'static str, String); 5]| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        admin.post("/admin/users", &fields).await
    };
    post(&mut admin, user("wang.fang", "王芳")).await.expect(303);
    let english = ["this login is already taken", "must be at most", "characters"];

    // In Chinese: the organisation's own problem (a duplicate login) and the platform's (too long).
    let taken = post(&mut admin, user("wang.fang", "王芳")).await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("id=\"err-login\">该登录名已被使用</p>"), "{}", taken.body);
    let long = post(&mut admin, user("wang.fang2", &long_name)).await;
    assert_eq!(long.status, 422, "{}", long.body);
    assert!(long.body.contains("id=\"err-name\">不能超过 200 个字符</p>"), "{}", long.body);
    for page in [&taken, &long] {
        for sentence in english {
            assert!(!page.body.contains(sentence), "English {sentence:?} on a Chinese page: {}", page.body);
        }
    }

    // The same refusals for a viewer who reads English.
    let mut tx = store.write().await.unwrap();
    yunwei_db::preferences::set_locale(&mut tx, &env.w.admin, "en").await.unwrap();
    tx.commit().await.unwrap();
    let taken = post(&mut admin, user("wang.fang", "王芳")).await;
    assert!(taken.body.contains("id=\"err-login\">this login is already taken</p>"), "{}", taken.body);
    let long = post(&mut admin, user("wang.fang2", &long_name)).await;
    assert!(long.body.contains("id=\"err-name\">must be at most 200 characters</p>"), "{}", long.body);
    assert!(!long.body.contains("不能超过") && !taken.body.contains("已被使用"), "{}", long.body);
});

both_backends!(a_non_monotone_matrix_is_refused_and_a_stale_version_shows_a_conflict, |store| async move {
    let env = start(&store).await;
    let _ = &env.w;
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let page = admin.get("/admin/matrix").await;
    let (csrf, version) = (page.expect(200).csrf(), page.version());
    assert_eq!(version, "0");
    let default = [[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]];
    let post = |cells: [[i32; 4]; 4], version: String| {
        let mut f: Vec<(String, String)> = vec![("csrf".into(), csrf.clone()), ("version".into(), version)];
        for (i, row) in cells.iter().enumerate() {
            for (u, p) in row.iter().enumerate() {
                f.push((format!("c{}{}", i + 1, u + 1), p.to_string()));
            }
        }
        f
    };
    let as_refs = |f: &Vec<(String, String)>| f.iter().map(|(a, b)| (a.clone(), b.clone())).collect::<Vec<_>>();
    // Impact 2 / urgency 1 more severe... a lower impact row giving a higher priority: refused.
    let mut bad = default;
    bad[1][0] = 4;
    let f = as_refs(&post(bad, version.clone()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let res = admin.post("/admin/matrix", &refs).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("id=\"err-matrix\""), "{}", res.body);
    assert!(res.body.contains("class=\"bad\""), "the cell is marked");
    let mut tx = store.read().await.unwrap();
    assert_eq!(
        yunwei_desk::store::matrix::get(&mut tx).await.unwrap().cells,
        [[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]]
    );
    assert_eq!(yunwei_db::settings::version(&mut tx, "priority_matrix").await.unwrap(), 0, "nothing changed");
    drop(tx);

    // A valid change is saved.
    let mut good = default;
    good[3][3] = 4;
    good[0][2] = 1;
    let f = as_refs(&post(good, version.clone()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    admin.post("/admin/matrix", &refs).await.redirects_to("/admin/matrix");
    let mut tx = store.read().await.unwrap();
    assert_eq!(yunwei_desk::store::matrix::get(&mut tx).await.unwrap().cells[0][2], 1);
    drop(tx);

    // The same form again, at the version it was loaded: a conflict, nothing changed.
    let mut other = default;
    other[0][3] = 2;
    let f = as_refs(&post(other, version.clone()));
    let refs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let res = admin.post("/admin/matrix", &refs).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("id=\"form-error\">Someone else changed this"), "{}", res.body);
    let mut tx = store.read().await.unwrap();
    let m = yunwei_desk::store::matrix::get(&mut tx).await.unwrap();
    assert_eq!((m.cells[0][2], m.cells[0][3]), (1, 3));
    drop(tx);

    // A stale user form shows the conflict too.
    let path = format!("/admin/users/{}", env.w.agent.user_id);
    let page = admin.get(&path).await;
    let (csrf, version) = (page.csrf(), page.version());
    admin
        .post(&format!("{path}/active"), &[("csrf", &csrf), ("version", &version), ("active", "0")])
        .await
        .redirects_to(&path);
    let res = admin.post(&path, &[("csrf", &csrf), ("version", &version), ("name", "改名"), ("role", "agent")]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("id=\"form-error\""));
    assert!(!res.body.contains("改名"), "the latest version is shown");
    let fresh = res.version();
    assert_ne!(fresh, version);
    let res = admin.post(&path, &[("csrf", &csrf), ("version", &fresh), ("name", "改名"), ("role", "agent")]).await;
    res.redirects_to(&path);
    assert!(admin.get(&path).await.body.contains("改名"));
});

both_backends!(an_admin_manages_tenants_and_groups_through_the_forms, |store| async move {
    let env = start(&store).await;
    let mut admin = Browser::new(&env.base, "zh-CN");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = admin.csrf("/admin/tenants").await;
    admin
        .post("/admin/tenants", &[("csrf", &csrf), ("code", "NEWCO"), ("name", "艾克米医院")])
        .await
        .redirects_to("/admin/tenants");
    // The same code again: refused beside the code field, in Chinese.
    let res = admin.post("/admin/tenants", &[("csrf", &csrf), ("code", "NEWCO"), ("name", "又一个")]).await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.body.contains("id=\"err-code\">已有使用此代码的单位"), "{}", res.body);
    let mut tx = store.read().await.unwrap();
    let t = yunwei_org::tenants::by_code_unscoped(&mut tx, "NEWCO").await.unwrap();
    drop(tx);
    let path = format!("/admin/tenants/{}", t.id);
    let v = t.version.to_string();
    admin
        .post(&path, &[("csrf", &csrf), ("version", &v), ("name", "艾克米 Acme"), ("active", "0")])
        .await
        .redirects_to("/admin/tenants");
    // A second post from the same (now stale) page: a conflict, nothing changed.
    let res = admin.post(&path, &[("csrf", &csrf), ("version", &v), ("name", "旧名"), ("active", "1")]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("id=\"form-error\""));
    let mut tx = store.read().await.unwrap();
    let t = yunwei_org::tenants::by_code_unscoped(&mut tx, "NEWCO").await.unwrap();
    assert_eq!((t.name.as_str(), t.active), ("艾克米 Acme", false));
    drop(tx);

    // Groups: create, then change tier and members.
    admin
        .post("/admin/groups", &[("csrf", &csrf), ("name", "机房 Data Centre"), ("tier", "2")])
        .await
        .redirects_to("/admin/groups");
    let res = admin.post("/admin/groups", &[("csrf", &csrf), ("name", "新组"), ("tier", "7")]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"err-tier\">须为 L1、L2 或 L3"), "{}", res.body);
    let mut tx = store.read().await.unwrap();
    let g = yunwei_org::groups::list(&mut tx, &env.w.admin).await.unwrap();
    let g = g.into_iter().find(|g| g.group.name == "机房 Data Centre").expect("created");
    drop(tx);
    let path = format!("/admin/groups/{}", g.group.id);
    let page = admin.get(&path).await;
    let version = page.expect(200).version();
    let member = format!("member_{}", env.w.engineer.user_id);
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("name", "机房 Data Centre"),
        ("tier", "3"),
        ("active", "1"),
        (member.as_str(), "1"),
    ];
    admin.post(&path, &fields).await.redirects_to(&path);
    let mut tx = store.read().await.unwrap();
    let g = yunwei_org::groups::get(&mut tx, &env.w.admin, g.group.id).await.unwrap();
    assert_eq!((g.group.tier, g.members.clone()), (3, vec![env.w.engineer.user_id]));
    drop(tx);
    // An end user cannot be a member: the store's refusal shows beside the members.
    let bad = format!("member_{}", env.w.user_a.user_id);
    let v2 = g.group.version.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", v2.as_str()),
        ("name", "机房 Data Centre"),
        ("tier", "3"),
        ("active", "1"),
        (bad.as_str(), "1"),
    ];
    let res = admin.post(&path, &fields).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"err-members\""), "{}", res.body);
});

both_backends!(an_admin_adds_a_location_and_changes_its_responsible_group, |store| async move {
    let env = start(&store).await;
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = admin.csrf("/admin/locations").await;
    let (tenant, l1, l2) = (env.w.tenant_b.to_string(), env.w.l1.to_string(), env.w.l2.to_string());
    let fields = [
        ("csrf", csrf.as_str()),
        ("tenant_id", tenant.as_str()),
        ("group", l1.as_str()),
        ("building", "门诊楼"),
        ("floor", "2"),
        ("room", "201"),
    ];
    admin.post("/admin/locations", &fields).await.redirects_to("/admin/locations");
    let mut tx = store.read().await.unwrap();
    let all = yunwei_org::locations::list(&mut tx, &env.w.admin, Some(env.w.tenant_b)).await.unwrap();
    let loc = all.into_iter().find(|l| l.room == "201").expect("created");
    drop(tx);
    assert_eq!(loc.responsible_group_id, Some(env.w.l1));
    let path = format!("/admin/locations/{}", loc.id);
    let v = loc.version.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("group", l2.as_str()),
        ("building", "门诊楼"),
        ("floor", "2"),
        ("room", "201"),
        ("active", "1"),
    ];
    admin.post(&path, &fields).await.redirects_to("/admin/locations");
    // The same stale form again: a conflict.
    let res = admin.post(&path, &fields).await;
    assert_eq!(res.status, 409);
    let mut tx = store.read().await.unwrap();
    let loc = yunwei_org::locations::get(&mut tx, &env.w.admin, loc.id).await.unwrap();
    assert_eq!(loc.responsible_group_id, Some(env.w.l2));
});

both_backends!(an_admin_adds_moves_and_disables_a_category, |store| async move {
    let env = start(&store).await;
    let _ = &env.w;
    let mut admin = Browser::new(&env.base, "zh-CN");
    admin.login("admin", PASSWORD).await.redirects_to("/");
    let csrf = admin.csrf("/admin/categories").await;
    let mut tx = store.read().await.unwrap();
    let all = yunwei_desk::store::categories::list(&mut tx).await.unwrap();
    drop(tx);
    let tops: Vec<_> = all.iter().filter(|c| c.parent_id.is_none()).collect();
    let (a, b) = (tops[0].id.to_string(), tops[1].id.to_string());
    let fields = [
        ("csrf", csrf.as_str()),
        ("parent", a.as_str()),
        ("code", "LABEL-PRINTER"),
        ("name_zh", "标签打印机"),
        ("name_en", "Label printer"),
    ];
    admin.post("/admin/categories", &fields).await.redirects_to("/admin/categories");
    let mut tx = store.read().await.unwrap();
    let c = yunwei_desk::store::categories::list(&mut tx)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.code == "LABEL-PRINTER")
        .unwrap();
    drop(tx);
    let path = format!("/admin/categories/{}", c.id);
    let v = c.version.to_string();
    // Moved under the other top-level category, renamed and disabled in one form.
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", v.as_str()),
        ("parent", b.as_str()),
        ("name_zh", "条码打印机"),
        ("name_en", "Barcode printer"),
        ("active", "0"),
    ];
    admin.post(&path, &fields).await.redirects_to("/admin/categories");
    // Putting a top-level category under its own child: refused, in Chinese.
    let child = c.id.to_string();
    let parent = tops[1];
    let pv = parent.version.to_string();
    let fields = [
        ("csrf", csrf.as_str()),
        ("version", pv.as_str()),
        ("parent", child.as_str()),
        ("name_zh", parent.name_zh.as_str()),
        ("name_en", parent.name_en.as_str()),
        ("active", "1"),
    ];
    let res = admin.post(&format!("/admin/categories/{}", parent.id), &fields).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("分类不能放在自己"), "{}", res.body);
    let mut tx = store.read().await.unwrap();
    let c = yunwei_desk::store::categories::get(&mut tx, c.id).await.unwrap();
    assert_eq!((c.parent_id, c.name_zh.as_str(), c.active), (Some(parent.id), "条码打印机", false));
    assert_eq!(yunwei_desk::store::categories::get(&mut tx, parent.id).await.unwrap().parent_id, None);
});
