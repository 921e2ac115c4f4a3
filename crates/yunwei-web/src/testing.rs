//! One HTTP test harness for every module (feature `testing`): a real server on 127.0.0.1 over
//! a test store with the modules under test, and a small cookie-keeping browser that speaks
//! forms.

use std::collections::HashMap;

use reqwest::header::HeaderMap;
use yunwei_db::Store;

use crate::{AppState, Module, ServerConfig};

/// Starts a server on 127.0.0.1 with `modules` over `store` (and their background jobs) and
/// returns its base URL, e.g. `http://127.0.0.1:41234`. It runs until the test ends.
pub async fn serve(store: &Store, modules: &'static [Module]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let state = AppState::new(store.clone(), ServerConfig::default());
    let app = crate::router(state.clone(), modules);
    tokio::spawn(crate::serve(listener, state, modules, app, std::future::pending()));
    format!("http://{addr}")
}

/// One answer: status, headers and body text.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).map(|i| i + marker.len()).expect("a form with a CSRF token");
        let end = self.body[start..].find('"').expect("end of token") + start;
        self.body[start..end].to_string()
    }

    /// The version of the ticket in the first action form.
    pub fn version(&self) -> String {
        let marker = "name=\"version\" value=\"";
        let start = self.body.find(marker).map(|i| i + marker.len()).expect("an action form");
        let end = self.body[start..].find('"').expect("end") + start;
        self.body[start..end].to_string()
    }

    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body:\n{}", self.body);
        self
    }

    #[track_caller]
    pub fn redirects_to(&self, path: &str) -> &Self {
        assert_eq!(self.status, 303, "expected a redirect; body:\n{}", self.body);
        assert_eq!(self.location(), path);
        self
    }
}

/// A browser of sorts: keeps cookies, sends a language, never follows redirects by itself.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    pub accept_language: String,
    pub extra: Vec<(String, String)>,
}

impl Browser {
    pub fn new(base: &str, accept_language: &str) -> Browser {
        let client =
            reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Browser {
            base: base.to_string(),
            client,
            cookies: HashMap::new(),
            accept_language: accept_language.into(),
            extra: Vec::new(),
        }
    }

    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let mut req = req.header("accept", "text/html").header("accept-language", &self.accept_language);
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        for (k, v) in &self.extra {
            req = req.header(k.as_str(), v.as_str());
        }
        let res = req.send().await.expect("the server answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for sc in headers.get_all("set-cookie") {
            let text = sc.to_str().unwrap_or("");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        let body = res.text().await.expect("a body");
        Page { status, headers, body }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Opens the login page and logs in; returns the answer to the login post.
    pub async fn login(&mut self, login: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post("/login", &[("csrf", &csrf), ("login", login), ("password", password), ("next", "/")]).await
    }

    /// The CSRF token of a page that has forms.
    pub async fn csrf(&mut self, path: &str) -> String {
        self.get(path).await.expect(200).csrf()
    }

    /// Switches the signed-in account to `lang` with the top bar's switch: an account keeps
    /// the language of its first sign-in, whatever a later browser asks for.
    pub async fn speak(&mut self, lang: &str) {
        let csrf = self.csrf("/account").await;
        self.post("/lang", &[("csrf", &csrf), ("lang", lang), ("back", "/account")]).await.redirects_to("/account");
    }
}
