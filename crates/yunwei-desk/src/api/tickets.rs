//! `/api/v1/tickets`: create, read, list, edit, one endpoint per lifecycle action, timeline,
//! replies and notes, links and attachments.

use crate::rules::ticket::{Status, TicketType};
use crate::store::intake::{self, Intake};
use crate::store::tickets::{self, ActionRequest, Cursor, NewTicket, SortKey, TicketFilter, TicketPatch, TicketRef};
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yunwei_db::audit;

use super::dto::{self, AttachmentOut, EventOut, LinkOut, TicketOut};
use yunwei_web::AppState;
use yunwei_web::dto::{Items, Page, double_option, parse_ts};
use yunwei_web::error::{ApiError, ApiResult};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

/// The ticket in a path: its id, or its number (`INC-000123`, any case).
fn ticket_key() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^[A-Za-z]+-[0-9]+$"))
                    .examples(["INC-000123"]),
            )
            .build(),
    )
}

/// `{ticket}` in a path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TicketPath {
    /// The ticket's id, or its number such as `INC-000123` (any case).
    #[param(schema_with = ticket_key)]
    ticket: String,
}

/// `{ticket}` and `{id}` in a path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TicketItemPath {
    /// The ticket's id, or its number such as `INC-000123` (any case).
    #[param(schema_with = ticket_key)]
    ticket: String,
    /// The item's id.
    id: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTicket)]
pub struct CreateTicket {
    #[serde(rename = "type", default = "default_type")]
    #[schema(schema_with = dto::ticket_type, default = "incident")]
    pub ticket_type: String,
    #[schema(max_length = 200)]
    pub title: String,
    pub description: Option<String>,
    pub category_id: Option<i64>,
    /// How the ticket came in (default `api`).
    #[schema(schema_with = channel_or_null)]
    pub channel: Option<String>,
    /// Staff log a ticket on someone's behalf; end users only for themselves.
    pub requester_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub location_id: Option<i64>,
    #[schema(minimum = 1, maximum = 4)]
    pub impact: Option<i64>,
    #[schema(minimum = 1, maximum = 4)]
    pub urgency: Option<i64>,
    /// Staff only: dispatch on creation.
    pub group_id: Option<i64>,
    /// Staff only: assign on creation.
    pub assignee_id: Option<i64>,
    /// Ids of the CIs the ticket is about: the requester's organisation's or the provider's
    /// shared ones (an end user may name only the devices assigned to them).
    #[serde(default)]
    pub affected_cis: Vec<i64>,
}

fn channel_or_null() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts_or_null(crate::rules::ticket::Channel::ALL.iter().map(|c| c.as_str()))
}

fn default_type() -> String {
    "incident".to_string()
}

#[utoipa::path(post, path = "/tickets", operation_id = "create_ticket", summary = "Log a ticket (incident or service request)", request_body = CreateTicket,
    responses((status = 201, description = "The new ticket", body = TicketOut,
            headers(("location" = String, description = "/api/v1/tickets/{number}"))),
        (status = 403, description = "An end user may not assign, nor log for someone else")))]
pub async fn create(
    State(s): State<AppState>,
    Extension(intake): Extension<Intake>,
    auth: Auth,
    ApiJson(b): ApiJson<CreateTicket>,
) -> ApiResult<Response> {
    let new = NewTicket {
        ticket_type: b.ticket_type,
        title: b.title,
        description: b.description,
        category_id: b.category_id,
        channel: b.channel.unwrap_or_else(|| "api".to_string()),
        requester_id: b.requester_id,
        tenant_id: b.tenant_id,
        location_id: b.location_id,
        impact: b.impact,
        urgency: b.urgency,
        group_id: b.group_id,
        assignee_id: b.assignee_id,
        affected_cis: b.affected_cis,
    };
    // The checks read beside other writers, each seeing the latest commit as the write would;
    // the writes join the tickets logged at the same moment.
    let draft = intake::prepare(&mut s.store.lookup().await?, &auth.actor, new).await?;
    let t = intake.create(draft).await?;
    let location = format!("/api/v1/tickets/{}", t.number);
    let mut res = (StatusCode::CREATED, Json(TicketOut::new(t, &auth.actor))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/tickets/{ticket}", operation_id = "get_ticket", summary = "One ticket by id or number (INC-000123)", params(TicketPath),
    responses((status = 200, description = "The ticket, with the actions the caller may take now", body = TicketOut)))]
