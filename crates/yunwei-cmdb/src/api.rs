//! The CMDB's API: classes and relationship rules, CIs with their history, relationships,
//! impact analysis and the tickets that name a CI. Handlers parse, call the store with the
//! caller's `Actor` and answer; every route documents itself.

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, Page, double_option};
use yunwei_web::error::{ApiError, ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};
use yunwei_web::ui::i18n::{self, Locale};

use crate::rules::CiStatus;
use crate::rules::attributes::AttrSpec;
use crate::rules::impact::Direction;
use crate::rules::import::ImportKind;
use crate::rules::relations::{RelationKind, Rule};
use crate::store::cis::{self, Ci, CiFilter, CiInput, HistoryEntry};
use crate::store::classes::{self, Class, ClassInput};
use crate::store::impact::{self, Impact};
use crate::store::import::{self, Report};
use crate::store::relations::{self, Neighbour, Relation};
use crate::store::work::{self, WorkItem};

fn statuses() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(CiStatus::ALL.iter().map(|s| s.as_str()))
}

fn relation_kinds() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(RelationKind::ALL.iter().map(|s| s.as_str()))
}

fn directions() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(Direction::ALL.iter().map(|s| s.as_str()))
}

fn parse<T>(
    field: &str,
    text: Option<&str>,
    parse: fn(&str, &str) -> Result<T, yunwei_kernel::DomainError>,
) -> ApiResult<Option<T>> {
    text.map(|t| parse(field, t)).transpose().map_err(|e| ApiError::from(yunwei_db::StoreError::from(e)))
}

// Classes.

#[utoipa::path(get, path = "/ci-classes", summary = "CI classes and their attributes",
    responses((status = 200, description = "Every class", body = Items<Class>)))]
pub async fn list_classes(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<Items<Class>>> {
    let mut tx = s.store.read().await?;
    Ok(Json(Items { items: classes::list(&mut tx).await? }))
}

#[utoipa::path(get, path = "/ci-classes/{id}", summary = "One CI class",
    params(("id" = i64, Path, description = "The class's id")),
    responses((status = 200, description = "The class", body = Class)))]
pub async fn get_class(State(s): State<AppState>, _auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Class>> {
    let mut tx = s.store.read().await?;
    Ok(Json(classes::get(&mut tx, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClass {
    /// `[a-z][a-z0-9_]*`; never changes.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    pub attributes: Vec<AttrSpec>,
    /// Unique attributes that identify a CI on import, in order.
    #[serde(default)]
    pub identify_by: Vec<String>,
}

#[utoipa::path(post, path = "/ci-classes", summary = "Define a CI class (administrators, configuration managers)",
    request_body = NewClass,
    responses((status = 201, description = "The new class", body = Class),
        (status = 403, description = "Only administrators and configuration managers define classes"),
        (status = 409, description = "The code is taken")))]
pub async fn create_class(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<NewClass>) -> Created<Class> {
    let input = ClassInput {
        code: Some(b.code),
        name_zh: Some(b.name_zh),
        name_en: Some(b.name_en),
        attributes: Some(b.attributes),
        identify_by: Some(b.identify_by),
        active: None,
    };
    let mut tx = s.store.write().await?;
    let c = classes::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    /// The whole attribute list (replaces the current one).
    pub attributes: Option<Vec<AttrSpec>>,
    pub identify_by: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/ci-classes/{id}", summary = "Change a CI class",
    params(("id" = i64, Path, description = "The class's id")), request_body = ClassPatch,
    responses((status = 200, description = "The class after the change", body = Class),
        (status = 403, description = "Only administrators and configuration managers change classes"),
        (status = 409, description = "Stale version")))]
pub async fn update_class(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ClassPatch>,
) -> ApiResult<Json<Class>> {
    let input = ClassInput {
        code: None,
        name_zh: b.name_zh,
        name_en: b.name_en,
        attributes: b.attributes,
        identify_by: b.identify_by,
        active: b.active,
    };
    let mut tx = s.store.write().await?;
    let c = classes::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(c))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationRule {
    /// A class code, or `*` for any class.
    pub source_class: String,
    #[schema(schema_with = relation_kinds)]
    pub kind: String,
    /// A class code, or `*` for any class.
    pub target_class: String,
}

#[utoipa::path(get, path = "/ci-relation-rules", summary = "Which classes each kind of relationship may join",
    responses((status = 200, description = "The rules", body = Items<RelationRule>)))]
