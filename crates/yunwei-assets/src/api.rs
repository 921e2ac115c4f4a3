//! Asset management's API: assets with their history and lifecycle, the tag rule, and
//! stock-takes with their scans. Handlers parse, call the store with the caller's `Actor` and
//! answer; every route documents itself.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use yunwei_sheet::report::Report;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, Page, double_option};
use yunwei_web::error::{ApiError, ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};
use yunwei_web::ui::i18n::{self, Locale};

use crate::rules::lifecycle::AssetStatus;
use crate::store::assets::{self, Asset, AssetFilter, AssetInput, HistoryEntry};
use crate::store::import::{self, ScanReport};
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

// Import and export.

fn export_formats() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(["csv", "xlsx"])
}

/// The viewer's language.
fn locale_of(auth: &Auth) -> Locale {
    Locale::parse(&auth.user.locale).unwrap_or(Locale::ZhCn)
}

/// Words a report in `locale`.
pub fn word_report(report: &mut Report, locale: Locale) {
    report.word(|p| i18n::problem(locale, p), |key, args| i18n::tf(locale, key, args));
}

/// Words a scan report in `locale`.
pub fn word_scans(report: &mut ScanReport, locale: Locale) {
    report.word(|p| i18n::problem(locale, p), |key, args| i18n::tf(locale, key, args));
}

