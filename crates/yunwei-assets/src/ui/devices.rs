//! "My devices" in the portal: the assets and the CIs assigned to the viewer, each with a link
//! that opens the portal's new-ticket form with that device ticked. Anyone signed in may open
//! it (staff have laptops too); the navigation links it for the portal's people, since staff
//! reach assets through the asset list.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_cmdb::store::cis::{self, Ci, CiFilter};
use yunwei_cmdb::store::classes;
use yunwei_db::StoreError;
use yunwei_web::AppState;
use yunwei_web::ui::session::Ctx;
use yunwei_web::ui::view::{self, Ui, render};

use crate::store::assets::{self, Asset, AssetFilter, Choices};

/// One CI of the viewer's, with its class in the viewer's language.
struct CiRow {
    ci: Ci,
    class: String,
}

#[derive(Template)]
#[template(path = "my_devices.html")]
struct DevicesPage {
    ui: Ui,
    assets: Vec<Asset>,
    cis: Vec<CiRow>,
    choices: Choices,
}

impl DevicesPage {
    /// The new-ticket form with the device's CI ticked; just the form for an asset that is
    /// no CI.
    fn report_href(&self, ci: &Option<i64>) -> String {
        match ci {
            Some(id) => format!("/portal/new?ci={id}"),
            None => "/portal/new".to_string(),
        }
    }
}

/// The viewer's own assets and CIs (at most a page of each: a person has a few devices).
pub async fn mine(State(s): State<AppState>, Ctx(v, actor): Ctx) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let af = AssetFilter { user_id: Some(actor.user_id), limit: Some(assets::MAX_PAGE), ..Default::default() };
        let owned = assets::list(&mut tx, &actor, &af).await?;
        let cf = CiFilter { user_id: Some(actor.user_id), limit: Some(cis::MAX_PAGE), ..Default::default() };
        let cis = cis::list(&mut tx, &actor, &cf).await?;
        let classes = classes::list(&mut tx).await?;
        let choices = assets::choices(&mut tx, &actor).await?;
        Ok::<_, StoreError>((owned, cis, classes, choices))
    };
    let (owned, cis, classes, choices) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let locale = v.locale.as_str();
    let cis = cis
        .into_iter()
        .map(|ci| {
            let class = classes
                .iter()
                .find(|k| k.code == ci.class_code)
                .map(|k| k.name(locale).to_string())
                .unwrap_or_else(|| ci.class_code.clone());
            CiRow { ci, class }
        })
        .collect();
    render(&v, StatusCode::OK, DevicesPage { ui: Ui::new(&v, "my_devices"), assets: owned, cis, choices })
}
