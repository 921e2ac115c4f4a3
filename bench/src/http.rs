//! The HTTP side: one pooled client for every worker, the API's bearer token, the web UI's
//! form login with its CSRF token and cookies (handled here, without a cookie store).

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;

/// How much of an error body is kept for the report.
const SNIPPET: usize = 300;

#[derive(Clone)]
pub struct Http {
    pub client: Client,
    pub base: Url,
    pub token: Option<String>,
}

/// What went wrong with one request: its status (none for a transport error) and a message.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: Option<StatusCode>,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "HTTP {}: {}", s.as_u16(), self.message),
            None => write!(f, "transport error: {}", self.message),
        }
    }
}

/// The start of an answer for a message; for a web page, its title.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.get(..15).is_some_and(|h| h.eq_ignore_ascii_case("<!doctype html>"))
        && let Some(start) = text.find("<title>")
        && let Some(len) = text[start..].find("</title>")
    {
        return format!("a page titled {:?}", &text[start + "<title>".len()..start + len]);
    }
    match text.char_indices().nth(SNIPPET) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// The error and its causes on one line ("error sending request: … : Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// Sends a request and reads the whole answer; anything but 2xx is a failure (a redirect,
/// e.g. to the login page, says where it points).
pub async fn send(rb: RequestBuilder) -> Result<Vec<u8>, Failure> {
    let res = rb.send().await.map_err(|e| Failure { status: None, message: chain(&e) })?;
    let status = res.status();
    let location = status
        .is_redirection()
        .then(|| res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string());
    let body = res.bytes().await.map_err(|e| Failure { status: Some(status), message: chain(&e) })?;
    match location {
        _ if status.is_success() => Ok(body.to_vec()),
        Some(to) => Err(Failure { status: Some(status), message: format!("redirect to {to:?}") }),
        None => Err(Failure { status: Some(status), message: snippet(&body) }),
    }
}

/// Sends a request and reads the whole answer, whatever its status.
pub async fn send_raw(rb: RequestBuilder) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), Failure> {
    let res = rb.send().await.map_err(|e| Failure { status: None, message: chain(&e) })?;
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.bytes().await.map_err(|e| Failure { status: Some(status), message: chain(&e) })?;
    Ok((status, headers, body.to_vec()))
}

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| Failure {
        status: None,
        message: format!("the answer is not the JSON expected ({e}): {}", snippet(body)),
    })
}

impl Http {
    pub fn new(base: Url, token: Option<String>, concurrency: usize) -> Result<Http, String> {
        let client = Client::builder()
            // Only loopback, and only what we ask for: a redirect is an answer to report.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(concurrency.max(1) * 2)
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("yunwei-load/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))?;
        Ok(Http { client, base, token })
    }

    pub fn url(&self, path: &str) -> Url {
        // `base` ends in '/', and every path here is relative and well-formed.
        self.base.join(path.trim_start_matches('/')).unwrap_or_else(|_| self.base.clone())
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// `GET /api/v1/{path}` with the token.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.authed(self.client.get(self.url(&format!("api/v1/{path}"))))
    }

    /// `POST /api/v1/{path}` with the token and a JSON body.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> RequestBuilder {
        self.authed(self.client.post(self.url(&format!("api/v1/{path}")))).json(body)
    }

    /// A GET of a web page with the session cookie.
    pub fn page(&self, path: &str, cookie: &str) -> RequestBuilder {
        self.client.get(self.url(path)).header(COOKIE, cookie).header("accept", "text/html")
    }

