//! The group lead's dashboard: open tickets by priority and by group, tickets created and
//! resolved per period, and the categories with the most tickets — every figure counted in
//! the actor's scope (`tickets::scope`), so a lead never counts a tenant they do not serve.

use crate::rules::permissions;
use yunwei_kernel::permission::Actor;

use crate::store::tickets;
use yunwei_db::Result;
use yunwei_db::Tx;
use yunwei_db::db::{Arg, Sql};

/// Open tickets per priority (1 = 严重 … 4 = 轻微), as `(priority, count)` for priorities
/// that have any.
pub async fn open_by_priority(tx: &mut Tx, actor: &Actor) -> Result<Vec<(i64, i64)>> {
    actor.require(permissions::WORK_TICKETS)?;
    let mut sql = Sql::new("SELECT t.priority, COUNT(*) AS n FROM tickets t WHERE 1 = 1");
    tickets::scope(&mut sql, actor);
    tickets::push_open(&mut sql);
    sql.push(" GROUP BY t.priority ORDER BY t.priority");
    Ok(fetch_sql!(tx, (i64, i64), sql, fetch_all)?)
}

/// Open tickets per holding group: `(group id, group name, count)`, most first; tickets held by
/// no group have id 0 and an empty name.
pub async fn open_by_group(tx: &mut Tx, actor: &Actor) -> Result<Vec<(i64, String, i64)>> {
    actor.require(permissions::WORK_TICKETS)?;
    let mut sql = Sql::new(
        "SELECT COALESCE(g.id, 0) AS gid, COALESCE(g.name, '') AS gname, COUNT(*) AS n
         FROM tickets t LEFT JOIN support_groups g ON g.id = t.group_id WHERE 1 = 1",
    );
    tickets::scope(&mut sql, actor);
    tickets::push_open(&mut sql);
    sql.push(" GROUP BY COALESCE(g.id, 0), COALESCE(g.name, '') ORDER BY n DESC, gid");
    Ok(fetch_sql!(tx, (i64, String, i64), sql, fetch_all)?)
}

/// Tickets created and resolved in each period `[bounds[i], bounds[i + 1])` (instants in
/// microseconds, ascending): `(created, resolved)` per period. The caller picks the bounds —
/// e.g. midnights in the viewer's time zone — so days follow the viewer's calendar.
pub async fn created_resolved(tx: &mut Tx, actor: &Actor, bounds: &[i64]) -> Result<Vec<(i64, i64)>> {
    actor.require(permissions::WORK_TICKETS)?;
    let periods = bounds.len().saturating_sub(1);
    let mut out = vec![(0i64, 0i64); periods];
    if periods == 0 {
        return Ok(out);
    }
    let (from, to) = (bounds[0], bounds[periods]);
    let mut sql = Sql::new("SELECT t.created_at, t.resolved_at FROM tickets t WHERE 1 = 1");
    tickets::scope(&mut sql, actor);
    sql.push(" AND ((t.created_at >= ").arg(Arg::Int(from));
    sql.push(" AND t.created_at < ").arg(Arg::Int(to));
    sql.push(") OR (t.resolved_at >= ").arg(Arg::Int(from));
    sql.push(" AND t.resolved_at < ").arg(Arg::Int(to));
    sql.push("))");
    let rows = fetch_sql!(tx, (i64, Option<i64>), sql, fetch_all)?;
    let period = |at: i64| -> Option<usize> {
        if at < from || at >= to {
            return None;
        }
        // The last bound at or before `at`.
        Some(bounds.partition_point(|b| *b <= at) - 1)
    };
    for (created, resolved) in rows {
        if let Some(i) = period(created) {
            out[i].0 += 1;
        }
        if let Some(i) = resolved.and_then(period) {
            out[i].1 += 1;
        }
    }
    Ok(out)
}

/// The categories with the most tickets created since `from`, counted on the top-level
/// category (a ticket in "硬件 / 打印机" counts for "硬件"): `(category id, name_zh, name_en,
/// count)`, most first, at most `limit`. Tickets without a category are left out.
pub async fn top_categories(
    tx: &mut Tx,
    actor: &Actor,
    from: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, i64)>> {
    actor.require(permissions::WORK_TICKETS)?;
    let mut sql = Sql::new(
        "SELECT top.id, top.name_zh, top.name_en, COUNT(*) AS n
         FROM tickets t JOIN categories c ON c.id = t.category_id
         JOIN categories top ON top.id = COALESCE(c.parent_id, c.id) WHERE 1 = 1",
    );
    tickets::scope(&mut sql, actor);
    sql.push(" AND t.created_at >= ").arg(Arg::Int(from));
    sql.push(" GROUP BY top.id, top.name_zh, top.name_en ORDER BY n DESC, top.id LIMIT ").arg(Arg::Int(limit));
    Ok(fetch_sql!(tx, (i64, String, String, i64), sql, fetch_all)?)
}
