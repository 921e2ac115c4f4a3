//! Bulk loading for `yunwei generate`: CIs (with their unique keys, search documents and a
//! `created` history entry), relationships and work links, in multi-row statements. The
//! caller has checked the data (it comes from the generator, made of the shipped classes);
//! the ordinary store operations remain the way every other write goes.

use serde_json::{Map, Value};
use yunwei_db::db::{Arg, Sql};
use yunwei_db::{Backend, Result, Tx};

use super::CIS;
use crate::rules::CiStatus;
use crate::rules::relations::RelationKind;

/// A CI to load, with the id it gets.
pub struct NewCi {
    pub id: i64,
    pub tenant_id: i64,
    pub class_id: i64,
    pub name: String,
    pub status: CiStatus,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    pub user_id: Option<i64>,
    pub attributes: Map<String, Value>,
    /// Values of the class's unique attributes: (attribute, value).
    pub keys: Vec<(String, String)>,
    /// Words for the search document besides the name.
    pub texts: Vec<String>,
    pub created_at: i64,
}

/// The first free id of a table the generator fills.
pub async fn next_id(tx: &mut Tx, table: &str) -> Result<i64> {
    let sql = match table {
        "cis" => "SELECT COALESCE(MAX(id), 0) + 1 FROM cis",
        _ => "SELECT COALESCE(MAX(id), 0) + 1 FROM ci_relations",
    };
    Ok(scalar!(tx, i64, sql)?)
}

/// Loads CIs (at most a few thousand per call).
pub async fn insert_cis(tx: &mut Tx, cis: &[NewCi]) -> Result<()> {
    if cis.is_empty() {
        return Ok(());
    }
    let backend = tx.backend();
    let rows = cis
        .iter()
        .map(|c| {
            vec![
                Arg::Int(c.id),
                Arg::Int(c.tenant_id),
                Arg::Int(c.class_id),
                Arg::Text(c.name.clone()),
                Arg::Text(c.status.as_str().into()),
                Arg::OptInt(c.location_id),
                Arg::OptInt(c.owner_group_id),
                Arg::OptInt(c.user_id),
                Arg::Text(Value::Object(c.attributes.clone()).to_string()),
                Arg::Int(c.created_at),
                Arg::Int(c.created_at),
            ]
        })
        .collect();
    let mut sql = Sql::new(
        "INSERT INTO cis (id, tenant_id, class_id, name, status, location_id, owner_group_id, user_id, attributes,
         created_at, updated_at) VALUES ",
    );
    sql.values(backend, rows);
    execute_sql!(tx, sql)?;
    // The keys, documents and history below check their foreign key to `cis`: see
    // [`insert_relations`] for why PostgreSQL needs fresh statistics first.
    if backend == Backend::Postgres {
        execute!(tx, "ANALYZE cis")?;
    }

    let keys: Vec<Vec<Arg>> = cis
        .iter()
        .flat_map(|c| {
            c.keys.iter().map(|(a, v)| {
                vec![
                    Arg::Int(c.tenant_id),
                    Arg::Int(c.class_id),
                    Arg::Text(a.clone()),
                    Arg::Text(v.clone()),
                    Arg::Int(c.id),
                ]
            })
        })
        .collect();
    for chunk in keys.chunks(2000) {
        let mut sql = Sql::new("INSERT INTO ci_keys (tenant_id, class_id, attribute, value, ci_id) VALUES ");
        sql.values(backend, chunk.to_vec());
        execute_sql!(tx, sql)?;
    }

    let docs = CIS.insert_new(
        backend,
        cis.iter().map(|c| {
            let mut texts: Vec<&str> = vec![&c.name];
            texts.extend(c.texts.iter().map(String::as_str));
            (c.id, texts)
        }),
    );
    execute_sql!(tx, docs)?;

    let history = cis
        .iter()
        .map(|c| {
            let data = serde_json::json!({ "name": c.name, "status": c.status }).to_string();
            vec![Arg::Int(c.id), Arg::Int(c.created_at), Arg::Text("created".into()), Arg::Text(data)]
        })
        .collect();
    let mut sql = Sql::new("INSERT INTO ci_history (ci_id, at, kind, data) VALUES ");
    sql.values(backend, history);
    execute_sql!(tx, sql)?;
    Ok(())
}

