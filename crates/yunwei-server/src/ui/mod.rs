//! The web UI: server-rendered pages (askama) for the self-service portal and the agent
//! console, in Chinese and English. Pages call the same store operations as the JSON API —
//! the rules stay in the domain and the SQL in the store — and show only what the viewer may
//! see: anything outside their scope is the friendly 404 page.
//!
//! Every essential action is a plain form that works without JavaScript; the small script in
//! `static/yunwei.js` only makes pages nicer.

pub mod account;
pub mod admin;
pub mod admin_org;
pub mod assets;
pub mod auth;
pub mod console;
pub mod dashboard;
pub mod i18n;
pub mod portal;
pub mod session;
pub mod shared;
pub mod sla;
pub mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

/// Headers every page gets: a strict content security policy (no inline script or style, no
/// framing) and no MIME sniffing.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang", post(auth::switch_language))
        .route("/account", get(account::show).post(account::save))
        .route("/portal", get(portal::my_tickets))
        .route("/portal/new", get(portal::new_form).post(portal::create))
        .route("/portal/tickets/{ticket}", get(portal::ticket))
        .route("/portal/tickets/{ticket}/reply", post(portal::reply))
        .route("/portal/tickets/{ticket}/rate", post(portal::rate))
        .route("/portal/tickets/{ticket}/act/{action}", post(portal::act))
        .route("/portal/tickets/{ticket}/files/{id}", get(portal::download))
        .route("/console", get(console::queue))
        .route("/console/dashboard", get(dashboard::show))
        .route("/console/new", get(console::new_form).post(console::create))
        .route("/console/tickets/{ticket}", get(console::ticket))
        .route("/console/tickets/{ticket}/comment", post(console::comment))
        .route("/console/tickets/{ticket}/act/{action}", post(console::act))
        .route("/console/tickets/{ticket}/link", post(console::link))
        .route("/console/tickets/{ticket}/files/{id}", get(console::download))
        .route("/console/sla/soon", get(sla::soon))
        .route("/console/sla/report", get(sla::report))
        .route("/admin/users", get(admin::users_list).post(admin::user_create))
        .route("/admin/users/{id}", get(admin::user_show).post(admin::user_update))
        .route("/admin/users/{id}/active", post(admin::user_active))
        .route("/admin/users/{id}/password", post(admin::user_password))
        .route("/admin/matrix", get(admin::matrix_show).post(admin::matrix_save))
        .route("/admin/tenants", get(admin_org::tenants_list).post(admin_org::tenant_create))
        .route("/admin/tenants/{id}", post(admin_org::tenant_update))
        .route("/admin/groups", get(admin_org::groups_list).post(admin_org::group_create))
        .route("/admin/groups/{id}", get(admin_org::group_show).post(admin_org::group_update))
        .route("/admin/locations", get(admin_org::locations_list).post(admin_org::location_create))
        .route("/admin/locations/{id}", post(admin_org::location_update))
        .route("/admin/categories", get(admin_org::categories_list).post(admin_org::category_create))
        .route("/admin/categories/{id}", post(admin_org::category_update))
        .route("/admin/sla", get(sla::admin))
        .route("/admin/sla/calendars/new", get(sla::new_calendar).post(sla::create_calendar))
        .route("/admin/sla/calendars/{id}", get(sla::edit_calendar).post(sla::update_calendar))
        .route("/admin/sla/policies/new", get(sla::new_policy).post(sla::create_policy))
        .route("/admin/sla/policies/{id}", get(sla::edit_policy).post(sla::update_policy))
        // Room for the multipart framing around the largest allowed attachment.
        .layer(DefaultBodyLimit::max(state.config.max_attachment_bytes + 64 * 1024))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::check_origin))
        .layer(axum::middleware::from_fn(security_headers))
        .route("/static/yunwei.css", get(assets::css))
        .route("/static/yunwei.js", get(assets::js))
}

/// Unknown addresses: the friendly 404 page for browsers, the JSON error for everyone else
/// (and always under `/api/`).
pub async fn fallback(v: session::Viewer, req: Request) -> Response {
    let wants_html =
        req.headers().get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html && !req.uri().path().starts_with("/api/") {
        let mut res = view::not_found(&v);
        res.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        return res;
    }
    crate::error::ApiError::not_found("page").into_response()
}