pub async fn get(State(s): State<AppState>, auth: Auth, Path(r): Path<String>) -> ApiResult<Json<TicketOut>> {
    let mut tx = s.store.read().await?;
    let t = tickets::get(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(TicketOut::new(t, &auth.actor)))
}

/// List parameters. Lists are comma-separated (`status=new,assigned`).
#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, or `open` for every status before resolved.
    #[param(example = "new,assigned")]
    pub status: Option<String>,
    /// `incident` or `request`.
    #[serde(rename = "type")]
    #[param(schema_with = dto::ticket_type)]
    pub ticket_type: Option<String>,
    /// Comma-separated priorities 1–4.
    #[param(example = "1,2")]
    pub priority: Option<String>,
    #[param(value_type = Option<i64>)]
    pub tenant_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub group_id: Option<String>,
    /// A user id, or `none` for unassigned tickets.
    #[param(schema_with = assignee_filter)]
    pub assignee_id: Option<String>,
    #[param(value_type = Option<i64>)]
    pub requester_id: Option<String>,
    /// Sub-categories included.
    #[param(value_type = Option<i64>)]
    pub category_id: Option<String>,
    /// RFC 3339, inclusive.
    #[param(format = DateTime)]
    pub created_from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(format = DateTime)]
    pub created_to: Option<String>,
    /// RFC 3339, inclusive.
    #[param(format = DateTime)]
    pub updated_from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(format = DateTime)]
    pub updated_to: Option<String>,
    /// Words in the title, description, public replies or resolution, or a ticket number.
    pub q: Option<String>,
    /// `updated_at`, `created_at`, `priority` or `number`; `-` before it for descending
    /// (default `-updated_at`, or best match first with `q`).
    pub sort: Option<String>,
    /// 1–200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn assignee_filter() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer))
            .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["none"])))
            .build(),
    )
}

fn int(field: &str, v: &Option<String>) -> ApiResult<Option<i64>> {
    v.as_deref()
        .map(|t| t.trim().parse::<i64>().map_err(|_| ApiError::invalid(field, "not_a_whole_number").with("value", t)))
        .transpose()
}

fn encode_cursor(sort: &str, c: Cursor) -> String {
    hex::encode(format!("{sort}|{}|{}", c.value, c.id))
}

