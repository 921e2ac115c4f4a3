//! The audit log: who changed what, when, from what to what. Append-only.

use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor};

use crate::Backend;
use crate::Result;
use crate::Time;
use crate::Tx;
use crate::db::{Arg, Sql};
use crate::now_micros;

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: i64,
    pub tenant_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Records one change in the same transaction as the change itself.
pub async fn record(tx: &mut Tx, actor: Option<&Actor>, change: Change<'_>) -> Result<()> {
    record_all(tx, vec![(actor.map(|a| a.user_id), change)]).await
}

/// Records changes made together, each with the id of the user who made it, in one statement.
pub async fn record_all(tx: &mut Tx, changes: Vec<(Option<i64>, Change<'_>)>) -> Result<()> {
    let sql = entries(tx.backend(), changes);
    if !sql.text.is_empty() {
        execute_sql!(tx, sql)?;
    }
    Ok(())
}

/// The statement that [`record_all`] runs (empty for no changes), for running it together
/// with others.
pub fn entries(backend: Backend, changes: Vec<(Option<i64>, Change<'_>)>) -> Sql {
    if changes.is_empty() {
        return Sql::default();
    }
    let now = now_micros();
    let rows = changes
        .into_iter()
        .map(|(actor_id, c)| {
            vec![
                Arg::OptInt(c.tenant_id),
                Arg::OptInt(actor_id),
                Arg::Text(c.action.to_string()),
                Arg::Text(c.entity.to_string()),
                Arg::Int(c.entity_id),
                Arg::OptText(c.before.map(|v| v.to_string())),
                Arg::OptText(c.after.map(|v| v.to_string())),
                Arg::Int(now),
            ]
        })
        .collect();
    let mut sql = Sql::new(
        "INSERT INTO audit_log (tenant_id, actor_id, action, entity, entity_id, before, after, created_at) VALUES ",
    );
    sql.values(backend, rows);
    sql
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: i64,
    pub before: Option<String>,
    pub after: Option<String>,
    pub created_at: Time,
}

/// Audit entries for one record, oldest first, within the actor's tenant scope.
pub async fn for_entity(tx: &mut Tx, actor: &Actor, entity: &str, entity_id: i64) -> Result<Vec<AuditRow>> {
    actor.require(permission::READ_AUDIT)?;
    let mut sql = Sql::new("SELECT * FROM audit_log WHERE entity = ");
    sql.arg(Arg::Text(entity.to_string())).push(" AND entity_id = ").arg(Arg::Int(entity_id));
    sql.scoped_or_shared("tenant_id", &actor.tenant_scope()).push(" ORDER BY id");
    let rows = fetch_sql!(tx, AuditRow, sql, fetch_all)?;
    Ok(rows)
}
