//! The web UI against a real server on 127.0.0.1, once on SQLite and once on PostgreSQL:
//! login and sessions, CSRF and Origin checks, the login slow-down, language and time zone,
//! and what each person may see. (The browser tests in `tests/e2e` walk the whole story.)

use yunwei_db::both_backends;

use crate::common::*;

both_backends!(the_login_page_follows_the_browser_language_and_the_users_choice_is_remembered, |store| async move {
    let env = start(&store).await;
    let mut en = Browser::new(&env.base, "en-GB,en;q=0.9,zh-CN;q=0.5");
    assert!(en.get("/login").await.expect(200).body.contains("<html lang=\"en\""));
    let mut zh = Browser::new(&env.base, "zh-CN,zh;q=0.9");
    assert!(zh.get("/login").await.expect(200).body.contains("<html lang=\"zh-CN\""));

    // First login: the browser's language becomes the user's (World users start as zh-CN).
    en.login("user.a", PASSWORD).await.redirects_to("/");
    en.get("/").await.redirects_to("/portal");
    let portal = en.get("/portal").await;
    assert!(portal.expect(200).body.contains("My tickets"), "English portal");

    // Later logins use the stored language, whatever the browser says.
    let mut later = Browser::new(&env.base, "zh-CN");
    later.login("user.a", PASSWORD).await.redirects_to("/");
    assert!(later.get("/portal").await.body.contains("<html lang=\"en\""));

    // Switching language is remembered for the user.
    let csrf = later.csrf("/portal").await;
    later.post("/lang", &[("csrf", &csrf), ("lang", "zh-CN"), ("back", "/portal")]).await.redirects_to("/portal");
    assert!(later.get("/portal").await.body.contains("我的工单"));
    assert!(en.get("/portal").await.body.contains("<html lang=\"zh-CN\""), "every session of the user follows");
    let mut tx = store.read().await.unwrap();
    let u = yunwei_org::users::get(&mut tx, &env.w.user_a, env.w.user_a.user_id).await.unwrap();
    assert_eq!(u.user.locale, "zh-CN");

    // A visitor who is not signed in gets a cookie, and an off-site "back" is not followed.
    let mut anon = Browser::new(&env.base, "zh-CN");
    let csrf = anon.csrf("/login").await;
    anon.post("/lang", &[("csrf", &csrf), ("lang", "en"), ("back", "https://evil.example/")]).await.redirects_to("/");
    assert!(anon.get("/login").await.body.contains("<html lang=\"en\""));
});

both_backends!(the_session_cookie_is_http_only_and_lax_secure_behind_https_and_ends_at_logout, |store| async move {
    let env = start(&store).await;
    let mut b = Browser::new(&env.base, "en");
    let res = b.login("agent", PASSWORD).await;
    let cookie = res.headers.get_all("set-cookie").iter().find_map(|c| {
        let c = c.to_str().ok()?;
        c.starts_with("yw_session=").then(|| c.to_string())
    });
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
    b.get("/").await.redirects_to("/console");
    assert!(b.get("/console").await.expect(200).body.contains("Unassigned"));

    let mut tls = Browser::new(&env.base, "en");
    tls.extra.push(("x-forwarded-proto".into(), "https".into()));
    let res = tls.login("engineer", PASSWORD).await;
    let cookie =
        res.headers.get_all("set-cookie").iter().filter_map(|c| c.to_str().ok()).find(|c| c.starts_with("yw_session="));
    assert!(cookie.expect("cookie").contains("; Secure"));

    let stolen = b.cookies.clone();
    let csrf = b.csrf("/console").await;
    b.post("/logout", &[("csrf", &csrf)]).await.redirects_to("/login");
    b.get("/console").await.redirects_to("/login?next=%2Fconsole");
    // The old cookie is worth nothing after logout.
    let mut replay = Browser::new(&env.base, "en");
    replay.cookies = stolen;
    replay.get("/console/new").await.redirects_to("/login?next=%2Fconsole%2Fnew");
});

