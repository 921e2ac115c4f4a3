//! The organisation's administration pages (administrators only).

pub mod org;
pub mod users;

use axum::Router;
use axum::routing::{get, post};
use yunwei_web::AppState;

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users::users_list).post(users::user_create))
        .route("/admin/users/{id}", get(users::user_show).post(users::user_update))
        .route("/admin/users/{id}/active", post(users::user_active))
        .route("/admin/users/{id}/password", post(users::user_password))
        .route("/admin/tenants", get(org::tenants_list).post(org::tenant_create))
        .route("/admin/tenants/{id}", post(org::tenant_update))
        .route("/admin/groups", get(org::groups_list).post(org::group_create))
        .route("/admin/groups/{id}", get(org::group_show).post(org::group_update))
        .route("/admin/locations", get(org::locations_list).post(org::location_create))
        .route("/admin/locations/{id}", post(org::location_update))
}
