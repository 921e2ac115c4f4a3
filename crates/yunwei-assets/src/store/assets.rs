//! Assets: create (with a tag from the installation's rule, or one given), read, list with
//! filters in the caller's scope, change with an optimistic version, move through the
//! lifecycle, and the history of every change. Assigning an asset that is a CI assigns the CI
//! too, through the CMDB's store, in the same transaction.

use serde::Serialize;
use serde_json::{Value, json};
use sqlx::FromRow;
use yunwei_db::db::{Arg, JsonText, Sql};
use yunwei_db::{Result, StoreError, Time, Tx, audit, now_micros, settings};
use yunwei_kernel::permission::Actor;
use yunwei_kernel::validate;

use super::{tenant_scope, today, visible};
use crate::rules::lifecycle::{self, AssetStatus};
use crate::rules::permissions::MANAGE_ASSETS;
use crate::rules::tag::{self, Pattern, Place};
use crate::rules::{cost, currency, date};

/// The setting that holds the installation's tag rule (a pattern, see [`crate::rules::tag`]).
pub const TAG_RULE: &str = "assets.tag_rule";

const COLUMNS: &str = "a.id, a.tenant_id, a.tag, a.name, a.model, a.serial, a.status, a.ci_id, a.user_id,
    a.location_id, a.purchase_date, a.cost_cents, a.currency, a.vendor, a.contract_number, a.warranty_end,
    a.contract_end, a.missing, a.version, a.created_at, a.updated_at";

/// An asset as stored.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Asset {
    pub id: i64,
    pub tenant_id: i64,
    /// Unique in the installation, printed on the label (`D010210-009`).
    pub tag: String,
    pub name: String,
    pub model: String,
    pub serial: String,
    /// `ordered`, `in_stock`, `deployed`, `in_repair`, `retired` or `disposed`.
    #[schema(value_type = String)]
    pub status: AssetStatus,
    /// The CI this asset is, if it is in the CMDB.
    pub ci_id: Option<i64>,
    /// The person it is assigned to.
    pub user_id: Option<i64>,
    pub location_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub purchase_date: Option<String>,
    /// The price in the currency's minor unit (分 for CNY).
    pub cost_cents: Option<i64>,
    pub currency: String,
    pub vendor: String,
    pub contract_number: String,
    /// `YYYY-MM-DD`.
    pub warranty_end: Option<String>,
    /// `YYYY-MM-DD`.
    pub contract_end: Option<String>,
    /// A stock-take did not find it (cleared when one does).
    pub missing: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Time,
}

/// What a new asset or a change gives; `None` keeps the current value, `Some(None)` clears.
/// `tag` and `status` count only when creating (a lifecycle move is [`transition`]).
#[derive(Debug, Clone, Default)]
pub struct AssetInput {
    pub tenant_id: Option<i64>,
    /// None: made by the installation's tag rule.
    pub tag: Option<String>,
    pub name: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Default `in_stock`; a new asset is `ordered`, `in_stock` or `deployed`.
    pub status: Option<AssetStatus>,
    pub ci_id: Option<Option<i64>>,
    pub user_id: Option<Option<i64>>,
    pub location_id: Option<Option<i64>>,
    pub purchase_date: Option<Option<String>>,
    pub cost_cents: Option<Option<i64>>,
    pub currency: Option<String>,
    pub vendor: Option<String>,
    pub contract_number: Option<String>,
    pub warranty_end: Option<Option<String>>,
    pub contract_end: Option<Option<String>>,
}

/// One entry of an asset's history.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = AssetHistoryEntry)]
pub struct HistoryEntry {
    pub id: i64,
    pub asset_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Time,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// `created`, `updated`, `transition`, `stock_take`.
    pub kind: String,
    /// For `updated`, `{"changes": [{"field", "before", "after"}]}`; for `transition`
    /// `{"from", "to"}`; for `stock_take` the stock-take, its outcome and any new location.
    #[schema(value_type = Object)]
    pub data: JsonText<Value>,
}

/// The asset `id` if `actor` may see it.
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Asset> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM assets a WHERE a.id = "));
    sql.arg(Arg::Int(id));
    visible(&mut sql, "a", actor);
    fetch_sql!(tx, Asset, sql, fetch_optional)?.ok_or(StoreError::NotFound("asset"))
}

