//! The asset pages through the harness's browser, once on SQLite and once on PostgreSQL:
//! the list and the navigation link, registering through the form, the lifecycle buttons
//! (only the legal moves), warranties ending, a stock-take scanned on the phone-width form,
//! the 404 page for people who are not staff, and "My devices" in the portal.

use yunwei_assets::testing::World;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_web::testing::Browser;

const PASSWORD: &str = "correct horse battery";

async fn start(store: &TestStore) -> (String, World) {
    let w = World::build(store).await;
    let password = yunwei_db::identity::HashedPassword::new(PASSWORD).await.expect("hash");
    let mut tx = store.write().await.unwrap();
    for a in [&w.admin, &w.manager_a, &w.agent_a, &w.client_it_a, &w.user_a, &w.user_b] {
        yunwei_org::users::set_password(&mut tx, None, a.user_id, &password).await.unwrap();
    }
    tx.commit().await.unwrap();
    (yunwei_web::testing::serve(store, crate::MODULES).await, w)
}

both_backends!(an_asset_manager_works_through_the_pages, |store| async move {
    let (base, w) = start(&store).await;
    let mut b = Browser::new(&base, "zh-CN");
    b.login("assets.a", PASSWORD).await.redirects_to("/");
    let list = b.get("/assets").await;
    assert!(list.expect(200).body.contains("id=\"nav-assets\""), "the staff navigation links the assets");
    assert!(list.body.contains("没有符合条件的资产"));

    let csrf = b.csrf("/assets/new").await;
    let (tenant, room, user) = (w.tenant_a.to_string(), w.room_a.to_string(), w.user_a.user_id.to_string());
    let bad = b
        .post(
            "/assets",
            &[("csrf", &csrf), ("tenant_id", &tenant), ("name", "显示器"), ("location_id", &room), ("cost", "12.345")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("id=\"err-cost\""), "{}", bad.body);
    let made = b
        .post(
            "/assets",
            &[
                ("csrf", &csrf),
                ("tenant_id", &tenant),
                ("name", "显示器"),
                ("location_id", &room),
                ("user_id", &user),
                ("cost", "1,299.50"),
                ("warranty_end", "2099-01-01"),
                ("status", "in_stock"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let path = made.location().to_string();
    let listed = b.get(&format!("/assets?tenant_id={}", w.tenant_a)).await;
    assert!(listed.expect(200).body.contains("D010210-001"));
    assert!(!b.get(&format!("/assets?tenant_id={}", w.tenant_b)).await.body.contains("D010210-001"));
    let page = b.get(&path).await;
    let body = &page.expect(200).body;
    assert!(body.contains("D010210-001") && body.contains("1299.50 CNY"));
    assert!(body.contains("id=\"move-deployed\"") && body.contains("id=\"move-retired\""));
    assert!(!body.contains("id=\"move-disposed\""), "only legal moves are offered");
    let version = page.version();
    b.post(&format!("{path}/transition"), &[("csrf", &csrf), ("version", &version), ("to", "deployed")])
        .await
        .redirects_to(&path);
    let page = b.get(&path).await;
    assert!(page.body.contains("data-status=\"deployed\"") && page.body.contains("id=\"move-in_repair\""));
    // A stale form is refused with words, not an error page.
    let stale =
        b.post(&format!("{path}/transition"), &[("csrf", &csrf), ("version", &version), ("to", "in_repair")]).await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("id=\"form-error\""));
    let ending = b.get("/assets/ending?days=36500").await;
    assert!(!ending.expect(200).body.contains("D010210-001"), "past a year the page keeps its default horizon");

    // A stock-take on the phone-width page.
    let started = b.post("/stock-takes", &[("csrf", &csrf), ("tenant_id", &tenant), ("location_id", &room)]).await;
    assert_eq!(started.status, 303, "{}", started.body);
    let st = started.location().to_string();
    let page = b.get(&st).await;
    assert!(page.expect(200).body.contains("id=\"scan-form\"") && page.body.contains("data-count=\"expected\">1<"));
    assert!(
        page.body.contains("data-count=\"missing\">0<") && !page.body.contains("sla-breached"),
        "none missing is no alarm"
    );
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "D010210-001")]).await.redirects_to(&st);
    let page = b.get(&st).await;
    assert!(page.body.contains("已盘到") && page.body.contains("data-outcome=\"found\""), "{}", page.body);
    assert!(page.body.contains("class=\"flash ok\""), "a found asset is a success");
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "D010210-001")]).await.redirects_to(&st);
    let page = b.get(&st).await;
    assert!(
        page.body.contains("本次盘点已扫描过") && page.body.contains("class=\"flash warn\""),
        "a repeat is a warning"
    );
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "??")]).await.redirects_to(&st);
    let page = b.get(&st).await;
    assert!(
        page.body.contains("class=\"flash warn\"") && !page.body.contains("class=\"flash ok\""),
        "an unknown tag is a warning"
    );
    let empty = b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", " ")]).await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("id=\"err-code\""));
    b.post(&format!("{st}/apply"), &[("csrf", &csrf)]).await.redirects_to(&st);
    let page = b.get(&st).await;
    assert!(page.body.contains("data-status=\"applied\"") && !page.body.contains("id=\"scan-form\""));
    assert!(page.body.contains("data-count=\"unexpected\">1<"));
    assert!(b.get("/stock-takes").await.expect(200).body.contains(&format!("href=\"{st}\"")));

    // An agent reads but is offered no moves; an end user gets the 404 page.
    let mut agent = Browser::new(&base, "en");
    agent.login("agent.a", PASSWORD).await.redirects_to("/");
    let page = agent.get(&path).await;
    assert!(page.expect(200).body.contains("Deployed") && !page.body.contains("id=\"lifecycle\""));
    let mut user = Browser::new(&base, "en");
    user.login("user.a", PASSWORD).await.redirects_to("/");
    assert_eq!(user.get("/assets").await.status, 404);
    assert_eq!(user.get(&path).await.status, 404);
});