pub async fn list_rules(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<Items<RelationRule>>> {
    let mut tx = s.store.read().await?;
    let items = classes::rules(&mut tx)
        .await?
        .into_iter()
        .map(|r| RelationRule {
            source_class: r.source_class,
            kind: r.kind.as_str().into(),
            target_class: r.target_class,
        })
        .collect();
    Ok(Json(Items { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    #[serde(flatten)]
    pub rule: RelationRule,
    /// `true` allows the relationship, `false` forbids it (existing ones stay).
    pub allow: bool,
}

#[utoipa::path(post, path = "/ci-relation-rules", summary = "Allow or forbid a kind of relationship between two classes",
    request_body = RuleChange,
    responses((status = 204, description = "Done"),
        (status = 403, description = "Only administrators and configuration managers change the rules")))]
pub async fn change_rule(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<RuleChange>,
) -> ApiResult<StatusCode> {
    let kind = parse("kind", Some(&b.rule.kind), RelationKind::parse)?.unwrap_or(RelationKind::DependsOn);
    let rule = Rule { source_class: b.rule.source_class, kind, target_class: b.rule.target_class };
    let mut tx = s.store.write().await?;
    classes::set_rule(&mut tx, &auth.actor, &rule, b.allow).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// CIs.

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CiQuery {
    pub tenant_id: Option<i64>,
    /// A class code (`server`).
    pub class: Option<String>,
    #[param(schema_with = statuses)]
    pub status: Option<String>,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    /// CIs assigned to this user.
    pub user_id: Option<i64>,
    /// Words in the name or text attributes (Chinese or English), or an exact serial number,
    /// hostname, asset tag or other unique value.
    pub q: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/cis", summary = "CIs in your scope, by name, a page at a time", params(CiQuery),
    responses((status = 200, description = "A page of CIs", body = Page<Ci>),
        (status = 422, description = "A filter is not valid; `field` names it")))]
pub async fn list_cis(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<CiQuery>,
) -> ApiResult<Json<Page<Ci>>> {
    let after = match q.cursor.as_deref() {
        Some(c) => Some(c.parse::<i64>().map_err(|_| ApiError::invalid("cursor", "bad_cursor"))?),
        None => None,
    };
    if q.limit.is_some_and(|l| !(1..=cis::MAX_PAGE).contains(&l)) {
        let l = q.limit.unwrap_or_default();
        return Err(ApiError::invalid("limit", "out_of_range")
            .with("min", 1)
            .with("max", cis::MAX_PAGE)
            .with("value", l));
    }
    let filter = CiFilter {
        tenant_id: q.tenant_id,
        class: q.class,
        status: parse("status", q.status.as_deref(), CiStatus::parse)?,
        location_id: q.location_id,
        owner_group_id: q.owner_group_id,
        user_id: q.user_id,
        q: q.q,
        after,
        limit: q.limit,
    };
    let limit = filter.limit.unwrap_or(50);
    let mut tx = s.store.read().await?;
    let items = cis::list(&mut tx, &auth.actor, &filter).await?;
    let next_cursor = (items.len() as i64 == limit).then(|| items.last().map(|c| c.id.to_string())).flatten();
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCi {
    /// The tenant the CI belongs to (the provider's own for shared CIs).
    pub tenant_id: i64,
    /// A class code (`server`).
    pub class: String,
    pub name: String,
    /// Default `in_service`.
    #[schema(schema_with = statuses)]
    pub status: Option<String>,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Values by attribute code, in the class's types.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

#[utoipa::path(post, path = "/cis", summary = "Create a CI (administrators, configuration managers)", request_body = NewCi,
    responses((status = 201, description = "The new CI", body = Ci),
        (status = 403, description = "Only administrators and configuration managers create CIs")))]
pub async fn create_ci(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<NewCi>) -> Created<Ci> {
    let input = CiInput {
        tenant_id: Some(b.tenant_id),
        class: Some(b.class),
        name: Some(b.name),
        status: parse("status", b.status.as_deref(), CiStatus::parse)?,
        location_id: Some(b.location_id),
        owner_group_id: Some(b.owner_group_id),
        user_id: Some(b.user_id),
        attributes: b.attributes,
    };
    let mut tx = s.store.write().await?;
    let ci = cis::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(ci)))
}

#[utoipa::path(get, path = "/cis/{id}", summary = "One CI",
    params(("id" = i64, Path, description = "The CI's id")),
    responses((status = 200, description = "The CI", body = Ci)))]
