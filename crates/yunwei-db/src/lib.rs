//! Yunwei's persistence platform: one schema on SQLite (the embedded default) and PostgreSQL
//! (shared by several instances), all migrations, transactions with one way to run a query
//! (the macros in [`db`]), the audit log, background jobs ([`jobs`]), installation-wide
//! settings, and who is calling (user
//! accounts as the platform sees them, sessions, API tokens, preferences).
//!
//! Module crates (`yunwei-org`, `yunwei-desk`, …) keep their own typed operations, which take
//! a [`Tx`] from [`Store::write`] or [`Store::read`]. Every operation on tenant-owned data takes
//! the caller's [`Actor`](yunwei_kernel::permission::Actor) and only ever sees that actor's
//! scope; every write records an audit entry in the same transaction. Nothing here knows about
//! HTTP.

#[macro_use]
pub mod db;
pub mod audit;
pub mod error;
pub mod identity;
pub mod jobs;
pub mod notify;
pub mod preferences;
pub mod search;
pub mod sessions;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;

pub use db::{Backend, Held, JsonText, Lookup, Store, Tx, now_micros};
pub use error::StoreError;
pub use time::Time;
/// The database crates the query macros expand to, so module crates use the same versions.
pub use {rusqlite, sqlx};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
