//! The administration of CI classes and relationship rules.

use axum::Router;
use yunwei_web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
