//! The domain's error type: a refused rule or invalid input, always naming what was wrong — as
//! a code and its arguments, never as words. The words are the translation catalogues'
//! (`problem.<code>` in `i18n/{zh-CN,en}.toml`), chosen in the reader's language when the error
//! is shown:
//!
//! ```
//! # use yunwei_kernel::DomainError;
//! let e = DomainError::invalid("title", "too_long").with("max", 200);
//! assert_eq!(e.to_string(), "title: too_long (max=200)");
//! ```

use std::fmt;

/// Named values that a problem's wording fills in (`{max}` → `200`), in the order given.
pub type Args = Vec<(&'static str, String)>;

/// What is wrong: a code (`required`, `too_long`, `login_taken`) and its arguments. An argument
/// whose name ends in `_key` holds a catalogue key, translated too when the problem is worded
/// (`status_key` → `status.resolved` fills `{status}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: &'static str,
    pub args: Args,
}

impl Problem {
    pub fn new(code: &'static str) -> Self {
        Self { code, args: Vec::new() }
    }

    /// Adds an argument, e.g. `.with("max", 200)`.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The value of argument `name`.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The catalogue key of its wording.
    pub fn key(&self) -> String {
        format!("problem.{}", self.code)
    }
}

/// For logs: `too_long (max=200)`.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)?;
        if !self.args.is_empty() {
            let args: Vec<String> = self.args.iter().map(|(n, v)| format!("{n}={v}")).collect();
            write!(f, " ({})", args.join(", "))?;
        }
        Ok(())
    }
}

/// One invalid field and what is wrong with it, e.g. `title: required`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self { field: field.into(), problem: Problem::new(code) }
    }

    pub fn code(&self) -> &'static str {
        self.problem.code
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
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
    #[error("forbidden: {0}")]
    Forbidden(Problem),
}

impl DomainError {
    /// `field` breaks the rule `code` (a `problem.<code>` catalogue entry); add arguments with
    /// [`DomainError::with`].
    pub fn invalid(field: impl Into<String>, code: &'static str) -> Self {
        DomainError::Invalid(FieldError::new(field, code))
    }

    /// The caller may not do this, because of `code`.
    pub fn forbidden(code: &'static str) -> Self {
        DomainError::Forbidden(Problem::new(code))
    }

    /// Adds an argument to the problem (nothing for an illegal transition, which has its own).
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        if let Some(p) = self.problem_mut() {
            p.args.push((name, value.to_string()));
        }
        self
    }

    /// The problem's code and arguments, for an invalid field or a refusal.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            DomainError::Invalid(f) => Some(&f.problem),
            DomainError::Forbidden(p) => Some(p),
            DomainError::IllegalTransition { .. } => None,
        }
    }

    fn problem_mut(&mut self) -> Option<&mut Problem> {
        match self {
            DomainError::Invalid(f) => Some(&mut f.problem),
            DomainError::Forbidden(p) => Some(p),
            DomainError::IllegalTransition { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_carries_its_field_code_and_arguments_and_logs_readably() {
        let e = DomainError::invalid("time_zone", "not_a_time_zone").with("value", "Mars/Base");
        let DomainError::Invalid(f) = &e else { panic!("{e:?}") };
        assert_eq!(
            (f.field.as_str(), f.code(), f.problem.arg("value")),
            ("time_zone", "not_a_time_zone", Some("Mars/Base"))
        );
        assert_eq!(e.to_string(), "time_zone: not_a_time_zone (value=Mars/Base)");
        let e = DomainError::forbidden("role_may_not").with("role", "agent");
        assert_eq!(e.problem().map(|p| p.key()), Some("problem.role_may_not".to_string()));
        assert_eq!(e.to_string(), "forbidden: role_may_not (role=agent)");
    }
}