/// The uploaded file read as a sheet: 413 over the limit, 422 (`field` = `file`) when it
/// cannot be read.
async fn read_upload(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    file_name: Option<String>,
) -> ApiResult<yunwei_sheet::Sheet> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mb = yunwei_sheet::MAX_BYTES / (1024 * 1024);
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("files may be at most {mb} MB"))
        } else {
            ApiError::malformed(format!("the body could not be read: {e}"))
        }
    })?;
    let file_name = file_name.unwrap_or_default();
    // Reading a large workbook takes a while: off the async threads.
    tokio::task::spawn_blocking(move || yunwei_sheet::read(&body, &file_name))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| ApiError::from(yunwei_db::StoreError::from(yunwei_sheet::report::sheet_problem(&e))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetImportQuery {
    /// The organisation whose assets the file holds.
    pub tenant_id: i64,
    /// `true` (the default) checks every row and stores nothing; `false` imports, all rows or
    /// none.
    pub dry_run: Option<bool>,
    /// The file's name; `.xlsx` (or `.xls`, `.ods`) is read as a workbook, anything else as
    /// CSV unless its first bytes say it is a workbook.
    pub file_name: Option<String>,
}

/// Imports assets of one organisation from a spreadsheet sent as the raw body.
#[utoipa::path(post, path = "/assets/import",
    summary = "Import assets from a CSV or Excel file (administrators, asset managers)",
    description = "The body is the file itself (not multipart), at most 50 MB and 200,000 rows: CSV in UTF-8 \
        (with or without a BOM) or GBK/GB18030 as Excel saves it on Chinese Windows, or an .xlsx workbook \
        (its first sheet). Columns, each headed by its code or its name in Chinese or English: `tag` and/or \
        `serial` (a row is matched to an asset of the organisation by its tag, then its serial number), and \
        optionally `tenant` (must name the organisation imported into), `name`, `model`, `status`, `location` \
        (`building / floor / room`), `purchase_date`, `cost`, `currency`, `vendor`, `contract_number`, \
        `warranty_end`, `contract_end`, `user` (a login) and `ci` (a unique attribute's value or the name of a \
        CI). A matched row updates the values that differ (a blank cell keeps the current value) and a status \
        that differs must be a move the lifecycle allows; a row matching nothing adds an asset, tagged by the \
        tag rule when it has no tag. The real import (`dry_run=false`) runs in one transaction and stores \
        nothing if any row is an error: check `applied`.",
    params(AssetImportQuery),
    request_body(description = "The file", content(
        ("text/csv"), ("application/octet-stream"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Every row's verdict; `applied` says whether anything was stored", body = Report),
        (status = 403, description = "Only administrators and asset managers import assets"),
        (status = 413, description = "The file is larger than 50 MB"),
        (status = 415, description = "Never: any content type is read as the file"),
        (status = 422, description = "The file cannot be read (`field` is `file`, `reason` says why), or the \
            organisation is not one of yours (`tenant_id`)")))]
pub async fn import_assets(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AssetImportQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Report>> {
    let sheet = read_upload(body, q.file_name).await?;
    let dry_run = q.dry_run.unwrap_or(true);
    let mut tx = s.store.write().await?;
    let mut report = import::run(&mut tx, &auth.actor, q.tenant_id, &sheet, dry_run, |_| {}).await?;
    if report.applied {
        tx.commit().await?;
    }
    word_report(&mut report, locale_of(&auth));
    Ok(Json(report))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetExportQuery {
    /// `csv` (default; UTF-8 with a BOM, which Excel opens right) or `xlsx`.
    #[param(schema_with = export_formats)]
    pub format: Option<String>,
    pub tenant_id: Option<i64>,
    #[param(schema_with = statuses)]
    pub status: Option<String>,
    pub location_id: Option<i64>,
    /// Assets assigned to this user.
    pub user_id: Option<i64>,
    /// Held assets whose warranty ends today or within this many days (0–3660).
    pub warranty_within_days: Option<i64>,
    /// Held assets whose contract ends today or within this many days (0–3660).
    pub contract_within_days: Option<i64>,
    /// Only assets a stock-take did not find (`true`) or only the others (`false`).
    pub missing: Option<bool>,
    /// An exact tag or serial number, or words in the name.
    pub q: Option<String>,
}

/// Exports the assets in your scope that match the list's filters, in the columns an import
/// reads.
#[utoipa::path(get, path = "/assets/export",
    summary = "Export assets as CSV or Excel, in the columns an import reads (headers in your language)",
    params(AssetExportQuery),
    responses((status = 200, description = "The file, as a download",
            headers(("content-disposition" = String, description = "attachment, with the file's name")),
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, description = "A filter or the format is not valid, or more than 200,000 assets match; `field` names it")))]
pub async fn export_assets(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AssetExportQuery>,
) -> ApiResult<axum::response::Response> {
    let format = yunwei_sheet::Format::parse(q.format.as_deref()).map_err(yunwei_db::StoreError::from)?;
    let filter = AssetFilter {
        tenant_id: q.tenant_id,
        status: status("status", q.status.as_deref())?,
        location_id: q.location_id,
        user_id: q.user_id,
        warranty_within_days: days("warranty_within_days", q.warranty_within_days)?,
        contract_within_days: days("contract_within_days", q.contract_within_days)?,
        missing: q.missing,
        q: q.q,
        after: None,
        limit: None,
    };
    let mut tx = s.store.read().await?;
    Ok(export_file(&mut tx, &auth.actor, &filter, locale_of(&auth), format).await?)
}

/// The export as a download, as CSV or xlsx (the API and the pages share it).
pub async fn export_file(
    tx: &mut yunwei_db::Tx,
    actor: &yunwei_kernel::permission::Actor,
    filter: &AssetFilter,
    locale: Locale,
    format: yunwei_sheet::Format,
) -> Result<axum::response::Response, yunwei_db::StoreError> {
    let (headers, rows) = import::export(tx, actor, filter, locale.as_str(), yunwei_sheet::MAX_ROWS).await?;
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let sheet_error =
        |e: yunwei_sheet::SheetError| yunwei_db::StoreError::from(yunwei_sheet::report::sheet_problem(&e));
    let sheet_name = if locale == Locale::ZhCn { "资产" } else { "Assets" };
    let bytes = format.write(sheet_name, &header_refs, &rows).map_err(sheet_error)?;
    Ok(yunwei_web::files::file_response(&format.file_name("assets"), bytes))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScanImportQuery {
    /// The file's name; `.xlsx` is read as a workbook, anything else as CSV unless its first
    /// bytes say it is a workbook.
    pub file_name: Option<String>,
}

/// Records a file of scans in a stock-take.
#[utoipa::path(post, path = "/stock-takes/{id}/scans/import",
    summary = "Record scans from a CSV or Excel file (administrators, asset managers)",
    description = "The body is the file itself: columns `code` (the tag or serial number; `标签或序列号`) and \
        optionally `location` (`building / floor / room` where it was found; default the stock-take's). Each \
        line is recorded as a single scan is, all in one transaction: if any line is an error, none is \
        recorded (check `applied`). A second scan of something already scanned changes nothing and warns \
        (`repeat`, `already_scanned`); a code that matches no asset is recorded as unexpected.",
    params(("id" = i64, Path, description = "The stock-take's id"), ScanImportQuery),
    request_body(description = "The file", content(
        ("text/csv"), ("application/octet-stream"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Every line's outcome and the counts now", body = ScanReport),
        (status = 403, description = "Only administrators and asset managers record scans"),
        (status = 409, description = "The stock-take was applied and takes no more scans (`illegal_transition`)"),
        (status = 413, description = "The file is larger than 50 MB"),
        (status = 415, description = "Never: any content type is read as the file"),
        (status = 422, description = "The file cannot be read (`field` is `file`, `reason` says why)")))]
pub async fn import_scans(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ScanImportQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<ScanReport>> {
    let sheet = read_upload(body, q.file_name).await?;
    let mut tx = s.store.write().await?;
    let mut report = import::scan_file(&mut tx, &auth.actor, id, &sheet).await?;
    if report.applied {
        tx.commit().await?;
    }
    word_scans(&mut report, locale_of(&auth));
    Ok(Json(report))
}

/// Asset management's API; each route documents itself (`#[utoipa::path]`).
pub fn routes(_: &AppState) -> OpenApiRouter<AppState> {
    // Room for the largest file an import reads.
    let uploads = DefaultBodyLimit::max(yunwei_sheet::MAX_BYTES);
    OpenApiRouter::new()
        .routes(routes!(import_assets).layer(uploads))
        .routes(routes!(export_assets))
        .routes(routes!(import_scans).layer(uploads))
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
