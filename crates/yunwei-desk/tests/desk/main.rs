//! The service desk's integration tests, in one binary: the store on SQLite and PostgreSQL
//! (conformance, intake, SLA, search, dashboard, the UI's store operations), the API and the
//! web UI against a real server on 127.0.0.1.

#![allow(clippy::unwrap_used)]

mod api;
mod cis;
mod common;
mod conformance;
mod dashboard;
mod intake;
mod jobs;
mod search;
mod sla;
mod ui;
mod ui_admin;
mod ui_sla;
mod ui_store;

/// The modules the test server runs: the desk and what it stands on.
pub const MODULES: &[yunwei_web::Module] = &[yunwei_org::MODULE, yunwei_desk::MODULE];