both_backends!(
    forms_without_the_session_token_or_from_another_site_are_refused_and_change_nothing,
    |store| async move {
        let env = start(&store).await;
        let mut b = Browser::new(&env.base, "en");
        // Login itself needs the pre-login token.
        b.get("/login").await.expect(200);
        let res = b.post("/login", &[("login", "user.a"), ("password", PASSWORD)]).await;
        assert_eq!(res.status, 403);
        assert!(res.body.contains("This form has expired"));
        let res = b.post("/login", &[("csrf", "forged"), ("login", "user.a"), ("password", PASSWORD)]).await;
        assert_eq!(res.status, 403);
        b.login("user.a", PASSWORD).await.redirects_to("/");

        let fields = [("type", "incident"), ("title", "should not exist")];
        b.post("/portal/new", &fields).await.expect(403);
        let csrf = b.csrf("/portal/new").await;
        let mut with_token = vec![("csrf", csrf.as_str())];
        with_token.extend(fields);
        b.extra.push(("origin".into(), "http://evil.example".into()));
        let res = b.post("/portal/new", &with_token).await;
        assert_eq!(res.status, 403, "another origin is refused even with the token");
        assert!(res.body.contains("another website"));
        b.extra.clear();
        let ours = env.base.clone();
        b.extra.push(("origin".into(), ours));
        b.post("/portal/new", &[("csrf", "x".repeat(64).as_str()), ("title", "nope")]).await.expect(403);
        let mut tx = store.read().await.unwrap();
        let page = yunwei_desk::store::tickets::list(
            &mut tx,
            &env.w.admin,
            &yunwei_desk::store::tickets::TicketFilter { limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
        assert!(page.tickets.is_empty(), "no refused form created a ticket");
        drop(tx);
        // Same origin and the right token: accepted.
        b.post("/portal/new", &with_token).await.expect(303);
    }
);

both_backends!(repeated_failed_logins_answer_429_and_say_when_to_try_again, |store| async move {
    let env = start(&store).await;
    let mut b = Browser::new(&env.base, "en");
    for _ in 0..4 {
        let res = b.login("agent", "wrong password").await;
        assert_eq!(res.status, 401);
        assert!(res.body.contains("not right"));
        assert!(res.body.contains("value=\"agent\""), "the login is kept in the form");
    }
    let res = b.login("agent", "wrong password").await;
    assert_eq!(res.status, 429, "{}", res.body);
    let retry: i64 = res.header("retry-after").parse().expect("Retry-After in seconds");
    assert!((50..=60).contains(&retry), "{retry}");
    assert!(res.body.contains("Try again after") && res.body.contains("min"), "{}", res.body);
    // Even the right password waits now.
    let res = b.login("agent", PASSWORD).await;
    assert_eq!(res.status, 429);
    // In Chinese too.
    let mut zh = Browser::new(&env.base, "zh-CN");
    let res = zh.login("agent", PASSWORD).await;
    assert_eq!(res.status, 429);
    assert!(res.body.contains("请在") && res.body.contains("之后"), "{}", res.body);
});

both_backends!(people_see_only_their_own_scope_and_everything_else_is_a_friendly_404, |store| async move {
    let env = start(&store).await;
    let mut a = Browser::new(&env.base, "en");
    a.login("user.a", PASSWORD).await;
    let number = report(&mut a, "Printer on floor 3 jams").await;
    assert_eq!(number, "INC-000001");
    let page = a.get(&format!("/portal/tickets/{number}")).await;
    assert!(page.expect(200).body.contains("Printer on floor 3 jams"));
    assert!(page.body.contains("Your ticket has been logged"), "flash after the redirect");
    assert!(!a.get(&format!("/portal/tickets/{number}")).await.body.contains("has been logged"), "shown once");

    // Another tenant's user, and an end user in the console: the 404 page, not the ticket.
    let mut b = Browser::new(&env.base, "en");
    b.login("user.b", PASSWORD).await;
    for path in
        [format!("/portal/tickets/{number}"), "/portal/tickets/1".into(), format!("/portal/tickets/{number}/files/1")]
    {
        let res = b.get(&path).await;
        assert_eq!(res.status, 404, "{path}");
        assert!(res.body.contains("Page not found") && !res.body.contains("floor 3"), "{path}: {}", res.body);
    }
    let res = a.get("/console").await;
    assert_eq!(res.status, 404, "end users have no console");
    let res = a.get("/console/tickets/INC-000001").await;
    assert_eq!(res.status, 404);
    let res = a.get("/no/such/page").await;
    assert_eq!(res.status, 404);
    assert!(res.header("content-type").starts_with("text/html") && res.body.contains("Page not found"));
    // Tenant A's agent and B's ticket.
    let number_b = report(&mut b, "Globex VPN is down").await;
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await;
    assert_eq!(agent.get(&format!("/console/tickets/{number_b}")).await.status, 404);
    let queue = agent.get("/console?queue=open").await;
    assert!(queue.body.contains("Printer on floor 3") && !queue.body.contains("Globex VPN"));

    // An internal note never reaches the requester.
    let page = agent.get(&format!("/console/tickets/{number}")).await.expect(200).csrf();
    agent
        .post(
            &format!("/console/tickets/{number}/comment"),
            &[("csrf", &page), ("visibility", "internal"), ("body", "caller sounded annoyed")],
        )
        .await
        .redirects_to(&format!("/console/tickets/{number}"));
    assert!(agent.get(&format!("/console/tickets/{number}")).await.body.contains("caller sounded annoyed"));
    assert!(!a.get(&format!("/portal/tickets/{number}")).await.body.contains("caller sounded annoyed"));
    // The API keeps its JSON errors.
    let api = reqwest::Client::builder().no_proxy().build().unwrap();
    let res = api.get(format!("{}/api/v1/nope", env.base)).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
});

both_backends!(a_fault_goes_from_the_portal_through_the_console_and_back_to_a_rating, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "zh-CN");
    user.login("user.a", PASSWORD).await;
    let number = report(&mut user, "显示器黑屏").await;
    let mut agent = Browser::new(&env.base, "zh-CN");
    agent.login("agent", PASSWORD).await;
    let queue = agent.get("/console?queue=unassigned").await;
    assert!(queue.expect(200).body.contains(&number));

    let page = agent.get(&format!("/console/tickets/{number}")).await;
    let (csrf, version) = (page.csrf(), page.version());
    let assign = format!("g:{}:u:{}", env.w.l2, env.w.engineer.user_id);
    agent
        .post(
            &format!("/console/tickets/{number}/act/dispatch"),
            &[("csrf", &csrf), ("version", &version), ("assign", &assign)],
        )
        .await
        .expect(303);
    // A stale version is refused with the page and a message, and changes nothing.
    let stale = agent
        .post(
            &format!("/console/tickets/{number}/act/dispatch"),
            &[("csrf", &csrf), ("version", &version), ("assign", &assign)],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("其他人修改过"));

    let mut eng = Browser::new(&env.base, "zh-CN");
    eng.login("engineer", PASSWORD).await;
    let page = eng.get(&format!("/console/tickets/{number}")).await;
    let csrf = page.csrf();
    eng.post(
        &format!("/console/tickets/{number}/comment"),
        &[("csrf", &csrf), ("visibility", "public"), ("body", "已更换显示器电源线")],
    )
    .await
    .expect(303);
    let page = eng.get(&format!("/console/tickets/{number}")).await;
    let version = page.version();
    // A resolution without notes names the field in Chinese.
    let res = eng
        .post(
            &format!("/console/tickets/{number}/act/resolve"),
            &[("csrf", &csrf), ("version", &version), ("code", "solved"), ("notes", " ")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("处理说明：不能为空"), "{}", res.body);
    eng.post(
        &format!("/console/tickets/{number}/act/resolve"),
        &[("csrf", &csrf), ("version", &version), ("code", "solved"), ("notes", "电源线松动，已重新插好")],
    )
    .await
    .expect(303);

    // The requester's own page starts with what waits for them: the resolution to confirm,
    // which the list of work in progress no longer holds.
    let list = user.get("/portal").await;
    let body = &list.expect(200).body;
    let awaiting = &body[body.find("id=\"awaiting\"").expect("a section of what awaits the requester")..];
    let tabs = awaiting.find("class=\"tabs\"").expect("the tabs after it");
    assert!(awaiting[..tabs].contains("待您确认") && awaiting[..tabs].contains(&number), "{body}");
    assert!(!awaiting[tabs..].contains(&number), "not among the tickets in progress");

    let page = user.get(&format!("/portal/tickets/{number}")).await;
    assert!(page.body.contains("已更换显示器电源线") && page.body.contains("电源线松动"));
    let (csrf, version) = (page.csrf(), page.version());
    user.post(&format!("/portal/tickets/{number}/act/close"), &[("csrf", &csrf), ("version", &version)])
        .await
        .expect(303);
    user.post(&format!("/portal/tickets/{number}/rate"), &[("csrf", &csrf), ("score", "5"), ("comment", "很快")])
        .await
        .expect(303);
    let page = user.get(&format!("/portal/tickets/{number}")).await;
    assert!(page.body.contains("已关闭") && page.body.contains("非常满意") && page.body.contains("很快"));
    assert!(!user.get("/portal").await.body.contains("id=\"awaiting\""), "nothing awaits once confirmed");
    let again = user.post(&format!("/portal/tickets/{number}/rate"), &[("csrf", &csrf), ("score", "1")]).await;
    assert_eq!(again.status, 409, "rated once");
});

both_backends!(dates_are_shown_in_the_viewers_time_zone, |store| async move {
    let env = start(&store).await;
    let mut b = Browser::new(&env.base, "en");
    b.login("user.a", PASSWORD).await;
    let number = report(&mut b, "Clock check").await;
    let mut tx = store.read().await.unwrap();
    let t = yunwei_desk::store::tickets::get(
        &mut tx,
        &env.w.user_a,
        &yunwei_desk::store::tickets::TicketRef::Number(number.clone()),
    )
    .await
    .unwrap();
    drop(tx);
    let at = t.created_at.timestamp();
    let shanghai =
        at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%Y-%m-%d %H:%M").to_string();
    let page = b.get("/portal").await;
    assert!(page.body.contains(&shanghai), "Shanghai time {shanghai} in the list");
    let mut tx = store.write().await.unwrap();
    yunwei_db::preferences::set_time_zone(&mut tx, &env.w.user_a, "America/New_York").await.unwrap();
    tx.commit().await.unwrap();
    let ny = at.to_zoned(jiff::tz::TimeZone::get("America/New_York").unwrap()).strftime("%Y-%m-%d %H:%M").to_string();
    let page = b.get(&format!("/portal/tickets/{number}")).await;
    assert!(page.body.contains(&ny) && page.body.contains("America/New_York"), "New York time {ny}");
    assert!(!page.body.contains(&shanghai));
});

both_backends!(pages_carry_a_strict_content_security_policy_and_assets_are_served, |store| async move {
    let env = start(&store).await;
    let mut b = Browser::new(&env.base, "en");
    let page = b.get("/login").await;
    let csp = page.header("content-security-policy");
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let css = b.get("/static/yunwei.css").await;
    assert!(css.expect(200).header("content-type").starts_with("text/css"));
    let js = b.get("/static/yunwei.js").await;
    assert!(js.expect(200).header("content-type").starts_with("text/javascript"));
    assert!(!page.body.contains("<script>") && !page.body.contains(" style=\""), "no inline script or style");
});

both_backends!(the_console_queues_count_filter_sort_page_and_search, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await;
    for i in 1..=55 {
        report(&mut user, &format!("Batch fault {i:02}")).await;
    }
    report(&mut user, "Projector in room 5 flickers").await;
    let mut agent = Browser::new(&env.base, "en");
    // Logging in from a deep link comes back to it.
    let res = agent.get("/console?queue=unassigned").await;
    res.redirects_to("/login?next=%2Fconsole%3Fqueue%3Dunassigned");
    let csrf = agent.get("/login?next=%2Fconsole%3Fqueue%3Dunassigned").await.csrf();
    agent
        .post(
            "/login",
            &[("csrf", &csrf), ("login", "agent"), ("password", PASSWORD), ("next", "/console?queue=unassigned")],
        )
        .await
        .redirects_to("/console?queue=unassigned");

    let page = agent.get("/console?queue=unassigned").await;
    assert!(page.expect(200).body.contains("<span class=\"count\">56</span>"), "the unassigned count");
    assert_eq!(page.body.matches("<tr data-href=").count(), 50, "a page holds 50 tickets");
    let marker = "id=\"next-page\"";
    assert!(page.body.contains(marker));
    let anchor = page.body.find(marker).expect("next link");
    let href_start = page.body[..anchor].rfind("href=\"").expect("href") + 6;
    let href_end = page.body[href_start..].find('"').unwrap() + href_start;
    let next = page.body[href_start..href_end].replace("&#38;", "&").replace("&amp;", "&");
    assert!(next.starts_with("/console?queue=unassigned&sort=-updated_at&after="), "{next}");
    let second = agent.get(&next).await;
    assert_eq!(second.expect(200).body.matches("<tr data-href=").count(), 6, "the rest on page two");
    assert!(second.body.contains("Batch fault 01") && !second.body.contains("Batch fault 55"));

    let oldest_first = agent.get("/console?queue=unassigned&sort=created_at").await;
    let first_row = oldest_first.body.find("Batch fault 01").unwrap();
    assert!(first_row < oldest_first.body.find("Batch fault 02").unwrap());

    let words = agent.get("/console?queue=all&q=projector").await;
    assert_eq!(words.expect(200).body.matches("<tr data-href=").count(), 1);
    assert!(words.body.contains("Projector in room 5"));
    agent.get("/console?queue=all&q=inc-000003").await.redirects_to("/console/tickets/INC-000003");
    let none = agent.get("/console?queue=open&priority=1").await;
    assert!(none.expect(200).body.contains("No tickets match"));
    assert!(agent.get("/console?queue=mine").await.body.contains("<span class=\"count\">0</span>"));
});

