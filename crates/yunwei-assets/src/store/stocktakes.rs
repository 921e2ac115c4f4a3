//! Stock-takes (盘点): start one for a tenant, at one location or everywhere (the assets held
//! there are the snapshot of what is expected), record scans one at a time, see each line's
//! outcome and the running counts, and apply: the corrections are written (a moved asset gets
//! its new location, a missing one is flagged) and the stock-take takes nothing more.

use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;
use yunwei_db::db::{Arg, Sql};
use yunwei_db::{Result, StoreError, Time, Tx, audit, now_micros};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;

use super::assets::history;
use super::tenant_scope;
use crate::rules::permissions::{MANAGE_ASSETS, READ_ASSETS};
use crate::rules::stocktake::{self, Counts, Line, Outcome, StockTakeStatus};

/// A stock-take as stored.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, utoipa::ToSchema)]
pub struct StockTake {
    pub id: i64,
    pub tenant_id: i64,
    /// The location counted; none for the whole tenant.
    pub location_id: Option<i64>,
    /// `open` (taking scans) or `applied` (corrections written, locked).
    #[schema(value_type = String)]
    pub status: StockTakeStatus,
    pub started_by: Option<i64>,
    pub applied_by: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub applied_at: Option<Time>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Time,
}

#[derive(Debug, Clone, FromRow)]
struct ItemRow {
    id: i64,
    asset_id: Option<i64>,
    code: String,
    name: Option<String>,
    expected: bool,
    recorded_location_id: Option<i64>,
    scanned_location_id: Option<i64>,
    scans: i64,
    first_scanned_at: Option<Time>,
}

impl ItemRow {
    fn line(&self) -> Line {
        Line {
            asset_id: self.asset_id,
            expected: self.expected,
            recorded_location: self.recorded_location_id,
            scans: self.scans,
            scanned_location: self.scanned_location_id,
        }
    }

    fn item(self, closing: bool) -> Item {
        let outcome = self.line().outcome(closing);
        Item {
            id: self.id,
            asset_id: self.asset_id,
            code: self.code,
            name: self.name,
            expected: self.expected,
            recorded_location_id: self.recorded_location_id,
            scanned_location_id: self.scanned_location_id,
            scans: self.scans,
            first_scanned_at: self.first_scanned_at,
            outcome,
        }
    }
}

/// One line of a stock-take with its outcome.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = StockTakeItem)]
pub struct Item {
    pub id: i64,
    /// None for a code that matched no asset.
    pub asset_id: Option<i64>,
    /// The asset's tag, or the code scanned when it matched none.
    pub code: String,
    /// The asset's name.
    pub name: Option<String>,
    /// In the snapshot taken at the start.
    pub expected: bool,
    /// Where the asset was recorded to be.
    pub recorded_location_id: Option<i64>,
    /// Where it was first scanned.
    pub scanned_location_id: Option<i64>,
    pub scans: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_scanned_at: Option<Time>,
    /// `pending`, `found`, `missing`, `moved` or `unexpected`.
    #[schema(value_type = String)]
    pub outcome: Outcome,
}

/// A stock-take with its lines and counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Detail {
    pub stock_take: StockTake,
    pub counts: Counts,
    pub items: Vec<Item>,
}

/// What one scan did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanResult {
    pub item: Item,
    /// Scanned before in this stock-take: nothing changed.
    pub repeat: bool,
    /// `already_scanned` on a repeat.
    pub warning: Option<String>,
    pub counts: Counts,
}

const COLUMNS: &str = "s.id, s.tenant_id, s.location_id, s.status, s.started_by, s.applied_by, s.applied_at,
    s.version, s.created_at, s.updated_at";

