//! The service desk: incidents and service requests on one ticket engine (lifecycle, dispatch,
//! claim, transfer, escalation, replies, links, attachments, ratings), the priority matrix and
//! category tree, and SLA management (business-time clocks, policies, OLAs, escalations,
//! compliance). `rules` is pure and property-tested; `store` writes it on either database;
//! `api` and `ui` parse, authorise, call the store and render; `jobs` runs the SLA scan.

#[macro_use]
extern crate yunwei_db;

pub mod api;
pub mod jobs;
pub mod rules;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ui;

use yunwei_db::jobs::JobKind;
use yunwei_web::Module;
use yunwei_web::ui::nav::{Audience, NavLink};

/// In unit tests, pages need the desk's words installed beside the platform's.
#[cfg(test)]
pub(crate) fn install_texts() {
    yunwei_web::ui::i18n::install(MODULE.texts.to_vec());
}

/// The service desk module, for the composition root.
pub const MODULE: Module = Module {
    name: "desk",
    api: api::routes,
    pages: ui::routes,
    jobs: jobs::spawn,
    job_kinds: &[JobKind { kind: store::sla::RECOMPUTE_JOB, run: store::sla::recompute_job }],
    permissions: rules::permissions::ALL,
    nav: &[
        NavLink::new("queues", "/console", "nav.queues", "", Audience::Staff),
        NavLink::new("log", "/console/new", "nav.log_call", "", Audience::Staff),
        NavLink::new("dashboard", "/console/dashboard", "nav.dashboard", "nav-dashboard", Audience::Staff),
        NavLink::new("sla_soon", "/console/sla/soon", "sla.nav.soon", "nav-sla-soon", Audience::Staff),
        NavLink::new("sla_report", "/console/sla/report", "sla.nav.report", "nav-sla-report", Audience::Staff),
        // Staff reach their own requests from their settings page: in the top bar they made it
        // wrap at 1366 px and named a second "My tickets" beside the console's queue.
        NavLink::new("portal", "/portal", "nav.my_tickets", "", Audience::Portal),
        NavLink::new("report", "/portal/new", "nav.report", "", Audience::Portal),
    ],
    texts: &[yunwei_web::texts!()],
};
