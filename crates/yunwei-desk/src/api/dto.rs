//! What the service desk's API sends: tickets, their timeline, links and attachments, and
//! categories, with times as RFC 3339 UTC strings.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use yunwei_kernel::permission::Actor;
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

/// A ticket as the API sends it: the stored ticket, field for field (one list of fields, in
/// [`tickets::Ticket`]), and what the caller may do with it now.
#[derive(Serialize, ToSchema)]
#[schema(as = Ticket)]
pub struct TicketOut {
    #[serde(flatten)]
    pub ticket: tickets::Ticket,
    /// The actions the caller could take now.
    #[schema(schema_with = actions)]
    pub actions: Vec<&'static str>,
}

impl TicketOut {
    pub fn new(t: tickets::Ticket, actor: &Actor) -> Self {
        let actions = t.actions_for(actor).into_iter().map(|a| a.as_str()).collect();
        TicketOut { ticket: t, actions }
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
            data: e.data.0,
            created_at: e.created_at.to_string(),
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
            created_at: l.created_at.to_string(),
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
            created_at: a.created_at.to_string(),
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
