//! Fresh, migrated stores for tests on either backend (feature `testing`).
//!
//! SQLite stores live in a temporary directory. PostgreSQL stores get a database of their own,
//! created on the server named by `YUNWEI_TEST_DATABASE_URL` (default: the local server's
//! `test` database) and dropped when the [`TestStore`] is dropped. PostgreSQL being down is a
//! test failure, not a skip: both backends are part of the contract.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::{Backend, Store};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn admin_url() -> String {
    std::env::var("YUNWEI_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

/// `postgres://u@h/db?x` with `db` replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A store that cleans up after itself.
pub struct TestStore {
    pub store: Store,
    /// The URL the store was opened with, for starting a server on the same database.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl TestStore {
    /// A new, empty, migrated store on `backend`.
    pub async fn new(backend: Backend) -> TestStore {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("yunwei.db").display());
                let store = Store::connect(&url).await.expect("open SQLite store");
                store.migrate().await.expect("migrate SQLite store");
                TestStore { store, url, _dir: Some(dir), pg_database: None }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let mut bytes = [0u8; 6];
                getrandom::fill(&mut bytes).expect("randomness");
                let name = format!("yunwei_t_{}", hex::encode(bytes));
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for the tests: {e}"));
                sqlx::query(crate::db::safe(&format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let url = with_database(&admin, &name);
                let store = Store::connect(&url).await.expect("open PostgreSQL store");
                store.migrate().await.expect("migrate PostgreSQL store");
                TestStore { store, url, _dir: None, pg_database: Some(name) }
            }
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some(name) = self.pg_database.take() else { return };
        // Drop runs outside async, often on a runtime thread: a short-lived runtime on its own
        // thread does the clean-up. FORCE ends the store's own connections server-side.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(crate::db::safe(&sql)).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `both_backends!(name, |store| async move { … });` gives `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $store = $crate::testing::TestStore::new($crate::Backend::Sqlite).await;
                $body.await;
            }

            #[tokio::test]
            async fn postgres() {
                let $store = $crate::testing::TestStore::new($crate::Backend::Postgres).await;
                $body.await;
            }
        }
    };
}

/// A small organisation for tests: a provider with L1/L2/L3 groups and staff, two client
/// tenants with one end user each, and a location at tenant A that L1 is responsible for.
pub struct World {
    pub admin: yunwei_domain::permission::Actor,
    /// L1 agent serving tenant A only.
    pub agent: yunwei_domain::permission::Actor,
    /// L2 engineer serving tenants A and B.
    pub engineer: yunwei_domain::permission::Actor,
    /// End user of tenant A.
    pub user_a: yunwei_domain::permission::Actor,
    /// End user of tenant B.
    pub user_b: yunwei_domain::permission::Actor,
    pub tenant_a: i64,
    pub tenant_b: i64,
    pub l1: i64,
    pub l2: i64,
    pub l3: i64,
    pub location_a: i64,
    pub category: i64,
}

impl World {
    pub async fn build(store: &Store) -> World {
        use crate::{categories, groups, locations, tenants, users};
        let mut txo = store.write().await.expect("begin");
        let tx = &mut txo;
        categories::seed_defaults(tx).await.expect("seed categories");
        let category = categories::list(tx).await.expect("categories")[1].id;
        let admin_user = users::create(
            tx,
            None,
            users::NewUser {
                login: "admin".into(),
                name: "管理员 Admin".into(),
                role: "admin".into(),
                password: Some("correct horse".into()),
                ..Default::default()
            },
        )
        .await
        .expect("admin");
        let admin = users::actor(tx, &admin_user.user).await.expect("admin actor");
        let tenant =
            |code: &str, name: &str| tenants::NewTenant { code: code.into(), name: name.into(), kind: "client".into() };
        let tenant_a = tenants::create(tx, Some(&admin), tenant("ACME", "艾克米 Acme")).await.expect("tenant a").id;
        let tenant_b = tenants::create(tx, Some(&admin), tenant("GLOBEX", "环球 Globex")).await.expect("tenant b").id;
        let group = |name: &str, tier: i64| groups::GroupInput {
            name: Some(name.into()),
            tier: Some(tier),
            ..Default::default()
        };
        let l1 = groups::create(tx, &admin, group("Service desk", 1)).await.expect("l1").group.id;
        let l2 = groups::create(tx, &admin, group("Desktop support", 2)).await.expect("l2").group.id;
        let l3 = groups::create(tx, &admin, group("Network engineering", 3)).await.expect("l3").group.id;
        let staff = |login: &str, role: &str, served: Vec<i64>, groups: Vec<i64>| users::NewUser {
            login: login.into(),
            name: login.into(),
            role: role.into(),
            served_tenants: served,
            groups,
            ..Default::default()
        };
        let mut actor_of = async |new: users::NewUser| {
            let u = users::create(tx, Some(&admin), new).await.expect("user");
            users::actor(tx, &u.user).await.expect("actor")
        };
        let agent = actor_of(staff("agent", "agent", vec![tenant_a], vec![l1])).await;
        let engineer = actor_of(staff("engineer", "agent", vec![tenant_a, tenant_b], vec![l2])).await;
        let end_user = |login: &str, tenant: i64| users::NewUser {
            tenant_id: Some(tenant),
            login: login.into(),
            name: login.into(),
            role: "end_user".into(),
            ..Default::default()
        };
        let user_a = actor_of(end_user("user.a", tenant_a)).await;
        let user_b = actor_of(end_user("user.b", tenant_b)).await;
        let location_a = locations::create(
            tx,
            &admin,
            locations::LocationInput {
                tenant_id: Some(tenant_a),
                building: Some("A座".into()),
                floor: Some("3".into()),
                room: Some("301".into()),
                responsible_group_id: Some(Some(l1)),
                ..Default::default()
            },
        )
        .await
        .expect("location")
        .id;
        txo.commit().await.expect("commit");
        World { admin, agent, engineer, user_a, user_b, tenant_a, tenant_b, l1, l2, l3, location_a, category }
    }
}

/// Makes a ticket look as if it predated the search index: its document removed and the
/// start-up backfill marker set to its id, as the migration that made the index leaves it.
pub async fn forget_search_document(tx: &mut crate::Tx, ticket_id: i64) -> crate::Result<()> {
    let sql = match tx.backend() {
        Backend::Sqlite => "DELETE FROM ticket_search WHERE rowid = $1",
        Backend::Postgres => "DELETE FROM ticket_search WHERE ticket_id = $1",
    };
    execute!(tx, sql, ticket_id)?;
    execute!(
        tx,
        "INSERT INTO settings (key, value, updated_at) VALUES ('search.backfill_to', $1, 0)",
        ticket_id.to_string()
    )?;
    Ok(())
}
