//! The organisation: client organisations (tenants), users and the tenants an agent serves,
//! support groups with tiers, and locations with their responsible group (区域划片) — their
//! store operations, API and administration pages. Every other module stands on it.

#[macro_use]
extern crate yunwei_db;

pub mod api;
pub mod directory;
pub mod groups;
pub mod locations;
pub mod tenants;
pub mod ui;
pub mod users;

use yunwei_web::ui::nav::{Audience, NavLink};
use yunwei_web::{Module, no_jobs};

/// The organisation module, for the composition root.
pub const MODULE: Module = Module {
    name: "org",
    api: api::routes,
    pages: ui::routes,
    jobs: no_jobs,
    job_kinds: &[],
    permissions: &[],
    nav: &[NavLink::new("admin", "/admin/users", "nav.admin", "nav-admin", Audience::Admin)],
    texts: &[yunwei_web::texts!()], // i18n/zh-CN.toml and i18n/en.toml: its problems
};