fn decode_cursor(sort: &str, text: &str) -> ApiResult<Cursor> {
    let bad = || ApiError::invalid("cursor", "bad_cursor");
    let raw = hex::decode(text).map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.split('|');
    let (Some(s), Some(v), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    if s != sort {
        return Err(ApiError::invalid("cursor", "cursor_other_sort"));
    }
    Ok(Cursor { value: v.parse().map_err(|_| bad())?, id: id.parse().map_err(|_| bad())? })
}

pub fn filter_from(q: &ListQuery) -> ApiResult<(TicketFilter, String)> {
    let mut f = TicketFilter::default();
    if let Some(list) = &q.status {
        for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if s == "open" {
                f.open_only = true;
            } else {
                f.statuses.push(Status::parse("status", s)?);
            }
        }
    }
    f.ticket_type = q.ticket_type.as_deref().map(|t| TicketType::parse("type", t)).transpose()?;
    if let Some(list) = &q.priority {
        for p in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let n = p.parse::<i64>().ok().filter(|n| (1..=4).contains(n));
            f.priorities.push(n.ok_or_else(|| ApiError::invalid("priority", "not_a_priority").with("value", p))?);
        }
    }
    f.tenant_id = int("tenant_id", &q.tenant_id)?;
    f.group_id = int("group_id", &q.group_id)?;
    if q.assignee_id.as_deref() == Some("none") {
        f.unassigned = true;
    } else {
        f.assignee_id = int("assignee_id", &q.assignee_id)?;
    }
    f.requester_id = int("requester_id", &q.requester_id)?;
    f.category_id = int("category_id", &q.category_id)?;
    let times = [
        ("created_from", &q.created_from, &mut f.created_from),
        ("created_to", &q.created_to, &mut f.created_to),
        ("updated_from", &q.updated_from, &mut f.updated_from),
        ("updated_to", &q.updated_to, &mut f.updated_to),
    ];
    for (name, text, slot) in times {
        *slot = text.as_deref().map(|t| parse_ts(name, t)).transpose()?;
    }
    f.text = q.q.clone();
    let sort = q.sort.clone().unwrap_or_else(|| SortKey::default_for(q.q.as_deref()).to_string());
    let (key, desc) = SortKey::parse(&sort)?;
    f.sort = key;
    f.desc = desc;
    f.limit = int("limit", &q.limit)?.unwrap_or(50);
    if !(1..=200).contains(&f.limit) {
        return Err(ApiError::invalid("limit", "out_of_range").with("min", 1).with("max", 200).with("value", f.limit));
    }
    f.after = q.cursor.as_deref().filter(|c| !c.is_empty()).map(|c| decode_cursor(&sort, c)).transpose()?;
    Ok((f, sort))
}

#[utoipa::path(get, path = "/tickets", operation_id = "list_tickets", summary = "List tickets with filters, sorting and cursor pagination", params(ListQuery),
    responses((status = 200, description = "One page of tickets", body = Page<TicketOut>),
        (status = 422, description = "A filter value is invalid (a status, a time, a cursor); `field` names it")))]
pub async fn list(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Page<TicketOut>>> {
    let (f, sort) = filter_from(&q)?;
    let mut tx = s.store.read().await?;
    let page = tickets::list(&mut tx, &auth.actor, &f).await?;
    Ok(Json(Page {
        items: page.tickets.into_iter().map(|t| TicketOut::new(t, &auth.actor)).collect(),
        next_cursor: page.next.map(|c| encode_cursor(&sort, c)),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TicketPatch)]
pub struct UpdateTicket {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    #[schema(max_length = 200)]
    pub title: Option<String>,
    pub description: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub category_id: Option<Option<i64>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub location_id: Option<Option<i64>>,
    #[schema(minimum = 1, maximum = 4)]
    pub impact: Option<i64>,
    #[schema(minimum = 1, maximum = 4)]
    pub urgency: Option<i64>,
    /// Ids of every CI the ticket is about (replaces the current list; `[]` removes all).
    pub affected_cis: Option<Vec<i64>>,
    /// Why it changes, shown with the change in the timeline.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/tickets/{ticket}/cis", summary = "The CIs a ticket is about (those you may see)",
    params(TicketPath),
    responses((status = 200, description = "By name", body = Items<yunwei_cmdb::store::cis::Ci>)))]
pub async fn ticket_cis(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<yunwei_cmdb::store::cis::Ci>>> {
    let mut tx = s.store.read().await?;
    let t = tickets::get(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: tickets::affected_cis(&mut tx, &auth.actor, &t).await? }))
}

#[utoipa::path(patch, path = "/tickets/{ticket}", operation_id = "update_ticket", summary = "Edit fields; impact or urgency recompute the priority",
    params(TicketPath), request_body = UpdateTicket,
    responses((status = 200, description = "The ticket after the change", body = TicketOut),
        (status = 403, description = "Your role may not edit this ticket"),
        (status = 409, description = "Stale version, or the ticket is closed")))]
