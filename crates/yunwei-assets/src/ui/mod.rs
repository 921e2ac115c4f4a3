//! Asset management's pages: for everyone signed in, their own devices in the portal; for
//! staff, the asset list with filters, warranties and contracts
//! ending soon, an asset's page (details, the lifecycle moves its state allows, the edit form
//! and the history), the new-asset form, and stock-takes with a phone-width scan form.

pub mod assets;
pub mod devices;
pub mod import;
pub mod stocktakes;

use axum::Router;
use axum::routing::{get, post};
use yunwei_web::AppState;

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new()
        .route("/assets", get(assets::list).post(assets::create))
        .route("/assets/new", get(assets::new_form))
        .route("/assets/import", get(import::page).post(import::submit))
        .route("/assets/export", get(import::export))
        .route("/assets/ending", get(assets::ending))
        .route("/assets/{id}", get(assets::show).post(assets::save))
        .route("/assets/{id}/transition", post(assets::transition))
        .route("/portal/devices", get(devices::mine))
        .route("/stock-takes", get(stocktakes::list).post(stocktakes::start))
        .route("/stock-takes/{id}", get(stocktakes::show))
        .route("/stock-takes/{id}/scan", post(stocktakes::scan))
        .route("/stock-takes/{id}/apply", post(stocktakes::apply))
        .route("/stock-takes/{id}/scans/import", post(import::scans))
}