both_backends!(users_set_their_own_language_and_time_zone_on_their_settings_page, |store| async move {
    let env = start(&store).await;
    let mut b = Browser::new(&env.base, "en");
    b.login("engineer", PASSWORD).await;
    let csrf = b.csrf("/account").await;
    let res = b.post("/account", &[("csrf", &csrf), ("lang", "zh-CN"), ("time_zone", "Mars/Olympus")]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Time zone") || res.body.contains("时区"), "{}", res.body);
    b.post("/account", &[("csrf", &csrf), ("lang", "zh-CN"), ("time_zone", "Europe/Berlin")])
        .await
        .redirects_to("/account");
    let page = b.get("/account").await;
    assert!(page.body.contains("设置已保存") && page.body.contains("<option value=\"Europe/Berlin\" selected>"));
    let mut tx = store.read().await.unwrap();
    let u = yunwei_org::users::get(&mut tx, &env.w.engineer, env.w.engineer.user_id).await.unwrap().user;
    assert_eq!((u.locale.as_str(), u.time_zone.as_str()), ("zh-CN", "Europe/Berlin"));
});

both_backends!(users_change_their_own_password_and_are_signed_out_everywhere_else, |store| async move {
    let env = start(&store).await;
    let mut laptop = Browser::new(&env.base, "en");
    laptop.login("user.a", PASSWORD).await;
    let mut phone = Browser::new(&env.base, "zh-CN");
    phone.login("user.a", PASSWORD).await;
    phone.get("/portal").await.expect(200);

    let page = laptop.get("/account").await;
    assert!(page.expect(200).body.contains("action=\"/account/password\""));
    let csrf = page.csrf();
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("current_password", current.into()),
            ("new_password", new.into()),
            ("repeat_password", again.into()),
        ]
    };
    let post = async |b: &mut Browser, fields: Vec<(&str, String)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post("/account/password", &fields).await
    };
    let res = post(&mut laptop, change(PASSWORD, "new pass word", "new pass wordd")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("differ"), "{}", res.body);
    let res = post(&mut laptop, change("not my password", "new pass word", "new pass word")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("not your current password"), "{}", res.body);
    let res = post(&mut laptop, change(PASSWORD, "short", "short")).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("New password") && res.body.contains("8"), "{}", res.body);

    post(&mut laptop, change(PASSWORD, "new pass word", "new pass word")).await.redirects_to("/account");
    assert!(laptop.get("/account").await.expect(200).body.contains("signed out everywhere else"));
    assert_eq!(phone.get("/portal").await.status, 303, "the other session ended");
    let mut again = Browser::new(&env.base, "en");
    assert_eq!(again.login("user.a", PASSWORD).await.status, 401, "the old password no longer works");
    assert_eq!(again.login("user.a", "new pass word").await.status, 303);
});