pub async fn update(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
    ApiJson(b): ApiJson<UpdateTicket>,
) -> ApiResult<Json<TicketOut>> {
    let patch = TicketPatch {
        title: b.title,
        description: b.description,
        category_id: b.category_id,
        location_id: b.location_id,
        impact: b.impact,
        urgency: b.urgency,
        affected_cis: b.affected_cis,
        reason: b.reason,
    };
    let mut tx = s.store.write().await?;
    let t = tickets::update(&mut tx, &auth.actor, &TicketRef::parse(&r), b.version, patch).await?;
    tx.commit().await?;
    Ok(Json(TicketOut::new(t, &auth.actor)))
}

/// The body of every action: the version the caller saw, plus the action's own fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    pub version: i64,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub code: Option<String>,
    pub notes: Option<String>,
    pub into: Option<String>,
}

fn need<T>(field: &str, v: Option<T>) -> ApiResult<T> {
    v.ok_or_else(|| ApiError::invalid(field, "required_for_action"))
}

/// Builds the action named in the path from the body, refusing fields it does not take.
pub fn action_request(name: &str, b: ActionBody) -> ApiResult<ActionRequest> {
    let allowed: &[&str] = match name {
        "dispatch" => &["group_id", "assignee_id"],
        "transfer" => &["group_id", "assignee_id", "reason"],
        "escalate" => &["group_id", "assignee_id", "reason"],
        "suspend" => &["reason", "note"],
        "resolve" => &["code", "notes"],
        "return" | "reopen" | "cancel" => &["reason"],
        "merge" => &["into"],
        "claim" | "arrive" | "resume" | "close" => &[],
        _ => return Err(ApiError::not_found("action")),
    };
    let given = [
        ("group_id", b.group_id.is_some()),
        ("assignee_id", b.assignee_id.is_some()),
        ("reason", b.reason.is_some()),
        ("note", b.note.is_some()),
        ("code", b.code.is_some()),
        ("notes", b.notes.is_some()),
        ("into", b.into.is_some()),
    ];
    if let Some((f, _)) = given.iter().find(|(f, set)| *set && !allowed.contains(f)) {
        return Err(ApiError::invalid(*f, "not_a_field_of_action").with("action_key", format!("action.{name}")));
    }
    Ok(match name {
        "dispatch" => ActionRequest::Dispatch { group_id: need("group_id", b.group_id)?, assignee_id: b.assignee_id },
        "claim" => ActionRequest::Claim,
        "arrive" => ActionRequest::Arrive,
        "transfer" => ActionRequest::Transfer {
            group_id: need("group_id", b.group_id)?,
            assignee_id: b.assignee_id,
            reason: need("reason", b.reason)?,
        },
        "return" => ActionRequest::Return { reason: need("reason", b.reason)? },
        "escalate" => ActionRequest::Escalate {
            group_id: b.group_id,
            assignee_id: b.assignee_id,
            reason: need("reason", b.reason)?,
        },
        "suspend" => ActionRequest::Suspend { reason: need("reason", b.reason)?, note: b.note },
        "resume" => ActionRequest::Resume,
        "resolve" => ActionRequest::Resolve { code: need("code", b.code)?, notes: need("notes", b.notes)? },
        "close" => ActionRequest::Close,
        "reopen" => ActionRequest::Reopen { reason: need("reason", b.reason)? },
        "cancel" => ActionRequest::Cancel { reason: need("reason", b.reason)? },
        _ => ActionRequest::Merge { into: need("into", b.into)? },
    })
}

/// Takes an action on a ticket at the version the caller saw.
async fn act(s: AppState, auth: Auth, r: &str, version: i64, req: ActionRequest) -> ApiResult<Json<TicketOut>> {
    let mut tx = s.store.write().await?;
    let t = tickets::act(&mut tx, &auth.actor, &TicketRef::parse(r), version, req).await?;
    tx.commit().await?;
    Ok(Json(TicketOut::new(t, &auth.actor)))
}