/// Filters of an asset list.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub tenant_id: Option<i64>,
    pub status: Option<AssetStatus>,
    pub location_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Held assets (in stock, deployed, in repair) whose warranty ends today or within this
    /// many days.
    pub warranty_within_days: Option<i64>,
    /// Held assets whose contract ends today or within this many days.
    pub contract_within_days: Option<i64>,
    /// Only those a stock-take did not find.
    pub missing: Option<bool>,
    /// An exact tag or serial number, or words in the name.
    pub q: Option<String>,
    /// The last asset of the previous page (pages go by tag).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

pub const MAX_PAGE: i64 = 500;
/// The longest look-ahead of the "ending within" filters.
pub const MAX_DAYS: i64 = 3660;

fn ending_within(sql: &mut Sql, column: &str, days: i64) {
    let from = today();
    let until = from.checked_add(jiff::Span::new().days(days.clamp(0, MAX_DAYS))).unwrap_or(from);
    sql.push(&format!(" AND a.{column} >= ")).arg(Arg::Text(from.to_string()));
    sql.push(&format!(" AND a.{column} <= ")).arg(Arg::Text(until.to_string()));
    sql.push(" AND a.status IN ('in_stock', 'deployed', 'in_repair')");
}

/// Assets `actor` may see, by tag, a page at a time (the "ending within" filters sort by
/// that end date instead, soonest first).
pub async fn list(tx: &mut Tx, actor: &Actor, f: &AssetFilter) -> Result<Vec<Asset>> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM assets a WHERE 1 = 1"));
    visible(&mut sql, "a", actor);
    if let Some(t) = f.tenant_id {
        sql.push(" AND a.tenant_id = ").arg(Arg::Int(t));
    }
    if let Some(s) = f.status {
        sql.push(" AND a.status = ").arg(Arg::Text(s.as_str().into()));
    }
    if let Some(l) = f.location_id {
        sql.push(" AND a.location_id = ").arg(Arg::Int(l));
    }
    if let Some(u) = f.user_id {
        sql.push(" AND a.user_id = ").arg(Arg::Int(u));
    }
    if let Some(m) = f.missing {
        sql.push(" AND a.missing = ").arg(Arg::Bool(m));
    }
    if let Some(d) = f.warranty_within_days {
        ending_within(&mut sql, "warranty_end", d);
    }
    if let Some(d) = f.contract_within_days {
        ending_within(&mut sql, "contract_end", d);
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        sql.push(" AND (a.tag = ").arg(Arg::Text(q.into()));
        sql.push(" OR a.serial = ").arg(Arg::Text(q.into()));
        sql.push(" OR LOWER(a.name) LIKE ").arg(Arg::Text(like)).push(")");
    }
    let limit = f.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    if f.warranty_within_days.is_some() {
        sql.push(" ORDER BY a.warranty_end, a.id LIMIT ").arg(Arg::Int(limit));
    } else if f.contract_within_days.is_some() {
        sql.push(" ORDER BY a.contract_end, a.id LIMIT ").arg(Arg::Int(limit));
    } else {
        if let Some(after) = f.after {
            sql.push(" AND a.tag > (SELECT tag FROM assets WHERE id = ").arg(Arg::Int(after)).push(")");
        }
        sql.push(" ORDER BY a.tag LIMIT ").arg(Arg::Int(limit));
    }
    Ok(fetch_sql!(tx, Asset, sql, fetch_all)?)
}

/// The installation's tag rule ([`tag::DEFAULT`] until an administrator sets one).
pub async fn tag_rule(tx: &mut Tx) -> Result<Pattern> {
    let text: Option<String> = settings::get(tx, TAG_RULE).await?;
    let text = text.unwrap_or_else(|| tag::DEFAULT.to_string());
    Pattern::parse("pattern", &text).map_err(|e| StoreError::Config(format!("the asset tag rule is unreadable: {e}")))
}

/// Sets the installation's tag rule (administrators); refusals name `pattern`.
pub async fn set_tag_rule(tx: &mut Tx, actor: &Actor, text: &str) -> Result<Pattern> {
    let pattern = Pattern::parse("pattern", text)?;
    settings::put(tx, actor, TAG_RULE, &pattern.as_str()).await?;
    Ok(pattern)
}

