//! The service desk's JSON API under `/api/v1`.

pub mod admin;
pub mod dto;
pub mod sla;
pub mod tickets;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use yunwei_web::AppState;

use crate::store::intake::Intake;

pub fn routes(state: &AppState) -> Router<AppState> {
    let uploads = Router::new()
        .route("/tickets/{ticket}/attachments", get(tickets::attachments).post(tickets::upload))
        // Room for the multipart framing around the largest allowed file.
        .layer(DefaultBodyLimit::max(state.config.max_attachment_bytes + 64 * 1024));
    Router::new()
        .route("/tickets", get(tickets::list).post(tickets::create))
        .route("/tickets/{ticket}", get(tickets::get).patch(tickets::update))
        .route("/tickets/{ticket}/timeline", get(tickets::timeline))
        .route("/tickets/{ticket}/comments", post(tickets::comment))
        .route("/tickets/{ticket}/links", get(tickets::links).post(tickets::add_link))
        .route("/tickets/{ticket}/links/{id}", delete(tickets::remove_link))
        .route("/tickets/{ticket}/attachments/{id}", get(tickets::download))
        .route("/tickets/{ticket}/audit", get(tickets::audit_log))
        .route("/tickets/{ticket}/{action}", post(tickets::action))
        .route("/categories", get(admin::list_categories).post(admin::create_category))
        .route("/categories/{id}", axum::routing::patch(admin::update_category))
        .route("/priority-matrix", get(admin::get_matrix).put(admin::put_matrix))
        .route("/tickets/{ticket}/sla", get(sla::ticket_clocks))
        .route("/calendars", get(sla::list_calendars).post(sla::create_calendar))
        .route("/calendars/{id}", get(sla::get_calendar).patch(sla::update_calendar))
        .route("/sla-policies", get(sla::list_policies).post(sla::create_policy))
        .route("/sla-policies/{id}", get(sla::get_policy).patch(sla::update_policy))
        .route("/reports/sla", get(sla::compliance))
        .route("/sla/breaching-soon", get(sla::breaching_soon))
        .route("/notifications", get(sla::notifications))
        .route("/notifications/{id}/read", post(sla::mark_read))
        .merge(uploads)
        // Writes tickets logged through the API at the same moment in one transaction.
        .layer(Extension(Intake::new(state.store.clone())))
}
