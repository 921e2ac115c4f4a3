//! What the service desk's API sends: tickets, their timeline, links and attachments, and
//! categories, with times as RFC 3339 UTC strings.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use yunwei_kernel::permission::Actor;
use yunwei_web::dto::ts;
use yunwei_web::openapi::{one_of_texts, one_of_texts_or_null};

use crate::rules::sla::{ClockEvent, ClockKind, ClockStatus};
use crate::rules::ticket::{ActionKind, Channel, LinkKind, PendingReason, ResolutionCode, Status, TicketType};
use crate::store::{categories, tickets};

/// Schemas of text fields that carry a closed set of values, listed from the values themselves.
macro_rules! texts {
    ($($name:ident = $f:ident($enum:ty);)+) => {$(
        pub(crate) fn $name() -> utoipa::openapi::Object {
            $f(<$enum>::ALL.iter().map(|v| v.as_str()))
        }
    )+};
}

texts! {
    ticket_type = one_of_texts(TicketType);
    status = one_of_texts(Status);
    channel = one_of_texts(Channel);
    pending_reason = one_of_texts_or_null(PendingReason);
    resolution_code = one_of_texts(ResolutionCode);
    resolution_code_or_null = one_of_texts_or_null(ResolutionCode);
    link_kind = one_of_texts(LinkKind);
    clock_kind = one_of_texts(ClockKind);
    clock_status = one_of_texts(ClockStatus);
    clock_event = one_of_texts(ClockEvent);
}

/// The actions a caller may take now.
pub(crate) fn actions() -> utoipa::openapi::Array {
    utoipa::openapi::ArrayBuilder::new().items(one_of_texts(ActionKind::ALL.iter().map(|a| a.as_str()))).build()
}

fn ts_opt(micros: Option<i64>) -> Option<String> {
    micros.map(ts)
}

#[derive(Serialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketOut {
    pub id: i64,
    #[schema(examples("INC-000123"))]
    pub number: String,
    #[serde(rename = "type")]
    #[schema(schema_with = ticket_type)]
    pub ticket_type: String,
    pub tenant_id: i64,
    pub tenant_code: String,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    #[schema(schema_with = channel)]
    pub channel: String,
    pub requester_id: i64,
    pub requester_name: String,
    pub location_id: Option<i64>,
    #[schema(minimum = 1, maximum = 4)]
    pub impact: i64,
    #[schema(minimum = 1, maximum = 4)]
    pub urgency: i64,
    /// 1 严重 critical, 2 较重 major, 3 一般 minor, 4 轻微 low.
    #[schema(minimum = 1, maximum = 4)]
    pub priority: i64,
    #[schema(schema_with = status)]
    pub status: String,
    /// What a pending ticket waits on.
    #[schema(schema_with = pending_reason)]
    pub pending_reason: Option<String>,
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    #[schema(schema_with = resolution_code_or_null)]
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    #[schema(format = DateTime)]
    pub response_due_at: Option<String>,
    #[schema(format = DateTime)]
    pub resolution_due_at: Option<String>,
    pub created_by: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub assigned_at: Option<String>,
    #[schema(format = DateTime)]
    pub first_response_at: Option<String>,
    #[schema(format = DateTime)]
    pub in_progress_at: Option<String>,
    #[schema(format = DateTime)]
    pub pending_at: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    /// 到场: when the engineer arrived on site.
    #[schema(format = DateTime)]
    pub arrived_at: Option<String>,
    pub reopen_count: i64,
    pub version: i64,
    /// The actions the caller could take now.
    #[schema(schema_with = actions)]
    pub actions: Vec<&'static str>,
}

impl TicketOut {
    pub fn new(t: tickets::Ticket, actor: &Actor) -> Self {
        let actions = t.actions_for(actor).into_iter().map(|a| a.as_str()).collect();
        TicketOut {
            id: t.id,
            number: t.number,
            ticket_type: t.ticket_type,
            tenant_id: t.tenant_id,
            tenant_code: t.tenant_code,
            title: t.title,
            description: t.description,
            category_id: t.category_id,
            channel: t.channel,
            requester_id: t.requester_id,
            requester_name: t.requester_name,
            location_id: t.location_id,
            impact: t.impact,
            urgency: t.urgency,
            priority: t.priority,
            status: t.status,
            pending_reason: t.pending_reason,
            group_id: t.group_id,
            group_name: t.group_name,
            assignee_id: t.assignee_id,
            assignee_name: t.assignee_name,
            resolution_code: t.resolution_code,
            resolution_notes: t.resolution_notes,
            response_due_at: ts_opt(t.response_due_at),
            resolution_due_at: ts_opt(t.resolution_due_at),
            created_by: t.created_by,
            created_at: ts(t.created_at),
            updated_at: ts(t.updated_at),
            assigned_at: ts_opt(t.assigned_at),
            arrived_at: ts_opt(t.arrived_at),
            first_response_at: ts_opt(t.first_response_at),
            in_progress_at: ts_opt(t.in_progress_at),
            pending_at: ts_opt(t.pending_at),
            resolved_at: ts_opt(t.resolved_at),
            closed_at: ts_opt(t.closed_at),
            cancelled_at: ts_opt(t.cancelled_at),
            reopen_count: t.reopen_count,
            version: t.version,
            actions,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventOut {
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// `false` for an internal note.
    pub public: bool,
    pub body: String,
    /// What changed, by kind of event.
    pub data: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<tickets::Event> for EventOut {
    fn from(e: tickets::Event) -> Self {
        EventOut {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            public: e.public,
            body: e.body,
            data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
            created_at: ts(e.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Link)]
pub struct LinkOut {
    pub id: i64,
    #[schema(schema_with = link_kind)]
    pub kind: String,
    pub from_ticket_id: i64,
    pub from_number: String,
    pub to_ticket_id: i64,
    pub to_number: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<tickets::Link> for LinkOut {
    fn from(l: tickets::Link) -> Self {
        LinkOut {
            id: l.id,
            kind: l.kind,
            from_ticket_id: l.from_ticket_id,
            from_number: l.from_number,
            to_ticket_id: l.to_ticket_id,
            to_number: l.to_number,
            created_at: ts(l.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Attachment)]
pub struct AttachmentOut {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub uploaded_by: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<tickets::Attachment> for AttachmentOut {
    fn from(a: tickets::Attachment) -> Self {
        AttachmentOut {
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            public: a.public,
            uploaded_by: a.uploaded_by,
            created_at: ts(a.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Category)]
pub struct CategoryOut {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub sort_order: i64,
    pub version: i64,
}

impl From<categories::Category> for CategoryOut {
    fn from(c: categories::Category) -> Self {
        CategoryOut {
            id: c.id,
            parent_id: c.parent_id,
            code: c.code,
            name_zh: c.name_zh,
            name_en: c.name_en,
            active: c.active,
            sort_order: c.sort_order,
            version: c.version,
        }
    }
}