/// A CI of `class` in `tenant`, assigned to `user`, made by the administrator.
async fn ci(store: &TestStore, w: &World, tenant: i64, class: &str, name: &str, user: Option<i64>) -> i64 {
    let mut tx = store.write().await.unwrap();
    let input = yunwei_cmdb::store::cis::CiInput {
        tenant_id: Some(tenant),
        class: Some(class.into()),
        name: Some(name.into()),
        user_id: Some(user),
        ..Default::default()
    };
    let c = yunwei_cmdb::store::cis::create(&mut tx, &w.admin, input).await.unwrap();
    tx.commit().await.unwrap();
    c.id
}

/// An asset in `tenant` tagged `tag`, assigned to `user` (and so its CI, if any).
async fn asset(store: &TestStore, w: &World, tenant: i64, tag: &str, user: i64, ci: Option<i64>) -> i64 {
    use yunwei_assets::rules::lifecycle::AssetStatus;
    let mut tx = store.write().await.unwrap();
    let input = yunwei_assets::store::assets::AssetInput {
        tenant_id: Some(tenant),
        tag: Some(tag.into()),
        name: Some(format!("Laptop {tag}")),
        model: Some("ThinkPad X1".into()),
        status: Some(AssetStatus::Deployed),
        ci_id: Some(ci),
        user_id: Some(Some(user)),
        location_id: Some(Some(if tenant == w.tenant_a { w.room_a } else { w.room_b })),
        warranty_end: Some(Some("2030-01-31".into())),
        ..Default::default()
    };
    let a = yunwei_assets::store::assets::create(&mut tx, &w.admin, input).await.unwrap();
    tx.commit().await.unwrap();
    a.id
}