async fn tag_taken(tx: &mut Tx, tag: &str) -> Result<bool> {
    Ok(scalar!(tx, i64, "SELECT COUNT(*) FROM assets WHERE tag = $1", tag)? > 0)
}

/// The next free tag for an asset at `location` under the installation's rule.
pub async fn next_tag(tx: &mut Tx, location: Option<i64>) -> Result<String> {
    let rule = tag_rule(tx).await?;
    let place = match location {
        Some(l) if rule.needs_place() => {
            fetch_opt!(tx, (String, String, String), "SELECT building, floor, room FROM locations WHERE id = $1", l)?
        }
        _ => None,
    };
    let filled = rule.fill(place.as_ref().map(|(b, f, r)| Place { building: b, floor: f, room: r }))?;
    let key = filled.key();
    execute!(
        tx,
        "INSERT INTO asset_tag_counters (prefix, next_seq) VALUES ($1, 1) ON CONFLICT (prefix) DO NOTHING",
        &key
    )?;
    // A tag given by hand may have taken a number: skip it.
    for _ in 0..10_000 {
        let seq = scalar!(
            tx,
            i64,
            "UPDATE asset_tag_counters SET next_seq = next_seq + 1 WHERE prefix = $1 RETURNING next_seq - 1",
            &key
        )?;
        let t = filled.tag(u64::try_from(seq).unwrap_or(0));
        if t.chars().count() > tag::MAX_LEN {
            return Err(StoreError::invalid("tag", "too_long").with("max", tag::MAX_LEN));
        }
        if !tag_taken(tx, &t).await? {
            return Ok(t);
        }
    }
    Err(StoreError::Config(format!("no free asset tag for {key}")))
}

