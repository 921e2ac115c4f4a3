//! Impact analysis: from one CI, down (what fails with it) or up (what it stands on), to a
//! depth, through the CIs the caller may see only — a shared switch's impact for one
//! client's agent never names another client's servers. One query per level over the
//! relationships' dependency indexes and one for the CIs it reaches; the walk itself is the pure
//! [`Walk`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;
use yunwei_db::db::{Conn, Sql};
use yunwei_db::{Result, StoreError, stored_row};
use yunwei_kernel::permission::Actor;

use super::visible;
use super::work::{self, WorkItem};
use crate::rules::CiStatus;
use crate::rules::impact::{Direction, Edge, MAX_DEPTH, Walk};
use crate::rules::permissions::READ_CMDB;
use crate::rules::relations::RelationKind;

/// The most CIs one analysis returns; past it the result says `truncated`.
pub const MAX_NODES: usize = 5000;

/// One CI in an impact result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImpactNode {
    pub id: i64,
    pub name: String,
    pub class_code: String,
    pub tenant_id: i64,
    #[schema(value_type = String)]
    pub status: CiStatus,
    /// Levels from the start (0 for the start).
    pub depth: u32,
    /// The CI this one was reached from, and the relationship between them.
    pub via: Option<i64>,
    #[schema(value_type = Option<String>)]
    pub kind: Option<RelationKind>,
    /// The CIs from the start to this one: the path that explains it.
    pub path: Vec<i64>,
    /// Open work (tickets) naming this CI that the caller may read.
    pub open_tickets: i64,
}

/// The result of an analysis.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Impact {
    pub start: i64,
    #[schema(value_type = String)]
    pub direction: Direction,
    pub depth: u32,
    /// The start first, then by depth in the order reached.
    pub nodes: Vec<ImpactNode>,
    /// The node limit cut the walk short.
    pub truncated: bool,
    /// The tenants of the CIs reached (within the caller's scope).
    pub tenants: Vec<i64>,
    /// Open tickets naming any CI reached, newest first (at most 200).
    pub open_tickets: Vec<WorkItem>,
}

/// Walks from `starts` in `direction`, at most `depth` levels, through the CIs `actor` may see,
/// noting the facts of each CI reached in `facts`. Two queries per level, and a few more when
/// many of the CIs a level reaches are hidden from `actor`.
async fn walk<C: Conn>(
    conn: &mut C,
    actor: &Actor,
    starts: &[i64],
    direction: Direction,
    depth: u32,
    facts: &mut BTreeMap<i64, Facts>,
) -> Result<Walk> {
    let (from_col, to_col) = match direction {
        Direction::Down => ("dependency_id", "dependent_id"),
        Direction::Up => ("dependent_id", "dependency_id"),
    };
    let backend = conn.backend();
    let mut walk = Walk::from_starts(starts, depth, MAX_NODES);
    while !walk.frontier().is_empty() {
        // The relationships out of the frontier alone: joined with `cis` in one statement,
        // PostgreSQL guessed a hundred relationships per CI (a switch has that many; a PC
        // none) and scanned all the CIs for four relationships.
        let mut edges: Vec<Edge> = Vec::new();
        for chunk in walk.frontier().chunks(10_000) {
            let mut sql =
                Sql::new(&format!("SELECT {from_col} AS from_id, {to_col} AS to_id, kind FROM ci_relations WHERE "));
            sql.in_ids(backend, from_col, chunk);
            let rows: Vec<EdgeRow> = conn.fetch(sql).await?;
            edges.extend(rows.into_iter().map(|r| Edge { from: r.from_id, to: r.to_id, kind: r.kind }));
        }
        // Then which of the CIs they reach `actor` may see, in the order the walk takes them,
        // until the node limit is passed: a core switch reaches 6,800 CIs in two levels, of
        // which the walk keeps 5,000.
        let candidates = walk.candidates(&edges);
        let need = walk.room() + 1;
        let (mut known, mut shown) = (0, 0);
        while shown < need && known < candidates.len() {
            let batch = &candidates[known..candidates.len().min(known + (need - shown).max(1000))];
            let unknown: Vec<i64> = batch.iter().copied().filter(|id| !facts.contains_key(id)).collect();
            facts.extend(facts_of(conn, actor, &unknown).await?);
            shown += batch.iter().filter(|id| facts.contains_key(id)).count();
            known += batch.len();
        }
        let known: HashSet<i64> = candidates[..known].iter().copied().collect();
        walk.visit(edges.into_iter().filter(|e| known.contains(&e.to) && facts.contains_key(&e.to)));
    }
    Ok(walk)
}

