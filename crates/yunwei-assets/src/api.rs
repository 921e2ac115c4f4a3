//! Asset management's API: assets with their history and lifecycle, the tag rule, and
//! stock-takes with their scans. Handlers parse, call the store with the caller's `Actor` and
//! answer; every route documents itself.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, Page, double_option};
use yunwei_web::error::{ApiError, ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

use crate::rules::lifecycle::AssetStatus;
use crate::store::assets::{self, Asset, AssetFilter, AssetInput, HistoryEntry};
use crate::store::stocktakes::{self, Detail, ScanResult, StockTake};

fn statuses() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(AssetStatus::ALL.iter().map(|s| s.as_str()))
}

fn status(field: &str, text: Option<&str>) -> ApiResult<Option<AssetStatus>> {
    text.map(|t| AssetStatus::parse(field, t)).transpose().map_err(|e| ApiError::from(yunwei_db::StoreError::from(e)))
}

fn days(field: &str, value: Option<i64>) -> ApiResult<Option<i64>> {
    match value {
        Some(d) if !(0..=assets::MAX_DAYS).contains(&d) => {
            Err(ApiError::invalid(field, "out_of_range").with("min", 0).with("max", assets::MAX_DAYS).with("value", d))
        }
        other => Ok(other),
    }
}

// Assets.

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    pub tenant_id: Option<i64>,
    #[param(schema_with = statuses)]
    pub status: Option<String>,
    pub location_id: Option<i64>,
    /// Assets assigned to this user.
    pub user_id: Option<i64>,
    /// Held assets whose warranty ends today or within this many days (0–3660), soonest first.
    pub warranty_within_days: Option<i64>,
    /// Held assets whose contract ends today or within this many days (0–3660), soonest first.
    pub contract_within_days: Option<i64>,
    /// Only assets a stock-take did not find (`true`) or only the others (`false`).
    pub missing: Option<bool>,
    /// An exact tag or serial number, or words in the name.
    pub q: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/assets", summary = "Assets in your scope, by tag, a page at a time (an end user: those assigned to them)",
    params(AssetQuery),
    responses((status = 200, description = "A page of assets", body = Page<Asset>),
        (status = 422, description = "A filter is not valid; `field` names it")))]
pub async fn list_assets(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Page<Asset>>> {
    let after = match q.cursor.as_deref() {
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::invalid("cursor", "bad_cursor"))?),
        None => None,
    };
    if let Some(l) = q.limit.filter(|l| !(1..=assets::MAX_PAGE).contains(l)) {
        return Err(ApiError::invalid("limit", "out_of_range")
            .with("min", 1)
            .with("max", assets::MAX_PAGE)
            .with("value", l));
    }
    let filter = AssetFilter {
        tenant_id: q.tenant_id,
        status: status("status", q.status.as_deref())?,
        location_id: q.location_id,
        user_id: q.user_id,
        warranty_within_days: days("warranty_within_days", q.warranty_within_days)?,
        contract_within_days: days("contract_within_days", q.contract_within_days)?,
        missing: q.missing,
        q: q.q,
        after,
        limit: q.limit,
    };
    let limit = filter.limit.unwrap_or(50);
    let paged = filter.warranty_within_days.is_none() && filter.contract_within_days.is_none();
    let mut tx = s.store.read().await?;
    let items = assets::list(&mut tx, &auth.actor, &filter).await?;
    let next_cursor = (paged && items.len() as i64 == limit).then(|| items.last().map(|a| a.id.to_string())).flatten();
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAsset {
    pub tenant_id: i64,
    /// The tag on the label; leave it out to have the installation's rule make one.
    pub tag: Option<String>,
    pub name: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// `ordered`, `in_stock` (default) or `deployed`.
    #[schema(schema_with = statuses)]
    pub status: Option<String>,
    /// The CI this asset is (one asset per CI, of the same tenant).
    pub ci_id: Option<i64>,
    /// The person it is assigned to (its CI is assigned to them too).
    pub user_id: Option<i64>,
    pub location_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub purchase_date: Option<String>,
    /// The price in the currency's minor unit (分).
    pub cost_cents: Option<i64>,
    /// ISO 4217, default `CNY`.
    pub currency: Option<String>,
    pub vendor: Option<String>,
    pub contract_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub warranty_end: Option<String>,
    /// `YYYY-MM-DD`.
    pub contract_end: Option<String>,
}

#[utoipa::path(post, path = "/assets", summary = "Register an asset (administrators, asset managers)", request_body = NewAsset,
    responses((status = 201, description = "The new asset, with its tag", body = Asset),
        (status = 403, description = "Only administrators and asset managers register assets"),
        (status = 409, description = "The tag is taken (`field` = `tag`)"),
        (status = 422, description = "A field is not valid, or the tag rule cannot make a tag for the location; `field` names it")))]
