//! Fresh, migrated stores for tests on either backend (feature `testing`).
//!
//! SQLite stores live in a temporary directory. PostgreSQL stores get a database of their own,
//! created on the server named by `YUNWEI_TEST_DATABASE_URL` (default: the local server's
//! `test` database) and dropped when the [`TestStore`] is dropped. PostgreSQL being down is a
//! test failure, not a skip: both backends are part of the contract.

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::Backend;
use crate::Store;

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
