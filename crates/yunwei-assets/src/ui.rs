//! Asset management's pages.

use axum::Router;
use yunwei_web::AppState;

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new()
}
