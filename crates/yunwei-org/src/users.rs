//! Users: local accounts, the tenants an agent serves and the groups they belong to.

use serde::Serialize;
use yunwei_db::db::{Arg, Sql};
use yunwei_db::identity::{HashedPassword, USER_COLUMNS, User};
use yunwei_db::{Result, StoreError, Tx, audit, now_micros, sessions};
use yunwei_kernel::permission::{self, Actor, Role};
use yunwei_kernel::validate;

use crate::tenants;

/// A user with the tenants they serve and the groups they belong to.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub served_tenants: Vec<i64>,
    pub groups: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Defaults to the provider tenant for staff; required for end users.
    pub tenant_id: Option<i64>,
    pub login: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
    /// Hashed before the transaction begins ([`HashedPassword::new`]).
    pub password: Option<HashedPassword>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub served_tenants: Vec<i64>,
    pub groups: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub served_tenants: Option<Vec<i64>>,
    pub groups: Option<Vec<i64>>,
}

fn optional_text(field: &str, v: Option<&str>, max: usize) -> Result<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => Ok(Some(validate::line(field, t, max)?)),
    }
}

fn optional_email(v: Option<&str>) -> Result<Option<String>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => Ok(Some(validate::email("email", t)?)),
    }
}

/// Checks that every id in `ids` exists in `table`, naming `field` when one does not.
async fn check_ids(tx: &mut Tx, table: &str, field: &str, ids: &[i64]) -> Result<()> {
    for id in ids {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
        if scalar!(tx, i64, &sql, *id)? == 0 {
            return Err(StoreError::invalid(field, "no_such_id").with("id", id));
        }
    }
    Ok(())
}

async fn replace_links(tx: &mut Tx, user_id: i64, served: Option<&[i64]>, groups: Option<&[i64]>) -> Result<()> {
    if let Some(served) = served {
        check_ids(tx, "tenants", "served_tenants", served).await?;
        execute!(tx, "DELETE FROM user_tenants WHERE user_id = $1", user_id)?;
        for t in served {
            execute!(tx, "INSERT INTO user_tenants (user_id, tenant_id) VALUES ($1, $2)", user_id, *t)?;
        }
    }
    if let Some(groups) = groups {
        check_ids(tx, "support_groups", "groups", groups).await?;
        execute!(tx, "DELETE FROM group_members WHERE user_id = $1", user_id)?;
        for g in groups {
            execute!(tx, "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)", *g, user_id)?;
        }
    }
    Ok(())
}

async fn view(tx: &mut Tx, user: User) -> Result<UserView> {
    let served =
        fetch_all!(tx, (i64,), "SELECT tenant_id FROM user_tenants WHERE user_id = $1 ORDER BY tenant_id", user.id)?;
    let groups =
        fetch_all!(tx, (i64,), "SELECT group_id FROM group_members WHERE user_id = $1 ORDER BY group_id", user.id)?;
    Ok(UserView {
        user,
        served_tenants: served.into_iter().map(|(t,)| t).collect(),
        groups: groups.into_iter().map(|(g,)| g).collect(),
    })
}

/// Creates a user. `actor` is `None` only for bootstrap from the command line.
pub async fn create(tx: &mut Tx, actor: Option<&Actor>, new: NewUser) -> Result<UserView> {
    if let Some(a) = actor {
        a.require(permission::MANAGE_ORGANISATION)?;
    }
    let role = Role::parse("role", &new.role)?;
    let login = validate::login(&new.login)?;
    let name = validate::line("name", &new.name, 200)?;
    let email = optional_email(new.email.as_deref())?;
    let phone = optional_text("phone", new.phone.as_deref(), 50)?;
    let locale = validate::locale(new.locale.as_deref().unwrap_or("zh-CN"))?;
    let time_zone = validate::time_zone(new.time_zone.as_deref().unwrap_or("Asia/Shanghai"))?;
    let hash = new.password.as_ref().map(|p| p.as_str().to_string());
    let tenant_id = match (new.tenant_id, role) {
        (Some(t), _) => {
            check_ids(tx, "tenants", "tenant_id", &[t]).await?;
            t
        }
        (None, r) if !r.is_staff() => return Err(StoreError::invalid("tenant_id", "tenant_required")),
        (None, _) => tenants::provider(tx).await?.id,
    };
    let now = now_micros();
    let sql = format!(
        "INSERT INTO users (tenant_id, login, name, email, phone, role, password_hash, locale, time_zone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {USER_COLUMNS}"
    );
    let user = fetch_one!(
        tx,
        User,
        &sql,
        tenant_id,
        &login,
        &name,
        email,
        phone,
        role.as_str(),
        hash,
        &locale,
        &time_zone,
        now
    )
    .map_err(|e| StoreError::from(e).unique("login", "login_taken"))?;
    replace_links(tx, user.id, Some(&new.served_tenants), Some(&new.groups)).await?;
    let v = view(tx, user).await?;
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "user.create",
            entity: "user",
            entity_id: v.user.id,
            tenant_id: Some(v.user.tenant_id),
            before: None,
            after: serde_json::to_value(&v).ok(),
        },
    )
    .await?;
    Ok(v)
}

/// Whether the actor may read this user: themselves; staff see users of the tenants they serve
/// and of their own organisation; administrators see everyone.
fn may_read(actor: &Actor, user: &User) -> bool {
    user.id == actor.user_id
        || (actor.may(permission::READ_DIRECTORY) && actor.tenant_scope().and(actor.tenant_id).contains(user.tenant_id))
}

pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<UserView> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    match fetch_opt!(tx, User, &sql, id)? {
        Some(u) if may_read(actor, &u) => view(tx, u).await,
        _ => Err(StoreError::NotFound("user")),
    }
}

/// A user by login, whoever asks: for the command line only. Request code reads users with
/// [`get`] and [`list`], which apply the caller's scope (a test keeps `_unscoped` out of the
/// API and the pages).
pub async fn by_login_unscoped(tx: &mut Tx, login: &str) -> Result<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE login = $1");
    fetch_opt!(tx, User, &sql, login.trim().to_lowercase())?.ok_or(StoreError::NotFound("user"))
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub tenant_id: Option<i64>,
    pub role: Option<String>,
    pub group_id: Option<i64>,
    /// Matches login or name.
    pub text: Option<String>,
    pub active: Option<bool>,
}

/// Users the actor may read, by name, at most 500.
pub async fn list(tx: &mut Tx, actor: &Actor, f: &UserFilter) -> Result<Vec<User>> {
    actor.require(permission::READ_DIRECTORY)?;
    let mut sql = Sql::new(&format!("SELECT {USER_COLUMNS} FROM users u WHERE 1 = 1"));
    sql.scoped("tenant_id", &actor.tenant_scope().and(actor.tenant_id));
    if let Some(t) = f.tenant_id {
        sql.push(" AND tenant_id = ").arg(Arg::Int(t));
    }
    if let Some(r) = &f.role {
        sql.push(" AND role = ").arg(Arg::Text(Role::parse("role", r)?.as_str().to_string()));
    }
    if let Some(g) = f.group_id {
        sql.push(" AND id IN (SELECT user_id FROM group_members WHERE group_id = ").arg(Arg::Int(g)).push(")");
    }
    if let Some(a) = f.active {
        sql.push(" AND active = ").arg(Arg::Bool(a));
    }
    if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = yunwei_db::db::contains_pattern(t);
        sql.push(" AND (login LIKE ").arg(Arg::Text(pattern.clone())).push(" ESCAPE '\\'");
        sql.push(" OR LOWER(name) LIKE ").arg(Arg::Text(pattern)).push(" ESCAPE '\\')");
    }
    sql.push(" ORDER BY name, id LIMIT 500");
    Ok(fetch_sql!(tx, User, sql, fetch_all)?)
}

pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, p: UserPatch) -> Result<UserView> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get(tx, actor, id).await?;
    if before.user.version != version {
        return Err(StoreError::stale("user"));
    }
    let u = &before.user;
    let name = p.name.as_deref().map(|n| validate::line("name", n, 200)).transpose()?.unwrap_or(u.name.clone());
    let email = match &p.email {
        Some(e) => optional_email(e.as_deref())?,
        None => u.email.clone(),
    };
    let phone = match &p.phone {
        Some(ph) => optional_text("phone", ph.as_deref(), 50)?,
        None => u.phone.clone(),
    };
    let role = p.role.as_deref().map(|r| Role::parse("role", r)).transpose()?.map(|r| r.as_str().to_string());
    let role = role.unwrap_or(u.role.clone());
    let active = p.active.unwrap_or(u.active);
    if id == actor.user_id && (!active || role != Role::Admin.as_str()) {
        return Err(StoreError::invalid("role", "self_demote"));
    }
    let locale = p.locale.as_deref().map(validate::locale).transpose()?.unwrap_or(u.locale.clone());
    let tz = p.time_zone.as_deref().map(validate::time_zone).transpose()?.unwrap_or(u.time_zone.clone());
    let sql = format!(
        "UPDATE users SET name = $1, email = $2, phone = $3, role = $4, active = $5, locale = $6, time_zone = $7,
         version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10 RETURNING {USER_COLUMNS}"
    );
    let user = fetch_opt!(tx, User, &sql, &name, email, phone, &role, active, &locale, &tz, now_micros(), id, version)?
        .ok_or_else(|| StoreError::stale("user"))?;
    replace_links(tx, id, p.served_tenants.as_deref(), p.groups.as_deref()).await?;
    if !active {
        // A disabled account loses its API tokens at once.
        execute!(
            tx,
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            now_micros(),
            id
        )?;
    }
    let after = view(tx, user).await?;
    audit::record(
        tx,
        Some(actor),
        audit::Change {
            action: "user.update",
            entity: "user",
            entity_id: id,
            tenant_id: Some(after.user.tenant_id),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}

/// Resets a user's password (administrators, or the command line with `actor = None`) and ends
/// every session they have, so whoever knew the old password is signed out.
pub async fn set_password(tx: &mut Tx, actor: Option<&Actor>, id: i64, password: &HashedPassword) -> Result<()> {
    if let Some(a) = actor {
        a.require(permission::MANAGE_ORGANISATION)?;
    }
    let n = execute!(
        tx,
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
        password.as_str(),
        now_micros(),
        id
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    let ended = sessions::end_others(tx, id, None).await?;
    let change = audit::Change {
        action: "user.password",
        entity: "user",
        entity_id: id,
        tenant_id: None,
        before: None,
        after: Some(serde_json::json!({ "password": "changed", "sessions_ended": ended })),
    };
    audit::record(tx, actor, change).await
}