pub async fn create_asset(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<NewAsset>) -> Created<Asset> {
    let input = AssetInput {
        tenant_id: Some(b.tenant_id),
        tag: b.tag,
        name: Some(b.name),
        model: b.model,
        serial: b.serial,
        status: status("status", b.status.as_deref())?,
        ci_id: Some(b.ci_id),
        user_id: Some(b.user_id),
        location_id: Some(b.location_id),
        purchase_date: Some(b.purchase_date),
        cost_cents: Some(b.cost_cents),
        currency: b.currency,
        vendor: b.vendor,
        contract_number: b.contract_number,
        warranty_end: Some(b.warranty_end),
        contract_end: Some(b.contract_end),
    };
    let mut tx = s.store.write().await?;
    let a = assets::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[utoipa::path(get, path = "/assets/{id}", summary = "One asset",
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 200, description = "The asset", body = Asset)))]
pub async fn get_asset(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Asset>> {
    let mut tx = s.store.read().await?;
    Ok(Json(assets::get(&mut tx, &auth.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub ci_id: Option<Option<i64>>,
    /// `null`: assigned to no one (its CI too).
    #[serde(default, deserialize_with = "double_option")]
    pub user_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub location_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub purchase_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub cost_cents: Option<Option<i64>>,
    pub currency: Option<String>,
    pub vendor: Option<String>,
    pub contract_number: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub warranty_end: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub contract_end: Option<Option<String>>,
}

#[utoipa::path(patch, path = "/assets/{id}", summary = "Change an asset (its status changes by a transition)",
    params(("id" = i64, Path, description = "The asset's id")), request_body = AssetPatch,
    responses((status = 200, description = "The asset after the change", body = Asset),
        (status = 403, description = "Only administrators and asset managers change assets"),
        (status = 409, description = "Stale version"),
        (status = 422, description = "A field is not valid; `field` names it")))]
pub async fn update_asset(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<AssetPatch>,
) -> ApiResult<Json<Asset>> {
    let input = AssetInput {
        name: b.name,
        model: b.model,
        serial: b.serial,
        ci_id: b.ci_id,
        user_id: b.user_id,
        location_id: b.location_id,
        purchase_date: b.purchase_date,
        cost_cents: b.cost_cents,
        currency: b.currency,
        vendor: b.vendor,
        contract_number: b.contract_number,
        warranty_end: b.warranty_end,
        contract_end: b.contract_end,
        ..Default::default()
    };
    let mut tx = s.store.write().await?;
    let a = assets::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(a))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// The state to move to.
    #[schema(schema_with = statuses)]
    pub to: String,
    /// The version you last read; a stale one gets 409.
    pub version: i64,
}

#[utoipa::path(post, path = "/assets/{id}/transition", summary = "Move an asset through its lifecycle",
    description = "ordered → in_stock → deployed ⇄ in_repair; deployed or in_repair → in_stock; anything but disposed → retired; retired → disposed (final).",
    params(("id" = i64, Path, description = "The asset's id")), request_body = Transition,
    responses((status = 200, description = "The asset after the move", body = Asset),
        (status = 403, description = "Only administrators and asset managers move assets"),
        (status = 409, description = "Stale version (`version_conflict`), or a move the lifecycle does not allow from the current state (`illegal_transition`)"),
        (status = 422, description = "`to` is not a state")))]
pub async fn transition_asset(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Transition>,
) -> ApiResult<Json<Asset>> {
    let to = status("to", Some(&b.to))?.unwrap_or(AssetStatus::InStock);
    let mut tx = s.store.write().await?;
    let a = assets::transition(&mut tx, &auth.actor, id, b.version, to).await?;
    tx.commit().await?;
    Ok(Json(a))
}

#[utoipa::path(get, path = "/assets/{id}/history", summary = "An asset's history: every change, move and stock-take correction",
    params(("id" = i64, Path, description = "The asset's id")),
    responses((status = 200, description = "Newest first", body = Items<HistoryEntry>)))]
pub async fn asset_history(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<HistoryEntry>>> {
    let mut tx = s.store.read().await?;
    Ok(Json(Items { items: assets::history_of(&mut tx, &auth.actor, id).await? }))
}

// The tag rule.

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagRule {
    /// Literal text with `{building:N}`, `{floor:N}`, `{room:N}` (the number in that part of
    /// the asset's location, N digits) and exactly one `{seq:N}` (the next number for the
    /// rest of the tag), e.g. `D{building:2}{floor:2}{room:2}-{seq:3}` → `D010210-009`.
    pub pattern: String,
}

#[utoipa::path(get, path = "/asset-tag-rule", summary = "The rule new asset tags are made by",
    responses((status = 200, description = "The rule", body = TagRule)))]
