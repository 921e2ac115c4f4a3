#![recursion_limit = "512"]
//! Yunwei's HTTP side: the JSON API under `/api/v1` (described at `/api/v1/openapi.json`),
//! health and metrics, authentication and permission checks at the edge. Handlers parse,
//! authorise through the store's scoped operations, and render; the rules live in
//! `yunwei-domain` and the SQL in `yunwei-store`.

pub mod api;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod metrics;
pub mod ui;

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use yunwei_store::Store;
use yunwei_store::intake::Intake;

use crate::error::ApiError;

/// Limits and settings the HTTP side needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub max_json_bytes: usize,
    pub max_attachment_bytes: usize,
    /// How often the SLA escalation scan runs.
    pub sla_scan_every: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_json_bytes: 1024 * 1024,
            max_attachment_bytes: 10 * 1024 * 1024,
            sla_scan_every: std::time::Duration::from_secs(15),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// Writes tickets logged through the API at the same moment in one transaction.
    pub intake: Intake,
    pub config: ServerConfig,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        Self { intake: Intake::new(store.clone()), store, config, metrics: metrics::Metrics::new() }
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

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this path does not take that method")
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes(&state))
        .merge(ui::routes(&state))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::endpoint))
        .fallback(ui::fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves (and runs background work) until `shutdown` completes, then stops taking
/// connections, lets requests in flight finish, stops background work and closes the database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scan = jobs::spawn_sla_scan(store.clone(), state.metrics.clone(), state.config.sla_scan_every, stopped);
    let served = axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await;
    let _ = stop.send(true);
    let _ = scan.await;
    store.close().await;
    served
}
