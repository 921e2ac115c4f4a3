//! The HTTP client every module's API tests use: bearer tokens, JSON, raw bodies, and every
//! answer (and every accepted JSON request) held against the served OpenAPI document, with
//! assertions for the error contract (`{"error": {"code", "message", "field", "reason", "args"}}`).

use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use crate::Contract;

impl Api {
    /// A client for the server at `base` (as `yunwei_web::testing::serve` gives it).
    pub async fn connect(base: String) -> Api {
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let contract = Contract::fetch(&client, &base).await;
        Api { base, client, contract }
    }
}

/// One answer from the server: status, headers, raw body, and the body as JSON (or `Null`).
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        &self.json
    }

    /// Asserts a 422 naming `field`.
    #[track_caller]
    pub fn invalid(&self, field: &str) {
        self.error(422, "invalid_field", Some(field));
    }

    /// Asserts the refusal's problem: its code as `reason`, its `args`, and a `message` in
    /// English words from the catalogue (no code or placeholder left in it).
    #[track_caller]
    pub fn reason(&self, reason: &str, args: &[(&str, &str)]) -> &Self {
        let e = &self.json["error"];
        assert_eq!(e["reason"], reason, "wrong reason in {}", self.text());
        let expected: serde_json::Map<String, Value> =
            args.iter().map(|(n, v)| (n.to_string(), Value::from(*v))).collect();
        assert_eq!(e["args"], Value::Object(expected), "wrong args in {}", self.text());
        let message = e["message"].as_str().unwrap_or("");
        assert!(!message.contains(reason) && !message.contains('{'), "unworded message in {}", self.text());
        self
    }

    /// Asserts a refusal in the error contract: status, code, a non-empty message, and the
    /// field named (or no field at all).
    #[track_caller]
    pub fn error(&self, status: u16, code: &str, field: Option<&str>) {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        assert!(
            self.header("content-type").starts_with("application/json"),
            "error bodies are JSON, got {:?}",
            self.header("content-type")
        );
        let e = &self.json["error"];
        assert!(e.is_object(), "no error object in {}", self.text());
        assert_eq!(e["code"], code, "wrong code in {}", self.text());
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "no message in {}", self.text());
        match field {
            Some(f) => assert_eq!(e["field"], f, "wrong field in {}", self.text()),
            None => assert!(e.get("field").is_none(), "unexpected field in {}", self.text()),
        }
    }
}

pub enum Body {
    Empty,
    Json(Value),
    Raw(String, Vec<u8>),
}

/// A client for one running server that checks every answer against the served document.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub contract: Arc<Contract>,
}

impl Api {
    pub fn v1(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub fn root(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn send(&self, method: Method, url: String, token: Option<&str>, body: Body) -> Reply {
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req = match body {
            Body::Empty => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(content_type, bytes) => req.header(CONTENT_TYPE, content_type).body(bytes),
        };
        self.reply(req).await
    }

    /// Sends the request and checks the answer (and an accepted JSON body) against the document.
    pub async fn reply(&self, req: reqwest::RequestBuilder) -> Reply {
        let (client, req) = req.build_split();
        let req = req.expect("a well-formed request");
        let (method, path) = (req.method().to_string(), req.url().path().to_string());
        let sent_json = req
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"application/json"))
            .then(|| req.body().and_then(|b| b.as_bytes()).and_then(|b| serde_json::from_slice::<Value>(b).ok()))
            .flatten();
        let res = client.execute(req).await.expect("the server answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("a body").to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if let Err(e) = self.contract.check_response(&method, &path, status, content_type, &bytes) {
            panic!("the answer breaks the OpenAPI document: {e}");
        }
        if let (true, Some(body)) = ((200..300).contains(&status), &sent_json)
            && let Err(e) = self.contract.check_request(&method, &path, body)
        {
            panic!("an accepted request breaks the OpenAPI document: {e}");
        }
        Reply { status, headers, bytes, json }
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.send(Method::GET, self.v1(path), Some(token), Body::Empty).await
    }

    pub async fn get_query(&self, token: &str, path: &str, query: &[(&str, &str)]) -> Reply {
        self.reply(self.client.get(self.v1(path)).bearer_auth(token).query(query)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(Method::POST, self.v1(path), Some(token), Body::Json(body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(Method::PATCH, self.v1(path), Some(token), Body::Json(body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, self.v1(path), Some(token), Body::Json(body)).await
    }

    /// A request with a body sent exactly as given.
    pub async fn raw(&self, method: Method, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> Reply {
        self.send(method, self.v1(path), Some(token), Body::Raw(content_type.to_string(), body)).await
    }
}
