//! The domain's error type: a refused rule or invalid input, always naming what was wrong.

use std::fmt;

/// One invalid field and why, e.g. `title: must not be empty`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input that breaks a validation rule (HTTP 422).
    #[error("{0}")]
    Invalid(FieldError),
    /// An action that the current state does not allow (HTTP 409 `illegal_transition`).
    #[error("{action} is not allowed while the ticket is {from}")]
    IllegalTransition { action: &'static str, from: &'static str },
    /// The caller may not do this (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(FieldError::new(field, message))
    }
}
