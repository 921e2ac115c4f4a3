//! Tenants: the client organisations a provider serves, and the provider itself.

use serde::Serialize;
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor};
use yunwei_kernel::validate;

use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::db::Sql;
use yunwei_db::now_micros;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Tenant {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `provider` (the operations team's own organisation) or `client`.
    pub kind: String,
    pub active: bool,
    pub version: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone)]
pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub active: Option<bool>,
}

fn check_kind(kind: &str) -> Result<()> {
    match kind {
        "provider" | "client" => Ok(()),
        _ => Err(StoreError::invalid("kind", "not_provider_or_client")),
    }
}

/// Creates a tenant. `actor` is `None` only for bootstrap from the command line.
pub async fn create(tx: &mut Tx, actor: Option<&Actor>, new: NewTenant) -> Result<Tenant> {
    if let Some(a) = actor {
        a.require(permission::MANAGE_ORGANISATION)?;
    }
    let code = validate::code("code", &new.code)?;
    let name = validate::line("name", &new.name, 200)?;
    check_kind(&new.kind)?;
    let now = now_micros();
    let tenant = fetch_one!(
        tx,
        Tenant,
        "INSERT INTO tenants (code, name, kind, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING *",
        &code,
        &name,
        &new.kind,
        now,
    )
    .map_err(|e| StoreError::from(e).unique("code", "tenant_code_taken"))?;
    audit::record(
        tx,
        actor,
        audit::Change {
            action: "tenant.create",
            entity: "tenant",
            entity_id: tenant.id,
            tenant_id: Some(tenant.id),
            before: None,
            after: serde_json::to_value(&tenant).ok(),
        },
    )
    .await?;
    Ok(tenant)
}

/// The provider tenant, created on first use. Staff created from the command line belong to it.
pub async fn provider(tx: &mut Tx) -> Result<Tenant> {
    if let Some(t) = fetch_opt!(tx, Tenant, "SELECT * FROM tenants WHERE kind = 'provider' ORDER BY id LIMIT 1")? {
        return Ok(t);
    }
    let new =
        NewTenant { code: "PROVIDER".into(), name: "服务提供方 Service provider".into(), kind: "provider".into() };
    create(tx, None, new).await
}

/// Tenants the actor can see, by code.
pub async fn list(tx: &mut Tx, actor: &Actor) -> Result<Vec<Tenant>> {
    let mut sql = Sql::new("SELECT * FROM tenants WHERE 1 = 1");
    sql.scoped("id", &actor.tenant_scope()).push(" ORDER BY code");
    Ok(fetch_sql!(tx, Tenant, sql, fetch_all)?)
}

/// One tenant, if the actor can see it.
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Tenant> {
    if !actor.tenant_scope().contains(id) {
        return Err(StoreError::NotFound("tenant"));
    }
    fetch_opt!(tx, Tenant, "SELECT * FROM tenants WHERE id = $1", id)?.ok_or(StoreError::NotFound("tenant"))
}

/// A tenant by its code, whoever asks: for the command line and imports only (a test keeps
/// `_unscoped` out of the API and the pages).
pub async fn by_code_unscoped(tx: &mut Tx, code: &str) -> Result<Tenant> {
    fetch_opt!(tx, Tenant, "SELECT * FROM tenants WHERE code = $1", code.trim().to_uppercase())?
        .ok_or(StoreError::NotFound("tenant"))
}

pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, patch: TenantPatch) -> Result<Tenant> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get(tx, actor, id).await?;
    if before.version != version {
        return Err(StoreError::stale("tenant"));
    }
    let name = match &patch.name {
        Some(n) => validate::line("name", n, 200)?,
        None => before.name.clone(),
    };
    let active = patch.active.unwrap_or(before.active);
    let after = fetch_opt!(
        tx,
        Tenant,
        "UPDATE tenants SET name = $1, active = $2, version = version + 1, updated_at = $3
         WHERE id = $4 AND version = $5 RETURNING *",
        &name,
        active,
        now_micros(),
        id,
        version,
    )?
    .ok_or_else(|| StoreError::stale("tenant"))?;
    audit::record(
        tx,
        Some(actor),
        audit::Change {
            action: "tenant.update",
            entity: "tenant",
            entity_id: id,
            tenant_id: Some(id),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    Ok(after)
}
