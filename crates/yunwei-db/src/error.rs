//! The store's error type.

use yunwei_kernel::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record in the caller's scope (another tenant's record is "not found" too).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The record changed since the caller read it (stale `version`).
    #[error("{0}")]
    Conflict(String),
    /// A unique value that is already taken, naming the field.
    #[error("{field}: {message}")]
    Duplicate { field: &'static str, message: String },
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
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError::Domain(DomainError::invalid(field, message))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        StoreError::Domain(DomainError::Forbidden(message.into()))
    }

    pub fn stale(entity: &str) -> Self {
        StoreError::Conflict(format!(
            "the {entity} was changed by someone else since you loaded it; reload and try again"
        ))
    }

    /// Maps a unique-constraint violation to [`StoreError::Duplicate`] on `field`.
    pub fn unique(self, field: &'static str, message: &str) -> Self {
        match &self {
            StoreError::Db(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                StoreError::Duplicate { field, message: message.to_string() }
            }
            _ => self,
        }
    }
}
