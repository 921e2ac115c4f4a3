//! Who is calling: user accounts as the platform sees them (the row, the permissions of the
//! person behind it), password checks and API tokens. Managing users (create, edit, list) is
//! the organisation module's; signing in and looking up the caller is the platform's.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor, Role};
use yunwei_kernel::validate;

use crate::db::{Conn, Returned};
use crate::{Result, Store, StoreError, Time, Tx, audit, now_micros};

stored_row! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct User {
        pub id: i64,
        pub tenant_id: i64,
        pub login: String,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub role: String,
        pub active: bool,
        pub locale: String,
        pub time_zone: String,
        pub version: i64,
        pub created_at: Time,
        pub updated_at: Time,
    }
}

pub const USER_COLUMNS: &str =
    "id, tenant_id, login, name, email, phone, role, active, locale, time_zone, version, created_at, updated_at";

/// A password that passed the rules, hashed with argon2 and ready to store. Hashing and
/// checking a password take tens of milliseconds of CPU each, so both run on a blocking
/// thread and before a write transaction begins: never on the async threads, never while
/// SQLite's one writer waits.
#[derive(Clone)]
pub struct HashedPassword(String);

impl std::fmt::Debug for HashedPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashedPassword(…)")
    }
}

impl HashedPassword {
    /// Checks `password` against the rules (naming the field `password`) and hashes it.
    pub async fn new(password: &str) -> Result<HashedPassword> {
        validate::password(password)?;
        let password = password.to_string();
        let hashed = tokio::task::spawn_blocking(move || {
            Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string())
        })
        .await
        .map_err(|e| StoreError::Config(format!("password hashing stopped: {e}")))?
        .map_err(|e| StoreError::Config(format!("password hashing failed: {e}")))?;
        Ok(HashedPassword(hashed))
    }

    /// The stored form (a PHC string).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hash of a random password, to verify against when the login does not exist.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let mut bytes = [0u8; 16];
        let _ = getrandom::fill(&mut bytes);
        Argon2::default().hash_password(&bytes).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// Whether `password` matches `hash` (`None`: no password set; a dummy hash is checked so the
/// time taken does not tell), on a blocking thread.
async fn verify(hash: Option<String>, password: &str) -> Result<bool> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref();
        let matches = PasswordHash::new(hash.unwrap_or(dummy_hash()))
            .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        matches && hash.is_some()
    })
    .await
    .map_err(|e| StoreError::Config(format!("password check stopped: {e}")))
}

/// The stored password hash of an active user, by login: `(user id, hash)`.
async fn credentials(c: &mut impl Conn, login: &str) -> Result<Option<(i64, Option<String>)>> {
    c.fetch_opt(sql!(
        "SELECT id, password_hash FROM users WHERE login = $1 AND active = TRUE",
        login.trim().to_lowercase()
    ))
    .await
}

/// The active user with this login and password, if both match, with the hash they matched
/// (so a writer can confirm the password did not change meanwhile). The hash is read on a
/// read-only connection and checked on a blocking thread, with no transaction open.
pub async fn check_password(store: &Store, login: &str, password: &str) -> Result<Option<(User, String)>> {
    let found = {
        let mut c = store.lookup().await?;
        credentials(&mut c, login).await?
    };
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    if !verify(hash.clone(), password).await? {
        return Ok(None);
    }
    let (Some((id, _)), Some(hash)) = (found, hash) else { return Ok(None) };
    let mut c = store.lookup().await?;
    let user: Option<User> = c.fetch_opt(sql!(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), id)).await?;
    Ok(user.map(|u| (u, hash)))
}

