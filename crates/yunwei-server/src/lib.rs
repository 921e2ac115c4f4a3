#![recursion_limit = "512"]
//! Yunwei's HTTP side: the JSON API under `/api/v1` (described at `/api/v1/openapi.json`),
//! health and metrics, authentication and permission checks at the edge. Handlers parse,
//! authorise through the store's scoped operations, and render; the rules live in
//! `yunwei-domain` and the SQL in `yunwei-store`.

pub mod api;
pub mod error;
pub mod extract;
pub mod metrics;

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use yunwei_store::Store;

use crate::error::ApiError;

/// Limits and settings the HTTP side needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub max_json_bytes: usize,
    pub max_attachment_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { max_json_bytes: 1024 * 1024, max_attachment_bytes: 10 * 1024 * 1024 }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: ServerConfig,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        Self { store, config, metrics: metrics::Metrics::new() }
    }
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    match s.store.ping().await {
        Ok(()) => (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ok" }))),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "database unavailable" })))
        }
    }
}

/// The front door, until the web console arrives: what is running and where the API is.
async fn home() -> axum::response::Html<&'static str> {
    axum::response::Html(concat!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>Yunwei 运维</title></head>",
        "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>Yunwei 运维</h1>",
        "<p>Yunwei ",
        env!("CARGO_PKG_VERSION"),
        " is running. The JSON API is at <code>/api/v1</code>, described by ",
        "<a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>; send <code>Authorization: Bearer &lt;token&gt;</code>.</p>",
        "<p>服务正常运行。接口文档见 <a href=\"/api/v1/openapi.json\">OpenAPI</a>。",
        "健康检查 <a href=\"/healthz\">/healthz</a>，监控指标 <a href=\"/metrics\">/metrics</a>。</p></body></html>"
    ))
}

async fn not_found() -> ApiError {
    ApiError::not_found("page")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this path does not take that method")
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes(&state))
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::endpoint))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes, then stops taking connections, lets requests in flight
/// finish, and closes the database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await?;
    store.close().await;
    Ok(())
}
