//! Request extractors that answer in the JSON error contract: the caller behind a bearer
//! token, JSON bodies with field-precise errors, and query strings.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use yunwei_db::identity::User;
use yunwei_kernel::permission::Actor;

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller of an API request.
pub struct Auth {
    pub actor: Actor,
    pub user: User,
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        let token = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty());
        let Some(token) = token else { return Err(ApiError::unauthenticated()) };
        let mut tx = state.store.lookup().await?;
        let (user, actor) =
            yunwei_db::identity::by_token(&mut tx, token).await?.ok_or_else(ApiError::unauthenticated)?;
        Ok(Auth { actor, user })
    }
}

/// A JSON body. Malformed JSON is a 400; well-formed JSON with a missing field, a wrong type
/// or an unknown field is a 422 naming the field; a body over the limit is a 413.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json =
            req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
                ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with 'Content-Type: application/json'",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the request body is too large")
            } else {
                ApiError::malformed(format!("the request body could not be read: {e}"))
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, telling malformed text (400) from a body of the wrong shape (422).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // First check that it is JSON at all, so syntax errors are told apart from shape errors.
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::malformed(format!("the body is not valid JSON: {e}")));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // serde names a missing or unknown field in its message, not in the path.
        let named = inner.contains("unknown field") || inner.contains("missing field");
        let field = extract_backticked(&inner).filter(|_| path == "." && named).unwrap_or(path);
        let detail = inner.split(" at line ").next().unwrap_or(&inner).to_string();
        let field = if field == "." { "body".to_string() } else { field };
        if inner.contains("missing field") {
            ApiError::invalid(field, "required")
        } else if inner.contains("unknown field") {
            ApiError::invalid(field, "unknown_field").with("detail", detail)
        } else {
            ApiError::invalid(field, "bad_value").with("detail", detail)
        }
    })
}

fn extract_backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_string())
}

/// A query string parsed into `T`, with errors naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(q));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            // A bad value is named by its path; a missing or unknown parameter in the message.
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = Some(path)
                .filter(|p| p != ".")
                .or_else(|| extract_backticked(&inner))
                .unwrap_or_else(|| "query".to_string());
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", format!("{field}: {inner}")).field(field)
        })
    }
}

fn form_urlencoded_parse(q: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.as_bytes())
}

/// Path parameters; one that does not parse (`/tenants/abc`) is a 404 in the error contract,
/// not axum's plain-text 400.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) if e.status().is_server_error() => {
                tracing::error!(error = %e, "path parameters unavailable");
                Err(ApiError::internal())
            }
            Err(_) => Err(ApiError::not_found("page")),
        }
    }
}
