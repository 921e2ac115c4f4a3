//! Who is looking at a page: the session cookie, the language and time zone, CSRF tokens for
//! forms and the checks every form post goes through.
//!
//! - The session cookie holds a random token (only its hash is stored); it is `HttpOnly`,
//!   `SameSite=Lax`, and `Secure` when the request came over HTTPS.
//! - Every form carries the session's CSRF token (before login: a token from a short-lived
//!   cookie, double-submitted); [`Posted`] refuses a form without the right one, and the
//!   router refuses a POST whose `Origin` is another site.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use yunwei_db::identity::User;
use yunwei_db::sessions::{self, Session};
use yunwei_kernel::permission::{self, Actor};

use super::i18n::{self, Locale};
use super::view;
use crate::AppState;

pub const SESSION_COOKIE: &str = "yw_session";
pub const LANG_COOKIE: &str = "yw_lang";
pub const PRE_COOKIE: &str = "yw_pre";
pub const FLASH_COOKIE: &str = "yw_flash";

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached us over HTTPS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")))
}

/// A `Set-Cookie` value. `max_age` 0 deletes the cookie; `None` lasts for the browser session.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, https: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if https {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// A freshly signed-in user behind a page.
#[derive(Clone)]
pub struct Signed {
    pub user: User,
    pub actor: Actor,
    pub session: Session,
}

impl Signed {
    pub fn is_staff(&self) -> bool {
        self.actor.is_staff()
    }
}

/// Anyone looking at a page: signed in or not, in which language and time zone.
#[derive(Clone)]
pub struct Viewer {
    pub signed: Option<Signed>,
    pub locale: Locale,
    pub tz: jiff::tz::TimeZone,
    pub https: bool,
    /// The path and query of this request, to come back to after logging in or switching
    /// language.
    pub path: String,
    /// The double-submit CSRF token of a visitor who is not signed in (from [`PRE_COOKIE`]).
    pub pre_csrf: Option<String>,
    /// A one-time message key from the previous request (after a redirect).
    pub flash: Option<String>,
    /// The largest attachment a form may carry, told before upload.
    pub max_upload_bytes: usize,
}

impl Viewer {
    /// The refusal, worded, of a form whose file is larger than an attachment may be.
    pub fn file_too_large(&self, form: &FormData) -> Option<String> {
        let too_large = form.file.as_ref().is_some_and(|(_, b)| b.len() > self.max_upload_bytes);
        too_large.then(|| i18n::tf(self.locale, "error.file_too_large", &[("mb", &mib(self.max_upload_bytes))]))
    }

    pub fn csrf(&self) -> &str {
        match &self.signed {
            Some(s) => &s.session.csrf_token,
            None => self.pre_csrf.as_deref().unwrap_or(""),
        }
    }

    pub fn actor(&self) -> Option<&Actor> {
        self.signed.as_ref().map(|s| &s.actor)
    }
}

fn locale_of(parts: &Parts, signed: Option<&Signed>) -> Locale {
    if let Some(s) = signed {
        return Locale::parse(&s.user.locale).unwrap_or(Locale::ZhCn);
    }
    if let Some(l) = cookie(&parts.headers, LANG_COOKIE).and_then(Locale::parse) {
        return l;
    }
    parts.headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::negotiate).unwrap_or(Locale::ZhCn)
}

async fn signed_in(parts: &Parts, state: &AppState) -> Option<Signed> {
    let token = cookie(&parts.headers, SESSION_COOKIE)?;
    let found = async {
        let mut tx = state.store.lookup().await?;
        let Some((session, user)) = sessions::lookup(&mut tx, token).await? else { return Ok(None) };
        let actor = yunwei_db::identity::actor(&mut tx, &user).await?;
        drop(tx);
        if sessions::needs_touch(&session) {
            let mut tx = state.store.write().await?;
            sessions::touch(&mut tx, session.id).await?;
            tx.commit().await?;
        }
        Ok::<_, yunwei_db::StoreError>(Some(Signed { user, actor, session }))
    };
    match found.await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let signed = signed_in(parts, state).await;
        let locale = locale_of(parts, signed.as_ref());
        let tz = signed
            .as_ref()
            .and_then(|s| jiff::tz::TimeZone::get(&s.user.time_zone).ok())
            .unwrap_or_else(|| jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC));
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let v = Viewer {
            signed,
            locale,
            tz,
            https: is_https(&parts.headers),
            path,
            pre_csrf: cookie(&parts.headers, PRE_COOKIE).map(str::to_string),
            flash: cookie(&parts.headers, FLASH_COOKIE).map(str::to_string),
            max_upload_bytes: state.config.max_attachment_bytes,
        };
        parts.extensions.insert(v.clone());
        Ok(v)
    }
}

/// Who a page or form is for. Each is checked once, by the extractor, and hands the handler
/// proof of the caller (`Proof`), so handlers never look the caller up or check a role again.
pub trait Who {
    type Proof: Send;
    /// The proof for this viewer, or the answer for someone it is not for.
    // A response is made once per refused request; boxing it would buy nothing.
    #[allow(clippy::result_large_err)]
    fn check(v: &Viewer) -> Result<Self::Proof, Response>;
}

/// Anyone, signed in or not (the login page, the language switch).
pub struct Anyone;

impl Who for Anyone {
    type Proof = Option<Actor>;
    fn check(v: &Viewer) -> Result<Option<Actor>, Response> {
        Ok(v.actor().cloned())
    }
}

/// Anyone signed in; others are sent to the login page and brought back afterwards.
pub struct SignedIn;

impl Who for SignedIn {
    type Proof = Actor;
    fn check(v: &Viewer) -> Result<Actor, Response> {
        v.actor().cloned().ok_or_else(|| to_login(&v.path))
    }
}

