//! Web sessions and the slow-down after failed logins.
//!
//! A session is a random token in an HttpOnly cookie; only its SHA-256 hash is stored, so a
//! copy of the database does not log anyone in. Each session carries its own CSRF token for
//! the forms it renders. Failed logins are counted per login name in the database, so the
//! lock-out holds across restarts and across several instances.

use sha2::{Digest, Sha256};
use yunwei_kernel::login;

use crate::db::Conn;
use crate::identity::User;
use crate::{Result, Store, StoreError, Tx, audit, now_micros};

const SECOND: i64 = 1_000_000;
/// A session unused for this long ends.
pub const IDLE_MICROS: i64 = 12 * 60 * 60 * SECOND;
/// No session lives longer than this, used or not.
pub const MAX_AGE_MICROS: i64 = 7 * 24 * 60 * 60 * SECOND;
/// How often a session in use is written back (its idle deadline moves on).
const TOUCH_EVERY_MICROS: i64 = 5 * 60 * SECOND;

stored_row! {
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Session {
        pub id: i64,
        pub user_id: i64,
        pub csrf_token: String,
        pub created_at: i64,
        pub last_seen_at: i64,
        pub expires_at: i64,
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Config(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Logged in: the token for the cookie, the session, the user, and whether this was the
    /// user's first login to the web UI.
    LoggedIn { token: String, session: Session, user: Box<User>, first_login: bool },
    /// Wrong login or password. `locked_until` is set when this failure locked the login.
    Failed { locked_until: Option<i64> },
    /// The login is locked until this instant after too many failures; nothing was checked.
    Locked { until: i64 },
}

/// Until when `login` is locked, if it is.
pub async fn locked_until(tx: &mut Tx, login_name: &str, now: i64) -> Result<Option<i64>> {
    let key = login_name.trim().to_lowercase();
    let row = fetch_opt!(tx, (Option<i64>,), "SELECT locked_until FROM login_failures WHERE login = $1", &key)?;
    Ok(row.and_then(|(until,)| until).filter(|u| *u > now))
}

/// Counts a failed login and locks the login when the count calls for it.
pub(crate) async fn record_failure(tx: &mut Tx, key: &str, now: i64) -> Result<Option<i64>> {
    let forget_before = now - login::FORGET_AFTER_SECS * SECOND;
    let previous = fetch_opt!(tx, (i64, i64), "SELECT failures, updated_at FROM login_failures WHERE login = $1", key)?
        .map(|(n, at)| if at < forget_before { 0 } else { n })
        .unwrap_or(0);
    let failures = previous + 1;
    let until = login::lock_secs(failures).map(|s| now + s * SECOND);
    execute!(
        tx,
        "INSERT INTO login_failures (login, failures, locked_until, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until,
         updated_at = excluded.updated_at",
        key,
        failures,
        until,
        now,
    )?;
    Ok(until)
}

/// Checks a login and password (unless the login is locked) and opens a session on success,
/// counting a failure otherwise. The password is checked on a blocking thread before the
/// write transaction begins, so the one SQLite writer never waits on argon2. On a user's first
/// login their language becomes `first_locale` (the browser's, or the one picked on the page).
pub async fn login(store: &Store, login_name: &str, password: &str, first_locale: &str) -> Result<LoginOutcome> {
    let key = login_name.trim().to_lowercase();
    {
        let mut tx = store.read().await?;
        if let Some(until) = locked_until(&mut tx, &key, now_micros()).await? {
            return Ok(LoginOutcome::Locked { until });
        }
    }
    let checked = crate::identity::check_password(store, &key, password).await?;
    let now = now_micros();
    let mut txo = store.write().await?;
    let tx = &mut txo;
    // A failure counted by another request while the password was being checked still holds.
    if let Some(until) = locked_until(tx, &key, now).await? {
        return Ok(LoginOutcome::Locked { until });
    }
    // The password must still be the one checked, and the account still active.
    let user = match checked {
        Some((user, hash)) => {
            let current = scalar!(
                tx,
                i64,
                "SELECT COUNT(*) FROM users WHERE id = $1 AND password_hash = $2 AND active = TRUE",
                user.id,
                &hash
            )?;
            (current == 1).then_some(user)
        }
        None => None,
    };
    let Some(user) = user else {
        let locked_until = record_failure(tx, &key, now).await?;
        txo.commit().await?;
        return Ok(LoginOutcome::Failed { locked_until });
    };
    execute!(tx, "DELETE FROM login_failures WHERE login = $1", &key)?;
    // Sessions that ended are cleared as new ones begin.
    execute!(tx, "DELETE FROM sessions WHERE expires_at < $1", now)?;
    let (token, session) = open(tx, user.id, now).await?;
    let first_login = execute!(tx, "UPDATE ui_profiles SET last_login_at = $1 WHERE user_id = $2", now, user.id)? == 0;
    if first_login {
        execute!(
            tx,
            "INSERT INTO ui_profiles (user_id, first_login_at, last_login_at) VALUES ($1, $2, $2)",
            user.id,
            now
        )?;
    }
    let actor = crate::identity::actor(tx, &user).await?;
    if first_login {
        crate::preferences::set_locale(tx, &actor, first_locale).await?;
    }
    let change = audit::Change {
        action: "session.login",
        entity: "user",
        entity_id: user.id,
        tenant_id: Some(user.tenant_id),
        before: None,
        after: Some(serde_json::json!({ "session_id": session.id })),
    };
    audit::record(tx, Some(&actor), change).await?;
    txo.commit().await?;
    Ok(LoginOutcome::LoggedIn { token, session, user: Box::new(user), first_login })
}

async fn open(tx: &mut Tx, user_id: i64, now: i64) -> Result<(String, Session)> {
    let token = random_hex(32)?;
    let csrf = random_hex(32)?;
    let session = fetch_one!(
        tx,
        Session,
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at)
         VALUES ($1, $2, $3, $4, $4, $5)
         RETURNING id, user_id, csrf_token, created_at, last_seen_at, expires_at",
        hash(&token),
        user_id,
        &csrf,
        now,
        now + IDLE_MICROS,
    )?;
    Ok((token, session))
}

/// The live session behind a cookie token and its (active) user.
pub async fn lookup(c: &mut impl Conn, token: &str) -> Result<Option<(Session, User)>> {
    let now = now_micros();
    let row = c
        .fetch_opt::<Session>(sql!(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at FROM sessions
             WHERE token_hash = $1 AND expires_at > $2 AND created_at > $3",
            hash(token),
            now,
            now - MAX_AGE_MICROS,
        ))
        .await?;
    let Some(session) = row else { return Ok(None) };
    // Only the session's own user, found through the session: no caller-chosen id.
    let sql = format!("SELECT {} FROM users WHERE id = $1 AND active = TRUE", crate::identity::USER_COLUMNS);
    let user = c.fetch_opt::<User>(sql!(sql, session.user_id)).await?;
    Ok(user.map(|u| (session, u)))
}

/// Whether a session in use is due to have its idle deadline moved on.
pub fn needs_touch(session: &Session) -> bool {
    now_micros() - session.last_seen_at > TOUCH_EVERY_MICROS
}

/// Moves a session's idle deadline on.
pub async fn touch(tx: &mut Tx, session_id: i64) -> Result<()> {
    let now = now_micros();
    execute!(
        tx,
        "UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3",
        now,
        now + IDLE_MICROS,
        session_id
    )?;
    Ok(())
}

/// Ends the session behind a cookie token (logging out). Unknown tokens are ignored.
pub async fn end(tx: &mut Tx, token: &str) -> Result<()> {
    execute!(tx, "DELETE FROM sessions WHERE token_hash = $1", hash(token))?;
    Ok(())
}

/// Ends the sessions of a user but `keep` (all of them for `None`): after a password change or
/// reset, so whoever knew the old password is signed out everywhere.
pub async fn end_others(tx: &mut Tx, user_id: i64, keep: Option<i64>) -> Result<u64> {
    Ok(execute!(tx, "DELETE FROM sessions WHERE user_id = $1 AND id <> $2", user_id, keep.unwrap_or(0))?)
}
