//! What every page shares: the layout's context ([`Ui`]), rendering with the right status and
//! headers, the friendly error pages, and store errors turned into words in the viewer's
//! language.

use std::borrow::Borrow;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yunwei_db::StoreError;
use yunwei_kernel::{DomainError, Problem};

use super::i18n::{self, Locale};
use super::session::{FLASH_COOKIE, Viewer, set_cookie};
use crate::error::ApiError;

/// The layout's context: language, time zone, who is signed in, the CSRF token for forms.
pub struct Ui {
    pub locale: Locale,
    pub tz: jiff::tz::TimeZone,
    pub csrf: String,
    pub path: String,
    pub signed_in: bool,
    pub staff: bool,
    pub user_name: String,
    pub role: String,
    /// A one-time message after a redirect, already in the viewer's language.
    pub flash: Option<&'static str>,
    /// How the message is shown: `ok` for a success, `warn` for something to look at
    /// ([`redirect_with_warning`]).
    pub flash_tone: &'static str,
    /// Which navigation entry is current.
    pub nav: &'static str,
    /// What the search box shows.
    pub search: String,
    /// The largest attachment a form may carry.
    pub max_upload_bytes: usize,
}

impl Ui {
    pub fn new(v: &Viewer, nav: &'static str) -> Ui {
        let raw = v.flash.as_deref().unwrap_or_default();
        let (flash_tone, key) = match raw.strip_prefix(WARNING) {
            Some(key) => ("warn", key),
            None => ("ok", raw),
        };
        let flash = Some(key).filter(|k| k.starts_with("flash.") && i18n::has(v.locale, k));
        Ui {
            locale: v.locale,
            tz: v.tz.clone(),
            csrf: v.csrf().to_string(),
            path: v.path.clone(),
            signed_in: v.signed.is_some(),
            staff: v.signed.as_ref().is_some_and(|s| s.is_staff()),
            user_name: v.signed.as_ref().map(|s| s.user.name.clone()).unwrap_or_default(),
            role: v.signed.as_ref().map(|s| s.user.role.clone()).unwrap_or_default(),
            flash: flash.map(|k| i18n::t(v.locale, k)),
            flash_tone,
            nav,
            search: String::new(),
            max_upload_bytes: v.max_upload_bytes,
        }
    }

    /// The upload limit in words, shown beside each attachment field and said by the browser
    /// when a chosen file is larger: "Attachments may be at most 10 MB."
    pub fn upload_limit(&self) -> String {
        i18n::tf(self.locale, "error.file_too_large", &[("mb", &super::session::mib(self.max_upload_bytes))])
    }

    /// The navigation links this viewer sees.
    pub fn links(&self) -> Vec<&'static super::nav::NavLink> {
        let role = yunwei_kernel::permission::Role::parse("role", &self.role).ok();
        super::nav::visible(role.filter(|_| self.signed_in))
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.locale, key)
    }

    /// `t(prefix + "." + value)`, for labels of stored values (statuses, channels, …).
    pub fn label(&self, prefix: &str, value: &str) -> &'static str {
        let key = format!("{prefix}.{value}");
        if i18n::has(self.locale, &key) { i18n::t(self.locale, &key) } else { i18n::t(self.locale, "common.unknown") }
    }

    pub fn status(&self, s: &str) -> &'static str {
        self.label("status", s)
    }

    pub fn priority(&self, p: impl Borrow<i64>) -> &'static str {
        self.label("priority", &p.borrow().to_string())
    }

    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }

    pub fn is_zh(&self) -> bool {
        self.locale == Locale::ZhCn
    }

    /// A stored instant in the viewer's time zone, e.g. `2026-03-02 14:05`.
    pub fn dt(&self, at: impl Instant) -> String {
        match jiff::Timestamp::from_microsecond(at.micros()) {
            Ok(ts) => ts.to_zoned(self.tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => String::new(),
        }
    }

    pub fn dt_opt<T: Instant + Copy>(&self, at: impl Borrow<Option<T>>) -> String {
        (*at.borrow()).map(|m| self.dt(m)).unwrap_or_else(|| "—".to_string())
    }

    /// The instant in UTC (RFC 3339), for `<time datetime>`.
    pub fn iso(&self, at: impl Instant) -> String {
        jiff::Timestamp::from_microsecond(at.micros()).map(|t| t.to_string()).unwrap_or_default()
    }

    /// Changes whenever the stylesheet or script does, so browsers fetch the new one.
    pub fn asset_version(&self) -> &'static str {
        super::assets::version()
    }

    /// The name of the viewer's time zone, shown beside dates.
    pub fn tz_name(&self) -> String {
        self.tz.iana_name().unwrap_or("UTC").to_string()
    }
}

/// Renders a template (through askama_web, which logs a failed render and answers 500) with
/// `status`, clearing a shown flash message and forbidding caching of pages with personal data.
pub fn render<T: Template>(v: &Viewer, status: StatusCode, tpl: T) -> Response {
    let mut res = askama_web::WebTemplate(tpl).into_response();
    if res.status() != StatusCode::OK {
        return res;
    }
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if v.flash.is_some() {
        h.append(header::SET_COOKIE, set_cookie(FLASH_COOKIE, "", Some(0), v.https));
    }
    res
}