/// Takes an action through the console's form for it, at the version the page shows.
async fn console_act(b: &mut Browser, number: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = b.get(&format!("/console/tickets/{number}")).await;
    assert!(
        page.body.contains(&format!("action=\"/console/tickets/{number}/act/{action}\"")),
        "the page offers {action}"
    );
    let (csrf, version) = (page.csrf(), page.version());
    let mut all = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
    all.extend_from_slice(fields);
    b.post(&format!("/console/tickets/{number}/act/{action}"), &all).await
}

both_backends!(claiming_is_offered_to_members_of_the_holding_group_and_a_refusal_names_it, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await;
    let number = report(&mut user, "Printer jammed").await;
    let path = format!("/console/tickets/{number}");
    let claim = format!("action=\"/console/tickets/{number}/act/claim\"");
    // Unheld, anyone in a group may claim it; dispatched to the service desk (L1), its member
    // may, the L2 engineer not.
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await;
    let mut eng = Browser::new(&env.base, "en");
    eng.login("engineer", PASSWORD).await;
    assert!(eng.get(&path).await.expect(200).body.contains(&claim), "offered while no group holds it");
    let l1 = format!("g:{}", env.w.l1);
    console_act(&mut agent, &number, "dispatch", &[("assign", &l1)]).await.redirects_to(&path);
    assert!(agent.get(&path).await.expect(200).body.contains(&claim), "offered to the holding group");
    let page = eng.get(&path).await;
    assert!(!page.expect(200).body.contains(&claim), "offered to someone outside the holding group");
    // Asked anyway (a stale page), the refusal says why, naming the group, in each language.
    let (csrf, version) = (page.csrf(), page.version());
    let res = eng.post(&format!("{path}/act/claim"), &[("csrf", &csrf), ("version", &version)]).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("not a member of support group Service desk"), "{}", res.body);
    eng.speak("zh-CN").await;
    let page = eng.get(&path).await;
    let (csrf, version) = (page.csrf(), page.version());
    let res = eng.post(&format!("{path}/act/claim"), &[("csrf", &csrf), ("version", &version)]).await;
    assert!(res.body.contains("支持组 Service desk 的成员"), "{}", res.body);
    // Logging a call: "I will handle it myself" only for someone in a group.
    let form = agent.get("/console/new").await;
    assert!(form.expect(200).body.contains("name=\"claim\""));
    let mut admin = Browser::new(&env.base, "en");
    admin.login("admin", PASSWORD).await;
    let form = admin.get("/console/new").await;
    assert!(!form.expect(200).body.contains("name=\"claim\""), "the administrator is in no group");
});

