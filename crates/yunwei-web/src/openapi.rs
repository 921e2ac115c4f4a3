//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`, generated from the code.
//!
//! Each module's API is a [`utoipa_axum::router::OpenApiRouter`] built with `routes!(...)` from
//! handlers annotated with `#[utoipa::path(...)]`: a route and its documentation are added in
//! one step, from the types the handler really reads and sends. The platform merges the
//! modules' routers ([`crate::router`]), splits them into the axum router and the document,
//! and finishes the document here with what is common to every operation:
//!
//! - the title, version, the bearer security scheme and the `Error` schema;
//! - the refusals the platform's own extractors and store give, from the operation's shape:
//!   401 where a token is needed (every operation that does not declare `security(())`), 404
//!   where the path has parameters (`ApiPath`), 400 where it takes a query (`ApiQuery`), 400,
//!   413, 415 and 422 where it takes a body (`ApiJson`, multipart), 500 and 503 wherever it
//!   reaches the database;
//! - the `Error` body on every 4xx and 5xx answer a handler declares without one, so a
//!   handler writes `(status = 409, description = "…")` for its own refusals.

use std::sync::Arc;

use axum::{Extension, Json};
use serde_json::{Map, Value, json};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ErrorBody;

/// Where the API lives; every documented path starts with it.
pub const PREFIX: &str = "/api/v1";

/// The finished document, shared by the route that serves it.
#[derive(Clone)]
pub struct Document(pub Arc<Value>);

/// The OpenAPI document of this API: generated from the code, with every operation's answers.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    summary = "This document (OpenAPI 3.1); no token needed",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
async fn served(Extension(Document(doc)): Extension<Document>) -> Json<Value> {
    Json((*doc).clone())
}

/// The route that serves the document, and its own entry in it.
pub(crate) fn route() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(served))
}

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Adds the common parts to the document the modules' routers produced.
pub fn finish(api: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(&api).unwrap_or_else(|_| json!({}));
    doc["openapi"] = json!("3.1.0");
    doc["info"] = json!({
        "title": "Yunwei 运维 API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "IT service management: tickets, organisation and more. Times are RFC 3339 UTC. \
            Every refusal is an `Error` body: `{\"error\": {\"code\", \"message\", \"field\"}}`.",
    });
    doc["security"] = json!([{ "bearer": [] }]);
    let Some(root) = doc.as_object_mut() else { return doc };
    let components = object(root, "components");
    object(components, "securitySchemes").insert("bearer".into(), json!({ "type": "http", "scheme": "bearer" }));
    let schemas = object(components, "schemas");
    schemas.insert(ErrorBody::name().into_owned(), serde_json::to_value(ErrorBody::schema()).unwrap_or_default());
    let mut more = Vec::new();
    ErrorBody::schemas(&mut more);
    for (name, schema) in more {
        schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(method) {
                    add_platform_answers(op);
                }
            }
        }
    }
    doc
}

/// The object under `key`, made empty where there is none.
fn object<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m.entry(key).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    match v {
        Value::Object(o) => o,
        _ => unreachable!("an object was just put there"),
    }
}

/// The refusals every operation of a shape can give, whatever the handler does.
fn add_platform_answers(op: &mut Value) {
    let public = op["security"].as_array().is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let in_path = params.iter().any(|p| p["in"] == "path");
    let in_query = params.iter().any(|p| p["in"] == "query");
    let body_types: Vec<String> =
        op["requestBody"]["content"].as_object().map(|c| c.keys().cloned().collect()).unwrap_or_default();
    let mut add: Vec<(&str, &str)> = Vec::new();
    if !public {
        add.push(("401", "No API token, or not a valid one"));
        add.push(("500", "Something went wrong on our side; it has been logged"));
        add.push(("503", "The database is busy or unavailable; try again shortly"));
    }
    if in_path {
        add.push(("404", "Not found, or not in your scope (an id that is not a number names nothing)"));
    }
    if in_query {
        add.push(("400", "A query parameter is unknown or of the wrong type; `field` names it"));
    }
    if !body_types.is_empty() {
        add.push(("400", "The body could not be read (malformed JSON or multipart)"));
        add.push(("413", "The body is too large"));
        add.push((
            "415",
            if body_types.iter().any(|t| t.starts_with("multipart/")) {
                "The body is not multipart/form-data with a boundary"
            } else {
                "The body is not sent as 'Content-Type: application/json'"
            },
        ));
        add.push(("422", "A field is missing, unknown, of the wrong type or breaks a rule; `field` names it"));
    }
    let Some(op) = op.as_object_mut() else { return };
    let responses = object(op, "responses");
    for (status, description) in add {
        responses.entry(status).or_insert_with(|| json!({ "description": description }));
    }
    for (status, answer) in responses.iter_mut() {
        let refusal = status.starts_with('4') || status.starts_with('5');
        if refusal && answer.get("content").is_none() && answer.get("$ref").is_none() {
            answer["content"] = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
        }
    }
    // Statuses in order, as a reader expects them.
    let mut sorted: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    responses.extend(sorted);
}

/// The document shared with the route that serves it.
pub(crate) fn document(doc: Value) -> Document {
    Document(Arc::new(doc))
}

/// The schema of a text field with a closed set of values (`schema_with` on a field that
/// carries a `string_enum!` value as text): `one_of_texts(Role::ALL.iter().map(|r| r.as_str()))`.
/// Nullability is the field's: see [`one_of_texts_or_null`].
pub fn one_of_texts<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.into_iter().map(str::to_string))).build()
}

/// [`one_of_texts`] for an optional field: one of the values, or `null`.
pub fn one_of_texts_or_null<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::SchemaType;
    use utoipa::openapi::{ObjectBuilder, Type};
    let mut values: Vec<serde_json::Value> = values.into_iter().map(|v| json!(v)).collect();
    values.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}