async fn check_tenant(tx: &mut Tx, actor: &Actor, tenant_id: i64) -> Result<()> {
    let exists = scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? > 0;
    if !exists || !tenant_scope(actor).contains(tenant_id) {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    Ok(())
}

/// Checks the location, user and CI of an asset of `tenant_id` (`asset` is the asset being
/// changed, whose own CI is no clash).
async fn check_links(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    asset: Option<i64>,
    location: Option<i64>,
    user: Option<i64>,
    ci: Option<i64>,
) -> Result<()> {
    if let Some(l) = location
        && scalar!(tx, i64, "SELECT COUNT(*) FROM locations WHERE id = $1 AND tenant_id = $2", l, tenant_id)? == 0
    {
        return Err(StoreError::invalid("location_id", "no_such_location").with("id", l));
    }
    if let Some(u) = user
        && scalar!(tx, i64, "SELECT COUNT(*) FROM users WHERE id = $1 AND tenant_id = $2", u, tenant_id)? == 0
    {
        return Err(StoreError::invalid("user_id", "no_such_user").with("id", u));
    }
    if let Some(c) = ci {
        let found = match yunwei_cmdb::store::cis::get(tx, actor, c).await {
            Ok(found) => found,
            Err(StoreError::NotFound(_)) => return Err(StoreError::invalid("ci_id", "no_such_ci").with("id", c)),
            Err(e) => return Err(e),
        };
        if found.tenant_id != tenant_id {
            return Err(StoreError::invalid("ci_id", "asset_ci_other_tenant").with("id", c));
        }
        let other = fetch_opt!(tx, (i64,), "SELECT id FROM assets WHERE ci_id = $1", c)?;
        if let Some((other,)) = other
            && Some(other) != asset
        {
            return Err(StoreError::invalid("ci_id", "asset_ci_taken").with("id", c));
        }
    }
    Ok(())
}

fn opt_date(field: &str, value: Option<String>) -> Result<Option<String>> {
    Ok(value.map(|d| date(field, &d)).transpose()?)
}

pub(crate) async fn history(tx: &mut Tx, asset: i64, actor: Option<i64>, kind: &str, data: Value) -> Result<()> {
    execute!(
        tx,
        "INSERT INTO asset_history (asset_id, at, actor_id, kind, data) VALUES ($1, $2, $3, $4, $5)",
        asset,
        now_micros(),
        actor,
        kind,
        data.to_string()
    )?;
    Ok(())
}

async fn record(tx: &mut Tx, actor: &Actor, action: &'static str, before: Option<&Asset>, after: &Asset) -> Result<()> {
    let change = audit::Change {
        action,
        entity: "asset",
        entity_id: after.id,
        tenant_id: Some(after.tenant_id),
        before: before.and_then(|b| serde_json::to_value(b).ok()),
        after: serde_json::to_value(after).ok(),
    };
    audit::record(tx, Some(actor), change).await
}

/// Keeps the CI the asset is assigned to the same person.
async fn sync_ci(tx: &mut Tx, actor: &Actor, asset: &Asset) -> Result<()> {
    if let Some(ci) = asset.ci_id {
        yunwei_cmdb::store::cis::assign_user(tx, actor, ci, asset.user_id).await?;
    }
    Ok(())
}

/// The checked text fields of an asset.
struct Texts {
    name: String,
    model: String,
    serial: String,
    vendor: String,
    contract_number: String,
    currency: String,
}

fn texts(input: &AssetInput, before: Option<&Asset>) -> Result<Texts> {
    let keep = |new: &Option<String>, old: Option<&String>| new.clone().or_else(|| old.cloned()).unwrap_or_default();
    let name = match (&input.name, before) {
        (Some(n), _) => validate::line("name", n, 200)?,
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(StoreError::invalid("name", "required")),
    };
    let line = |field: &str, v: String, max: usize| -> Result<String> {
        let v = validate::optional(field, &v, max)?;
        if v.contains(['\n', '\r', '\t']) {
            return Err(StoreError::invalid(field, "single_line"));
        }
        Ok(v)
    };
    Ok(Texts {
        name,
        model: line("model", keep(&input.model, before.map(|b| &b.model)), 200)?,
        serial: line("serial", keep(&input.serial, before.map(|b| &b.serial)), 100)?,
        vendor: line("vendor", keep(&input.vendor, before.map(|b| &b.vendor)), 200)?,
        contract_number: line(
            "contract_number",
            keep(&input.contract_number, before.map(|b| &b.contract_number)),
            100,
        )?,
        currency: match (&input.currency, before) {
            (Some(c), _) => currency(c)?,
            (None, Some(b)) => b.currency.clone(),
            (None, None) => "CNY".into(),
        },
    })
}

/// Creates an asset of a tenant in the actor's scope; its tag is the one given or the next
/// one the installation's rule makes.
pub async fn create(tx: &mut Tx, actor: &Actor, input: AssetInput) -> Result<Asset> {
    actor.require(MANAGE_ASSETS)?;
    let tenant_id = input.tenant_id.ok_or_else(|| StoreError::invalid("tenant_id", "required"))?;
    check_tenant(tx, actor, tenant_id).await?;
    let t = texts(&input, None)?;
    let status = input.status.unwrap_or(AssetStatus::InStock);
    if !matches!(status, AssetStatus::Ordered | AssetStatus::InStock | AssetStatus::Deployed) {
        return Err(StoreError::invalid("status", "asset_initial_status").with("value", status));
    }
    let (location, user, ci) = (input.location_id.flatten(), input.user_id.flatten(), input.ci_id.flatten());
    let purchase = opt_date("purchase_date", input.purchase_date.flatten())?;
    let warranty = opt_date("warranty_end", input.warranty_end.flatten())?;
    let contract = opt_date("contract_end", input.contract_end.flatten())?;
    let cost_cents = input.cost_cents.flatten().map(cost).transpose()?;
    check_links(tx, actor, tenant_id, None, location, user, ci).await?;
    let tag = match input.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(given) => {
            let given = tag::given(given)?;
            if tag_taken(tx, &given).await? {
                return Err(StoreError::Duplicate { field: "tag", code: "asset_tag_taken" });
            }
            given
        }
        None => next_tag(tx, location).await?,
    };
    let now = now_micros();
    let (id,) = fetch_one!(
        tx,
        (i64,),
        "INSERT INTO assets (tenant_id, tag, name, model, serial, status, ci_id, user_id, location_id, purchase_date,
            cost_cents, currency, vendor, contract_number, warranty_end, contract_end, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
        tenant_id,
        &tag,
        &t.name,
        &t.model,
        &t.serial,
        status.as_str(),
        ci,
        user,
        location,
        purchase,
        cost_cents,
        &t.currency,
        &t.vendor,
        &t.contract_number,
        warranty,
        contract,
        now,
    )
    .map_err(|e| StoreError::from(e).unique("tag", "asset_tag_taken"))?;
    let asset = get(tx, actor, id).await?;
    sync_ci(tx, actor, &asset).await?;
    history(tx, id, Some(actor.user_id), "created", json!({ "tag": tag, "name": t.name, "status": status })).await?;
    record(tx, actor, "asset.create", None, &asset).await?;
    Ok(asset)
}