pub async fn get_ci(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<Ci>> {
    let mut tx = s.store.read().await?;
    Ok(Json(cis::get(&mut tx, &auth.actor, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CiPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    #[schema(schema_with = statuses)]
    pub status: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub location_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub owner_group_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub user_id: Option<Option<i64>>,
    /// Only the values to change; `null` clears one.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
}

#[utoipa::path(patch, path = "/cis/{id}", summary = "Change a CI",
    params(("id" = i64, Path, description = "The CI's id")), request_body = CiPatch,
    responses((status = 200, description = "The CI after the change", body = Ci),
        (status = 403, description = "Only administrators and configuration managers change CIs"),
        (status = 409, description = "Stale version")))]
pub async fn update_ci(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CiPatch>,
) -> ApiResult<Json<Ci>> {
    let input = CiInput {
        tenant_id: None,
        class: None,
        name: b.name,
        status: parse("status", b.status.as_deref(), CiStatus::parse)?,
        location_id: b.location_id,
        owner_group_id: b.owner_group_id,
        user_id: b.user_id,
        attributes: b.attributes,
    };
    let mut tx = s.store.write().await?;
    let ci = cis::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(ci))
}

#[utoipa::path(get, path = "/cis/{id}/history", summary = "A CI's history: every attribute and relationship change",
    params(("id" = i64, Path, description = "The CI's id")),
    responses((status = 200, description = "Newest first", body = Items<HistoryEntry>)))]
pub async fn ci_history(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<HistoryEntry>>> {
    let mut tx = s.store.read().await?;
    Ok(Json(Items { items: cis::history_of(&mut tx, &auth.actor, id).await? }))
}

// Relationships.

#[utoipa::path(get, path = "/cis/{id}/relations", summary = "A CI's relationships, with the CI at the other end",
    params(("id" = i64, Path, description = "The CI's id")),
    responses((status = 200, description = "Outgoing first", body = Items<Neighbour>)))]
