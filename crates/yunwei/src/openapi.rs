//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`, written from one table of
//! endpoints. A test checks that every endpoint listed here is routed, and the API tests use
//! the same paths.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use yunwei_web::AppState;

/// One documented endpoint: method, path, summary, request body schema, success status and
/// response schema (empty for none).
pub type Endpoint = (&'static str, &'static str, &'static str, Option<&'static str>, u16, &'static str);

pub const ENDPOINTS: &[Endpoint] = &[
    ("get", "/me", "The caller's own user record", None, 200, "User"),
    ("post", "/tickets", "Log a ticket (incident or service request)", Some("NewTicket"), 201, "Ticket"),
    ("get", "/tickets", "List tickets with filters, sorting and cursor pagination", None, 200, "TicketPage"),
    ("get", "/tickets/{ticket}", "One ticket by id or number (INC-000123)", None, 200, "Ticket"),
    (
        "patch",
        "/tickets/{ticket}",
        "Edit fields; impact or urgency recompute the priority",
        Some("TicketPatch"),
        200,
        "Ticket",
    ),
    (
        "post",
        "/tickets/{ticket}/dispatch",
        "派单: hand the ticket to a group (and person)",
        Some("Dispatch"),
        200,
        "Ticket",
    ),
    ("post", "/tickets/{ticket}/claim", "领取: take the ticket and start work", Some("Versioned"), 200, "Ticket"),
    (
        "post",
        "/tickets/{ticket}/arrive",
        "到场: the assignee records arrival on site (stops the on-site clock), once",
        Some("Versioned"),
        200,
        "Ticket",
    ),
    ("post", "/tickets/{ticket}/transfer", "转派: hand the ticket on", Some("Transfer"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/return", "退回: send back to the service desk", Some("Reason"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/escalate", "Escalate to the next tier (L1 → L2 → L3)", Some("Escalate"), 200, "Ticket"),
    (
        "post",
        "/tickets/{ticket}/suspend",
        "挂起: wait on the user, a vendor or a change",
        Some("Suspend"),
        200,
        "Ticket",
    ),
    ("post", "/tickets/{ticket}/resume", "Resume work after pending", Some("Versioned"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/resolve", "Resolve with a resolution code and notes", Some("Resolve"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/close", "Confirm the resolution and close", Some("Versioned"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/reopen", "Reopen a resolved ticket", Some("Reason"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/cancel", "Cancel an open ticket", Some("Reason"), 200, "Ticket"),
    ("post", "/tickets/{ticket}/merge", "Close as a duplicate of another ticket", Some("Merge"), 200, "Ticket"),
    ("get", "/tickets/{ticket}/timeline", "Replies, notes, state changes and assignments", None, 200, "EventList"),
    ("post", "/tickets/{ticket}/comments", "Add a public reply or an internal note", Some("Comment"), 201, "Event"),
    ("get", "/tickets/{ticket}/links", "Links from and to the ticket", None, 200, "LinkList"),
    (
        "post",
        "/tickets/{ticket}/links",
        "Link to another ticket (parent, child, related)",
        Some("NewLink"),
        201,
        "LinkList",
    ),
    ("delete", "/tickets/{ticket}/links/{id}", "Remove a link", None, 204, ""),
    ("get", "/tickets/{ticket}/attachments", "Files on the ticket", None, 200, "AttachmentList"),
    (
        "post",
        "/tickets/{ticket}/attachments",
        "Upload a file (multipart: file, public)",
        Some("Upload"),
        201,
        "Attachment",
    ),
    ("get", "/tickets/{ticket}/attachments/{id}", "Download a file", None, 200, "File"),
    ("get", "/tickets/{ticket}/audit", "The ticket's audit trail (leads and administrators)", None, 200, "AuditList"),
    ("get", "/tenants", "Client organisations in the caller's scope", None, 200, "TenantList"),
    ("post", "/tenants", "Create a tenant (administrators)", Some("NewTenant"), 201, "Tenant"),
    ("get", "/tenants/{id}", "One tenant", None, 200, "Tenant"),
    ("patch", "/tenants/{id}", "Rename or disable a tenant", Some("TenantPatch"), 200, "Tenant"),
    ("get", "/users", "Users (filters: tenant_id, role, group_id, q, active)", None, 200, "UserList"),
    ("post", "/users", "Create a user (administrators)", Some("NewUser"), 201, "User"),
    ("get", "/users/{id}", "One user with served tenants and groups", None, 200, "User"),
    ("patch", "/users/{id}", "Change role, scope, groups, or disable", Some("UserPatch"), 200, "User"),
    ("post", "/users/{id}/password", "Reset a password", Some("Password"), 204, ""),
    ("get", "/groups", "Support groups, L1 first", None, 200, "GroupList"),
    ("post", "/groups", "Create a support group", Some("Group"), 201, "Group"),
    ("get", "/groups/{id}", "One group with its members", None, 200, "Group"),
    ("patch", "/groups/{id}", "Change a group or its members", Some("Group"), 200, "Group"),
    ("get", "/locations", "Locations (filter: tenant_id)", None, 200, "LocationList"),
    ("post", "/locations", "Create a location with its responsible group", Some("Location"), 201, "Location"),
    ("get", "/locations/{id}", "One location", None, 200, "Location"),
    ("patch", "/locations/{id}", "Change a location", Some("Location"), 200, "Location"),
    ("get", "/categories", "The category tree, parents first", None, 200, "CategoryList"),
    ("post", "/categories", "Create a category", Some("Category"), 201, "Category"),
    ("patch", "/categories/{id}", "Change or move a category", Some("Category"), 200, "Category"),
    ("get", "/priority-matrix", "Impact × urgency → priority", None, 200, "PriorityMatrix"),
    ("put", "/priority-matrix", "Replace the priority matrix", Some("PriorityMatrix"), 200, "PriorityMatrix"),
    ("get", "/tickets/{ticket}/sla", "The ticket's SLA clocks with their figures now", None, 200, "ClockList"),
    ("get", "/calendars", "Business calendars", None, 200, "CalendarList"),
    ("post", "/calendars", "Create a business calendar", Some("Calendar"), 201, "Calendar"),
    ("get", "/calendars/{id}", "One business calendar", None, 200, "Calendar"),
    ("patch", "/calendars/{id}", "Replace a calendar; open clocks are recomputed", Some("Calendar"), 200, "Calendar"),
    ("get", "/sla-policies", "SLA policies", None, 200, "PolicyList"),
    ("post", "/sla-policies", "Create an SLA policy", Some("Policy"), 201, "Policy"),
    ("get", "/sla-policies/{id}", "One SLA policy", None, 200, "Policy"),
    ("patch", "/sla-policies/{id}", "Change a policy; open clocks are recomputed", Some("Policy"), 200, "Policy"),
    (
        "get",
        "/reports/sla",
        "Compliance, MTTA/MTTR and breaches coming (group_by tenant, priority, group, policy)",
        None,
        200,
        "ComplianceList",
    ),
    ("get", "/sla/breaching-soon", "Running clocks due within within_hours (default 4)", None, 200, "SoonList"),
    (
        "get",
        "/notifications",
        "The caller's notifications (unread=true for unread only)",
        None,
        200,
        "NotificationList",
    ),
    ("post", "/notifications/{id}/read", "Mark a notification read", None, 204, ""),
];

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props })
}

fn list_of(schema: &str) -> Value {
    obj(
        &["items"],
        json!({ "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } } }),
    )
}

fn schemas() -> Value {
    let int = json!({ "type": "integer" });
    let str_ = json!({ "type": "string" });
    let time = json!({ "type": "string", "format": "date-time" });
    let level = json!({ "type": "integer", "minimum": 1, "maximum": 4 });
    let version = json!({ "type": "integer", "description": "The version you last read; a stale one gets 409" });
    json!({
        "Error": obj(&["error"], json!({ "error": obj(&["code", "message"], json!({
            "code": { "type": "string", "examples": ["invalid_field", "not_found", "version_conflict", "illegal_transition"] },
            "message": str_, "field": str_ })) })),
        "NewTicket": obj(&["title"], json!({
            "type": { "enum": ["incident", "request"], "default": "incident" }, "title": str_, "description": str_,
            "category_id": int, "channel": { "enum": ["web", "email", "phone", "api", "monitoring", "walk_in"], "default": "api" },
            "requester_id": int, "tenant_id": int, "location_id": int, "impact": level, "urgency": level,
            "group_id": int, "assignee_id": int })),
        "TicketPatch": obj(&["version"], json!({ "version": version, "title": str_, "description": str_,
            "category_id": int, "location_id": int, "impact": level, "urgency": level })),
        "Ticket": obj(&["id", "number", "status", "version"], json!({
            "id": int, "number": { "type": "string", "examples": ["INC-000123"] }, "type": str_, "tenant_id": int,
            "tenant_code": str_, "title": str_, "description": str_, "category_id": int, "channel": str_,
            "requester_id": int, "requester_name": str_, "location_id": int, "impact": level, "urgency": level,
            "priority": { "type": "integer", "description": "1 严重 critical, 2 较重 major, 3 一般 minor, 4 轻微 low" },
            "status": { "enum": ["new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"] },
            "pending_reason": { "enum": ["user", "vendor", "change", null] }, "group_id": int, "group_name": str_,
            "assignee_id": int, "assignee_name": str_, "resolution_code": str_, "resolution_notes": str_,
            "response_due_at": time, "resolution_due_at": time, "created_by": int, "created_at": time,
            "updated_at": time, "assigned_at": time, "first_response_at": time, "arrived_at": time, "in_progress_at": time,
            "pending_at": time, "resolved_at": time, "closed_at": time, "cancelled_at": time, "reopen_count": int,
            "version": int, "actions": { "type": "array", "items": str_, "description": "Actions the caller may take now" } })),
        "TicketPage": obj(&["items"], json!({ "items": { "type": "array", "items": { "$ref": "#/components/schemas/Ticket" } },
            "next_cursor": { "type": ["string", "null"], "description": "Pass as cursor= for the next page" } })),
        "Versioned": obj(&["version"], json!({ "version": version })),
        "Reason": obj(&["version", "reason"], json!({ "version": version, "reason": str_ })),
        "Dispatch": obj(&["version", "group_id"], json!({ "version": version, "group_id": int, "assignee_id": int })),
        "Transfer": obj(&["version", "group_id", "reason"], json!({ "version": version, "group_id": int, "assignee_id": int, "reason": str_ })),
        "Escalate": obj(&["version", "reason"], json!({ "version": version, "reason": str_, "assignee_id": int,
            "group_id": { "type": "integer", "description": "Defaults to the first group of the next tier" } })),
        "Suspend": obj(&["version", "reason"], json!({ "version": version, "reason": { "enum": ["user", "vendor", "change"] }, "note": str_ })),
        "Resolve": obj(&["version", "code", "notes"], json!({ "version": version, "notes": str_, "code": { "enum":
            ["solved", "workaround", "fulfilled", "user_guidance", "no_fault_found", "not_reproducible", "duplicate"] } })),
        "Merge": obj(&["version", "into"], json!({ "version": version, "into": { "type": "string", "description": "Number or id of the ticket to keep" } })),
        "Comment": obj(&["body"], json!({ "body": str_, "public": { "type": "boolean", "default": true } })),
        "Event": obj(&["id", "kind"], json!({ "id": int, "kind": str_, "actor_id": int, "actor_name": str_,
            "public": { "type": "boolean" }, "body": str_, "data": { "type": "object" }, "created_at": time })),
        "EventList": list_of("Event"),
        "NewLink": obj(&["kind", "ticket"], json!({ "kind": { "enum": ["parent", "child", "related"] }, "ticket": str_ })),
        "Link": obj(&["id", "kind"], json!({ "id": int, "kind": { "enum": ["parent", "related", "duplicate_of"] },
            "from_ticket_id": int, "from_number": str_, "to_ticket_id": int, "to_number": str_, "created_at": time })),
        "LinkList": list_of("Link"),
        "Upload": { "type": "object", "required": ["file"], "properties": {
            "file": { "type": "string", "format": "binary" }, "public": { "type": "boolean", "default": true } } },
        "Attachment": obj(&["id", "file_name"], json!({ "id": int, "file_name": str_, "content_type": str_, "size": int,
            "sha256": str_, "public": { "type": "boolean" }, "uploaded_by": int, "created_at": time })),
        "AttachmentList": list_of("Attachment"),
        "File": { "type": "string", "format": "binary" },
        "AuditList": obj(&["items"], json!({ "items": { "type": "array", "items": obj(&["action"], json!({ "id": int,
            "actor_id": int, "action": str_, "created_at": time, "before": {}, "after": {} })) } })),
        "NewTenant": obj(&["code", "name"], json!({ "code": str_, "name": str_, "kind": { "enum": ["client", "provider"] } })),
        "TenantPatch": obj(&["version"], json!({ "version": version, "name": str_, "active": { "type": "boolean" } })),
        "Tenant": obj(&["id", "code", "name"], json!({ "id": int, "code": str_, "name": str_, "kind": str_,
            "active": { "type": "boolean" }, "version": int, "created_at": time, "updated_at": time })),
        "TenantList": list_of("Tenant"),
        "NewUser": obj(&["login", "name", "role"], json!({ "login": str_, "name": str_,
            "role": { "enum": ["admin", "agent", "group_lead", "end_user"] }, "tenant_id": int, "email": str_, "phone": str_,
            "password": str_, "locale": { "enum": ["zh-CN", "en"] }, "time_zone": str_,
            "served_tenants": { "type": "array", "items": int }, "groups": { "type": "array", "items": int } })),
        "UserPatch": obj(&["version"], json!({ "version": version, "name": str_, "email": str_, "phone": str_,
            "role": str_, "active": { "type": "boolean" }, "locale": str_, "time_zone": str_,
            "served_tenants": { "type": "array", "items": int }, "groups": { "type": "array", "items": int } })),
        "User": obj(&["id", "login", "role"], json!({ "id": int, "tenant_id": int, "login": str_, "name": str_,
            "email": str_, "phone": str_, "role": str_, "active": { "type": "boolean" }, "locale": str_, "time_zone": str_,
            "version": int, "created_at": time, "updated_at": time,
            "served_tenants": { "type": "array", "items": int }, "groups": { "type": "array", "items": int } })),
        "UserList": list_of("User"),
        "Password": obj(&["password"], json!({ "password": { "type": "string", "minLength": 8 } })),
        "Group": obj(&[], json!({ "id": int, "version": version, "name": str_, "tier": { "type": "integer", "minimum": 1, "maximum": 3 },
            "description": str_, "email": str_, "active": { "type": "boolean" }, "members": { "type": "array", "items": int } })),
        "GroupList": list_of("Group"),
        "Location": obj(&[], json!({ "id": int, "version": version, "tenant_id": int, "building": str_, "floor": str_,
            "room": str_, "responsible_group_id": int, "active": { "type": "boolean" } })),
        "LocationList": list_of("Location"),
        "Category": obj(&[], json!({ "id": int, "version": version, "parent_id": int, "code": str_, "name_zh": str_,
            "name_en": str_, "active": { "type": "boolean" }, "sort_order": int })),
        "CategoryList": list_of("Category"),
        "Clock": obj(&["kind", "status"], json!({ "kind": { "enum": ["response", "resolution", "on_site", "ola"] },
            "status": { "enum": ["running", "paused", "met", "breached"] }, "id": int,
            "group_id": { "type": ["integer", "null"], "description": "The support group an ola clock times" },
            "group_name": { "type": ["string", "null"] }, "policy_id": int, "policy_name": str_,
            "calendar_name": str_, "target_secs": int, "elapsed_secs": int,
            "remaining_secs": { "type": "integer", "description": "Negative once breached" },
            "started_at": time, "stopped_at": time, "paused_since": time, "due_at": time, "breached_at": time,
            "fired_thresholds": { "type": "array", "items": int },
            "history": { "type": "array", "items": obj(&["event", "at"], json!({
                "event": { "enum": ["started", "paused", "resumed", "stopped", "restarted", "retargeted"] },
                "at": time, "target_secs": int,
                "previous_target_secs": { "type": ["integer", "null"], "description": "The target before a retarget" } })) } })),
        "ClockList": list_of("Clock"),
        "Calendar": obj(&["name", "time_zone", "hours"], json!({ "id": int, "version": version, "name": str_,
            "time_zone": { "type": "string", "examples": ["Asia/Shanghai"] },
            "hours": { "type": "object", "description": "monday…sunday → [\"09:00-12:00\", \"13:00-18:00\"]",
                "additionalProperties": { "type": "array", "items": str_ } },
            "holidays": { "type": "array", "items": { "type": "string", "format": "date" } },
            "make_up_days": { "type": "array", "items": { "type": "string", "format": "date" },
                "description": "调休: weekend dates that are worked" },
            "make_up_weekday": { "type": "string", "description": "Whose hours a make-up day uses (default monday)" } })),
        "CalendarList": list_of("Calendar"),
        "Policy": obj(&[], json!({ "id": int, "version": version, "name": str_, "tenant_id": int,
            "ticket_type": { "enum": ["incident", "request", null] }, "category_id": int, "calendar_id": int,
            "targets_minutes": obj(&[], json!({ "response": { "type": "array", "items": int, "description": "per priority 1-4, null for none" },
                "resolution": { "type": "array", "items": int }, "on_site": { "type": "array", "items": int },
                "ola": { "type": "array", "items": int, "description": "Group hold time; only in an OLA policy" } })),
            "pause_on": { "type": "array", "items": { "enum": ["user", "vendor", "change"] } },
            "thresholds": { "type": "array", "items": int, "description": "Warning percentages; 100 is the breach" },
            "notify_next_tier": { "type": "boolean" }, "escalate_on_breach": { "type": "boolean" },
            "raise_priority_on_breach": { "type": "boolean", "description": "Raise the priority one level at a resolution breach" },
            "group_id": { "type": ["integer", "null"], "description": "Set: the policy is this support group's OLA" },
            "active": { "type": "boolean" } })),
        "PolicyList": list_of("Policy"),
        "Compliance": obj(&["clock"], json!({ "key": int, "clock": str_, "total": int, "met": int, "breached": int,
            "open": int, "compliance_pct": { "type": ["number", "null"] }, "mean_business_secs": { "type": ["number", "null"] },
            "mean_wall_secs": { "type": ["number", "null"] }, "breaching_soon": int })),
        "ComplianceList": list_of("Compliance"),
        "Soon": obj(&["ticket_id"], json!({ "ticket_id": int, "clock": str_, "due_at": time })),
        "SoonList": list_of("Soon"),
        "Notification": obj(&["id", "kind", "args", "text", "created_at"], json!({ "id": int,
            "kind": { "type": "string", "examples": ["sla.warning", "sla.breach"] },
            "subject": { "type": ["object", "null"], "properties": { "kind": str_, "id": int } },
            "ticket_id": { "type": ["integer", "null"] },
            "args": { "type": "object", "additionalProperties": str_, "description": "The values the text is made from" },
            "text": { "type": "string", "description": "Worded in the caller's language" },
            "created_at": time, "read_at": { "type": ["string", "null"], "format": "date-time" } })),
        "NotificationList": list_of("Notification"),
        "PriorityMatrix": obj(&["cells"], json!({ "cells": { "type": "array", "minItems": 4, "maxItems": 4,
            "description": "cells[impact-1][urgency-1] = priority",
            "items": { "type": "array", "minItems": 4, "maxItems": 4, "items": level } } })),
    })
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// Builds the whole document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, body, status, response) in ENDPOINTS {
        let mut params = Vec::new();
        for name in ["ticket", "id"] {
            if path.contains(&format!("{{{name}}}")) {
                params.push(json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
            }
        }
        if *path == "/tickets" && *method == "get" {
            for (name, desc) in [
                ("status", "Comma-separated statuses, or open"),
                ("type", "incident or request"),
                ("priority", "Comma-separated 1-4"),
                ("tenant_id", "Tenant id"),
                ("group_id", "Group id"),
                ("assignee_id", "User id, or none for unassigned"),
                ("requester_id", "User id"),
                ("category_id", "Category id, sub-categories included"),
                ("created_from", "RFC 3339, inclusive"),
                ("created_to", "RFC 3339, exclusive"),
                ("updated_from", "RFC 3339, inclusive"),
                ("updated_to", "RFC 3339, exclusive"),
                ("q", "Words in the title, or a ticket number"),
                ("sort", "updated_at, created_at, priority or number; prefix - for descending (default -updated_at)"),
                ("limit", "1-200, default 50"),
                ("cursor", "next_cursor of the previous page"),
            ] {
                params
                    .push(json!({ "name": name, "in": "query", "description": desc, "schema": { "type": "string" } }));
            }
        }
        let mut responses = Map::new();
        let ok = if response.is_empty() {
            json!({ "description": "Done" })
        } else if *response == "File" {
            json!({ "description": "The file", "content": { "application/octet-stream": { "schema": { "$ref": "#/components/schemas/File" } } } })
        } else {
            json!({ "description": "Success", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{response}") } } } })
        };
        responses.insert(status.to_string(), ok);
        responses.insert("401".into(), error_response("No or invalid API token"));
        responses.insert("404".into(), error_response("Not found, or not in your scope"));
        if body.is_some() {
            responses.insert("400".into(), error_response("Malformed request"));
            responses.insert("403".into(), error_response("Your role may not do this"));
            responses.insert("409".into(), error_response("Stale version, illegal transition or duplicate"));
            responses.insert("413".into(), error_response("Body too large"));
            responses.insert("422".into(), error_response("A field is invalid; `field` names it"));
        }
        let mut op = json!({ "summary": summary, "parameters": params, "responses": responses });
        if let Some(b) = body {
            let media = if *b == "Upload" { "multipart/form-data" } else { "application/json" };
            op["requestBody"] = json!({ "required": true, "content": { media: { "schema": { "$ref": format!("#/components/schemas/{b}") } } } });
        }
        let entry = paths.entry(format!("/api/v1{path}")).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Yunwei 运维 API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "IT service management: tickets, organisation and more. Times are RFC 3339 UTC.",
        },
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

/// `/api/v1/openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(document))
}