/// The stock-take `id` if `actor` may see it (staff and a client's IT contact in their scope).
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<StockTake> {
    if !actor.may(READ_ASSETS) {
        return Err(StoreError::NotFound("stock_take"));
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM stock_takes s WHERE s.id = "));
    sql.arg(Arg::Int(id));
    sql.scoped("s.tenant_id", &tenant_scope(actor));
    fetch_sql!(tx, StockTake, sql, fetch_optional)?.ok_or(StoreError::NotFound("stock_take"))
}

/// Stock-takes `actor` may see, newest first.
pub async fn list(tx: &mut Tx, actor: &Actor, limit: i64) -> Result<Vec<StockTake>> {
    if !actor.may(READ_ASSETS) {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM stock_takes s WHERE 1 = 1"));
    sql.scoped("s.tenant_id", &tenant_scope(actor));
    sql.push(" ORDER BY s.id DESC LIMIT ").arg(Arg::Int(limit.clamp(1, 500)));
    Ok(fetch_sql!(tx, StockTake, sql, fetch_all)?)
}

const ITEM_COLUMNS: &str = "i.id, i.asset_id, i.code, a.name, i.expected, i.recorded_location_id,
    i.scanned_location_id, i.scans, i.first_scanned_at
    FROM stock_take_items i LEFT JOIN assets a ON a.id = i.asset_id";

async fn rows(tx: &mut Tx, id: i64) -> Result<Vec<ItemRow>> {
    let sql = format!("SELECT {ITEM_COLUMNS} WHERE i.stock_take_id = $1 ORDER BY i.code, i.id");
    Ok(fetch_all!(tx, ItemRow, sql, id)?)
}

async fn row(tx: &mut Tx, item: i64) -> Result<ItemRow> {
    let sql = format!("SELECT {ITEM_COLUMNS} WHERE i.id = $1");
    fetch_opt!(tx, ItemRow, sql, item)?.ok_or(StoreError::NotFound("stock_take_item"))
}

/// The running counts of an open stock-take, from the lines' facts alone.
async fn counts(tx: &mut Tx, id: i64) -> Result<Counts> {
    let facts = fetch_all!(
        tx,
        (Option<i64>, bool, Option<i64>, i64, Option<i64>),
        "SELECT asset_id, expected, recorded_location_id, scans, scanned_location_id
         FROM stock_take_items WHERE stock_take_id = $1",
        id
    )?;
    let lines: Vec<Line> = facts
        .into_iter()
        .map(|(asset_id, expected, recorded_location, scans, scanned_location)| Line {
            asset_id,
            expected,
            recorded_location,
            scans,
            scanned_location,
        })
        .collect();
    Ok(Counts::of(&lines, false))
}

/// A stock-take with its lines and counts.
pub async fn detail(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Detail> {
    let stock_take = get(tx, actor, id).await?;
    let closing = stock_take.status == StockTakeStatus::Applied;
    let rows = rows(tx, id).await?;
    let lines: Vec<Line> = rows.iter().map(ItemRow::line).collect();
    let counts = Counts::of(&lines, closing);
    Ok(Detail { stock_take, counts, items: rows.into_iter().map(|r| r.item(closing)).collect() })
}

async fn check_location(tx: &mut Tx, tenant_id: i64, location: Option<i64>) -> Result<()> {
    if let Some(l) = location
        && scalar!(tx, i64, "SELECT COUNT(*) FROM locations WHERE id = $1 AND tenant_id = $2", l, tenant_id)? == 0
    {
        return Err(StoreError::invalid("location_id", "no_such_location").with("id", l));
    }
    Ok(())
}

/// Starts a stock-take of a tenant in the actor's scope, at `location` or everywhere: the
/// assets held there (in stock, deployed, in repair) are what it expects.
pub async fn start(tx: &mut Tx, actor: &Actor, tenant_id: i64, location: Option<i64>) -> Result<Detail> {
    actor.require(MANAGE_ASSETS)?;
    let exists = scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? > 0;
    if !exists || !tenant_scope(actor).contains(tenant_id) {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    check_location(tx, tenant_id, location).await?;
    let now = now_micros();
    let (id,) = fetch_one!(
        tx,
        (i64,),
        "INSERT INTO stock_takes (tenant_id, location_id, status, started_by, created_at, updated_at)
         VALUES ($1, $2, 'open', $3, $4, $4) RETURNING id",
        tenant_id,
        location,
        actor.user_id,
        now
    )?;
    let mut sql = Sql::new(
        "INSERT INTO stock_take_items (stock_take_id, asset_id, code, expected, recorded_location_id)
         SELECT ",
    );
    sql.arg(Arg::Int(id)).push(", a.id, a.tag, TRUE, a.location_id FROM assets a WHERE a.tenant_id = ");
    sql.arg(Arg::Int(tenant_id)).push(" AND a.status IN ('in_stock', 'deployed', 'in_repair')");
    if let Some(l) = location {
        sql.push(" AND a.location_id = ").arg(Arg::Int(l));
    }
    execute_sql!(tx, sql)?;
    let d = detail(tx, actor, id).await?;
    let change = audit::Change {
        action: "stock_take.start",
        entity: "stock_take",
        entity_id: id,
        tenant_id: Some(tenant_id),
        before: None,
        after: Some(json!({ "location_id": location, "expected": d.counts.expected })),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(d)
}

pub(crate) fn locked(action: &'static str) -> StoreError {
    StoreError::Domain(DomainError::IllegalTransition { action, from: "applied" })
}

/// The longest code a scan may carry.
pub const MAX_CODE: usize = 100;

/// Records one scan of a tag or serial number, at `location` (default: the stock-take's). A
/// repeat changes nothing and says so.
pub async fn scan(tx: &mut Tx, actor: &Actor, id: i64, code: &str, location: Option<i64>) -> Result<ScanResult> {
    let st = get(tx, actor, id).await?;
    actor.require(MANAGE_ASSETS)?;
    if st.status != StockTakeStatus::Open {
        return Err(locked("scan"));
    }
    let code = code.trim();
    if code.is_empty() {
        return Err(StoreError::invalid("tag_or_serial", "required"));
    }
    if code.chars().count() > MAX_CODE {
        return Err(StoreError::invalid("tag_or_serial", "too_long").with("max", MAX_CODE));
    }
    if code.chars().any(char::is_control) {
        return Err(StoreError::invalid("tag_or_serial", "control_chars"));
    }
    check_location(tx, st.tenant_id, location).await?;
    let at = location.or(st.location_id);
    // The line: one scanned already under this code, the line of the asset with this tag or
    // serial number, or a new one.
    let asset = fetch_opt!(
        tx,
        (i64, String, Option<i64>),
        "SELECT id, tag, location_id FROM assets WHERE tenant_id = $1 AND (tag = $2 OR (serial = $2 AND serial <> ''))
         ORDER BY CASE WHEN tag = $2 THEN 0 ELSE 1 END, id LIMIT 1",
        st.tenant_id,
        code
    )?;
    let existing = match &asset {
        Some((asset_id, _, _)) => fetch_opt!(
            tx,
            (i64,),
            "SELECT id FROM stock_take_items WHERE stock_take_id = $1 AND asset_id = $2",
            id,
            *asset_id
        )?,
        None => fetch_opt!(
            tx,
            (i64,),
            "SELECT id FROM stock_take_items WHERE stock_take_id = $1 AND asset_id IS NULL AND code = $2",
            id,
            code
        )?,
    };
    let item_id = match (existing, &asset) {
        (Some((item,)), _) => item,
        (None, Some((asset_id, tag, recorded))) => {
            fetch_one!(
                tx,
                (i64,),
                "INSERT INTO stock_take_items (stock_take_id, asset_id, code, expected, recorded_location_id)
                 VALUES ($1, $2, $3, FALSE, $4) RETURNING id",
                id,
                *asset_id,
                tag,
                *recorded
            )?
            .0
        }
        (None, None) => {
            fetch_one!(
                tx,
                (i64,),
                "INSERT INTO stock_take_items (stock_take_id, asset_id, code, expected) VALUES ($1, NULL, $2, FALSE)
                 RETURNING id",
                id,
                code
            )?
            .0
        }
    };
    let mut line = row(tx, item_id).await?.line();
    let done = stocktake::scan(&mut line, at);
    let now = now_micros();
    execute!(
        tx,
        "UPDATE stock_take_items SET scans = $1, scanned_location_id = $2,
            first_scanned_at = COALESCE(first_scanned_at, $3), scanned_by = COALESCE(scanned_by, $4)
         WHERE id = $5",
        line.scans,
        line.scanned_location,
        now,
        actor.user_id,
        item_id
    )?;
    execute!(tx, "UPDATE stock_takes SET updated_at = $1 WHERE id = $2", now, id)?;
    Ok(ScanResult {
        item: row(tx, item_id).await?.item(false),
        repeat: done.repeat,
        warning: done.repeat.then(|| "already_scanned".to_string()),
        counts: counts(tx, id).await?,
    })
}

/// Applies an open stock-take: each moved asset gets the location it was scanned at, each
/// missing one is flagged (and each found one unflagged), all in the assets' history; then
/// the stock-take is locked.
pub async fn apply(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Detail> {
    let st = get(tx, actor, id).await?;
    actor.require(MANAGE_ASSETS)?;
    if st.status != StockTakeStatus::Open {
        return Err(locked("apply"));
    }
    let now = now_micros();
    for row in rows(tx, id).await? {
        let Some(asset) = row.asset_id else { continue };
        let outcome = row.line().outcome(true);
        let current =
            fetch_opt!(tx, (Option<i64>, bool), "SELECT location_id, missing FROM assets WHERE id = $1", asset)?;
        let Some((location, missing)) = current else { continue };
        let (new_location, new_missing) = match outcome {
            Outcome::Moved => (row.scanned_location_id, false),
            Outcome::Missing => (location, true),
            Outcome::Found => (location, false),
            Outcome::Pending | Outcome::Unexpected => continue,
        };
        if (new_location, new_missing) == (location, missing) {
            continue;
        }
        execute!(
            tx,
            "UPDATE assets SET location_id = $1, missing = $2, version = version + 1, updated_at = $3 WHERE id = $4",
            new_location,
            new_missing,
            now,
            asset
        )?;
        let data = json!({ "stock_take_id": id, "outcome": outcome, "location_before": location,
            "location_after": new_location, "missing": new_missing });
        history(tx, asset, Some(actor.user_id), "stock_take", data).await?;
    }
    let done = execute!(
        tx,
        "UPDATE stock_takes SET status = 'applied', applied_by = $1, applied_at = $2, updated_at = $2,
            version = version + 1
         WHERE id = $3 AND status = 'open'",
        actor.user_id,
        now,
        id
    )?;
    if done == 0 {
        return Err(StoreError::stale("stock_take"));
    }
    let d = detail(tx, actor, id).await?;
    let change = audit::Change {
        action: "stock_take.apply",
        entity: "stock_take",
        entity_id: id,
        tenant_id: Some(st.tenant_id),
        before: None,
        after: serde_json::to_value(d.counts).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(d)
}
