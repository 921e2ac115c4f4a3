//! The signed-in user's own settings: language and time zone.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yunwei_db::preferences;

use super::i18n::Locale;
use super::session::{Ctx, LANG_COOKIE, Posted, set_cookie};
use super::view::{self, Ui, render};
use crate::AppState;

/// Time zones offered first; the user's own is always offered too.
const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "UTC",
];

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ui: Ui,
    zones: Vec<String>,
    zone: String,
    login: String,
    error: Option<String>,
}

fn page(v: &super::session::Viewer, status: StatusCode, error: Option<String>) -> Response {
    let Some(s) = &v.signed else { return super::session::to_login(&v.path) };
    let zone = s.user.time_zone.clone();
    let mut zones: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
    if !zones.contains(&zone) {
        zones.insert(0, zone.clone());
    }
    let p = AccountPage { ui: Ui::new(v, "account"), zones, zone, login: s.user.login.clone(), error };
    render(v, status, p)
}

pub async fn show(Ctx(v): Ctx) -> Response {
    page(&v, StatusCode::OK, None)
}

pub async fn save(State(s): State<AppState>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    let Some(actor) = v.actor().cloned() else { return super::session::to_login("/account") };
    let locale = Locale::parse(form.get("lang")).unwrap_or(v.locale);
    let saved = async {
        let mut tx = s.store.write().await?;
        preferences::set_locale(&mut tx, &actor, locale.as_str()).await?;
        preferences::set_time_zone(&mut tx, &actor, form.get("time_zone")).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => {
            let mut res = view::redirect_with(&v, "/account", "flash.saved");
            res.headers_mut().append(
                axum::http::header::SET_COOKIE,
                set_cookie(LANG_COOKIE, locale.as_str(), Some(365 * 24 * 3600), v.https),
            );
            res.into_response()
        }
        Err(e) => match view::explain(&v, e) {
            Ok((status, msg)) => page(&v, status, Some(msg)),
            Err(page) => page,
        },
    }
}