/// The body of an action that takes nothing but the version.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Versioned {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Dispatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub group_id: i64,
    pub assignee_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub group_id: i64,
    pub assignee_id: Option<i64>,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    /// Defaults to the first group of the next tier.
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Suspend {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    /// What the ticket waits on.
    #[schema(schema_with = suspend_reason)]
    pub reason: String,
    pub note: Option<String>,
}

fn suspend_reason() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(crate::rules::ticket::PendingReason::ALL.iter().map(|r| r.as_str()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolve {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    #[schema(schema_with = dto::resolution_code)]
    pub code: String,
    pub notes: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    /// The number or id of the ticket to keep.
    pub into: String,
}

/// One documented endpoint per lifecycle action; each takes its own body.
macro_rules! action {
    ($name:ident, $path:tt, $summary:tt, $body:ident, |$b:ident| $request:expr) => {
        #[utoipa::path(post, path = $path, operation_id = stringify!($name).trim_end_matches('_'), summary = $summary, params(TicketPath), request_body = $body,
            responses((status = 200, description = "The ticket after the action", body = TicketOut),
                (status = 403, description = "Your role may not take this action on this ticket"),
                (status = 409, description = "Stale version, or the action is not allowed in the ticket's status")))]
        pub async fn $name(
            State(s): State<AppState>,
            auth: Auth,
            Path(r): Path<String>,
            ApiJson($b): ApiJson<$body>,
        ) -> ApiResult<Json<TicketOut>> {
            let version = $b.version;
            act(s, auth, &r, version, $request).await
        }
    };
}

action!(dispatch, "/tickets/{ticket}/dispatch", "派单: hand the ticket to a group (and person)", Dispatch, |b| {
    ActionRequest::Dispatch { group_id: b.group_id, assignee_id: b.assignee_id }
});
action!(claim, "/tickets/{ticket}/claim", "领取: take the ticket and start work", Versioned, |b| {
    ActionRequest::Claim
});
action!(
    arrive,
    "/tickets/{ticket}/arrive",
    "到场: the assignee records arrival on site (stops the on-site clock), once",
    Versioned,
    |b| ActionRequest::Arrive
);
action!(transfer, "/tickets/{ticket}/transfer", "转派: hand the ticket on", Transfer, |b| {
    ActionRequest::Transfer { group_id: b.group_id, assignee_id: b.assignee_id, reason: b.reason }
});
action!(return_, "/tickets/{ticket}/return", "退回: send back to the service desk", Reason, |b| {
    ActionRequest::Return { reason: b.reason }
});
action!(escalate, "/tickets/{ticket}/escalate", "Escalate to the next tier (L1 → L2 → L3)", Escalate, |b| {
    ActionRequest::Escalate { group_id: b.group_id, assignee_id: b.assignee_id, reason: b.reason }
});
action!(suspend, "/tickets/{ticket}/suspend", "挂起: wait on the user, a vendor or a change", Suspend, |b| {
    ActionRequest::Suspend { reason: b.reason, note: b.note }
});
action!(resume, "/tickets/{ticket}/resume", "Resume work after pending", Versioned, |b| ActionRequest::Resume);
action!(resolve, "/tickets/{ticket}/resolve", "Resolve with a resolution code and notes", Resolve, |b| {
    ActionRequest::Resolve { code: b.code, notes: b.notes }
});
action!(close, "/tickets/{ticket}/close", "Confirm the resolution and close", Versioned, |b| ActionRequest::Close);
action!(reopen, "/tickets/{ticket}/reopen", "Reopen a resolved ticket", Reason, |b| {
    ActionRequest::Reopen { reason: b.reason }
});
action!(cancel, "/tickets/{ticket}/cancel", "Cancel an open ticket", Reason, |b| {
    ActionRequest::Cancel { reason: b.reason }
});
action!(merge, "/tickets/{ticket}/merge", "Close as a duplicate of another ticket", Merge, |b| {
    ActionRequest::Merge { into: b.into }
});

