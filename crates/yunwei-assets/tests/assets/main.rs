//! Asset management's integration tests, in one binary: the store on SQLite and PostgreSQL,
//! the API against a real server on 127.0.0.1 held to the OpenAPI document, and the pages
//! through the harness's browser.

#![allow(clippy::unwrap_used)]

#[macro_use]
extern crate yunwei_db;

mod api;
mod import;
mod store;
mod ui;

/// The modules the test server runs: asset management and what it stands on.
pub const MODULES: &[yunwei_web::Module] = &[yunwei_org::MODULE, yunwei_cmdb::MODULE, yunwei_assets::MODULE];
