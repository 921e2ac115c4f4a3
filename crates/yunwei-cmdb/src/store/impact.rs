//! Impact analysis: from one CI, down (what fails with it) or up (what it stands on), to a
//! depth, through the CIs the caller may see only — a shared switch's impact for one
//! client's agent never names another client's servers. One query per level over the
//! relationships' dependency indexes and one for the CIs it reaches; the walk itself is the pure
//! [`Walk`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use yunwei_db::db::{Sql, fetch_many};
use yunwei_db::{Result, Tx};
use yunwei_kernel::permission::Actor;

use super::work::{self, WorkItem};
use super::{cis, visible};
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
/// noting the facts of each CI reached in `facts`. Two queries per level.
async fn walk(
    tx: &mut Tx,
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
    let mut walk = Walk::from_starts(starts, depth, MAX_NODES);
    while !walk.frontier().is_empty() {
        // The relationships out of the frontier alone: joined with `cis` in one statement,
        // PostgreSQL guessed a hundred relationships per CI (a switch has that many; a PC
        // none) and scanned all the CIs for four relationships.
        let backend = tx.backend();
        let mut edges: Vec<(i64, i64, RelationKind)> = Vec::new();
        for chunk in walk.frontier().chunks(10_000) {
            let mut sql = Sql::new("FROM ci_relations WHERE ");
            sql.in_ids(backend, from_col, chunk);
            edges
                .extend(fetch_many::<(i64, i64, RelationKind)>(tx, &format!("{from_col}, {to_col}, kind"), sql).await?);
        }
        // Then the CIs they reach for the first time, by id, those `actor` may see.
        let new: BTreeSet<i64> = edges.iter().map(|e| e.1).filter(|id| !facts.contains_key(id)).collect();
        let new: Vec<i64> = new.into_iter().collect();
        for chunk in new.chunks(10_000) {
            let mut sql = Sql::new("FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE ");
            sql.in_ids(backend, "c.id", chunk);
            visible(&mut sql, "c", actor);
            let columns = "c.id, c.name, k.code, c.tenant_id, c.status";
            for (id, name, class_code, tenant_id, status) in
                fetch_many::<(i64, String, String, i64, CiStatus)>(tx, columns, sql).await?
            {
                facts.insert(id, (name, class_code, tenant_id, status));
            }
        }
        let seen = edges.into_iter().filter(|e| facts.contains_key(&e.1));
        walk.visit(seen.map(|(from, to, kind)| Edge { from, to, kind }));
    }
    Ok(walk)
}

/// A CI's name, class code, tenant and status.
type Facts = (String, String, i64, CiStatus);

/// The business services that depend, within six levels, on any of the CIs `ids` that `actor`
/// may see, `(id, name)` by id: what a ticket on those CIs is about, without the open-ticket
/// counts and paths of a whole analysis.
pub async fn services_of(tx: &mut Tx, actor: &Actor, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    actor.require(READ_CMDB)?;
    let mut facts = BTreeMap::new();
    let mut starts = Vec::new();
    for c in cis::visible_among(tx, actor, ids).await? {
        starts.push(c.id);
        facts.insert(c.id, (c.name, c.class_code, c.tenant_id, c.status));
    }
    let walk = walk(tx, actor, &starts, Direction::Down, MAX_DEPTH.min(6), &mut facts).await?;
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
pub async fn analyse(tx: &mut Tx, actor: &Actor, id: i64, direction: Direction, depth: u32) -> Result<Impact> {
    actor.require(READ_CMDB)?;
    if depth > MAX_DEPTH {
        return Err(yunwei_db::StoreError::invalid("depth", "out_of_range").with("min", 1).with("max", MAX_DEPTH));
    }
    let start = cis::get(tx, actor, id).await?;
    let mut facts = BTreeMap::new();
    facts.insert(id, (start.name.clone(), start.class_code.clone(), start.tenant_id, start.status));
    let walk = walk(tx, actor, &[id], direction, depth, &mut facts).await?;
    let ids: Vec<i64> = walk.steps().iter().map(|s| s.id).collect();
    let open = work::for_cis(tx, actor, &ids, true, 5000).await?;
    let mut per_ci: BTreeMap<i64, i64> = BTreeMap::new();
    for w in &open {
        *per_ci.entry(w.ci_id).or_default() += 1;
    }
    let mut seen = BTreeSet::new();
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