/// A CI's name, class code, tenant and status.
type Facts = (String, String, i64, CiStatus);

stored_row! {
    struct EdgeRow {
        from_id: i64,
        to_id: i64,
        kind: RelationKind,
    }
}

stored_row! {
    struct FactsRow {
        id: i64,
        name: String,
        class_code: String,
        tenant_id: i64,
        status: CiStatus,
    }
}

/// The facts of those of the CIs `ids` that `actor` may see.
async fn facts_of<C: Conn>(conn: &mut C, actor: &Actor, ids: &[i64]) -> Result<Vec<(i64, Facts)>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(
        "SELECT c.id, c.name, k.code AS class_code, c.tenant_id, c.status FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE ",
    );
    sql.in_ids(conn.backend(), "c.id", ids);
    visible(&mut sql, "c", actor);
    let rows: Vec<FactsRow> = conn.fetch(sql).await?;
    Ok(rows.into_iter().map(|r| (r.id, (r.name, r.class_code, r.tenant_id, r.status))).collect())
}

/// The business services that depend, within six levels, on any of the CIs `ids` that `actor`
/// may see, `(id, name)` by id: what a ticket on those CIs is about, without the open-ticket
/// counts and paths of a whole analysis.
pub async fn services_of<C: Conn>(conn: &mut C, actor: &Actor, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    actor.require(READ_CMDB)?;
    let mut facts: BTreeMap<i64, Facts> = facts_of(conn, actor, ids).await?.into_iter().collect();
    let starts: Vec<i64> = facts.keys().copied().collect();
    let walk = walk(conn, actor, &starts, Direction::Down, MAX_DEPTH.min(6), &mut facts).await?;
    let mut out: Vec<(i64, String)> = walk
        .steps()
        .iter()
        .filter_map(|s| {
            let (name, class, _, _) = facts.get(&s.id)?;
            (class == "business_service").then(|| (s.id, name.clone()))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Walks from CI `id` (which `actor` must see) in `direction`, at most `depth` levels.
///
/// Its statements need no common snapshot (a relationship added during the walk is either
/// followed or not), so the API and the page run it on a [`yunwei_db::Lookup`]: on SQLite the
/// rows of a core switch's impact come straight from SQLite on the calling thread, where
/// through sqlx each statement's rows came through the connection's own thread.
pub async fn analyse<C: Conn>(
    conn: &mut C,
    actor: &Actor,
    id: i64,
    direction: Direction,
    depth: u32,
) -> Result<Impact> {
    actor.require(READ_CMDB)?;
    if depth > MAX_DEPTH {
        return Err(StoreError::invalid("depth", "out_of_range").with("min", 1).with("max", MAX_DEPTH));
    }
    let mut facts: BTreeMap<i64, Facts> = facts_of(conn, actor, &[id]).await?.into_iter().collect();
    if facts.is_empty() {
        return Err(StoreError::NotFound("ci"));
    }
    let walk = walk(conn, actor, &[id], direction, depth, &mut facts).await?;
    let ids: Vec<i64> = walk.steps().iter().map(|s| s.id).collect();
    // All the open work on the CIs reached, for exact counts: one pass over the open-work index
    // (a core switch's 5,000 CIs had 200 pieces in the benchmark), where a count and a list of
    // the newest took two.
    let open = work::for_cis(conn, actor, &ids, true, i64::MAX).await?;
    let mut per_ci: HashMap<i64, i64> = HashMap::new();
    for w in &open {
        *per_ci.entry(w.ci_id).or_default() += 1;
    }
    let mut seen = HashSet::new();
    let open_tickets: Vec<WorkItem> =
        open.into_iter().filter(|w| seen.insert((w.kind.clone(), w.ref_id))).take(200).collect();
    let mut tenants = BTreeSet::new();
    let nodes = walk
        .steps()
        .iter()
        .filter_map(|s| {
            let (name, class_code, tenant_id, status) = facts.get(&s.id)?.clone();
            tenants.insert(tenant_id);
            Some(ImpactNode {
                id: s.id,
                name,
                class_code,
                tenant_id,
                status,
                depth: s.depth,
                via: s.via,
                kind: s.kind,
                path: walk.path(s.id),
                open_tickets: per_ci.get(&s.id).copied().unwrap_or(0),
            })
        })
        .collect();
    Ok(Impact {
        start: id,
        direction,
        depth,
        nodes,
        truncated: walk.truncated(),
        tenants: tenants.into_iter().collect(),
        open_tickets,
    })
}