/// Staff who work tickets; anyone else signed in gets the 404 page, as if it did not exist.
pub struct StaffOnly;

impl Who for StaffOnly {
    type Proof = Actor;
    fn check(v: &Viewer) -> Result<Actor, Response> {
        let actor = SignedIn::check(v)?;
        if actor.is_staff() { Ok(actor) } else { Err(view::not_found(v)) }
    }
}

/// Administrators; anyone else signed in is told they may not (403).
pub struct AdminOnly;

impl Who for AdminOnly {
    type Proof = Actor;
    fn check(v: &Viewer) -> Result<Actor, Response> {
        let actor = SignedIn::check(v)?;
        if actor.may(permission::MANAGE_ORGANISATION) {
            Ok(actor)
        } else {
            Err(view::problem_page(v, StatusCode::FORBIDDEN, "error.refused_title", "error.forbidden"))
        }
    }
}

/// Sends the visitor to the login page, to come back to `path` afterwards.
pub fn to_login(path: &str) -> Response {
    let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

macro_rules! page_extractor {
    ($(#[$doc:meta])* $name:ident, $who:ty) => {
        $(#[$doc])*
        pub struct $name(pub Viewer, pub Actor);

        impl FromRequestParts<AppState> for $name {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
                let v = Viewer::from_request_parts(parts, state).await?;
                let actor = <$who>::check(&v)?;
                Ok($name(v, actor))
            }
        }
    };
}

page_extractor!(
    /// A page for anyone signed in: the viewer and their `Actor`.
    Ctx,
    SignedIn
);
page_extractor!(
    /// A page for staff: the viewer and their `Actor`; anyone else signed in gets the 404 page.
    Staff,
    StaffOnly
);
page_extractor!(
    /// A page for administrators: the viewer and their `Actor`; others signed in get a 403.
    Admin,
    AdminOnly
);

/// A form's fields and its one optional file.
#[derive(Default)]
pub struct FormData {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, Vec<u8>)>,
}

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// A trimmed, non-empty value.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.opt(name).and_then(|v| v.parse().ok())
    }
}

/// A form post that passed the CSRF check, with the viewer behind it and proof of who they are
/// (`Posted<StaffOnly>`: `actor` is a member of staff's `Actor`; plain `Posted`: anyone).
pub struct Posted<W: Who = Anyone> {
    pub viewer: Viewer,
    pub actor: W::Proof,
    pub form: FormData,
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn read_form(req: Request, state: &AppState) -> Result<FormData, StatusCode> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let mut form = FormData::default();
    if content_type.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, state).await.map_err(|_| StatusCode::BAD_REQUEST)?;
        while let Some(field) = mp.next_field().await.map_err(|e| e.status())? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(|e| e.status())?;
                    if !file_name.is_empty() && !bytes.is_empty() {
                        form.file = Some((file_name, bytes.to_vec()));
                    }
                }
                None => {
                    let text = field.text().await.map_err(|e| e.status())?;
                    form.fields.insert(name, text);
                }
            }
        }
    } else {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| e.status())?;
        for (k, v) in form_urlencoded::parse(&bytes) {
            form.fields.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(form)
}

impl<W: Who> FromRequest<AppState> for Posted<W> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let form = match read_form(Request::from_parts(parts, body), state).await {
            Ok(f) => f,
            Err(StatusCode::PAYLOAD_TOO_LARGE) => {
                // Too large to read at all: say the limit, and that going back keeps the text.
                let message = format!(
                    "{} {}",
                    i18n::tf(viewer.locale, "error.file_too_large", &[("mb", &mib(viewer.max_upload_bytes))]),
                    i18n::t(viewer.locale, "error.too_large")
                );
                return Err(view::problem_text(
                    &viewer,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "error.too_large_title",
                    message,
                ));
            }
            Err(_) => {
                return Err(view::problem_page(
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    "error.bad_form_title",
                    "error.bad_form",
                ));
            }
        };
        let expected = viewer.csrf();
        if expected.is_empty() || !constant_time_eq(expected, form.get("csrf")) {
            return Err(view::problem_page(&viewer, StatusCode::FORBIDDEN, "error.csrf_title", "error.csrf"));
        }
        let actor = match W::check(&viewer) {
            Ok(actor) => actor,
            // A form whose session ended meanwhile: sign in again (the form's address is no page
            // to come back to).
            Err(_) if viewer.signed.is_none() => return Err(Redirect::to("/login").into_response()),
            Err(refused) => return Err(refused),
        };
        Ok(Posted { viewer, actor, form })
    }
}

/// Refuses a state-changing request whose `Origin` is not this site (a second line behind the
/// CSRF token). Requests without `Origin` (old browsers, scripts) rely on the token alone.
pub async fn check_origin(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if req.method() != axum::http::Method::GET && req.method() != axum::http::Method::HEAD {
        let headers = req.headers();
        if let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) {
            let host = headers
                .get("x-forwarded-host")
                .or_else(|| headers.get("host"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let scheme = if is_https(headers) { "https" } else { "http" };
            if origin != format!("{scheme}://{host}") {
                tracing::warn!(origin, host, "form post from another origin refused");
                let (mut parts, _) = req.into_parts();
                return match Viewer::from_request_parts(&mut parts, &state).await {
                    Ok(v) => view::problem_page(&v, StatusCode::FORBIDDEN, "error.origin_title", "error.origin"),
                    Err(r) => r,
                };
            }
        }
    }
    next.run(req).await
}

/// A size in whole mebibytes, as the upload limit is told (`10`), or with one decimal below 1.
pub fn mib(bytes: usize) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 1.0 { format!("{}", mb.floor() as u64) } else { format!("{mb:.1}") }
}
