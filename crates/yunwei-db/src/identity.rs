//! Who is calling: user accounts as the platform sees them (the row, the permissions of the
//! person behind it), password checks and API tokens. Managing users (create, edit, list) is
//! the organisation module's; signing in and looking up the caller is the platform's.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::FromRow;
use yunwei_kernel::permission::{Actor, Permission, Role};
use yunwei_kernel::validate;

use crate::Result;
use crate::StoreError;
use crate::Tx;
use crate::audit;
use crate::db::{Conn, Returned};
use crate::now_micros;

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
        pub created_at: i64,
        pub updated_at: i64,
    }
}

pub const USER_COLUMNS: &str =
    "id, tenant_id, login, name, email, phone, role, active, locale, time_zone, version, created_at, updated_at";

pub fn hash_password(password: &str) -> Result<String> {
    validate::password(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Config(format!("password hashing failed: {e}")))
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

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The active user with this login and password, if both match.
pub async fn check_password(tx: &mut Tx, login: &str, password: &str) -> Result<Option<User>> {
    let row = fetch_opt!(
        tx,
        (i64, Option<String>),
        "SELECT id, password_hash FROM users WHERE login = $1 AND active = TRUE",
        login.trim().to_lowercase()
    )?;
    let Some((id, Some(hash))) = row else {
        // Spend the same time as a real check, so response times do not tell which logins exist.
        let _ = verify_password(dummy_hash(), password);
        return Ok(None);
    };
    if !verify_password(&hash, password) {
        return Ok(None);
    }
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    Ok(fetch_opt!(tx, User, &sql, id)?)
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
        a.require(Permission::ManageOrganisation)?;
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
