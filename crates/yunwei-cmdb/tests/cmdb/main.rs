//! The CMDB's integration tests, in one binary: the store on SQLite and PostgreSQL, and the
//! API against a real server on 127.0.0.1.

#![allow(clippy::unwrap_used)]

#[macro_use]
extern crate yunwei_db;

mod api;
mod import;
mod store;
mod ui;

/// The modules the test server runs: the CMDB and what it stands on.
pub const MODULES: &[yunwei_web::Module] = &[yunwei_org::MODULE, yunwei_cmdb::MODULE];