/// The fields that differ between two versions of an asset, as `{field, before, after}`.
fn differences(before: &Asset, after: &Asset) -> Vec<Value> {
    let (b, a) = (serde_json::to_value(before).unwrap_or_default(), serde_json::to_value(after).unwrap_or_default());
    let mut out = Vec::new();
    for field in [
        "name",
        "model",
        "serial",
        "ci_id",
        "user_id",
        "location_id",
        "purchase_date",
        "cost_cents",
        "currency",
        "vendor",
        "contract_number",
        "warranty_end",
        "contract_end",
    ] {
        if b[field] != a[field] {
            out.push(json!({ "field": field, "before": b[field], "after": a[field] }));
        }
    }
    out
}

/// Changes an asset; `version` is the one the caller read (stale → conflict). A change that
/// changes nothing writes nothing. The tag, tenant and status do not change here.
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: AssetInput) -> Result<Asset> {
    let before = get(tx, actor, id).await?;
    actor.require(MANAGE_ASSETS)?;
    if before.version != version {
        return Err(StoreError::stale("asset"));
    }
    if input.tenant_id.is_some_and(|t| t != before.tenant_id) {
        return Err(StoreError::invalid("tenant_id", "asset_tenant_fixed"));
    }
    if input.tag.as_deref().is_some_and(|t| t.trim() != before.tag) {
        return Err(StoreError::invalid("tag", "asset_tag_fixed"));
    }
    let t = texts(&input, Some(&before))?;
    let mut next = before.clone();
    next.name = t.name;
    next.model = t.model;
    next.serial = t.serial;
    next.vendor = t.vendor;
    next.contract_number = t.contract_number;
    next.currency = t.currency;
    next.ci_id = input.ci_id.unwrap_or(before.ci_id);
    next.user_id = input.user_id.unwrap_or(before.user_id);
    next.location_id = input.location_id.unwrap_or(before.location_id);
    if let Some(d) = input.purchase_date {
        next.purchase_date = opt_date("purchase_date", d)?;
    }
    if let Some(d) = input.warranty_end {
        next.warranty_end = opt_date("warranty_end", d)?;
    }
    if let Some(d) = input.contract_end {
        next.contract_end = opt_date("contract_end", d)?;
    }
    if let Some(c) = input.cost_cents {
        next.cost_cents = c.map(cost).transpose()?;
    }
    check_links(tx, actor, before.tenant_id, Some(id), next.location_id, next.user_id, next.ci_id).await?;
    let changes = differences(&before, &next);
    if changes.is_empty() {
        return Ok(before);
    }
    let done = execute!(
        tx,
        "UPDATE assets SET name = $1, model = $2, serial = $3, ci_id = $4, user_id = $5, location_id = $6,
            purchase_date = $7, cost_cents = $8, currency = $9, vendor = $10, contract_number = $11,
            warranty_end = $12, contract_end = $13, version = version + 1, updated_at = $14
         WHERE id = $15 AND version = $16",
        &next.name,
        &next.model,
        &next.serial,
        next.ci_id,
        next.user_id,
        next.location_id,
        next.purchase_date.clone(),
        next.cost_cents,
        &next.currency,
        &next.vendor,
        &next.contract_number,
        next.warranty_end.clone(),
        next.contract_end.clone(),
        now_micros(),
        id,
        version,
    )?;
    if done == 0 {
        return Err(StoreError::stale("asset"));
    }
    let after = get(tx, actor, id).await?;
    if after.user_id != before.user_id || after.ci_id != before.ci_id {
        sync_ci(tx, actor, &after).await?;
    }
    history(tx, id, Some(actor.user_id), "updated", json!({ "changes": changes })).await?;
    record(tx, actor, "asset.update", Some(&before), &after).await?;
    Ok(after)
}

