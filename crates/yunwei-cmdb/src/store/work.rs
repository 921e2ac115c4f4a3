//! Work that names CIs: a ticket's affected CIs now, later problems and changes. The module
//! that owns the work keeps these rows in the transaction of its own change (`link` when the
//! CIs or the title change, `set_open` when it opens or closes); the CMDB reads them for a
//! CI's page and for impact analysis without knowing the work's tables.

use serde::Serialize;
use yunwei_db::db::{Arg, Conn, Sql};
use yunwei_db::{Result, StoreError, Time, Tx, now_micros};
use yunwei_kernel::permission::Actor;

use super::cis::{self, Ci};

stored_row! {
    /// One piece of work naming a CI.
    #[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
    pub struct WorkItem {
        pub ci_id: i64,
        /// `ticket` (later `problem`, `change`).
        pub kind: String,
        pub ref_id: i64,
        pub tenant_id: i64,
        pub number: String,
        pub title: String,
        pub open: bool,
        #[schema(value_type = String, format = DateTime)]
        pub linked_at: Time,
    }
}

/// The most CIs one piece of work may name.
pub const MAX_CIS: usize = 50;

stored_row! {
    struct Owned {
        id: i64,
        tenant_id: i64,
    }
}

/// Checks that `ids` are CIs `actor` may see that belong to `tenant_id` or are the provider's
/// shared ones; `field` names the input (`affected_cis`). Returns them without repeats, in
/// order. Reads only, on any connection (a new ticket is checked on a lookup connection).
pub async fn check(
    c: &mut impl Conn,
    actor: &Actor,
    field: &'static str,
    tenant_id: i64,
    ids: &[i64],
) -> Result<Vec<i64>> {
    if ids.len() > MAX_CIS {
        return Err(StoreError::invalid(field, "too_many").with("max", MAX_CIS));
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Ok(unique);
    }
    let mut sql = Sql::new("SELECT c.id, c.tenant_id FROM cis c WHERE ");
    sql.in_list("c.id", &unique);
    super::visible(&mut sql, "c", actor);
    let found: Vec<Owned> = c.fetch(sql).await?;
    let shared: Option<(i64,)> =
        c.fetch_opt(sql!("SELECT id FROM tenants WHERE kind = 'provider' ORDER BY id LIMIT 1")).await?;
    for id in &unique {
        match found.iter().find(|f| f.id == *id) {
            Some(f) if f.tenant_id == tenant_id || shared.is_some_and(|(p,)| p == f.tenant_id) => {}
            _ => return Err(StoreError::invalid(field, "no_such_ci").with("id", id)),
        }
    }
    Ok(unique)
}

/// New work naming CIs: `(ci_id, ref_id, tenant_id, number, title)` each.
pub struct NewLink<'a> {
    pub ci_id: i64,
    pub ref_id: i64,
    pub tenant_id: i64,
    pub number: &'a str,
    pub title: &'a str,
}