both_backends!(
    the_upload_limit_is_told_before_upload_and_a_body_past_it_says_the_limit_and_how_to_go_back,
    |store| async move {
        let env = start(&store).await;
        let mut user = Browser::new(&env.base, "en");
        user.login("user.a", PASSWORD).await;
        let number = report(&mut user, "Screenshot of the error").await;
        let path = format!("/portal/tickets/{number}");
        let page = user.get(&path).await;
        let body = &page.expect(200).body;
        assert!(body.contains("data-max-bytes=\"10485760\""), "the browser is told the limit");
        assert!(body.contains("Attachments may be at most 10 MB."), "and so is the person");
        let csrf = page.csrf();
        let huge = "x".repeat(11 * 1024 * 1024);
        let res = user.post(&format!("{path}/reply"), &[("csrf", &csrf), ("body", &huge)]).await;
        assert_eq!(res.status, 413);
        assert!(res.body.contains("Attachments may be at most 10 MB.") && res.body.contains("Go back"), "{}", res.body);
        let mut agent = Browser::new(&env.base, "en");
        agent.login("agent", PASSWORD).await;
        for form in [format!("/console/tickets/{number}"), "/console/new".to_string()] {
            assert!(agent.get(&form).await.expect(200).body.contains("data-max-bytes=\"10485760\""), "{form}");
        }
    }
);

