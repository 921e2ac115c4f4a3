//! Yunwei's HTTP platform: the JSON error contract and the extractors that answer in it (the
//! caller behind a bearer token, JSON bodies, queries, paths), the web UI's sessions, CSRF and
//! Origin checks, the page layout and its two languages, health and metrics — and the
//! [`Module`] a bounded context hands to the composition root: its API routes, its pages, its
//! background jobs and its translation catalogues. Handlers parse, authorise through the
//! module's scoped store operations, and render; rules and SQL live in the modules.

pub mod dto;
pub mod error;
pub mod extract;
pub mod files;
pub mod metrics;
pub mod openapi;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ui;

use std::future::Future;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;
use yunwei_db::Store;

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
    pub config: ServerConfig,
    pub metrics: metrics::Metrics,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        Self { store, config, metrics: metrics::Metrics::new() }
    }
}

/// What a bounded context adds to the running server. Each module crate exports one
/// (`yunwei_desk::MODULE`); the composition root lists them once.
pub struct Module {
    pub name: &'static str,
    /// Routes under `/api/v1`, each added with `routes!(handler)` from a handler annotated
    /// with `#[utoipa::path(...)]`, so the API documents itself ([`openapi`]); JSON bodies are
    /// limited to `max_json_bytes` unless a route sets its own limit.
    pub api: fn(&AppState) -> utoipa_axum::router::OpenApiRouter<AppState>,
    /// Pages; they get the security headers, the Origin check and a body limit for uploads.
    pub pages: fn(&AppState) -> Router<AppState>,
    /// Background loops of its own, started with the server and stopped when `stop` turns
    /// true (the SLA scan).
    pub jobs: fn(&AppState, watch::Receiver<bool>) -> Vec<JoinHandle<()>>,
    /// The kinds of queued job it runs (`yunwei_db::jobs`); every instance runs them.
    pub job_kinds: &'static [yunwei_db::jobs::JobKind],
    /// Its links in the top navigation.
    pub nav: &'static [ui::nav::NavLink],
    /// The permissions its domain declares (`yunwei_kernel::permission::Permission`), with the
    /// roles that have them; the platform's own are `permission::PLATFORM`.
    pub permissions: &'static [yunwei_kernel::permission::Permission],
    /// The module's translation catalogues (`&[texts!()]`: its `i18n/zh-CN.toml` and
    /// `i18n/en.toml`), none where its pages use only the platform's words.
    pub texts: &'static [ui::i18n::Texts],
}

/// Permission names that the platform and `modules` declare more than once (a name must say
/// one thing: `desk.work_tickets`).
pub fn permission_clashes(modules: &[Module]) -> Vec<&'static str> {
    let mut seen = std::collections::BTreeSet::new();
    let mut clashes = Vec::new();
    let all = yunwei_kernel::permission::PLATFORM.iter().chain(modules.iter().flat_map(|m| m.permissions));
    for p in all {
        if !seen.insert(p.name) {
            clashes.push(p.name);
        }
    }
    clashes
}

/// A module with nothing to add where it has nothing (`jobs: no_jobs`).
pub fn no_jobs(_: &AppState, _: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    Vec::new()
}

/// Runs the modules' queued jobs until `stop` turns true: whatever is due, then again when a
/// job is committed in this process ([`yunwei_db::jobs::wake`]) or after a second.
fn spawn_job_runner(
    state: AppState,
    kinds: Vec<yunwei_db::jobs::JobKind>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let mut tag = [0u8; 4];
    let _ = getrandom::fill(&mut tag);
    let worker = format!("{}-{}", std::process::id(), hex::encode(tag));
    tokio::spawn(async move {
        loop {
            match yunwei_db::jobs::run_due(&state.store, &kinds, &worker, 100).await {
                Ok(ran) => state.metrics.observe_jobs(ran),
                Err(e) => tracing::warn!(error = %e, "the job runner could not reach the database"),
            }
            tokio::select! {
                _ = yunwei_db::jobs::woken_or(std::time::Duration::from_secs(1)) => {}
                _ = stop.changed() => return,
            }
        }
    })
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

/// The modules' API under `/api/v1` and its OpenAPI document, which
/// `/api/v1/openapi.json` serves.
pub fn api(state: &AppState, modules: &[Module]) -> (Router<AppState>, serde_json::Value) {
    let mut api = utoipa_axum::router::OpenApiRouter::new();
    for m in modules {
        api = api.merge((m.api)(state));
    }
    let (served, served_doc) = openapi::route().split_for_parts();
    api.get_openapi_mut().merge(served_doc);
    let api = api.layer(DefaultBodyLimit::max(state.config.max_json_bytes));
    let (api, doc) = utoipa_axum::router::OpenApiRouter::new().nest(openapi::PREFIX, api).split_for_parts();
    let doc = openapi::finish(doc);
    let served = served.layer(axum::Extension(openapi::document(doc.clone())));
    (api.nest(openapi::PREFIX, served), doc)
}

/// The whole application: the modules' API and pages beside the platform's own (sign-in,
/// account, health, metrics, static files), with their translations installed.
pub fn router(state: AppState, modules: &[Module]) -> Router {
    ui::i18n::install(modules.iter().flat_map(|m| m.texts.iter().copied()).collect());
    ui::nav::install(modules.iter().flat_map(|m| m.nav.iter()).collect());
    let mut pages = Router::new();
    for m in modules {
        pages = pages.merge((m.pages)(&state));
    }
    let (api, _) = api(&state, modules);
    Router::new()
        .merge(api)
        .merge(ui::routes(&state, pages))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::endpoint))
        .fallback(ui::fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `app` and runs the modules' background work until `shutdown` completes, then stops
/// taking connections, lets requests in flight finish, stops background work and closes the
/// database.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    modules: &[Module],
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let (stop, stopped) = watch::channel(false);
    let mut jobs: Vec<JoinHandle<()>> = modules.iter().flat_map(|m| (m.jobs)(&state, stopped.clone())).collect();
    let kinds: Vec<yunwei_db::jobs::JobKind> = modules.iter().flat_map(|m| m.job_kinds.iter().copied()).collect();
    jobs.push(spawn_job_runner(state.clone(), kinds, stopped));
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    let _ = stop.send(true);
    for job in jobs {
        let _ = job.await;
    }
    store.close().await;
    served
}