/// The statement that links new, open work of `kind` to CIs (checked with [`check`]) in one
/// go, for intake in bulk; `None` when there is nothing to link.
pub fn link_new(backend: yunwei_db::Backend, kind: &str, links: &[NewLink<'_>], now: i64) -> Option<Sql> {
    if links.is_empty() {
        return None;
    }
    let rows = links
        .iter()
        .map(|l| {
            vec![
                Arg::Int(l.ci_id),
                Arg::Text(kind.into()),
                Arg::Int(l.ref_id),
                Arg::Int(l.tenant_id),
                Arg::Text(l.number.into()),
                Arg::Text(l.title.into()),
                Arg::Bool(true),
                Arg::Int(now),
            ]
        })
        .collect();
    let mut sql =
        Sql::new("INSERT INTO ci_work (ci_id, kind, ref_id, tenant_id, number, title, open, linked_at) VALUES ");
    sql.values(backend, rows);
    Some(sql)
}

/// Makes `ci_ids` the CIs that work `kind`/`ref_id` names (added ones linked now, others
/// unlinked), with its number, title and whether it is open. Check the ids first ([`check`]).
#[allow(clippy::too_many_arguments)]
pub async fn link(
    tx: &mut Tx,
    kind: &str,
    ref_id: i64,
    tenant_id: i64,
    number: &str,
    title: &str,
    open: bool,
    ci_ids: &[i64],
) -> Result<()> {
    let mut sql = Sql::new("DELETE FROM ci_work WHERE kind = ");
    sql.arg(Arg::Text(kind.into())).push(" AND ref_id = ").arg(Arg::Int(ref_id));
    if !ci_ids.is_empty() {
        sql.push(" AND NOT ");
        sql.in_list("ci_id", ci_ids);
    }
    execute_sql!(tx, sql)?;
    execute!(
        tx,
        "UPDATE ci_work SET title = $1, open = $2 WHERE kind = $3 AND ref_id = $4",
        title,
        open,
        kind,
        ref_id
    )?;
    if ci_ids.is_empty() {
        return Ok(());
    }
    // One statement for all; a CI it names already keeps its link (and when it was made).
    let now = now_micros();
    let rows = ci_ids
        .iter()
        .map(|ci| {
            vec![
                Arg::Int(*ci),
                Arg::Text(kind.into()),
                Arg::Int(ref_id),
                Arg::Int(tenant_id),
                Arg::Text(number.into()),
                Arg::Text(title.into()),
                Arg::Bool(open),
                Arg::Int(now),
            ]
        })
        .collect();
    let mut sql =
        Sql::new("INSERT INTO ci_work (ci_id, kind, ref_id, tenant_id, number, title, open, linked_at) VALUES ");
    sql.values(tx.backend(), rows).push(" ON CONFLICT (ci_id, kind, ref_id) DO NOTHING");
    execute_sql!(tx, sql)?;
    Ok(())
}

/// Marks work `kind`/`ref_id` open or done on every CI it names.
pub async fn set_open(tx: &mut Tx, kind: &str, ref_id: i64, open: bool) -> Result<()> {
    execute!(tx, "UPDATE ci_work SET open = $1 WHERE kind = $2 AND ref_id = $3 AND open <> $1", open, kind, ref_id)?;
    Ok(())
}

/// The CIs work `kind`/`ref_id` names that `actor` may see.
pub async fn cis_of(tx: &mut Tx, actor: &Actor, kind: &str, ref_id: i64) -> Result<Vec<Ci>> {
    let ids = fetch_all!(tx, (i64,), "SELECT ci_id FROM ci_work WHERE kind = $1 AND ref_id = $2", kind, ref_id)?;
    let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
    let mut found = cis::visible_among(tx, actor, &ids).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Work naming any of `ci_ids` that `actor` may read: staff see the work of the tenants they
/// serve; others none (an end user's colleagues' tickets are not theirs to read).
pub async fn for_cis<C: Conn>(
    conn: &mut C,
    actor: &Actor,
    ci_ids: &[i64],
    open_only: bool,
    limit: i64,
) -> Result<Vec<WorkItem>> {
    if !actor.is_staff() || ci_ids.is_empty() {
        return Ok(vec![]);
    }
    let mut out = Vec::new();
    for chunk in ci_ids.chunks(10_000) {
        let mut sql = Sql::new("SELECT * FROM ci_work w WHERE ");
        sql.in_ids(conn.backend(), "w.ci_id", chunk);
        sql.scoped("w.tenant_id", &actor.tenant_scope());
        if open_only {
            sql.push(" AND w.open = TRUE");
        }
        sql.push(" ORDER BY w.linked_at DESC, w.ref_id DESC LIMIT ").arg(Arg::Int(limit));
        out.extend(conn.fetch::<WorkItem>(sql).await?);
    }
    out.sort_by_key(|w| std::cmp::Reverse((w.linked_at, w.ref_id)));
    out.truncate(limit.max(0) as usize);
    Ok(out)
}