both_backends!(an_agent_reclassifies_a_misfiled_ticket_and_the_timeline_says_why, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await;
    let number = report(&mut user, "Screen flickers").await;
    let path = format!("/console/tickets/{number}");
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await;
    let mut tx = store.read().await.unwrap();
    let ticket = yunwei_desk::store::tickets::TicketRef::parse(&number);
    let before = yunwei_desk::store::tickets::get(&mut tx, &env.w.agent, &ticket).await.unwrap();
    drop(tx);
    let page = agent.get(&path).await;
    assert!(page.expect(200).body.contains("id=\"edit-form\""), "the console offers to edit the details");
    let (csrf, version) = (page.csrf(), page.version());
    let location = env.w.location_a.to_string();
    let category = env.w.category.to_string();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("title", "Whole floor loses the network"),
        ("description", "Not the screen: the switch on floor 3."),
        ("category_id", category.as_str()),
        ("location_id", location.as_str()),
        ("impact", "1"),
        ("urgency", "1"),
        ("reason", "Mis-filed: it is the floor switch, and the whole floor is down"),
    ];
    // A blank title is refused by name and changes nothing.
    fields[2].1 = " ";
    let res = agent.post(&format!("{path}/edit"), &fields).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Title: is required"), "{}", res.body);
    fields[2].1 = "Whole floor loses the network";
    agent.post(&format!("{path}/edit"), &fields).await.redirects_to(&path);
    let page = agent.get(&path).await;
    let body = &page.expect(200).body;
    assert!(
        body.contains("The ticket&#39;s details are saved.") || body.contains("The ticket's details are saved."),
        "{body}"
    );
    assert!(body.contains("Whole floor loses the network"));
    let mut tx = store.read().await.unwrap();
    let t = yunwei_desk::store::tickets::get(&mut tx, &env.w.agent, &ticket).await.unwrap();
    drop(tx);
    assert_eq!((t.impact, t.urgency, t.priority, t.location_id), (1, 1, 1, Some(env.w.location_a)));
    // The timeline names what changed, the priority's move and the reason.
    let timeline = &body[body.find("Mis-filed").expect("the reason in the timeline") - 400..];
    let was = ["Critical", "High", "Medium", "Low"][before.priority as usize - 1];
    assert!(before.priority > 1 && timeline.contains(&format!("Priority {was} → Critical")), "{timeline}");
    // A stale form (the version before the edit) is a conflict, not an overwrite.
    let res = agent.post(&format!("{path}/edit"), &fields).await;
    assert_eq!(res.status, 409, "{}", res.body);
    // Its category retired since, the form still holds it, and saving another field keeps it.
    let mut tx = store.write().await.unwrap();
    yunwei_db::execute!(&mut tx, "UPDATE categories SET active = FALSE WHERE id = $1", env.w.category).unwrap();
    tx.commit().await.unwrap();
    let page = agent.get(&path).await;
    let form = &page.body[page.body.find("id=\"edit-form\"").unwrap()..];
    assert!(form.contains(&format!("<option value=\"{category}\" selected>")), "{form}");
    let (csrf, version) = (page.csrf(), page.version());
    fields[0].1 = &csrf;
    fields[1].1 = &version;
    fields[2].1 = "Floor 3 has no network";
    agent.post(&format!("{path}/edit"), &fields).await.redirects_to(&path);
    let mut tx = store.read().await.unwrap();
    let t = yunwei_desk::store::tickets::get(&mut tx, &env.w.agent, &ticket).await.unwrap();
    drop(tx);
    assert_eq!((t.title.as_str(), t.category_id), ("Floor 3 has no network", Some(env.w.category)));
    // The requester sees the new title; end users get no edit form.
    let portal = user.get(&format!("/portal/tickets/{number}")).await;
    assert!(portal.body.contains("Floor 3 has no network") && !portal.body.contains("edit-form"));
});

