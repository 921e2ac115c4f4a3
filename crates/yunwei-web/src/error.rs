//! The JSON error contract: `{"error": {"code": "...", "message": "...", "field": "..."}}` with
//! the right status. Every request-path failure becomes one of these. A refused field or rule
//! adds its problem: `"reason": "too_long", "args": {"max": "200"}`, and `message` is the
//! problem's English wording from the catalogue (`problem.<reason>`).

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use yunwei_db::StoreError;
use yunwei_kernel::{DomainError, Problem};

use crate::ui::i18n::{self, Locale};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// The words for an error without a problem (malformed requests, internal errors).
    pub message: String,
    pub field: Option<String>,
    /// What is wrong, as a code and arguments, worded by the catalogues.
    pub problem: Option<Problem>,
}

/// The body of every refusal (`Error` in the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// What went wrong, for programs: `invalid_field`, `not_found`, `version_conflict`,
    /// `illegal_transition`, `forbidden`, `unauthenticated`, …
    #[schema(examples("invalid_field", "not_found", "version_conflict", "illegal_transition"))]
    pub code: &'a str,
    /// What went wrong, for people.
    pub message: &'a str,
    /// The field or parameter at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<&'a str>,
    /// What is wrong with the field or request, as a code (`too_long`, `login_taken`), when
    /// there is one; its wording in the reader's language comes from `problem.<reason>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<&'a str>,
    /// The values the wording is made from (`max` → `200`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub args: Option<BTreeMap<&'a str, &'a str>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, problem: None }
    }

    /// An error whose words are the catalogues' wording of `problem`.
    pub fn problem(status: StatusCode, code: &'static str, problem: Problem) -> Self {
        Self { status, code, message: String::new(), field: None, problem: Some(problem) }
    }

    /// Adds an argument to the problem, e.g. `.with("max", 200)`.
    pub fn with(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        if let Some(p) = &mut self.problem {
            p.args.push((name, value.to_string()));
        }
        self
    }

    /// The error in words: the problem's wording in `locale` (after the field's name), or the
    /// message of an error without a problem.
    pub fn text(&self, locale: Locale) -> String {
        match (&self.problem, &self.field) {
            (Some(p), Some(f)) => format!("{f}: {}", i18n::problem(locale, p)),
            (Some(p), None) => i18n::problem(locale, p),
            (None, _) => self.message.clone(),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400: the request could not be read at all (malformed JSON, bad query string).
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", message)
    }

    /// 422: well-formed, but a field breaks the rule `code`; add arguments with [`ApiError::with`].
    pub fn invalid(field: impl Into<String>, code: &'static str) -> Self {
        Self::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", Problem::new(code)).field(field)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send a valid API token as 'Authorization: Bearer <token>'",
        )
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; it has been logged",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.text(Locale::En);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: &message,
                field: self.field.as_deref(),
                reason: self.problem.as_ref().map(|p| p.code),
                args: self.problem.as_ref().map(|p| p.args.iter().map(|(n, v)| (*n, v.as_str())).collect()),
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(f) => {
                ApiError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", f.problem).field(f.field)
            }
            DomainError::IllegalTransition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "illegal_transition", e.to_string()).field("status")
            }
            DomainError::Forbidden(p) => ApiError::problem(StatusCode::FORBIDDEN, "forbidden", p),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "version_conflict", m).field("version"),
            StoreError::Duplicate { field, code } => {
                ApiError::problem(StatusCode::CONFLICT, "duplicate", Problem::new(code)).field(field)
            }
            StoreError::Domain(d) => d.into(),
            StoreError::Db(sqlx::Error::PoolTimedOut) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "the database is busy; try again shortly")
            }
            other => {
                tracing::error!(error = %other, "request failed");
                ApiError::internal()
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A `201 Created` answer with the new record.
pub type Created<T> = ApiResult<(StatusCode, axum::Json<T>)>;