pub async fn ci_relations(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Items<Neighbour>>> {
    let mut tx = s.store.read().await?;
    Ok(Json(Items { items: relations::of(&mut tx, &auth.actor, id).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRelation {
    /// This CI `kind` the target: an application `runs_on` a server.
    #[schema(schema_with = relation_kinds)]
    pub kind: String,
    pub target_id: i64,
}

#[utoipa::path(post, path = "/cis/{id}/relations", summary = "Relate this CI to another",
    params(("id" = i64, Path, description = "The source CI's id")), request_body = NewRelation,
    responses((status = 201, description = "The relationship", body = Relation),
        (status = 403, description = "Only administrators and configuration managers relate CIs"),
        (status = 409, description = "The relationship exists already")))]
pub async fn create_relation(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<NewRelation>,
) -> Created<Relation> {
    let kind = parse("kind", Some(&b.kind), RelationKind::parse)?.unwrap_or(RelationKind::DependsOn);
    let mut tx = s.store.write().await?;
    let r = relations::add(&mut tx, &auth.actor, id, kind, b.target_id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(delete, path = "/ci-relations/{id}", summary = "Remove a relationship",
    params(("id" = i64, Path, description = "The relationship's id")),
    responses((status = 204, description = "Removed"),
        (status = 403, description = "Only administrators and configuration managers remove relationships")))]
pub async fn delete_relation(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let mut tx = s.store.write().await?;
    relations::remove(&mut tx, &auth.actor, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// Impact and work.

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// `down` (default): what fails with this CI; `up`: what it stands on.
    #[param(schema_with = directions)]
    pub direction: Option<String>,
    /// Levels, 1–10, default 6.
    pub depth: Option<u32>,
}

#[utoipa::path(get, path = "/cis/{id}/impact", summary = "Impact analysis: the CIs reached, each with its path, their tenants and open tickets",
    params(("id" = i64, Path, description = "The CI's id"), ImpactQuery),
    responses((status = 200, description = "The CIs reached", body = Impact),
        (status = 422, description = "The direction or depth is not valid; `field` names it"),
        (status = 403, description = "End users may not analyse impact")))]
pub async fn ci_impact(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> ApiResult<Json<Impact>> {
    let direction = parse("direction", q.direction.as_deref(), Direction::parse)?.unwrap_or(Direction::Down);
    let depth = q.depth.unwrap_or(6);
    if !(1..=crate::rules::impact::MAX_DEPTH).contains(&depth) {
        let max = crate::rules::impact::MAX_DEPTH;
        return Err(ApiError::invalid("depth", "out_of_range").with("min", 1).with("max", max).with("value", depth));
    }
    let mut conn = s.store.lookup().await?;
    Ok(Json(impact::analyse(&mut conn, &auth.actor, id, direction, depth).await?))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkQuery {
    /// Only open tickets.
    pub open: Option<bool>,
}

#[utoipa::path(get, path = "/cis/{id}/tickets", summary = "Tickets that name this CI (staff)",
    params(("id" = i64, Path, description = "The CI's id"), WorkQuery),
    responses((status = 200, description = "Newest first, at most 200", body = Items<WorkItem>)))]
pub async fn ci_tickets(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<WorkQuery>,
) -> ApiResult<Json<Items<WorkItem>>> {
    let mut tx = s.store.read().await?;
    cis::get(&mut tx, &auth.actor, id).await?;
    Ok(Json(Items { items: work::for_cis(&mut tx, &auth.actor, &[id], q.open.unwrap_or(false), 200).await? }))
}

// Import and export.

fn import_kinds() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(ImportKind::ALL.iter().map(|s| s.as_str()))
}

fn export_formats() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(["csv", "xlsx"])
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The organisation whose CIs the file holds.
    pub tenant_id: i64,
    /// `cis` (default) or `relationships`.
    #[param(schema_with = import_kinds)]
    pub kind: Option<String>,
    /// `true` (the default) checks every row and stores nothing; `false` imports, all rows or
    /// none.
    pub dry_run: Option<bool>,
    /// The file's name; `.xlsx` (or `.xls`, `.ods`) is read as a workbook, anything else as
    /// CSV unless its first bytes say it is a workbook.
    pub file_name: Option<String>,
}

/// The viewer's language.
fn locale_of(auth: &Auth) -> Locale {
    Locale::parse(&auth.user.locale).unwrap_or(Locale::ZhCn)
}

/// Words a report in `locale`.
pub fn word_report(report: &mut Report, locale: Locale) {
    report.word(|p| i18n::problem(locale, p), |key, args| i18n::tf(locale, key, args));
}

/// Imports CIs or relationships of one organisation from a spreadsheet sent as the raw body.
#[utoipa::path(post, path = "/cis/import",
    summary = "Import CIs or relationships from a CSV or Excel file (administrators, configuration managers)",
    description = "The body is the file itself (not multipart), at most 50 MB and 200,000 rows: CSV in UTF-8 \
        (with or without a BOM) or GBK/GB18030 as Excel saves it on Chinese Windows, or an .xlsx workbook \
        (its first sheet). CIs: columns `class`, `name`, optional `status` and `location`, and one column per \
        attribute, each headed by its code or its name in Chinese or English. Relationships: `source_class` \
        (optional), `source`, `kind`, `target_class` (optional), `target`; a CI is named by a unique attribute's \
        value or its name. Each row is matched to an existing CI by its class's identifying attributes and \
        becomes an insert, an update of the values that differ, or unchanged; a blank cell keeps the current \
        value. The real import (`dry_run=false`) runs in one transaction and stores nothing if any row is an \
        error: check `applied`.",
    params(ImportQuery),
    request_body(description = "The file", content(
        ("text/csv"), ("application/octet-stream"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, description = "Every row's verdict; `applied` says whether anything was stored", body = Report),
        (status = 403, description = "Only administrators and configuration managers import CIs"),
        (status = 413, description = "The file is larger than 50 MB"),
        (status = 415, description = "Never: any content type is read as the file"),
        (status = 422, description = "The file cannot be read (`field` is `file`, `reason` says why), or the \
            organisation is not one of yours (`tenant_id`)")))]
