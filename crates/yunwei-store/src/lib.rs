//! Yunwei's persistence: one schema on SQLite (the embedded default) and PostgreSQL (shared by
//! several instances), migrations per backend, and typed operations for every module.
//!
//! Callers open a transaction with [`Store::write`] or [`Store::read`] and pass it to the
//! operations in the modules below. Every operation on tenant-owned data takes the caller's
//! [`Actor`](yunwei_domain::permission::Actor) and only ever sees that actor's scope; every
//! write records an audit entry in the same transaction. Nothing here knows about HTTP.

#[macro_use]
mod db;
pub mod audit;
pub mod bulk;
pub mod categories;
pub mod dashboard;
pub mod demo;
pub mod directory;
pub mod error;
pub mod groups;
pub mod intake;
pub mod locations;
pub mod preferences;
pub mod queues;
pub mod ratings;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod sla;
pub mod tenants;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tickets;
pub mod users;

pub use db::{Backend, Held, Lookup, Store, Tx, now_micros};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
