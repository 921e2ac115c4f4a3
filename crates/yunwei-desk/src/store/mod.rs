//! The service desk's typed store operations on either database. Each takes a transaction
//! and, for tenant data, the caller's `Actor`, and writes its audit entry in the same
//! transaction.

pub mod bulk;
pub mod categories;
pub mod dashboard;
pub mod demo;
pub mod intake;
pub mod matrix;
pub mod queues;
pub mod ratings;
pub mod search;
pub mod sla;
pub mod tickets;
