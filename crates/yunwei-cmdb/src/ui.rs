//! The CMDB's pages.

pub mod import;

use axum::Router;
use yunwei_web::AppState;

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new().merge(import::routes())
}