    /// Logs in through the web form and returns the `Cookie` header value of the session.
    pub async fn ui_login(&self, login: &str, password: &str, next: &str) -> Result<String, String> {
        let what = |f: Failure| format!("the login page could not be read: {f}");
        let (status, headers, body) = send_raw(self.client.get(self.url("login"))).await.map_err(what)?;
        if !status.is_success() {
            return Err(format!("GET /login answered HTTP {}: {}", status.as_u16(), snippet(&body)));
        }
        let html = String::from_utf8_lossy(&body);
        let csrf = hidden_field(&html, "csrf").ok_or("the login page has no CSRF token (no hidden csrf field)")?;
        let pre = set_cookies(&headers)
            .into_iter()
            .find(|(k, _)| k == "yw_pre")
            .map(|(k, v)| format!("{k}={v}"))
            .unwrap_or_default();
        let form = form_encode(&[("csrf", &csrf), ("next", next), ("login", login), ("password", password)]);
        let rb = self
            .client
            .post(self.url("login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(COOKIE, pre)
            .body(form);
        let (status, headers, body) = send_raw(rb).await.map_err(|f| format!("POST /login failed: {f}"))?;
        let session = set_cookies(&headers).into_iter().find(|(k, v)| k == "yw_session" && !v.is_empty());
        match (status.as_u16(), session) {
            (300..=399, Some((k, v))) => Ok(format!("{k}={v}")),
            (401, _) => Err(format!("the web UI refused the login {login:?}: wrong login or password")),
            (429, _) => Err(format!("the web UI says {login:?} is locked after failed logins; wait and retry")),
            (403, _) => Err("the web UI refused the login form (CSRF check); is this a Yunwei server?".into()),
            (s, _) => Err(format!("POST /login answered HTTP {s} without a session: {}", snippet(&body))),
        }
    }
}

/// The value of `<input type="hidden" name="{name}" value="…">` in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    // The value may come before or after the name inside the same tag.
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let len = tag[v..].find('"')?;
    Some(tag[v..v + len].to_string())
}

/// The `name=value` pairs of every `Set-Cookie` header.
pub fn set_cookies(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut u = Url::parse("http://form.invalid/").expect("a constant URL parses");
    u.query_pairs_mut().extend_pairs(pairs);
    u.query().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn the_csrf_token_is_read_from_the_login_form() {
        let html = r#"<form method="post" action="/login" class="stack">
    <input type="hidden" name="csrf" value="3f9a0c">
    <input type="hidden" name="next" value="/console">
    <input name="login" value="" autocomplete="username" required autofocus>"#;
        assert_eq!(hidden_field(html, "csrf").as_deref(), Some("3f9a0c"));
        assert_eq!(hidden_field(html, "next").as_deref(), Some("/console"));
        assert_eq!(hidden_field(r#"<input value="x1" name="csrf">"#, "csrf").as_deref(), Some("x1"));
        assert_eq!(hidden_field("<p>no form</p>", "csrf"), None);
    }

    #[test]
    fn an_error_page_is_named_by_its_title() {
        let page = "<!doctype html>\n<html><head><title>找不到该页面 · 运维服务台</title></head><body>…</body></html>";
        assert_eq!(snippet(page.as_bytes()), "a page titled \"找不到该页面 · 运维服务台\"");
        assert_eq!(snippet(br#" {"error":{"code":"not_found"}} "#), r#"{"error":{"code":"not_found"}}"#);
        assert_eq!(snippet("长".repeat(400).as_bytes()).chars().count(), SNIPPET + 1);
    }

    #[test]
    fn session_cookies_are_taken_from_set_cookie_headers() {
        let mut h = HeaderMap::new();
        h.append(SET_COOKIE, HeaderValue::from_static("yw_session=abc123; Path=/; HttpOnly; SameSite=Lax"));
        h.append(SET_COOKIE, HeaderValue::from_static("yw_pre=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
        assert_eq!(
            set_cookies(&h),
            vec![("yw_session".to_string(), "abc123".to_string()), ("yw_pre".to_string(), String::new())]
        );
    }

    #[test]
    fn form_fields_are_percent_encoded_like_a_browser_does() {
        assert_eq!(
            form_encode(&[("login", "liu.yang"), ("password", "a b&c=d+é"), ("next", "/console/dashboard")]),
            "login=liu.yang&password=a+b%26c%3Dd%2B%C3%A9&next=%2Fconsole%2Fdashboard"
        );
    }
}
