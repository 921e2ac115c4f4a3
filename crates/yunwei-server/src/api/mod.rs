//! The JSON API under `/api/v1`.

pub mod dto;
pub mod openapi;
pub mod org;
pub mod sla;
pub mod tickets;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};

use crate::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    let uploads = Router::new()
        .route("/tickets/{ticket}/attachments", get(tickets::attachments).post(tickets::upload))
        // Room for the multipart framing around the largest allowed file.
        .layer(DefaultBodyLimit::max(state.config.max_attachment_bytes + 64 * 1024));
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(org::me))
        .route("/tickets", get(tickets::list).post(tickets::create))
        .route("/tickets/{ticket}", get(tickets::get).patch(tickets::update))
        .route("/tickets/{ticket}/timeline", get(tickets::timeline))
        .route("/tickets/{ticket}/comments", post(tickets::comment))
        .route("/tickets/{ticket}/links", get(tickets::links).post(tickets::add_link))
        .route("/tickets/{ticket}/links/{id}", delete(tickets::remove_link))
        .route("/tickets/{ticket}/attachments/{id}", get(tickets::download))
        .route("/tickets/{ticket}/audit", get(tickets::audit_log))
        .route("/tickets/{ticket}/{action}", post(tickets::action))
        .route("/tenants", get(org::list_tenants).post(org::create_tenant))
        .route("/tenants/{id}", get(org::get_tenant).patch(org::update_tenant))
        .route("/users", get(org::list_users).post(org::create_user))
        .route("/users/{id}", get(org::get_user).patch(org::update_user))
        .route("/users/{id}/password", post(org::set_password))
        .route("/groups", get(org::list_groups).post(org::create_group))
        .route("/groups/{id}", get(org::get_group).patch(org::update_group))
        .route("/locations", get(org::list_locations).post(org::create_location))
        .route("/locations/{id}", get(org::get_location).patch(org::update_location))
        .route("/categories", get(org::list_categories).post(org::create_category))
        .route("/categories/{id}", axum::routing::patch(org::update_category))
        .route("/priority-matrix", get(org::get_matrix).put(org::put_matrix))
        .route("/tickets/{ticket}/sla", get(sla::ticket_clocks))
        .route("/calendars", get(sla::list_calendars).post(sla::create_calendar))
        .route("/calendars/{id}", get(sla::get_calendar).patch(sla::update_calendar))
        .route("/sla-policies", get(sla::list_policies).post(sla::create_policy))
        .route("/sla-policies/{id}", get(sla::get_policy).patch(sla::update_policy))
        .route("/reports/sla", get(sla::compliance))
        .route("/sla/breaching-soon", get(sla::breaching_soon))
        .route("/notifications", get(sla::notifications))
        .route("/notifications/{id}/read", post(sla::mark_read))
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .merge(uploads)
}
