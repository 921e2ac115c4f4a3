//! `/api/v1/tickets`: create, read, list, edit, one endpoint per lifecycle action, timeline,
//! replies and notes, links and attachments.

use crate::rules::ticket::{Status, TicketType};
use crate::store::intake::{self, Intake};
use crate::store::tickets::{self, ActionRequest, Cursor, NewTicket, SortKey, TicketFilter, TicketPatch, TicketRef};
use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use yunwei_db::audit;

use super::dto::{AttachmentOut, EventOut, LinkOut, TicketOut};
use yunwei_web::AppState;
use yunwei_web::dto::{Items, Page, double_option, parse_ts};
use yunwei_web::error::{ApiError, ApiResult};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[serde(rename = "type", default = "default_type")]
    pub ticket_type: String,
    pub title: String,
    pub description: Option<String>,
    pub category_id: Option<i64>,
    pub channel: Option<String>,
    pub requester_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub location_id: Option<i64>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
}

fn default_type() -> String {
    "incident".to_string()
}

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

pub async fn get(State(s): State<AppState>, auth: Auth, Path(r): Path<String>) -> ApiResult<Json<TicketOut>> {
    let mut tx = s.store.read().await?;
    let t = tickets::get(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(TicketOut::new(t, &auth.actor)))
}

/// List parameters. Lists are comma-separated (`status=new,assigned`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    pub priority: Option<String>,
    pub tenant_id: Option<String>,
    pub group_id: Option<String>,
    /// A user id, or `none` for unassigned tickets.
    pub assignee_id: Option<String>,
    pub requester_id: Option<String>,
    pub category_id: Option<String>,
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    pub updated_from: Option<String>,
    pub updated_to: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    pub version: i64,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub category_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub location_id: Option<Option<i64>>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
}

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

pub async fn action(
    State(s): State<AppState>,
    auth: Auth,
    Path((r, name)): Path<(String, String)>,
    ApiJson(b): ApiJson<ActionBody>,
) -> ApiResult<Json<TicketOut>> {
    let version = b.version;
    let req = action_request(&name, b)?;
    let mut tx = s.store.write().await?;
    let t = tickets::act(&mut tx, &auth.actor, &TicketRef::parse(&r), version, req).await?;
    tx.commit().await?;
    Ok(Json(TicketOut::new(t, &auth.actor)))
}

pub async fn timeline(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<EventOut>>> {
    let mut tx = s.store.read().await?;
    let events = tickets::timeline(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: events.into_iter().map(EventOut::from).collect() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
    /// `true` (default) for a reply the requester sees, `false` for an internal note.
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

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

pub async fn links(State(s): State<AppState>, auth: Auth, Path(r): Path<String>) -> ApiResult<Json<Items<LinkOut>>> {
    let mut tx = s.store.read().await?;
    let links = tickets::links(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: links.into_iter().map(LinkOut::from).collect() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// `parent`, `child` or `related`.
    pub kind: String,
    /// The other ticket's number or id.
    pub ticket: String,
}

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

pub async fn attachments(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<AttachmentOut>>> {
    let mut tx = s.store.read().await?;
    let files = tickets::attachments(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items { items: files.into_iter().map(AttachmentOut::from).collect() }))
}

/// Uploads one file as multipart/form-data: a `file` part, and an optional `public` part
/// (`false` keeps a staff member's file internal).
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
pub async fn download(
    State(s): State<AppState>,
    auth: Auth,
    Path((r, id)): Path<(String, i64)>,
) -> ApiResult<Response> {
    let mut tx = s.store.read().await?;
    let (a, bytes) = tickets::attachment_content(&mut tx, &auth.actor, &TicketRef::parse(&r), id).await?;
    Ok(file_response(&a.file_name, bytes))
}

pub fn file_response(file_name: &str, bytes: Vec<u8>) -> Response {
    let (content_type, inline) = yunwei_kernel::attachment::served_type(file_name);
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        file_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' })
            .collect::<String>(),
        percent_encode(file_name),
    );
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    res
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn audit_log(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let mut tx = s.store.read().await?;
    let t = tickets::get(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    let rows = audit::for_entity(&mut tx, &auth.actor, "ticket", t.id).await?;
    let items: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|e| {
            let parse = |v: Option<String>| v.and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
            serde_json::json!({
                "id": e.id, "actor_id": e.actor_id, "action": e.action, "created_at": yunwei_web::dto::ts(e.created_at),
                "before": parse(e.before), "after": parse(e.after),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "items": items })))
}
