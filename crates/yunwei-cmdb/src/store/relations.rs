//! Relationships between CIs: added and removed by a configuration manager, checked against
//! the class rules and tenants, recorded in both CIs' history and the audit log. A
//! relationship is visible only when both its CIs are.

use serde::Serialize;
use sqlx::FromRow;
use yunwei_db::db::{Arg, Sql};
use yunwei_db::{Result, StoreError, Time, Tx, audit, now_micros};
use yunwei_kernel::permission::Actor;

use super::cis::{self, history, provider_tenant};
use super::{classes, visible};
use crate::rules::CiStatus;
use crate::rules::permissions::MANAGE_CIS;
use crate::rules::relations::{self, RelationKind};

/// A relationship as stored: `source kind target`.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = CiRelation)]
pub struct Relation {
    pub id: i64,
    pub source_id: i64,
    /// `runs_on`, `depends_on`, `connects_to`, `contains`, `uses` or `installed_on`.
    #[schema(value_type = String)]
    pub kind: RelationKind,
    pub target_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

/// A relationship seen from one of its CIs, with the CI at the other end.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Neighbour {
    /// The relationship's id.
    pub id: i64,
    #[schema(value_type = String)]
    pub kind: RelationKind,
    /// `out` when this CI is the source (`this runs_on other`), `in` when it is the target.
    pub direction: String,
    pub other_id: i64,
    pub other_name: String,
    pub other_class: String,
    pub other_tenant_id: i64,
    #[schema(value_type = String)]
    pub other_status: CiStatus,
}

/// Relates `source` to `target` with `kind`.
pub async fn add(tx: &mut Tx, actor: &Actor, source: i64, kind: RelationKind, target: i64) -> Result<Relation> {
    let from = cis::get(tx, actor, source).await?;
    actor.require(MANAGE_CIS)?;
    let to = match cis::get(tx, actor, target).await {
        Ok(t) => t,
        Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("target_id", "no_such_ci").with("id", target)),
        Err(e) => return Err(e),
    };
    if source == target {
        return Err(StoreError::invalid("target_id", "relation_to_itself"));
    }
    let rules = classes::rules(tx).await?;
    if !relations::allowed(&rules, &from.class_code, kind, &to.class_code) {
        return Err(StoreError::invalid("kind", "relation_not_allowed")
            .with("source", &from.class_code)
            .with("kind", kind)
            .with("target", &to.class_code));
    }
    relations::tenants_may_join(from.tenant_id, to.tenant_id, provider_tenant(tx).await?)?;
    let (dependent, dependency) = kind.ends(source, target);
    let rel = fetch_one!(
        tx,
        Relation,
        "INSERT INTO ci_relations (source_id, kind, target_id, dependent_id, dependency_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, source_id, kind, target_id, created_at",
        source,
        kind.as_str(),
        target,
        dependent,
        dependency,
        now_micros()
    )
    .map_err(|e| StoreError::from(e).unique("target_id", "relation_exists"))?;
    let data = |dir: &str, other: &cis::Ci| serde_json::json!({ "kind": kind, "direction": dir, "other_id": other.id, "other_name": other.name });
    history(tx, source, Some(actor.user_id), "relation_added", data("out", &to)).await?;
    history(tx, target, Some(actor.user_id), "relation_added", data("in", &from)).await?;
    let change = audit::Change {
        action: "ci_relation.create",
        entity: "ci_relation",
        entity_id: rel.id,
        tenant_id: Some(from.tenant_id),
        before: None,
        after: serde_json::to_value(&rel).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(rel)
}

/// The relationship `id` if `actor` may see both its CIs.
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Relation> {
    let mut sql = Sql::new(
        "SELECT r.id, r.source_id, r.kind, r.target_id, r.created_at FROM ci_relations r
         JOIN cis c ON c.id = r.source_id JOIN cis t ON t.id = r.target_id WHERE r.id = ",
    );
    sql.arg(Arg::Int(id));
    visible(&mut sql, "c", actor);
    visible(&mut sql, "t", actor);
    fetch_sql!(tx, Relation, sql, fetch_optional)?.ok_or(StoreError::NotFound("relation"))
}

/// Removes a relationship.
pub async fn remove(tx: &mut Tx, actor: &Actor, id: i64) -> Result<()> {
    let rel = get(tx, actor, id).await?;
    actor.require(MANAGE_CIS)?;
    let from = cis::get(tx, actor, rel.source_id).await?;
    let to = cis::get(tx, actor, rel.target_id).await?;
    execute!(tx, "DELETE FROM ci_relations WHERE id = $1", id)?;
    let data = |dir: &str, other: &cis::Ci| serde_json::json!({ "kind": rel.kind, "direction": dir, "other_id": other.id, "other_name": other.name });
    history(tx, from.id, Some(actor.user_id), "relation_removed", data("out", &to)).await?;
    history(tx, to.id, Some(actor.user_id), "relation_removed", data("in", &from)).await?;
    let change = audit::Change {
        action: "ci_relation.delete",
        entity: "ci_relation",
        entity_id: id,
        tenant_id: Some(from.tenant_id),
        before: serde_json::to_value(&rel).ok(),
        after: None,
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(())
}

/// The relationships of a CI whose other end `actor` may see, outgoing first.
pub async fn of(tx: &mut Tx, actor: &Actor, ci: i64) -> Result<Vec<Neighbour>> {
    cis::get(tx, actor, ci).await?;
    let mut out = Vec::new();
    for (dir, this, other) in [("out", "source_id", "target_id"), ("in", "target_id", "source_id")] {
        let mut sql = Sql::new(&format!(
            "SELECT r.id, r.kind, '{dir}' AS direction, o.id AS other_id, o.name AS other_name, k.code AS other_class,
                    o.tenant_id AS other_tenant_id, o.status AS other_status
             FROM ci_relations r JOIN cis o ON o.id = r.{other} JOIN ci_classes k ON k.id = o.class_id
             WHERE r.{this} = "
        ));
        sql.arg(Arg::Int(ci));
        visible(&mut sql, "o", actor);
        sql.push(" ORDER BY r.kind, o.name, o.id LIMIT 1000");
        out.extend(fetch_sql!(tx, Neighbour, sql, fetch_all)?);
    }
    Ok(out)
}
