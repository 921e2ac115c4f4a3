//! Logging in and out, the front door, and switching language.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yunwei_db::preferences;
use yunwei_db::sessions::{self, LoginOutcome};

use super::i18n::{self, Locale};
use super::session::{LANG_COOKIE, PRE_COOKIE, Posted, SESSION_COOKIE, Viewer, set_cookie};
use super::view::{self, Ui, render};
use crate::AppState;

/// Only our own paths are followed after login or a language switch (no open redirect).
pub fn safe_back(path: &str, fallback: &str) -> String {
    if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") && !path.contains(['\r', '\n']) {
        path.to_string()
    } else {
        fallback.to_string()
    }
}

/// Where a signed-in user starts: staff in the console, everyone else in the portal.
pub async fn home(v: Viewer) -> Response {
    match &v.signed {
        None => Redirect::to("/login").into_response(),
        Some(s) if s.is_staff() => Redirect::to("/console").into_response(),
        Some(_) => Redirect::to("/portal").into_response(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ui: Ui,
    error: Option<String>,
    login: String,
    next: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    // Without randomness the form cannot be protected: an empty token fails every post.
    match getrandom::fill(&mut b) {
        Ok(()) => hex::encode(b),
        Err(_) => String::new(),
    }
}

/// The login page, with a fresh pre-login CSRF token when the visitor has none.
fn login_page(mut v: Viewer, status: StatusCode, error: Option<String>, login: String, next: String) -> Response {
    let mut fresh = None;
    if v.pre_csrf.is_none() {
        let token = random_token();
        v.pre_csrf = Some(token.clone());
        fresh = Some(token);
    }
    let page = LoginPage { ui: Ui::new(&v, "login"), error, login, next };
    let mut res = render(&v, status, page);
    if let Some(token) = fresh {
        res.headers_mut().append(header::SET_COOKIE, set_cookie(PRE_COOKIE, &token, Some(2 * 60 * 60), v.https));
    }
    res
}

pub async fn login_form(v: Viewer, Query(q): Query<LoginQuery>) -> Response {
    let next = safe_back(q.next.as_deref().unwrap_or("/"), "/");
    if v.signed.is_some() {
        return Redirect::to(&next).into_response();
    }
    login_page(v, StatusCode::OK, None, String::new(), next)
}

/// The time a lock ends, in the viewer's zone, and the minutes until then (at least 1).
fn lock_text(v: &Viewer, until: i64) -> (String, String) {
    let now = yunwei_db::now_micros();
    let minutes = ((until - now) as f64 / 60_000_000.0).ceil().max(1.0) as i64;
    let time = jiff::Timestamp::from_microsecond(until)
        .map(|t| t.to_zoned(v.tz.clone()).strftime("%H:%M:%S").to_string())
        .unwrap_or_default();
    (time, minutes.to_string())
}

fn locked_page(v: Viewer, until: i64, login: String, next: String) -> Response {
    let (time, minutes) = lock_text(&v, until);
    let message = i18n::tf(v.locale, "login.locked", &[("time", &time), ("minutes", &minutes)]);
    let retry = ((until - yunwei_db::now_micros()) / 1_000_000).max(1);
    let mut res = login_page(v, StatusCode::TOO_MANY_REQUESTS, Some(message), login, next);
    if let Ok(h) = HeaderValue::from_str(&retry.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, h);
    }
    res
}

pub async fn login(State(s): State<AppState>, p: Posted) -> Response {
    let Posted { viewer: v, form, .. } = p;
    let login_name = form.get("login").trim().to_string();
    let next = safe_back(form.get("next"), "/");
    // On the first visit the browser's language (or the one picked on this page) becomes the
    // user's language; afterwards the stored one is used.
    match sessions::login(&s.store, &login_name, form.get("password"), v.locale.as_str()).await {
        Ok(LoginOutcome::LoggedIn { token, .. }) => {
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token, None, v.https));
            h.append(header::SET_COOKIE, set_cookie(PRE_COOKIE, "", Some(0), v.https));
            res
        }
        Ok(LoginOutcome::Failed { locked_until: Some(until) }) | Ok(LoginOutcome::Locked { until }) => {
            locked_page(v, until, login_name, next)
        }
        Ok(LoginOutcome::Failed { locked_until: None }) => {
            let message = i18n::t(v.locale, "login.failed").to_string();
            login_page(v, StatusCode::UNAUTHORIZED, Some(message), login_name, next)
        }
        Err(e) => view::fail(&v, e),
    }
}

pub async fn logout(State(s): State<AppState>, headers: axum::http::HeaderMap, p: Posted) -> Response {
    if let Some(token) = super::session::cookie(&headers, SESSION_COOKIE) {
        let ended = async {
            let mut tx = s.store.write().await?;
            sessions::end(&mut tx, token).await?;
            tx.commit().await
        };
        if let Err(e) = ended.await {
            return view::fail(&p.viewer, e);
        }
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", Some(0), p.viewer.https));
    res
}

/// Switches language: remembered for the user when signed in, in a cookie otherwise.
pub async fn switch_language(State(s): State<AppState>, p: Posted) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let Some(locale) = Locale::parse(form.get("lang")) else {
        return view::problem_page(&v, StatusCode::UNPROCESSABLE_ENTITY, "error.bad_form_title", "error.bad_form");
    };
    if let Some(actor) = actor {
        let saved = async {
            let mut tx = s.store.write().await?;
            preferences::set_locale(&mut tx, &actor, locale.as_str()).await?;
            tx.commit().await
        };
        if let Err(e) = saved.await {
            return view::fail(&v, e);
        }
    }
    let back = safe_back(form.get("back"), "/");
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LANG_COOKIE, locale.as_str(), Some(365 * 24 * 3600), v.https));
    res
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_our_own_paths_are_followed() {
        assert_eq!(safe_back("/portal?x=1", "/"), "/portal?x=1");
        for evil in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\r\nSet-Cookie: x",
        ] {
            assert_eq!(safe_back(evil, "/"), "/", "{evil:?}");
        }
    }
}
