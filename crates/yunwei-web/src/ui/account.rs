//! The signed-in user's own settings: language and time zone, and their password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use yunwei_db::{StoreError, identity, preferences};
use yunwei_kernel::DomainError;

use super::i18n::{self, Locale};
use super::session::{Ctx, LANG_COOKIE, Posted, SignedIn, Viewer, set_cookie};
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
    /// A refusal of the password form, shown beside it.
    password_error: Option<String>,
}

fn page(v: &Viewer, status: StatusCode, error: Option<String>, password_error: Option<String>) -> Response {
    let Some(s) = &v.signed else { return super::session::to_login(&v.path) };
    let zone = s.user.time_zone.clone();
    let mut zones: Vec<String> = ZONES.iter().map(|z| z.to_string()).collect();
    if !zones.contains(&zone) {
        zones.insert(0, zone.clone());
    }
    let p = AccountPage { ui: Ui::new(v, "account"), zones, zone, login: s.user.login.clone(), error, password_error };
    render(v, status, p)
}

pub async fn show(Ctx(v, _): Ctx) -> Response {
    page(&v, StatusCode::OK, None, None)
}

pub async fn save(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
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
            Ok((status, msg)) => page(&v, status, Some(msg), None),
            Err(page) => page,
        },
    }
}

/// Changes the viewer's own password: the current one, the new one twice. Every other session
/// of theirs ends; this one stays.
pub async fn change_password(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let session = v.signed.as_ref().map(|s| s.session.id);
    let l = v.locale;
    let new = form.get("new_password");
    if new != form.get("repeat_password") {
        let msg = i18n::t(l, "account.password_mismatch").to_string();
        return page(&v, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg));
    }
    let changed = identity::change_password(&s.store, &actor, session, form.get("current_password"), new).await;
    match changed {
        Ok(()) => view::redirect_with(&v, "/account", "flash.password_changed"),
        Err(StoreError::Domain(DomainError::Invalid(f))) => {
            let msg = match f.field.as_str() {
                "current_password" if f.code() == "password_locked" => {
                    i18n::t(l, "account.password_locked").to_string()
                }
                "current_password" => i18n::t(l, "account.password_wrong").to_string(),
                _ => view::field_text(l, "new_password", &f.problem),
            };
            page(&v, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg))
        }
        Err(e) => match view::explain(&v, e) {
            Ok((status, msg)) => page(&v, status, None, Some(msg)),
            Err(page) => page,
        },
    }
}