/// Moves an asset to `to` if its lifecycle allows (else an illegal transition, 409).
pub async fn transition(tx: &mut Tx, actor: &Actor, id: i64, version: i64, to: AssetStatus) -> Result<Asset> {
    let before = get(tx, actor, id).await?;
    actor.require(MANAGE_ASSETS)?;
    if before.version != version {
        return Err(StoreError::stale("asset"));
    }
    let to = lifecycle::transition(before.status, to)?;
    let done = execute!(
        tx,
        "UPDATE assets SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
        to.as_str(),
        now_micros(),
        id,
        version
    )?;
    if done == 0 {
        return Err(StoreError::stale("asset"));
    }
    let after = get(tx, actor, id).await?;
    history(tx, id, Some(actor.user_id), "transition", json!({ "from": before.status, "to": to })).await?;
    record(tx, actor, "asset.transition", Some(&before), &after).await?;
    Ok(after)
}

/// An asset's history, newest first (the asset must be visible to `actor`).
pub async fn history_of(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
    get(tx, actor, id).await?;
    Ok(fetch_all!(
        tx,
        HistoryEntry,
        "SELECT h.id, h.asset_id, h.at, h.actor_id, u.name AS actor_name, h.kind, h.data
         FROM asset_history h LEFT JOIN users u ON u.id = h.actor_id
         WHERE h.asset_id = $1 ORDER BY h.id DESC LIMIT 500",
        id
    )?)
}

/// What the forms offer, in `actor`'s scope: tenants, locations and people by tenant.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// (id, name)
    pub tenants: Vec<(i64, String)>,
    /// (id, tenant, "building floor room")
    pub locations: Vec<(i64, i64, String)>,
    /// (id, tenant, name)
    pub users: Vec<(i64, i64, String)>,
}

impl Choices {
    pub fn location(&self, id: impl std::borrow::Borrow<Option<i64>>) -> String {
        (*id.borrow()).and_then(|id| self.locations.iter().find(|l| l.0 == id)).map(|l| l.2.clone()).unwrap_or_default()
    }

    pub fn user(&self, id: impl std::borrow::Borrow<Option<i64>>) -> String {
        (*id.borrow()).and_then(|id| self.users.iter().find(|u| u.0 == id)).map(|u| u.2.clone()).unwrap_or_default()
    }

    pub fn tenant(&self, id: impl std::borrow::Borrow<i64>) -> String {
        let id = *id.borrow();
        self.tenants.iter().find(|t| t.0 == id).map(|t| t.1.clone()).unwrap_or_default()
    }
}

/// The tenants, locations and active people `actor` may choose from for assets.
pub async fn choices(tx: &mut Tx, actor: &Actor) -> Result<Choices> {
    let scope = tenant_scope(actor);
    let mut sql = Sql::new("SELECT t.id, t.name FROM tenants t WHERE 1 = 1");
    sql.scoped("t.id", &scope);
    sql.push(" ORDER BY t.name, t.id LIMIT 1000");
    let tenants = fetch_sql!(tx, (i64, String), sql, fetch_all)?;
    let mut sql =
        Sql::new("SELECT l.id, l.tenant_id, l.building, l.floor, l.room FROM locations l WHERE l.active = TRUE");
    sql.scoped("l.tenant_id", &scope);
    sql.push(" ORDER BY l.building, l.floor, l.room, l.id LIMIT 2000");
    let locations = fetch_sql!(tx, (i64, i64, String, String, String), sql, fetch_all)?
        .into_iter()
        .map(|(id, t, b, f, r)| (id, t, [b, f, r].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")))
        .collect();
    let mut sql = Sql::new("SELECT u.id, u.tenant_id, u.name FROM users u WHERE u.active = TRUE");
    sql.scoped("u.tenant_id", &scope);
    sql.push(" ORDER BY u.name, u.id LIMIT 2000");
    let users = fetch_sql!(tx, (i64, i64, String), sql, fetch_all)?;
    Ok(Choices { tenants, locations, users })
}