both_backends!(every_lifecycle_action_works_from_the_console_forms, |store| async move {
    let env = start(&store).await;
    let mut user = Browser::new(&env.base, "en");
    user.login("user.a", PASSWORD).await;
    let first = report(&mut user, "Email bounces").await;
    let second = report(&mut user, "Email bounces again").await;
    let third = report(&mut user, "Never mind").await;
    let mut agent = Browser::new(&env.base, "en");
    agent.login("agent", PASSWORD).await;
    let mut eng = Browser::new(&env.base, "en");
    eng.login("engineer", PASSWORD).await;
    let done = format!("/console/tickets/{first}");

    console_act(&mut agent, &first, "claim", &[]).await.redirects_to(&done);
    let page = agent.get(&done).await;
    assert!(page.body.contains("Done.") && page.body.contains(">In progress"));
    // Only the actions the ticket allows now are offered.
    assert!(!page.body.contains("/act/claim\"") && !page.body.contains("/act/close\""));
    console_act(&mut agent, &first, "suspend", &[("reason", "vendor"), ("note", "RMA opened")])
        .await
        .redirects_to(&done);
    assert!(agent.get(&done).await.body.contains("Waiting for a vendor"));
    console_act(&mut agent, &first, "resume", &[]).await.redirects_to(&done);
    let esc = format!("g:{}:u:{}", env.w.l2, env.w.engineer.user_id);
    let res = console_act(&mut agent, &first, "escalate", &[("assign", &esc), ("reason", " ")]).await;
    assert_eq!(res.status, 422, "a reason is needed");
    assert!(res.body.contains("Reason: is required"), "{}", res.body);
    console_act(&mut agent, &first, "escalate", &[("assign", &esc), ("reason", "needs L2")]).await.redirects_to(&done);
    let l3 = format!("g:{}", env.w.l3);
    console_act(&mut eng, &first, "transfer", &[("assign", &l3), ("reason", "network side")]).await.redirects_to(&done);
    console_act(&mut eng, &first, "return", &[("reason", "wrong queue")]).await.redirects_to(&done);
    let page = agent.get(&done).await;
    for words in [
        "claimed the ticket",
        "put it on hold",
        "RMA opened",
        "resumed work",
        "escalated",
        "needs L2",
        "transferred",
        "returned it to the desk",
        "wrong queue",
    ] {
        assert!(page.body.contains(words), "timeline shows {words:?}");
    }
    assert!(page.body.contains(">New"), "back at the desk");

    let csrf = page.csrf();
    agent
        .post(&format!("/console/tickets/{first}/link"), &[("csrf", &csrf), ("kind", "related"), ("ticket", &third)])
        .await
        .redirects_to(&done);
    assert!(agent.get(&done).await.body.contains(&format!("/console/tickets/{third}\">{third}")));
    let second_page = format!("/console/tickets/{second}");
    console_act(&mut agent, &second, "merge", &[("into", &first)]).await.redirects_to(&second_page);
    let page = agent.get(&second_page).await;
    assert!(page.body.contains(">Closed") && page.body.contains("Duplicate"));
    let third_page = format!("/console/tickets/{third}");
    console_act(&mut agent, &third, "cancel", &[("reason", "user fixed it")]).await.redirects_to(&third_page);
    let page = agent.get(&third_page).await;
    assert!(page.body.contains(">Cancelled") && page.body.contains("No actions are available"));
    // The requester sees none of the internal steps.
    let portal = user.get(&format!("/portal/tickets/{first}")).await;
    assert!(!portal.body.contains("needs L2") && !portal.body.contains("wrong queue"));
});