#[utoipa::path(get, path = "/tickets/{ticket}/timeline", summary = "Replies, notes, state changes and assignments", params(TicketPath),
    responses((status = 200, description = "The timeline, oldest first; end users see no internal notes", body = Items<EventOut>)))]
pub async fn timeline(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<EventOut>>> {
    let mut tx = s.store.read().await?;
    let events = tickets::timeline(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: events.into_iter().map(EventOut::from).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Comment)]
pub struct CommentBody {
    pub body: String,
    /// `true` (default) for a reply the requester sees, `false` for an internal note.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub public: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(post, path = "/tickets/{ticket}/comments", summary = "Add a public reply or an internal note",
    params(TicketPath), request_body = CommentBody,
    responses((status = 201, description = "The new timeline entry", body = EventOut),
        (status = 403, description = "End users may not write internal notes"),
        (status = 409, description = "The ticket is closed")))]
pub async fn comment(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
    ApiJson(b): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<EventOut>)> {
    let mut tx = s.store.write().await?;
    let e = tickets::comment(&mut tx, &auth.actor, &TicketRef::parse(&r), &b.body, b.public).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[utoipa::path(get, path = "/tickets/{ticket}/links", summary = "Links from and to the ticket", params(TicketPath),
    responses((status = 200, description = "The links", body = Items<LinkOut>)))]
pub async fn links(State(s): State<AppState>, auth: Auth, Path(r): Path<String>) -> ApiResult<Json<Items<LinkOut>>> {
    let mut tx = s.store.read().await?;
    let links = tickets::links(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: links.into_iter().map(LinkOut::from).collect() }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewLink)]
pub struct LinkBody {
    /// `parent`, `child` or `related`, read from this ticket to the other.
    #[schema(schema_with = new_link_kind)]
    pub kind: String,
    /// The other ticket's number or id.
    pub ticket: String,
}

fn new_link_kind() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(["parent", "child", "related"])
}

#[utoipa::path(post, path = "/tickets/{ticket}/links", summary = "Link to another ticket (parent, child, related)",
    params(TicketPath), request_body = LinkBody,
    responses((status = 201, description = "The ticket's links after the change", body = Items<LinkOut>),
        (status = 403, description = "End users may not link tickets"),
        (status = 409, description = "The link exists already")))]
pub async fn add_link(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
    ApiJson(b): ApiJson<LinkBody>,
) -> ApiResult<(StatusCode, Json<Items<LinkOut>>)> {
    let mut tx = s.store.write().await?;
    let links = tickets::link(&mut tx, &auth.actor, &TicketRef::parse(&r), &b.kind, &b.ticket).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Items { items: links.into_iter().map(LinkOut::from).collect() })))
}

#[utoipa::path(delete, path = "/tickets/{ticket}/links/{id}", summary = "Remove a link", params(TicketItemPath),
    responses((status = 204, description = "Removed"),
        (status = 403, description = "End users may not unlink tickets")))]
pub async fn remove_link(
    State(s): State<AppState>,
    auth: Auth,
    Path((r, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    let mut tx = s.store.write().await?;
    tickets::unlink(&mut tx, &auth.actor, &TicketRef::parse(&r), id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/tickets/{ticket}/attachments", summary = "Files on the ticket", params(TicketPath),
    responses((status = 200, description = "The files the caller may see", body = Items<AttachmentOut>)))]
pub async fn attachments(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<AttachmentOut>>> {
    let mut tx = s.store.read().await?;
    let files = tickets::attachments(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: files.into_iter().map(AttachmentOut::from).collect() }))
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    /// The file; its name is kept, made safe.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `false` keeps a staff member's file internal (default `true`).
    #[schema(default = true, nullable = false)]
    public: Option<bool>,
}

/// Uploads one file as multipart/form-data: a `file` part, and an optional `public` part
/// (`false` keeps a staff member's file internal).
#[utoipa::path(post, path = "/tickets/{ticket}/attachments", summary = "Upload a file (multipart: file, public)",
    params(TicketPath), request_body(content = Upload, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored file", body = AttachmentOut),
        (status = 403, description = "End users may not keep a file internal"),
        (status = 409, description = "The ticket is closed")))]
