//! What the service desk's API sends: tickets, their timeline, links and attachments, and
//! categories, with times as RFC 3339 UTC strings.

use serde::Serialize;
use serde_json::Value;
use yunwei_kernel::permission::Actor;
use yunwei_web::dto::ts;

use crate::store::{categories, tickets};

/// A ticket as the API sends it: the stored ticket, field for field (one list of fields, in
/// [`tickets::Ticket`]), and what the caller may do with it now.
#[derive(Serialize)]
pub struct TicketOut {
    #[serde(flatten)]
    pub ticket: tickets::Ticket,
    /// The actions the caller could take now.
    pub actions: Vec<&'static str>,
}

impl TicketOut {
    pub fn new(t: tickets::Ticket, actor: &Actor) -> Self {
        let actions = t.actions_for(actor).into_iter().map(|a| a.as_str()).collect();
        TicketOut { ticket: t, actions }
    }
}

#[derive(Serialize)]
pub struct EventOut {
    pub id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub public: bool,
    pub body: String,
    pub data: Value,
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
            created_at: ts(e.created_at),
        }
    }
}

#[derive(Serialize)]
pub struct LinkOut {
    pub id: i64,
    pub kind: String,
    pub from_ticket_id: i64,
    pub from_number: String,
    pub to_ticket_id: i64,
    pub to_number: String,
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

#[derive(Serialize)]
pub struct AttachmentOut {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub uploaded_by: i64,
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

#[derive(Serialize)]
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