/// Loads relationships `(source, kind, target)` created at `at`; the caller keeps them
/// unique and within the class rules.
///
/// On PostgreSQL the CIs' statistics are brought up to date first: each relationship's two
/// foreign keys are checked by a plan the connection made when `cis` was nearly empty, a
/// sequential scan, which at 60,000 CIs made one statement of 4,000 relationships take 20 s.
/// `ANALYZE` invalidates that plan, so the checks use the primary key.
pub async fn insert_relations(tx: &mut Tx, rels: &[(i64, RelationKind, i64)], at: i64) -> Result<()> {
    let backend = tx.backend();
    if backend == Backend::Postgres && !rels.is_empty() {
        execute!(tx, "ANALYZE cis")?;
    }
    for chunk in rels.chunks(4000) {
        let rows = chunk
            .iter()
            .map(|&(s, k, t)| {
                let (dependent, dependency) = k.ends(s, t);
                vec![
                    Arg::Int(s),
                    Arg::Text(k.as_str().into()),
                    Arg::Int(t),
                    Arg::Int(dependent),
                    Arg::Int(dependency),
                    Arg::Int(at),
                ]
            })
            .collect();
        let mut sql = Sql::new(
            "INSERT INTO ci_relations (source_id, kind, target_id, dependent_id, dependency_id, created_at) VALUES ",
        );
        sql.values(backend, rows);
        execute_sql!(tx, sql)?;
    }
    Ok(())
}

/// Work naming a CI: `(ci_id, ref_id, tenant_id, number, title, open)`.
pub type WorkRow = (i64, i64, i64, String, String, bool);

/// Loads work links of `kind` (the generator's tickets on CIs).
pub async fn insert_work(tx: &mut Tx, kind: &str, rows: &[WorkRow], at: i64) -> Result<()> {
    let backend = tx.backend();
    for chunk in rows.chunks(3000) {
        let values = chunk
            .iter()
            .map(|(ci, r, t, number, title, open)| {
                vec![
                    Arg::Int(*ci),
                    Arg::Text(kind.into()),
                    Arg::Int(*r),
                    Arg::Int(*t),
                    Arg::Text(number.clone()),
                    Arg::Text(title.clone()),
                    Arg::Bool(*open),
                    Arg::Int(at),
                ]
            })
            .collect();
        let mut sql =
            Sql::new("INSERT INTO ci_work (ci_id, kind, ref_id, tenant_id, number, title, open, linked_at) VALUES ");
        sql.values(backend, values);
        execute_sql!(tx, sql)?;
    }
    Ok(())
}

/// Every CI as `(tenant_id, id)`, for the generator to pick from.
pub async fn ids_by_tenant(tx: &mut Tx) -> Result<Vec<(i64, i64)>> {
    Ok(fetch_all!(tx, (i64, i64), "SELECT tenant_id, id FROM cis ORDER BY id")?)
}

/// After loading: PostgreSQL's identity sequences catch up with the ids written, and both
/// stores get statistics of the new rows. Without them PostgreSQL planned impact analysis over
/// 500,000 relationships as scans: 180 ms for a PC's two neighbours.
pub async fn finish(tx: &mut Tx) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        for table in ["cis", "ci_relations", "ci_history"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            );
            scalar!(tx, i64, &sql)?;
        }
    }
    for table in ["cis", "ci_keys", "ci_relations", "ci_history", "ci_work"] {
        execute!(tx, &format!("ANALYZE {table}"))?;
    }
    Ok(())
}