pub async fn upload(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentOut>)> {
    // The only rejection is a content type that is not multipart with a boundary.
    let mut form = form.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as 'multipart/form-data' with a boundary",
        )
    })?;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("files may be at most {} MiB", s.config.max_attachment_bytes / (1024 * 1024)),
        )
    };
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut public = true;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::malformed(format!("the multipart body could not be read: {e}"))),
        };
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("attachment").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        ApiError::malformed(e.to_string())
                    }
                })?;
                file = Some((name, bytes.to_vec()));
            }
            Some("public") => {
                let v = field.text().await.map_err(|e| ApiError::malformed(e.to_string()))?;
                public = match v.trim() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "off" => false,
                    other => return Err(ApiError::invalid("public", "not_true_or_false").with("value", other)),
                };
            }
            Some(other) => return Err(ApiError::invalid(other, "not_an_upload_field")),
            None => return Err(ApiError::malformed("a multipart part has no name")),
        }
    }
    let (name, bytes) = file.ok_or_else(|| ApiError::invalid("file", "required"))?;
    if bytes.len() > s.config.max_attachment_bytes {
        return Err(too_large());
    }
    let mut tx = s.store.write().await?;
    let a = tickets::attach(&mut tx, &auth.actor, &TicketRef::parse(&r), &name, &bytes, public).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// Serves a file with the type derived from its name: images and PDF inline, anything else as
/// a download, never sniffed.
#[utoipa::path(get, path = "/tickets/{ticket}/attachments/{id}", summary = "Download a file", params(TicketItemPath),
    responses((status = 200,
        description = "The file: images and PDF inline, text and anything else (application/octet-stream) as a download",
        headers(("content-disposition" = String, description = "inline or attachment, with the file's name")),
        content(("image/png"), ("image/jpeg"), ("image/gif"), ("image/webp"), ("application/pdf"), ("text/plain"),
            ("application/octet-stream")))))]
pub async fn download(
    State(s): State<AppState>,
    auth: Auth,
    Path((r, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    let mut tx = s.store.read().await?;
    let (a, bytes) = tickets::attachment_content(&mut tx, &auth.actor, &TicketRef::parse(&r), id).await?;
    Ok(yunwei_web::files::file_response(&a.file_name, bytes))
}

/// One entry of a ticket's audit trail.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryOut {
    pub id: i64,
    /// `null` for the system.
    pub actor_id: Option<i64>,
    pub action: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The record before the change, where there was one.
    pub before: Option<serde_json::Value>,
    /// The record after the change, where there is one.
    pub after: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/tickets/{ticket}/audit", summary = "The ticket's audit trail (leads and administrators)", params(TicketPath),
    responses((status = 200, description = "Every recorded change, oldest first", body = Items<AuditEntryOut>),
        (status = 403, description = "Only group leads and administrators read the audit trail")))]
pub async fn audit_log(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<AuditEntryOut>>> {
    let mut tx = s.store.read().await?;
    let t = tickets::get(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    let rows = audit::for_entity(&mut tx, &auth.actor, "ticket", t.id).await?;
    let parse = |v: Option<String>| v.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let items = rows
        .into_iter()
        .map(|e| AuditEntryOut {
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            created_at: e.created_at.to_string(),
            before: parse(e.before),
            after: parse(e.after),
        })
        .collect();
    Ok(Json(Items { items }))
}
