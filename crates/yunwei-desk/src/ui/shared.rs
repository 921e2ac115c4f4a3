//! Pieces the portal and the console share: the timeline as people read it, the category
//! picker, locations, ticket references in paths, and form parsing helpers.

use std::collections::HashMap;
use yunwei_db::Time;

use crate::store::categories::Category;
use crate::store::tickets::Event;
use serde_json::Value;

use yunwei_web::ui::i18n::{self, Locale};

/// One timeline entry, ready to show.
pub struct EventView {
    pub id: i64,
    pub kind: String,
    /// What happened, e.g. "replied" / "回复".
    pub what: &'static str,
    pub actor: String,
    pub at: Time,
    pub body: String,
    /// Details such as the new group and person, the status change, the resolution code.
    pub details: Vec<String>,
    pub internal: bool,
    /// Replies and notes are shown as messages; everything else as a compact line.
    pub message: bool,
}

/// Names of groups and people mentioned in events (staff only; empty for end users).
#[derive(Default)]
pub struct Names {
    pub groups: HashMap<i64, String>,
    pub users: HashMap<i64, String>,
}

fn label(locale: Locale, prefix: &str, value: &str) -> String {
    let key = format!("{prefix}.{value}");
    if i18n::has(locale, &key) { i18n::t(locale, &key).to_string() } else { value.to_string() }
}

pub fn event_view(locale: Locale, e: &Event, names: &Names) -> EventView {
    let data = &e.data.0;
    let mut details = Vec::new();
    let s = |k: &str| data.get(k).and_then(Value::as_str).map(str::to_string);
    let n = |k: &str| data.get(k).and_then(Value::as_i64);
    let arrow = i18n::t(locale, "common.arrow");
    let group = n("group_id").and_then(|g| names.groups.get(&g).cloned());
    let person = n("assignee_id").and_then(|u| names.users.get(&u).cloned());
    match e.kind.as_str() {
        "dispatch" | "transfer" | "escalate" | "claim" | "arrive" => {
            let who: Vec<String> = [group, person].into_iter().flatten().collect();
            if !who.is_empty() {
                details.push(format!("{arrow} {}", who.join(" / ")));
            }
        }
        "suspend" => {
            if let Some(r) = s("pending_reason") {
                details.push(label(locale, "pending", &r));
            }
            if let Some(note) = s("note").filter(|n| !n.is_empty()) {
                details.push(note);
            }
        }
        "resolve" => {
            if let Some(c) = s("resolution_code") {
                details.push(label(locale, "resolution", &c));
            }
        }
        "merge" => details.extend(s("into").map(|t| format!("{arrow} {t}"))),
        "merged" => details.extend(s("from").map(|t| format!("{} {t}", i18n::t(locale, "common.from")))),
        "link" => {
            if let (Some(k), Some(t)) = (s("kind"), s("ticket")) {
                details.push(format!("{} {t}", label(locale, "link", &k)));
            }
        }
        "attachment" => details.extend(s("file_name")),
        "update" => {
            if let Some(fields) = data.get("fields").and_then(Value::as_array) {
                let names: Vec<String> =
                    fields.iter().filter_map(Value::as_str).map(|f| label(locale, "field", f)).collect();
                details.push(names.join(i18n::t(locale, "common.list_sep")));
            }
            if let Some([from, to]) = data.get("priority").and_then(Value::as_array).map(Vec::as_slice)
                && let (Some(from), Some(to)) = (from.as_i64(), to.as_i64())
            {
                let p = |n: i64| label(locale, "priority", &n.to_string());
                details.push(format!("{} {} {arrow} {}", i18n::t(locale, "field.priority"), p(from), p(to)));
            }
            details.extend(s("note").filter(|n| !n.is_empty()));
        }
        "rating" => {
            if let Some(score) = n("score") {
                let stars: String = (1..=5).map(|i| if i <= score { '★' } else { '☆' }).collect();
                details.push(format!("{stars} {score}/5"));
            }
        }
        _ => {}
    }
    // A change the system made says why as a code (`SystemReason`), worded here.
    if let Some(reason) = s("reason").filter(|_| e.actor_id.is_none()) {
        details.push(label(locale, "event.reason", &reason));
    }
    if let (Some(from), Some(to)) = (s("from"), s("to"))
        && from != to
        && e.kind != "merged"
    {
        details.push(format!(
            "{} {} {arrow} {}",
            i18n::t(locale, "field.status"),
            label(locale, "status", &from),
            label(locale, "status", &to)
        ));
    }
    let key = format!("event.{}", e.kind);
    EventView {
        id: e.id,
        kind: e.kind.clone(),
        what: if i18n::has(locale, &key) { i18n::t(locale, &key) } else { i18n::t(locale, "event.other") },
        actor: e.actor_name.clone().unwrap_or_else(|| i18n::t(locale, "common.system").to_string()),
        at: e.created_at,
        body: e.body.clone(),
        details,
        internal: !e.public,
        message: matches!(e.kind.as_str(), "reply" | "note"),
    }
}

/// A category as the picker shows it: top levels as group headings, their children inside.
pub struct CategoryGroup {
    pub id: i64,
    pub name: String,
    pub children: Vec<(i64, String)>,
}

pub fn category_name(locale: Locale, c: &Category) -> String {
    match locale {
        Locale::ZhCn => c.name_zh.clone(),
        Locale::En => c.name_en.clone(),
    }
}

pub fn category_tree(locale: Locale, all: &[Category]) -> Vec<CategoryGroup> {
    all.iter()
        .filter(|c| c.parent_id.is_none() && c.active)
        .map(|top| CategoryGroup {
            id: top.id,
            name: category_name(locale, top),
            children: all
                .iter()
                .filter(|c| c.parent_id == Some(top.id) && c.active)
                .map(|c| (c.id, category_name(locale, c)))
                .collect(),
        })
        .collect()
}

/// A category's full name, e.g. "硬件 / 打印机".
pub fn category_path(locale: Locale, all: &[Category], id: Option<i64>) -> String {
    let Some(c) = id.and_then(|id| all.iter().find(|c| c.id == id)) else { return String::new() };
    match c.parent_id.and_then(|p| all.iter().find(|x| x.id == p)) {
        Some(parent) => format!("{} / {}", category_name(locale, parent), category_name(locale, c)),
        None => category_name(locale, c),
    }
}

/// A human size such as "12.5 KB".
pub fn file_size(bytes: i64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// Cursor for "next page" links: the sort, the last value and id, hex-encoded.
pub fn encode_cursor(sort: &str, c: crate::store::tickets::Cursor) -> String {
    hex::encode(format!("{sort}|{}|{}", c.value, c.id))
}

pub fn decode_cursor(sort: &str, text: &str) -> Option<crate::store::tickets::Cursor> {
    let raw = String::from_utf8(hex::decode(text).ok()?).ok()?;
    let mut parts = raw.split('|');
    let (Some(s), Some(v), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    (s == sort).then_some(())?;
    Some(crate::store::tickets::Cursor { value: v.parse().ok()?, id: id.parse().ok()? })
}

/// Percent-encodes a query value.
pub fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
