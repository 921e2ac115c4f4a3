//! What the web UI tests (`ui.rs`, `ui_admin.rs`, `ui_sla.rs`) share: a real server with the
//! test organisation, and reporting a fault through the portal. The browser is the platform's
//! (`yunwei_web::testing`).

use yunwei_db::testing::TestStore;
use yunwei_desk::testing::World;
pub use yunwei_web::testing::{Browser, Page};

pub const PASSWORD: &str = "correct horse battery";

pub struct Env {
    pub base: String,
    pub w: World,
}

pub async fn start(store: &TestStore) -> Env {
    let w = World::build(store).await;
    let password = yunwei_db::identity::HashedPassword::new(PASSWORD).await.expect("hash");
    let mut tx = store.write().await.expect("begin");
    for a in [&w.admin, &w.agent, &w.engineer, &w.user_a, &w.user_b] {
        yunwei_org::users::set_password(&mut tx, None, a.user_id, &password).await.expect("password");
    }
    tx.commit().await.expect("commit");
    let base = yunwei_web::testing::serve(store, crate::MODULES).await;
    Env { base, w }
}

/// Reports a fault through the portal form and returns the new ticket's number.
pub async fn report(b: &mut Browser, title: &str) -> String {
    let csrf = b.csrf("/portal/new").await;
    let res = b
        .post("/portal/new", &[("csrf", &csrf), ("type", "incident"), ("title", title), ("description", "详情")])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    res.location().trim_start_matches("/portal/tickets/").to_string()
}
