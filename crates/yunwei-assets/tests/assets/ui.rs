//! The asset pages through the harness's browser, once on SQLite and once on PostgreSQL:
//! the list and the navigation link, registering through the form, the lifecycle buttons
//! (only the legal moves), warranties ending, a stock-take scanned on the phone-width form,
//! and the 404 page for people who are not staff.

use yunwei_assets::testing::World;
use yunwei_db::both_backends;
use yunwei_db::testing::TestStore;
use yunwei_web::testing::Browser;

const PASSWORD: &str = "correct horse battery";

async fn start(store: &TestStore) -> (String, World) {
    let w = World::build(store).await;
    let password = yunwei_db::identity::HashedPassword::new(PASSWORD).await.expect("hash");
    let mut tx = store.write().await.unwrap();
    for a in [&w.admin, &w.manager_a, &w.agent_a, &w.user_a] {
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
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "D010210-001")]).await.redirects_to(&st);
    let page = b.get(&st).await;
    assert!(page.body.contains("已盘到") && page.body.contains("data-outcome=\"found\""), "{}", page.body);
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "D010210-001")]).await.redirects_to(&st);
    assert!(b.get(&st).await.body.contains("本次盘点已扫描过"));
    b.post(&format!("{st}/scan"), &[("csrf", &csrf), ("tag_or_serial", "??")]).await.redirects_to(&st);
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