pub async fn import_cis(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Report>> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mb = yunwei_sheet::MAX_BYTES / (1024 * 1024);
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("files may be at most {mb} MB"))
        } else {
            ApiError::malformed(format!("the body could not be read: {e}"))
        }
    })?;
    let kind = parse("kind", q.kind.as_deref(), ImportKind::parse)?.unwrap_or(ImportKind::Cis);
    let dry_run = q.dry_run.unwrap_or(true);
    let file_name = q.file_name.unwrap_or_default();
    // Reading a large workbook takes a while: off the async threads.
    let sheet = tokio::task::spawn_blocking(move || yunwei_sheet::read(&body, &file_name))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| ApiError::from(yunwei_db::StoreError::from(import::sheet_problem(&e))))?;
    let mut tx = s.store.write().await?;
    let mut report = import::run(&mut tx, &auth.actor, q.tenant_id, kind, &sheet, dry_run, |_| {}).await?;
    if report.applied {
        tx.commit().await?;
    }
    word_report(&mut report, locale_of(&auth));
    Ok(Json(report))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default; UTF-8 with a BOM, which Excel opens right) or `xlsx`.
    #[param(schema_with = export_formats)]
    pub format: Option<String>,
    /// `cis` (default) or `relationships` (those whose source matches the filters).
    #[param(schema_with = import_kinds)]
    pub kind: Option<String>,
    pub tenant_id: Option<i64>,
    /// A class code (`server`): its attributes are the columns even when it has no CIs yet.
    pub class: Option<String>,
    #[param(schema_with = statuses)]
    pub status: Option<String>,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Words in the name or text attributes, or an exact unique value.
    pub q: Option<String>,
}

/// Exports the CIs in your scope that match the filters, in the columns an import reads.
#[utoipa::path(get, path = "/cis/export", summary = "Export CIs or their relationships as CSV or Excel, in the columns an import reads",
    params(ExportQuery),
    responses((status = 200, description = "The file, as a download",
            headers(("content-disposition" = String, description = "attachment, with the file's name")),
            content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 422, description = "A filter or the format is not valid, or more than 200,000 CIs match; `field` names it")))]
pub async fn export_cis(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    let format = yunwei_sheet::Format::parse(q.format.as_deref()).map_err(yunwei_db::StoreError::from)?;
    let filter = CiFilter {
        tenant_id: q.tenant_id,
        class: q.class.clone(),
        status: parse("status", q.status.as_deref(), CiStatus::parse)?,
        location_id: q.location_id,
        owner_group_id: q.owner_group_id,
        user_id: q.user_id,
        q: q.q,
        after: None,
        limit: None,
    };
    let kind = parse("kind", q.kind.as_deref(), ImportKind::parse)?.unwrap_or(ImportKind::Cis);
    let mut tx = s.store.read().await?;
    Ok(export_file(&mut tx, &auth.actor, kind, &filter, locale_of(&auth), format).await?)
}

/// The export as a download: the file of `kind` for the CIs matching `filter`, in `locale`'s
/// headers and names, as CSV or xlsx (the API and the import page share it).
pub async fn export_file(
    tx: &mut yunwei_db::Tx,
    actor: &yunwei_kernel::permission::Actor,
    kind: ImportKind,
    filter: &CiFilter,
    locale: Locale,
    format: yunwei_sheet::Format,
) -> Result<axum::response::Response, yunwei_db::StoreError> {
    let max = yunwei_sheet::MAX_ROWS;
    let (headers, rows) = match kind {
        ImportKind::Cis => import::export(tx, actor, filter, locale.as_str(), max).await?,
        ImportKind::Relationships => import::export_relations(tx, actor, filter, locale.as_str(), max).await?,
    };
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let base = if kind == ImportKind::Cis { "cis" } else { "ci-relationships" };
    let stem = match &filter.class {
        Some(c) if c.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => format!("{base}-{c}"),
        _ => base.to_string(),
    };
    let sheet_error = |e: yunwei_sheet::SheetError| yunwei_db::StoreError::from(import::sheet_problem(&e));
    let sheet_name = if locale == Locale::ZhCn { "配置项" } else { "CIs" };
    let bytes = format.write(sheet_name, &header_refs, &rows).map_err(sheet_error)?;
    Ok(yunwei_web::files::file_response(&format.file_name(&stem), bytes))
}

/// The CMDB's API; each route documents itself (`#[utoipa::path]`).
pub fn routes(_: &AppState) -> OpenApiRouter<AppState> {
    // Room for the largest file an import reads.
    let uploads = DefaultBodyLimit::max(yunwei_sheet::MAX_BYTES);
    OpenApiRouter::new()
        .routes(routes!(import_cis).layer(uploads))
        .routes(routes!(export_cis))
        .routes(routes!(list_classes, create_class))
        .routes(routes!(get_class, update_class))
        .routes(routes!(list_rules, change_rule))
        .routes(routes!(list_cis, create_ci))
        .routes(routes!(get_ci, update_ci))
        .routes(routes!(ci_history))
        .routes(routes!(ci_relations, create_relation))
        .routes(routes!(delete_relation))
        .routes(routes!(ci_impact))
        .routes(routes!(ci_tickets))
}