/// A redirect after a successful form post, with a one-time message key for the next page.
pub fn redirect_with(v: &Viewer, to: &str, flash_key: &'static str) -> Response {
    let mut res = axum::response::Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(FLASH_COOKIE, flash_key, Some(60), v.https));
    res
}

/// Marks a flash message key as a warning in the cookie that carries it.
const WARNING: &str = "warn:";

/// A redirect after a form post that was taken but calls for a look (a scan of an unknown
/// tag, the same tag twice): the next page shows the message in the warning style.
pub fn redirect_with_warning(v: &Viewer, to: &str, flash_key: &'static str) -> Response {
    let mut res = axum::response::Redirect::to(to).into_response();
    let value = format!("{WARNING}{flash_key}");
    res.headers_mut().append(header::SET_COOKIE, set_cookie(FLASH_COOKIE, &value, Some(60), v.https));
    res
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ui: Ui,
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// A friendly page for a refusal, in the viewer's language.
pub fn problem_page(v: &Viewer, status: StatusCode, title_key: &str, message_key: &str) -> Response {
    problem_text(v, status, title_key, i18n::t(v.locale, message_key).to_string())
}

/// [`problem_page`] with a message already worded.
pub fn problem_text(v: &Viewer, status: StatusCode, title_key: &str, message: String) -> Response {
    let page = ErrorPage {
        ui: Ui::new(v, ""),
        status: status.as_u16(),
        title: i18n::t(v.locale, title_key).to_string(),
        message,
    };
    render(v, status, page)
}

/// The 404 page: unknown addresses and records outside the viewer's scope alike.
pub fn not_found(v: &Viewer) -> Response {
    problem_page(v, StatusCode::NOT_FOUND, "error.not_found_title", "error.not_found")
}

pub fn internal(v: &Viewer) -> Response {
    problem_page(v, StatusCode::INTERNAL_SERVER_ERROR, "error.internal_title", "error.internal")
}

/// A field's problem in words: the field's name, then the problem's wording, both in `locale`.
pub fn field_text(locale: Locale, field: &str, problem: &Problem) -> String {
    let key = format!("field.{field}");
    let name = if i18n::has(locale, &key) { i18n::t(locale, &key) } else { field };
    format!("{name}{}{}", i18n::t(locale, "common.colon"), i18n::problem(locale, problem))
}

/// A refusal that the page shows beside the form (status and words), or a whole error page.
// A response is made once per request; boxing it would buy nothing.
#[allow(clippy::result_large_err)]
pub fn explain(v: &Viewer, e: StoreError) -> Result<(StatusCode, String), Response> {
    let l = v.locale;
    Ok(match e {
        StoreError::NotFound(_) => return Err(not_found(v)),
        StoreError::Conflict(_) => (StatusCode::CONFLICT, i18n::t(l, "error.conflict").to_string()),
        StoreError::Duplicate { field, code } => (StatusCode::CONFLICT, field_text(l, field, &Problem::new(code))),
        StoreError::Domain(DomainError::Invalid(f)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, field_text(l, &f.field, &f.problem))
        }
        StoreError::Domain(DomainError::IllegalTransition { .. }) => {
            (StatusCode::CONFLICT, i18n::t(l, "error.illegal").to_string())
        }
        StoreError::Domain(DomainError::Forbidden(p)) => (StatusCode::FORBIDDEN, i18n::problem(l, &p)),
        other => {
            tracing::error!(error = %other, "page request failed");
            return Err(internal(v));
        }
    })
}

/// The same for the API's request parsing (reused for the console's action forms).
#[allow(clippy::result_large_err)]
pub fn explain_api(v: &Viewer, e: ApiError) -> Result<(StatusCode, String), Response> {
    if e.status == StatusCode::NOT_FOUND {
        return Err(not_found(v));
    }
    let text = match (&e.problem, &e.field) {
        (Some(p), Some(f)) => field_text(v.locale, f, p),
        _ => e.text(v.locale),
    };
    Ok((e.status, text))
}

/// A whole error page for a store failure (for pages with no form to show it beside).
pub fn fail(v: &Viewer, e: StoreError) -> Response {
    match explain(v, e) {
        Ok((status, _)) if status == StatusCode::FORBIDDEN => not_found(v),
        Ok((status, message)) => {
            let page = ErrorPage {
                ui: Ui::new(v, ""),
                status: status.as_u16(),
                title: i18n::t(v.locale, "error.refused_title").to_string(),
                message,
            };
            render(v, status, page)
        }
        Err(page) => page,
    }
}

/// What a page shows as a date: a stored [`Time`](yunwei_db::Time) or microseconds since the
/// epoch, or a reference to either (templates pass references).
pub trait Instant {
    fn micros(&self) -> i64;
}

impl Instant for i64 {
    fn micros(&self) -> i64 {
        *self
    }
}

impl Instant for yunwei_db::Time {
    fn micros(&self) -> i64 {
        yunwei_db::Time::micros(*self)
    }
}

impl<T: Instant> Instant for &T {
    fn micros(&self) -> i64 {
        (**self).micros()
    }
}