/// Changes the caller's own password after checking the current one, and ends their other
/// sessions (`keep_session`, the one they changed it from, stays). A wrong current password
/// counts as a failed login of their login name and is refused while it is locked, so a
/// borrowed session cannot guess it faster than the login page would allow.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    keep_session: Option<i64>,
    current: &str,
    new: &str,
) -> Result<()> {
    let now = now_micros();
    let login = {
        let mut c = store.lookup().await?;
        let row: Option<(String,)> =
            c.fetch_opt(sql!("SELECT login FROM users WHERE id = $1 AND active = TRUE", actor.user_id)).await?;
        row.ok_or(StoreError::NotFound("user"))?.0
    };
    {
        let mut tx = store.read().await?;
        if crate::sessions::locked_until(&mut tx, &login, now).await?.is_some() {
            return Err(StoreError::invalid("current_password", "password_locked"));
        }
    }
    let Some((_, old_hash)) = check_password(store, &login, current).await? else {
        let mut txo = store.write().await?;
        let tx = &mut txo;
        crate::sessions::record_failure(tx, &login, now).await?;
        txo.commit().await?;
        return Err(StoreError::invalid("current_password", "wrong_password"));
    };
    let hashed = HashedPassword::new(new).await.map_err(|e| match e {
        StoreError::Domain(yunwei_kernel::DomainError::Invalid(f)) => {
            StoreError::Domain(yunwei_kernel::DomainError::Invalid(yunwei_kernel::FieldError {
                field: "new_password".into(),
                ..f
            }))
        }
        other => other,
    })?;
    let mut txo = store.write().await?;
    let tx = &mut txo;
    let n = execute!(
        tx,
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND password_hash = $4",
        hashed.as_str(),
        now,
        actor.user_id,
        &old_hash
    )?;
    if n == 0 {
        return Err(StoreError::stale("user"));
    }
    let ended = crate::sessions::end_others(tx, actor.user_id, keep_session).await?;
    let change = audit::Change {
        action: "user.password",
        entity: "user",
        entity_id: actor.user_id,
        tenant_id: Some(actor.tenant_id),
        before: None,
        after: Some(serde_json::json!({ "password": "changed", "sessions_ended": ended })),
    };
    audit::record(tx, Some(actor), change).await?;
    txo.commit().await
}

/// Everything the permission checks need about a user.
pub async fn actor(c: &mut impl Conn, user: &User) -> Result<Actor> {
    let served: Vec<(i64,)> = c.fetch(sql!("SELECT tenant_id FROM user_tenants WHERE user_id = $1", user.id)).await?;
    actor_serving(user, served.into_iter().map(|(t,)| t).collect())
}

fn actor_serving(user: &User, mut served_tenants: Vec<i64>) -> Result<Actor> {
    let role = Role::parse("role", &user.role)?;
    served_tenants.sort_unstable();
    Ok(Actor { user_id: user.id, role, tenant_id: user.tenant_id, served_tenants })
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API token for `user_id` and returns it; only its hash is stored.
pub async fn create_token(tx: &mut Tx, actor: Option<&Actor>, user_id: i64, name: &str) -> Result<String> {
    if let Some(a) = actor
        && a.user_id != user_id
    {
        a.require(permission::MANAGE_ORGANISATION)?;
    }
    let name = validate::line("name", name, 100)?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    let token = format!("yw_{}", hex::encode(bytes));
    let id = scalar!(
        tx,
        i64,
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        user_id,
        &name,
        token_hash(&token),
        now_micros(),
    )?;
    let change = audit::Change {
        action: "token.create",
        entity: "api_token",
        entity_id: id,
        tenant_id: None,
        before: None,
        after: Some(serde_json::json!({ "user_id": user_id, "name": name })),
    };
    audit::record(tx, actor, change).await?;
    Ok(token)
}

/// A user with the tenants they serve, as one comma-separated list (`None`: none).
#[derive(FromRow)]
struct UserServing {
    #[sqlx(flatten)]
    user: User,
    served: Option<String>,
}

impl Returned for UserServing {
    fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(UserServing { user: User::from_direct(row)?, served: row.get("served")? })
    }
}

/// The active user behind an API token and what they may do, if the token is valid. One
/// query: it runs before every API request.
pub async fn by_token(c: &mut impl Conn, token: &str) -> Result<Option<(User, Actor)>> {
    // Built once: it runs before every API request.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, (SELECT string_agg(CAST(s.tenant_id AS TEXT), ',') FROM user_tenants s WHERE s.user_id = u.id)
               AS served
             FROM users u JOIN api_tokens t ON t.user_id = u.id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = TRUE",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        )
    });
    let Some(row) = c.fetch_opt::<UserServing>(sql!(SQL.as_str(), token_hash(token))).await? else { return Ok(None) };
    let served = row.served.as_deref().unwrap_or("").split(',').filter_map(|t| t.parse().ok()).collect();
    let actor = actor_serving(&row.user, served)?;
    Ok(Some((row.user, actor)))
}
