//! The store's error type.

use yunwei_kernel::{DomainError, Problem};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record in the caller's scope (another tenant's record is "not found" too).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record changed since the caller read it (stale `version`).
    #[error("{0}")]
    Conflict(String),
    /// A unique value that is already taken, naming the field and the problem's code
    /// (`login_taken`, worded by the catalogues' `problem.<code>`).
    #[error("{field}: {code}")]
    Duplicate { field: &'static str, code: &'static str },
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// An error on one of the store's own SQLite connections: the one new tickets are written
    /// on (`db::DirectWriter`) and the read-only ones for lookups (`db::Lookup`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
    /// Stored data that cannot be read as what it should be; never defaulted silently.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// `field` breaks the rule `code`; see [`DomainError::invalid`].
    pub fn invalid(field: impl Into<String>, code: &'static str) -> Self {
        StoreError::Domain(DomainError::invalid(field, code))
    }

    /// The caller may not do this, because of `code`.
    pub fn forbidden(code: &'static str) -> Self {
        StoreError::Domain(DomainError::forbidden(code))
    }

    /// Adds an argument to a domain problem, e.g. `.with("id", id)`; other errors are unchanged.
    pub fn with(self, name: &'static str, value: impl std::fmt::Display) -> Self {
        match self {
            StoreError::Domain(d) => StoreError::Domain(d.with(name, value)),
            other => other,
        }
    }

    /// The problem's code and arguments, for an invalid field, a refusal or a duplicate.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            StoreError::Domain(d) => d.problem().cloned(),
            StoreError::Duplicate { code, .. } => Some(Problem::new(code)),
            _ => None,
        }
    }

    pub fn stale(entity: &str) -> Self {
        StoreError::Conflict(format!(
            "the {entity} was changed by someone else since you loaded it; reload and try again"
        ))
    }

    /// Maps a unique-constraint violation to [`StoreError::Duplicate`] on `field` with `code`.
    pub fn unique(self, field: &'static str, code: &'static str) -> Self {
        match &self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate { field, code }
            }
            _ => self,
        }
    }
}