both_backends!(people_see_their_own_devices_in_the_portal_in_their_language, |store| async move {
    let (base, w) = start(&store).await;
    let laptop = ci(&store, &w, w.tenant_a, "pc", "笔记本-用户A", None).await;
    let printer = ci(&store, &w, w.tenant_a, "printer", "三楼打印机", Some(w.user_a.user_id)).await;
    let colleague_ci = ci(&store, &w, w.tenant_a, "pc", "同事的电脑", Some(w.user_a2.user_id)).await;
    let foreign_ci = ci(&store, &w, w.tenant_b, "pc", "Globex PC", Some(w.user_b.user_id)).await;
    let mine = asset(&store, &w, w.tenant_a, "LT-001", w.user_a.user_id, Some(laptop)).await;
    let colleague = asset(&store, &w, w.tenant_a, "LT-002", w.user_a2.user_id, Some(colleague_ci)).await;
    let foreign = asset(&store, &w, w.tenant_b, "GX-001", w.user_b.user_id, Some(foreign_ci)).await;
    let it_own = asset(&store, &w, w.tenant_a, "IT-001", w.client_it_a.user_id, None).await;

    // An end user, in Chinese: their asset (with its CI) and the printer assigned to them.
    let mut user = Browser::new(&base, "zh-CN");
    user.login("user.a", PASSWORD).await.redirects_to("/");
    let page = user.get("/portal/devices").await;
    let body = &page.expect(200).body;
    assert!(body.contains("id=\"nav-my-devices\""), "the portal's navigation links the page");
    assert!(body.contains("我的设备") && body.contains(&format!("id=\"my-asset-{mine}\"")));
    for text in ["LT-001", "ThinkPad X1", "在用", "2030-01-31", "1号楼 2 10", "个人计算机/终端", "打印机", "三楼打印机"]
    {
        assert!(body.contains(text), "{text} in {body}");
    }
    assert!(body.contains(&format!("id=\"my-ci-{laptop}\"")) && body.contains(&format!("id=\"my-ci-{printer}\"")));
    assert!(body.contains(&format!("href=\"/portal/new?ci={laptop}\"")), "the asset's link names its CI");
    assert!(body.contains(&format!("href=\"/portal/new?ci={printer}\"")) && body.contains("报告此设备的问题"));
    for other in [format!("my-asset-{colleague}"), format!("my-asset-{foreign}"), format!("my-asset-{it_own}")] {
        assert!(!body.contains(&other), "{other} is not theirs");
    }
    for other in [format!("ci={colleague_ci}"), format!("ci={foreign_ci}")] {
        assert!(!body.contains(&other), "{other} is not theirs");
    }
    assert!(!body.contains("LT-002") && !body.contains("GX-001") && !body.contains("Globex PC"));

    // The client's IT contact reads the whole organisation's assets, but here only their own;
    // in English.
    let mut it = Browser::new(&base, "en");
    it.login("it.a", PASSWORD).await.redirects_to("/");
    let page = it.get("/portal/devices").await;
    let body = &page.expect(200).body;
    assert!(body.contains("My devices") && body.contains("IT-001") && body.contains("Deployed"), "{body}");
    assert!(body.contains("href=\"/portal/new\""), "an asset that is no CI opens the plain form");
    assert!(!body.contains("LT-001") && !body.contains("LT-002") && !body.contains("id=\"my-cis\""));
    assert!(body.contains("id=\"nav-my-devices\"") && body.contains("id=\"nav-cmdb\""));

    // Another tenant's end user sees theirs, in English, with the class in English.
    let mut b = Browser::new(&base, "en");
    b.login("user.b", PASSWORD).await.redirects_to("/");
    let body = b.get("/portal/devices").await.expect(200).body.clone();
    assert!(body.contains("GX-001") && body.contains("PC / terminal") && body.contains("Report a problem with this"));
    assert!(!body.contains("LT-001") && !body.contains("三楼打印机"));

    // Staff may open it too: only what is assigned to them (here nothing, said kindly), not
    // the assets they manage, and their navigation does not carry it.
    let mut agent = Browser::new(&base, "en");
    agent.login("agent.a", PASSWORD).await.redirects_to("/");
    let body = agent.get("/portal/devices").await.expect(200).body.clone();
    assert!(body.contains("id=\"devices-empty\"") && body.contains("No devices are registered to you yet"));
    assert!(!body.contains("LT-001") && !body.contains("id=\"nav-my-devices\""));
    let mut manager = Browser::new(&base, "zh-CN");
    manager.login("assets.a", PASSWORD).await.redirects_to("/");
    let body = manager.get("/portal/devices").await.expect(200).body.clone();
    assert!(body.contains("您名下暂时还没有登记设备") && !body.contains("LT-001"));
    // Signed out, it is the login page.
    let mut anon = Browser::new(&base, "en");
    assert!(anon.get("/portal/devices").await.location().starts_with("/login"));
});
