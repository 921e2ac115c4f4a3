//! Checks real answers against the served OpenAPI document: every response an API test gets is
//! held against the schema its operation (method + path template) documents for its status,
//! so the document cannot drift from the code unnoticed.
//!
//! - an answer to a documented operation must have a documented status, a documented content
//!   type, and (for JSON) a body that the schema accepts; a documented answer without content
//!   must have an empty body;
//! - an answer to a method and path the document does not have must be a 404 or 405 refusal in
//!   the `Error` schema (a route nobody documented would answer something else);
//! - a JSON request body that the server accepted (2xx) must match the documented request
//!   body, so the documented required fields and types are the ones the server takes.
//!
//! Schemas are JSON Schema 2020-12 (OpenAPI 3.1), with `#/components/schemas/…` resolved in
//! the document itself and `date-time` and `date` formats checked.

pub mod client;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

/// Where the API lives (`yunwei_web::openapi::PREFIX`); answers elsewhere are not checked.
pub const PREFIX: &str = "/api/v1";

/// The served document and the validators built from it so far.
pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

impl Contract {
    pub fn new(doc: Value) -> Contract {
        Contract { doc, validators: Mutex::new(HashMap::new()) }
    }

    /// The document served at `{base}/api/v1/openapi.json`, checked once per process for each
    /// distinct document (every test server of a binary serves the same one).
    pub async fn fetch(client: &reqwest::Client, base: &str) -> Arc<Contract> {
        static SEEN: OnceLock<Mutex<HashMap<String, Arc<Contract>>>> = OnceLock::new();
        let url = format!("{base}{}/openapi.json", PREFIX);
        let text = client.get(url).send().await.expect("the document is served").text().await.expect("its text");
        let seen = SEEN.get_or_init(Default::default);
        let mut seen = seen.lock().expect("contract cache");
        seen.entry(text.clone())
            .or_insert_with(|| Arc::new(Contract::new(serde_json::from_str(&text).expect("the document is JSON"))))
            .clone()
    }

    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// The documented path template and operation for a method and a concrete path, if any.
    /// Literal segments win over parameters position by position, as in the router.
    pub fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let (template, item) = self.path_item(path)?;
        item.get(method.to_ascii_lowercase()).map(|op| (template, op))
    }

    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let mut best: Option<(Vec<bool>, &str, &Value)> = None;
        for (template, item) in self.doc["paths"].as_object()? {
            let parts: Vec<&str> = template.trim_end_matches('/').split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = Vec::with_capacity(parts.len());
            let mut matches = true;
            for (p, s) in parts.iter().zip(&segments) {
                let param = p.starts_with('{') && p.ends_with('}');
                if !param && p != s || param && s.is_empty() {
                    matches = false;
                    break;
                }
                literal.push(!param);
            }
            if matches && best.as_ref().is_none_or(|(b, _, _)| literal > *b) {
                best = Some((literal, template, item));
            }
        }
        best.map(|(_, t, i)| (t, i))
    }

    fn validator(&self, key: &str, schema: &Value) -> Result<Arc<Validator>, String> {
        let mut cache = self.validators.lock().map_err(|_| "validator cache poisoned".to_string())?;
        if let Some(v) = cache.get(key) {
            return Ok(v.clone());
        }
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": { "schemas": self.doc["components"]["schemas"].clone() },
            "allOf": [schema],
        });
        let v = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&root)
            .map_err(|e| format!("the document's schema for {key} is not a valid JSON Schema: {e}"))?;
        let v = Arc::new(v);
        cache.insert(key.to_string(), v.clone());
        Ok(v)
    }

    fn validate(&self, key: &str, schema: &Value, instance: &Value) -> Result<(), String> {
        let v = self.validator(key, schema)?;
        let errors: Vec<String> =
            v.iter_errors(instance).map(|e| format!("  at {}: {e}", e.instance_path())).take(10).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{key}: the body does not match the documented schema:\n{}\nbody: {instance}",
                errors.join("\n")
            ))
        }
    }

    /// Checks one answer. `path` is the URL's path (no query); paths outside the API pass.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), String> {
        if !path.starts_with(PREFIX) {
            return Ok(());
        }
        let method = method.to_ascii_lowercase();
        let Some((template, op)) = self.operation(&method, path) else {
            if status != 404 && status != 405 {
                return Err(format!(
                    "{method} {path} answered {status}, but the document has no such operation (an undocumented route?)"
                ));
            }
            return self.check_error_body(&format!("{method} {path} {status}"), content_type, body);
        };
        let key = format!("{method} {template} {status}");
        let Some(answer) = op["responses"].get(status.to_string()) else {
            let documented: Vec<&String> = op["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
            return Err(format!(
                "{method} {path} answered {status}, which {method} {template} does not document ({documented:?}); body: {}",
                String::from_utf8_lossy(body)
            ));
        };
        let Some(content) = answer["content"].as_object() else {
            if body.is_empty() {
                return Ok(());
            }
            return Err(format!("{key} documents no body, but one came: {}", String::from_utf8_lossy(body)));
        };
        let media = essence(content_type);
        let Some((_, documented)) = content.iter().find(|(k, _)| essence(k) == media) else {
            return Err(format!(
                "{key} answered {content_type:?}, not one of the documented types {:?}",
                content.keys().collect::<Vec<_>>()
            ));
        };
        if media != "application/json" {
            return Ok(());
        }
        let instance: Value = serde_json::from_slice(body).map_err(|e| {
            format!("{key} answered {content_type} that is not JSON ({e}): {}", String::from_utf8_lossy(body))
        })?;
        match documented.get("schema") {
            Some(schema) => self.validate(&key, schema, &instance),
            None => Ok(()),
        }
    }

    fn check_error_body(&self, key: &str, content_type: &str, body: &[u8]) -> Result<(), String> {
        if essence(content_type) != "application/json" {
            return Err(format!("{key}: a refusal must be JSON, got {content_type:?}"));
        }
        let instance: Value =
            serde_json::from_slice(body).map_err(|e| format!("{key}: a refusal that is not JSON ({e})"))?;
        self.validate("Error", &json!({ "$ref": "#/components/schemas/Error" }), &instance)
    }

    /// Checks a JSON request body the server accepted against the documented request body.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let method = method.to_ascii_lowercase();
        let Some((template, op)) = self.operation(&method, path) else { return Ok(()) };
        let key = format!("{method} {template} request");
        match op["requestBody"]["content"]["application/json"].get("schema") {
            Some(schema) => self.validate(&key, schema, body),
            None => Err(format!("{key}: a JSON body was accepted, but the document takes none")),
        }
    }

    /// Every operation in the document, as `(method, path template)`.
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut ops = Vec::new();
        for (path, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for m in METHODS {
                if item.get(m).is_some() {
                    ops.push((m.to_string(), path.clone()));
                }
            }
        }
        ops
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::new(json!({
            "openapi": "3.1.0",
            "paths": {
                "/api/v1/things/{id}": { "get": { "responses": {
                    "200": { "description": "", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Thing" } } } },
                    "204": { "description": "" },
                    "404": { "description": "", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Error" } } } } } } },
                "/api/v1/things/special": { "post": {
                    "requestBody": { "content": { "application/json": { "schema": {
                        "type": "object", "required": ["n"], "properties": { "n": { "type": "integer" } } } } } },
                    "responses": { "201": { "description": "" } } } }
            },
            "components": { "schemas": {
                "Thing": { "type": "object", "required": ["id", "at", "owner"], "properties": {
                    "id": { "type": "integer" },
                    "at": { "type": "string", "format": "date-time" },
                    "owner": { "type": "integer" } } },
                "Error": { "type": "object", "required": ["error"], "properties": { "error": {
                    "type": "object", "required": ["code", "message"] } } }
            } }
        }))
    }

    const JSON: &str = "application/json";

    #[test]
    fn a_body_the_schema_accepts_passes() {
        let body = br#"{"id": 1, "at": "2026-01-31T08:00:00Z", "owner": 7}"#;
        contract().check_response("GET", "/api/v1/things/1", 200, JSON, body).unwrap();
    }

    #[test]
    fn a_null_where_the_schema_says_integer_is_caught() {
        let body = br#"{"id": 1, "at": "2026-01-31T08:00:00Z", "owner": null}"#;
        let e = contract().check_response("GET", "/api/v1/things/1", 200, JSON, body).unwrap_err();
        assert!(e.contains("/owner"), "{e}");
    }

    #[test]
    fn a_time_that_is_not_rfc_3339_is_caught() {
        let body = br#"{"id": 1, "at": "yesterday", "owner": 7}"#;
        assert!(contract().check_response("GET", "/api/v1/things/1", 200, JSON, body).is_err());
    }

    #[test]
    fn an_undocumented_status_or_content_type_is_caught() {
        let c = contract();
        assert!(
            c.check_response("GET", "/api/v1/things/1", 409, JSON, b"{}").unwrap_err().contains("does not document")
        );
        assert!(c.check_response("GET", "/api/v1/things/1", 200, "text/html", b"<p>").is_err());
        assert!(c.check_response("GET", "/api/v1/things/1", 204, JSON, b"{}").is_err(), "204 documents no body");
    }

    #[test]
    fn an_undocumented_route_is_caught_unless_it_is_a_refusal() {
        let c = contract();
        assert!(c.check_response("GET", "/api/v1/other", 200, JSON, b"{}").is_err());
        let refusal = br#"{"error": {"code": "not_found", "message": "page not found"}}"#;
        c.check_response("GET", "/api/v1/other", 404, JSON, refusal).unwrap();
        c.check_response("DELETE", "/api/v1/things/1", 405, JSON, refusal).unwrap();
        assert!(c.check_response("DELETE", "/api/v1/things/1", 405, JSON, b"{}").is_err());
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let c = contract();
        assert_eq!(c.operation("post", "/api/v1/things/special").map(|(t, _)| t), Some("/api/v1/things/special"));
        assert!(c.operation("get", "/api/v1/things/special").is_none(), "as in the router: 405, not /things/{{id}}");
        assert_eq!(c.operation("get", "/api/v1/things/12").map(|(t, _)| t), Some("/api/v1/things/{id}"));
    }

    #[test]
    fn an_accepted_request_body_must_match_the_documented_one() {
        let c = contract();
        c.check_request("POST", "/api/v1/things/special", &json!({ "n": 1 })).unwrap();
        assert!(c.check_request("POST", "/api/v1/things/special", &json!({ "m": 1 })).is_err());
    }
}
