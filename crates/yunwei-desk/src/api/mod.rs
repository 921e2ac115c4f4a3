//! The service desk's JSON API under `/api/v1`.

pub mod admin;
pub mod dto;
pub mod sla;
pub mod tickets;

use axum::Extension;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use yunwei_web::AppState;

use crate::store::intake::Intake;

/// The desk's API; each route documents itself (`#[utoipa::path]` on its handler).
pub fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    // Room for the multipart framing around the largest allowed file.
    let uploads = DefaultBodyLimit::max(state.config.max_attachment_bytes + 64 * 1024);
    OpenApiRouter::new()
        .routes(routes!(tickets::list, tickets::create))
        .routes(routes!(tickets::get, tickets::update))
        .routes(routes!(tickets::timeline))
        .routes(routes!(tickets::ticket_cis))
        .routes(routes!(tickets::comment))
        .routes(routes!(tickets::links, tickets::add_link))
        .routes(routes!(tickets::remove_link))
        .routes(routes!(tickets::attachments, tickets::upload).layer(uploads))
        .routes(routes!(tickets::download))
        .routes(routes!(tickets::audit_log))
        .routes(routes!(tickets::dispatch))
        .routes(routes!(tickets::claim))
        .routes(routes!(tickets::arrive))
        .routes(routes!(tickets::transfer))
        .routes(routes!(tickets::return_))
        .routes(routes!(tickets::escalate))
        .routes(routes!(tickets::suspend))
        .routes(routes!(tickets::resume))
        .routes(routes!(tickets::resolve))
        .routes(routes!(tickets::close))
        .routes(routes!(tickets::reopen))
        .routes(routes!(tickets::cancel))
        .routes(routes!(tickets::merge))
        .routes(routes!(admin::list_categories, admin::create_category))
        .routes(routes!(admin::update_category))
        .routes(routes!(admin::get_matrix, admin::put_matrix))
        .routes(routes!(sla::ticket_clocks))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(sla::get_calendar, sla::update_calendar))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(sla::get_policy, sla::update_policy))
        .routes(routes!(sla::compliance))
        .routes(routes!(sla::breaching_soon))
        .routes(routes!(sla::notifications))
        .routes(routes!(sla::mark_read))
        // Writes tickets logged through the API at the same moment in one transaction.
        .layer(Extension(Intake::new(state.store.clone())))
}
