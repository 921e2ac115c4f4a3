//! The web UI's platform: server-rendered pages (askama) in Chinese and English — the layout,
//! sign-in and the account page, sessions and CSRF, the friendly error pages, the admin forms'
//! helpers — around the pages each module adds. Pages call the same store operations as the
//! JSON API and show only what the viewer may see: anything outside their scope is the
//! friendly 404 page.
//!
//! Every essential action is a plain form that works without JavaScript; the small script in
//! `static/yunwei.js` only makes pages nicer.

pub mod account;
pub mod assets;
pub mod auth;
pub mod forms;
pub mod i18n;
pub mod nav;
pub mod session;
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

/// The platform's pages and the modules' `pages`, behind the security headers and the Origin
/// check; the static files beside them.
pub fn routes(state: &AppState, pages: Router<AppState>) -> Router<AppState> {
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/lang", post(auth::switch_language))
        .route("/account", get(account::show).post(account::save))
        .route("/account/password", post(account::change_password))
        .merge(pages)
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