pub async fn get_tag_rule(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<TagRule>> {
    let mut tx = s.store.read().await?;
    Ok(Json(TagRule { pattern: assets::tag_rule(&mut tx).await?.as_str().to_string() }))
}

#[utoipa::path(put, path = "/asset-tag-rule", summary = "Change the tag rule (administrators)", request_body = TagRule,
    responses((status = 200, description = "The rule now", body = TagRule),
        (status = 403, description = "Only administrators change the rule"),
        (status = 422, description = "The pattern is not a rule (`field` = `pattern`)")))]
pub async fn put_tag_rule(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<TagRule>,
) -> ApiResult<Json<TagRule>> {
    let mut tx = s.store.write().await?;
    let p = assets::set_tag_rule(&mut tx, &auth.actor, &b.pattern).await?;
    tx.commit().await?;
    Ok(Json(TagRule { pattern: p.as_str().to_string() }))
}

// Stock-takes.

#[utoipa::path(get, path = "/stock-takes", summary = "Stock-takes in your scope, newest first",
    responses((status = 200, description = "At most 200", body = Items<StockTake>)))]
pub async fn list_stock_takes(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<StockTake>>> {
    let mut tx = s.store.read().await?;
    Ok(Json(Items { items: stocktakes::list(&mut tx, &auth.actor, 200).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStockTake {
    pub tenant_id: i64,
    /// The location to count; leave it out to count the whole tenant.
    pub location_id: Option<i64>,
}

#[utoipa::path(post, path = "/stock-takes", summary = "Start a stock-take: the assets held there are what it expects",
    request_body = NewStockTake,
    responses((status = 201, description = "The stock-take with its expected lines", body = Detail),
        (status = 403, description = "Only administrators and asset managers run stock-takes"),
        (status = 422, description = "The tenant or location is not valid; `field` names it")))]
pub async fn start_stock_take(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewStockTake>,
) -> Created<Detail> {
    let mut tx = s.store.write().await?;
    let d = stocktakes::start(&mut tx, &auth.actor, b.tenant_id, b.location_id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[utoipa::path(get, path = "/stock-takes/{id}", summary = "A stock-take: each line found, missing, moved, unexpected or pending, and the counts",
    params(("id" = i64, Path, description = "The stock-take's id")),
    responses((status = 200, description = "The stock-take", body = Detail)))]
pub async fn get_stock_take(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Detail>> {
    let mut tx = s.store.read().await?;
    Ok(Json(stocktakes::detail(&mut tx, &auth.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewScan {
    /// The tag on the label, or the serial number.
    pub tag_or_serial: String,
    /// Where it was scanned; default the stock-take's location.
    pub location_id: Option<i64>,
}

#[utoipa::path(post, path = "/stock-takes/{id}/scans", summary = "Record one scan",
    description = "A second scan of the same asset or code changes nothing and answers `repeat: true` with the warning `already_scanned`.",
    params(("id" = i64, Path, description = "The stock-take's id")), request_body = NewScan,
    responses((status = 200, description = "The line scanned and the counts now", body = ScanResult),
        (status = 403, description = "Only administrators and asset managers record scans"),
        (status = 409, description = "The stock-take was applied and takes no more scans (`illegal_transition`)"),
        (status = 422, description = "The code or location is not valid; `field` names it")))]
pub async fn scan(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewScan>,
) -> ApiResult<Json<ScanResult>> {
    let mut tx = s.store.write().await?;
    let r = stocktakes::scan(&mut tx, &auth.actor, id, &b.tag_or_serial, b.location_id).await?;
    tx.commit().await?;
    Ok(Json(r))
}

#[utoipa::path(post, path = "/stock-takes/{id}/apply", summary = "Apply a stock-take: moved assets get their new location, missing ones are flagged, and it is locked",
    params(("id" = i64, Path, description = "The stock-take's id")),
    responses((status = 200, description = "The stock-take as applied", body = Detail),
        (status = 403, description = "Only administrators and asset managers apply stock-takes"),
        (status = 409, description = "It was applied already (`illegal_transition`)")))]
pub async fn apply_stock_take(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Detail>> {
    let mut tx = s.store.write().await?;
    let d = stocktakes::apply(&mut tx, &auth.actor, id).await?;
    tx.commit().await?;
    Ok(Json(d))
}

/// Asset management's API; each route documents itself (`#[utoipa::path]`).
pub fn routes(_: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_assets, create_asset))
        .routes(routes!(get_asset, update_asset))
        .routes(routes!(transition_asset))
        .routes(routes!(asset_history))
        .routes(routes!(get_tag_rule, put_tag_rule))
        .routes(routes!(list_stock_takes, start_stock_take))
        .routes(routes!(get_stock_take))
        .routes(routes!(scan))
        .routes(routes!(apply_stock_take))
}
