//! Tickets: incidents and service requests, their lifecycle actions, timeline, links and
//! attachments. Every read is limited to the actor's scope; every write goes to the timeline
//! and the audit log in the same transaction.

use crate::rules::permissions;
use crate::rules::priority;
use crate::rules::ticket::{
    self, Action, ActionKind, Channel, LifecycleState, LinkKind, PendingReason, ResolutionCode, Stamp, Status,
    TicketType,
};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::FromRow;
use yunwei_kernel::attachment;
use yunwei_kernel::permission::{Actor, Role};
use yunwei_kernel::search::Term;
use yunwei_kernel::validate;

use crate::store::categories;
use crate::store::intake;
use crate::store::matrix;
use yunwei_db::Backend;
use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::db::{Arg, Conn, Sql};
use yunwei_db::now_micros;

// The ticket's closed sets are read as themselves: a value that is none of them fails the read.
stored_enum!(Status, TicketType, Channel, PendingReason, ResolutionCode);

/// A ticket as stored, and as the API sends it (with the caller's actions beside it).
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = TicketRecord)]
pub struct Ticket {
    pub id: i64,
    #[schema(examples("INC-000123"))]
    pub number: String,
    #[serde(rename = "type")]
    #[schema(schema_with = crate::api::dto::ticket_type)]
    pub ticket_type: TicketType,
    pub tenant_id: i64,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    #[schema(schema_with = crate::api::dto::channel)]
    pub channel: Channel,
    pub requester_id: i64,
    pub location_id: Option<i64>,
    #[schema(minimum = 1, maximum = 4)]
    pub impact: i64,
    #[schema(minimum = 1, maximum = 4)]
    pub urgency: i64,
    /// 1 严重 critical, 2 较重 major, 3 一般 minor, 4 轻微 low.
    #[schema(minimum = 1, maximum = 4)]
    pub priority: i64,
    #[schema(schema_with = crate::api::dto::status)]
    pub status: Status,
    /// What a pending ticket waits on.
    #[schema(schema_with = crate::api::dto::pending_reason)]
    pub pending_reason: Option<PendingReason>,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    #[schema(schema_with = crate::api::dto::resolution_code_or_null)]
    pub resolution_code: Option<ResolutionCode>,
    pub resolution_notes: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub response_due_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolution_due_at: Option<Time>,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub assigned_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_response_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub in_progress_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub pending_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<Time>,
    /// 到场: when the engineer arrived on site.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub arrived_at: Option<Time>,
    pub reopen_count: i64,
    pub version: i64,
    pub tenant_code: String,
    pub requester_name: String,
    pub group_name: Option<String>,
    pub assignee_name: Option<String>,
}

impl Ticket {
    fn lifecycle(&self) -> LifecycleState {
        LifecycleState {
            status: self.status,
            group_id: self.group_id,
            assignee_id: self.assignee_id,
            pending_reason: self.pending_reason,
            arrived: self.arrived_at.is_some(),
        }
    }

    /// The actions this actor could take now.
    pub fn actions_for(&self, actor: &Actor) -> Vec<ActionKind> {
        ticket::available_actions(self.status)
            .into_iter()
            .filter(|k| ticket::may_act(actor, *k, self.requester_id, self.status).is_ok())
            .collect()
    }
}

/// The names a [`Ticket`] carries beside its columns, for a query over `table` (a name or an
/// alias of `tickets`). Scalar subqueries rather than joins: with joins, SQLite's planner may
/// start from a small table (every user, then each one's tickets) and sort all the tickets for
/// an unfiltered page, seconds at a million, where the page needs the newest few rows only.
pub(crate) fn names(table: &str) -> String {
    format!(
        "(SELECT code FROM tenants WHERE tenants.id = {table}.tenant_id) AS tenant_code,
         (SELECT name FROM users WHERE users.id = {table}.requester_id) AS requester_name,
         (SELECT name FROM support_groups WHERE support_groups.id = {table}.group_id) AS group_name,
         (SELECT name FROM users WHERE users.id = {table}.assignee_id) AS assignee_name"
    )
}

/// A query of whole tickets, to add a `WHERE` to.
fn select() -> String {
    format!("SELECT t.*, {} FROM tickets t", names("t"))
}

/// Limits `sql` (which has a `WHERE`) to the tickets the actor may see.
pub(crate) fn scope(sql: &mut Sql, actor: &Actor) {
    sql.scoped("t.tenant_id", &actor.tenant_scope());
    if permissions::own_tickets_only(actor) {
        sql.push(" AND t.requester_id = ").arg(Arg::Int(actor.user_id));
    }
}

/// Appends `AND t.status IN ('…', …)`. The statuses are written into the SQL text, not bound:
/// they are the domain's own constants, and only a literal list lets SQLite and PostgreSQL use
/// the partial indexes on open tickets (migration 0006), whose condition the query must repeat.
pub(crate) fn push_statuses(sql: &mut Sql, statuses: &[Status]) {
    let list: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
    sql.push(" AND t.status IN (").push(&list.join(", ")).push(")");
}

/// [`push_statuses`] for every status that still needs work: new, assigned, in progress,
/// pending — in the order the partial indexes name them.
pub(crate) fn push_open(sql: &mut Sql) {
    let open: Vec<Status> = Status::ALL.iter().copied().filter(|s| s.is_open()).collect();
    push_statuses(sql, &open);
}

/// A ticket by database id or by readable number (`INC-000123`, case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketRef {
    Id(i64),
    Number(String),
}

impl TicketRef {
    pub fn parse(text: &str) -> TicketRef {
        let t = text.trim();
        match t.parse::<i64>() {
            Ok(id) => TicketRef::Id(id),
            Err(_) => TicketRef::Number(t.to_uppercase()),
        }
    }
}

/// The ticket if the actor may see it; another tenant's ticket is simply not found.
pub async fn get(tx: &mut Tx, actor: &Actor, r: &TicketRef) -> Result<Ticket> {
    let mut sql = Sql::new(&select());
    match r {
        TicketRef::Id(id) => sql.push(" WHERE t.id = ").arg(Arg::Int(*id)),
        TicketRef::Number(n) => sql.push(" WHERE t.number = ").arg(Arg::Text(n.clone())),
    };
    scope(&mut sql, actor);
    let row = fetch_sql!(tx, Ticket, sql, fetch_optional)?;
    row.ok_or(StoreError::NotFound("ticket"))
}

#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub ticket_type: String,
    pub title: String,
    pub description: Option<String>,
    pub category_id: Option<i64>,
    pub channel: String,
    pub requester_id: Option<i64>,
    pub tenant_id: Option<i64>,
    pub location_id: Option<i64>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// The CIs the ticket is about (the requester's organisation's, or the provider's shared
    /// ones); an end user may name only the devices assigned to them.
    pub affected_cis: Vec<i64>,
}

stored_row! {
    pub(crate) struct Party {
        pub(crate) id: i64,
        pub(crate) tenant_id: i64,
        pub(crate) role: String,
        pub(crate) active: bool,
        /// For refusals people read: "user Li Ming is not a member of …", not "user 7".
        pub(crate) name: String,
    }
}

pub(crate) async fn party(c: &mut impl Conn, id: i64) -> Result<Option<Party>> {
    c.fetch_opt(sql!("SELECT id, tenant_id, role, active, name FROM users WHERE id = $1", id)).await
}

/// Checks a category may be given to a ticket; returns it and its ancestors, nearest first
/// (empty for no category), which choose the SLA policy.
pub(crate) async fn check_category(c: &mut impl Conn, id: Option<i64>) -> Result<Vec<i64>> {
    let Some(id) = id else { return Ok(Vec::new()) };
    let chain = crate::store::sla::category_chain(c, id).await?;
    match chain.first() {
        None => Err(StoreError::invalid("category_id", "no_such_category").with("id", id)),
        Some((_, false)) => Err(StoreError::invalid("category_id", "category_retired")),
        Some(_) => Ok(chain.into_iter().map(|(c, _)| c).collect()),
    }
}

/// Checks a location belongs to the ticket's tenant; returns its responsible group.
pub(crate) async fn check_location(c: &mut impl Conn, id: Option<i64>, tenant_id: i64) -> Result<Option<i64>> {
    let Some(id) = id else { return Ok(None) };
    let row: Option<(i64, Option<i64>)> =
        c.fetch_opt(sql!("SELECT tenant_id, responsible_group_id FROM locations WHERE id = $1", id)).await?;
    match row {
        Some((t, group)) if t == tenant_id => Ok(group),
        _ => Err(StoreError::invalid("location_id", "no_such_location").with("id", id)),
    }
}

stored_row! {
    pub(crate) struct GroupFacts {
        id: i64,
        tier: i64,
        active: bool,
        name: String,
    }
}

async fn group_facts(c: &mut impl Conn, field: &str, id: i64) -> Result<GroupFacts> {
    match c.fetch_opt::<GroupFacts>(sql!("SELECT id, tier, active, name FROM support_groups WHERE id = $1", id)).await?
    {
        Some(g) if g.active => Ok(g),
        Some(g) => Err(StoreError::invalid(field, "group_disabled").with("group", g.name)),
        None => Err(StoreError::invalid(field, "no_such_group").with("id", id)),
    }
}

async fn is_member(c: &mut impl Conn, group_id: i64, user_id: i64) -> Result<bool> {
    let found: Option<(i64,)> = c
        .fetch_opt(sql!("SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = $2", group_id, user_id))
        .await?;
    Ok(found.is_some())
}

/// Checks a group (and a person in it) can take a ticket of `tenant_id`.
pub(crate) async fn check_assignment(
    c: &mut impl Conn,
    group_id: i64,
    assignee: Option<i64>,
    tenant_id: i64,
) -> Result<GroupFacts> {
    let g = group_facts(c, "group_id", group_id).await?;
    if let Some(a) = assignee {
        let p = party(c, a).await?.filter(|p| p.active && Role::parse("role", &p.role).is_ok_and(|r| r.is_staff()));
        let Some(p) = p else {
            return Err(StoreError::invalid("assignee_id", "no_such_staff").with("id", a));
        };
        if !is_member(c, group_id, p.id).await? {
            return Err(StoreError::invalid("assignee_id", "not_a_member").with("user", p.name).with("group", g.name));
        }
        let serves = p.role == Role::Admin.as_str()
            || c.fetch_opt::<(i64,)>(sql!(
                "SELECT user_id FROM user_tenants WHERE user_id = $1 AND tenant_id = $2",
                a,
                tenant_id
            ))
            .await?
            .is_some();
        if !serves {
            return Err(StoreError::invalid("assignee_id", "not_serving_tenant").with("user", p.name));
        }
    }
    Ok(g)
}

async fn add_event(
    tx: &mut Tx,
    t: &Ticket,
    actor: &Actor,
    kind: &str,
    public: bool,
    body: &str,
    data: Value,
) -> Result<i64> {
    Ok(scalar!(
        tx,
        i64,
        "INSERT INTO ticket_events (ticket_id, tenant_id, kind, actor_id, public, body, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        t.id,
        t.tenant_id,
        kind,
        actor.user_id,
        public,
        body,
        data.to_string(),
        now_micros(),
    )?)
}

async fn audit_ticket(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    t: &Ticket,
    before: Option<Value>,
    after: Value,
) -> Result<()> {
    let change = audit::Change {
        action,
        entity: "ticket",
        entity_id: t.id,
        tenant_id: Some(t.tenant_id),
        before,
        after: Some(after),
    };
    audit::record(tx, Some(actor), change).await
}

/// Logs a new ticket in `tx`: the checks of [`intake::prepare`] and the writes of
/// [`intake::insert`], for a caller that does more in the same transaction.
pub async fn create(tx: &mut Tx, actor: &Actor, new: NewTicket) -> Result<Ticket> {
    let draft = intake::prepare(tx, actor, new).await?;
    intake::insert(tx, std::slice::from_ref(&draft)).await?.pop().ok_or(StoreError::NotFound("new ticket"))
}

/// Escalation by the SLA scan, with no person acting: an assigned or in-progress ticket moves to
/// the first active group of the next tier, through the same lifecycle rule as a person's
/// escalation. Returns whether it moved (not when there is no higher tier, or the ticket is in
/// a state that cannot be escalated).
pub(crate) async fn escalate_by_system(tx: &mut Tx, ticket_id: i64, reason: SystemReason) -> Result<bool> {
    let before = get_unscoped(tx, ticket_id).await?;
    let from_tier = match before.group_id {
        Some(g) => Some(group_facts(tx, "group_id", g).await?.tier as u8),
        None => None,
    };
    let next = i64::from(from_tier.unwrap_or(1)) + 1;
    let target = fetch_opt!(
        tx,
        (i64,),
        "SELECT id FROM support_groups WHERE tier = $1 AND active = TRUE ORDER BY id LIMIT 1",
        next
    )?;
    let Some((group_id,)) = target else { return Ok(false) };
    let action = Action::Escalate {
        group_id,
        from_tier,
        to_tier: next as u8,
        assignee_id: None,
        reason: reason.code().to_string(),
    };
    let Ok(out) = ticket::apply(&before.lifecycle(), &action) else { return Ok(false) };
    let now = now_micros();
    let n = execute!(
        tx,
        "UPDATE tickets SET status = $1, group_id = $2, assignee_id = NULL, assigned_at = $3, updated_at = $3,
         version = version + 1 WHERE id = $4 AND version = $5",
        out.state.status.as_str(),
        group_id,
        now,
        ticket_id,
        before.version,
    )?;
    if n == 0 {
        return Ok(false);
    }
    let after = get_unscoped(tx, ticket_id).await?;
    crate::store::sla::sync(tx, Some(&before), &after).await?;
    let data = json!({ "group_id": group_id, "from_tier": from_tier, "to_tier": next, "automatic": true,
        "reason": reason.code(), "from": before.status, "to": after.status });
    let lifecycle = |t: &Ticket| json!({ "status": t.status, "group_id": t.group_id, "assignee_id": t.assignee_id, "version": t.version });
    let change = audit::Change {
        action: "ticket.escalate",
        entity: "ticket",
        entity_id: ticket_id,
        tenant_id: Some(after.tenant_id),
        before: Some(lifecycle(&before)),
        after: Some(lifecycle(&after)),
    };
    system_event(tx, &after, "escalate", data, change).await?;
    Ok(true)
}

/// Why the system changed a ticket with no person acting. The timeline keeps the code in the
/// entry's data (`reason`) and the page words it in the reader's language
/// (`event.reason.<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SystemReason {
    /// A resolution clock passed its target and the policy acts on breaches.
    SlaBreach,
}

impl SystemReason {
    pub(crate) fn code(self) -> &'static str {
        match self {
            SystemReason::SlaBreach => "sla_breach",
        }
    }
}

/// The internal timeline entry and the audit record of a change the SLA scan made, with no
/// person acting. The entry has no text: its data says what and why.
async fn system_event(tx: &mut Tx, t: &Ticket, kind: &str, data: Value, change: audit::Change<'_>) -> Result<()> {
    execute!(
        tx,
        "INSERT INTO ticket_events (ticket_id, tenant_id, kind, actor_id, public, body, data, created_at)
         VALUES ($1, $2, $3, NULL, FALSE, '', $4, $5)",
        t.id,
        t.tenant_id,
        kind,
        data.to_string(),
        t.updated_at,
    )?;
    audit::record(tx, None, change).await
}

/// Raises a ticket's priority by one level (P3 → P2) for the SLA scan, with no person acting:
/// the clocks take the new targets, keeping the time counted. Returns whether it changed (not
/// at P1, or on a ticket no longer open). A later edit of impact or urgency sets the priority
/// from the matrix again.
pub(crate) async fn raise_priority_by_system(tx: &mut Tx, ticket_id: i64, reason: SystemReason) -> Result<bool> {
    let before = get_unscoped(tx, ticket_id).await?;
    if before.priority <= 1 || !before.status.is_open() {
        return Ok(false);
    }
    let now = now_micros();
    let n = execute!(
        tx,
        "UPDATE tickets SET priority = $1, updated_at = $2, version = version + 1 WHERE id = $3 AND version = $4",
        before.priority - 1,
        now,
        ticket_id,
        before.version,
    )?;
    if n == 0 {
        return Ok(false);
    }
    let after = get_unscoped(tx, ticket_id).await?;
    crate::store::sla::sync(tx, Some(&before), &after).await?;
    let after = get_unscoped(tx, ticket_id).await?;
    let data = json!({ "priority": { "from": before.priority, "to": after.priority }, "automatic": true,
        "reason": reason.code() });
    let change = audit::Change {
        action: "ticket.raise_priority",
        entity: "ticket",
        entity_id: ticket_id,
        tenant_id: Some(after.tenant_id),
        before: Some(json!({ "priority": before.priority, "version": before.version })),
        after: Some(json!({ "priority": after.priority, "version": after.version })),
    };
    system_event(tx, &after, "priority_raised", data, change).await?;
    Ok(true)
}

/// A ticket by id without a scope: only for background work that already knows the id (the
/// SLA rebuild), never on a request path.
pub(crate) async fn get_for_rebuild(tx: &mut Tx, id: i64) -> Result<Ticket> {
    get_unscoped(tx, id).await
}

/// Only for re-reading a row this transaction just wrote and already authorised.
async fn get_unscoped(tx: &mut Tx, id: i64) -> Result<Ticket> {
    let sql = format!("{} WHERE t.id = $1", select());
    fetch_opt!(tx, Ticket, &sql, id)?.ok_or(StoreError::NotFound("ticket"))
}

fn check_version(t: &Ticket, version: i64) -> Result<()> {
    if t.version != version {
        return Err(StoreError::Conflict(format!(
            "ticket {} is at version {}, not {version}: someone changed it since you loaded it; reload and try again",
            t.number, t.version
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Option<i64>>,
    pub location_id: Option<Option<i64>>,
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    /// The CIs the ticket is about, all of them (replaces the current list).
    pub affected_cis: Option<Vec<i64>>,
    /// Why it changes (a mis-filed ticket reclassified), shown with the change in the timeline.
    pub reason: Option<String>,
}

/// The ids of the CIs a ticket names that `actor` may see, by name.
pub async fn affected_cis(tx: &mut Tx, actor: &Actor, t: &Ticket) -> Result<Vec<yunwei_cmdb::store::cis::Ci>> {
    yunwei_cmdb::store::work::cis_of(tx, actor, crate::store::intake::WORK_KIND, t.id).await
}

/// Edits a ticket's fields (staff only). Changing impact or urgency recomputes the priority.
pub async fn update(tx: &mut Tx, actor: &Actor, r: &TicketRef, version: i64, p: TicketPatch) -> Result<Ticket> {
    let before = get(tx, actor, r).await?;
    actor.require(permissions::WORK_TICKETS)?;
    check_version(&before, version)?;
    if before.status.is_final() {
        return Err(
            StoreError::invalid("status", "not_editable").with("status_key", format!("status.{}", before.status))
        );
    }
    let title =
        p.title.as_deref().map(|t| validate::line("title", t, 200)).transpose()?.unwrap_or(before.title.clone());
    let description = match &p.description {
        Some(d) => validate::optional("description", d, 50_000)?,
        None => before.description.clone(),
    };
    let category_id = p.category_id.unwrap_or(before.category_id);
    // Kept as it is, a category retired since is no reason to refuse the other changes.
    if category_id != before.category_id {
        check_category(tx, category_id).await?;
    }
    let location_id = p.location_id.unwrap_or(before.location_id);
    check_location(tx, location_id, before.tenant_id).await?;
    let impact = match p.impact {
        Some(i) => priority::level("impact", i)?,
        None => before.impact as u8,
    };
    let urgency = match p.urgency {
        Some(u) => priority::level("urgency", u)?,
        None => before.urgency as u8,
    };
    let reason = p.reason.as_deref().map(|r| validate::optional("reason", r, 1000)).transpose()?;
    let prio = i64::from(matrix::get(tx).await?.priority(impact, urgency));
    let cis = match &p.affected_cis {
        Some(ids) => Some(yunwei_cmdb::store::work::check(tx, actor, "affected_cis", before.tenant_id, ids).await?),
        None => None,
    };
    let n = execute!(
        tx,
        "UPDATE tickets SET title = $1, description = $2, category_id = $3, location_id = $4, impact = $5,
         urgency = $6, priority = $7, updated_at = $8, version = version + 1 WHERE id = $9 AND version = $10",
        &title,
        &description,
        category_id,
        location_id,
        i64::from(impact),
        i64::from(urgency),
        prio,
        now_micros(),
        before.id,
        version,
    )?;
    if n == 0 {
        return Err(StoreError::stale("ticket"));
    }
    let after = get_unscoped(tx, before.id).await?;
    crate::store::sla::sync(tx, Some(&before), &after).await?;
    let after = get_unscoped(tx, before.id).await?;
    let mut changes = serde_json::Map::new();
    let b = serde_json::to_value(&before).unwrap_or_default();
    let a = serde_json::to_value(&after).unwrap_or_default();
    for f in ["title", "description", "category_id", "location_id", "impact", "urgency", "priority"] {
        if b[f] != a[f] {
            changes.insert(f.to_string(), json!([b[f], a[f]]));
        }
    }
    let kind = crate::store::intake::WORK_KIND;
    let had: Vec<i64> = affected_cis(tx, actor, &after).await?.iter().map(|c| c.id).collect();
    let mut had_sorted = had.clone();
    had_sorted.sort_unstable();
    let ids = cis.unwrap_or(had_sorted.clone());
    if ids != had_sorted || changes.contains_key("title") {
        let open = after.status.is_open();
        yunwei_cmdb::store::work::link(tx, kind, after.id, after.tenant_id, &after.number, &after.title, open, &ids)
            .await?;
    }
    if ids != had_sorted {
        changes.insert("affected_cis".into(), json!([had_sorted, ids]));
    }
    if changes.is_empty() {
        return Ok(after);
    }
    let changed: Vec<&String> = changes.keys().collect();
    let mut data = json!({ "fields": changed });
    if let Some(p) = changes.get("priority") {
        data["priority"] = p.clone();
    }
    if let Some(r) = &reason {
        data["note"] = json!(r);
    }
    add_event(tx, &after, actor, "update", true, "", data).await?;
    if changes.contains_key("title") || changes.contains_key("description") {
        crate::store::search::index_ticket(tx, after.id).await?;
    }
    let before_fields: serde_json::Map<String, Value> =
        changes.iter().map(|(k, v)| (k.clone(), v[0].clone())).collect();
    let after_fields: serde_json::Map<String, Value> = changes.iter().map(|(k, v)| (k.clone(), v[1].clone())).collect();
    audit_ticket(tx, actor, "ticket.update", &after, Some(Value::Object(before_fields)), Value::Object(after_fields))
        .await?;
    Ok(after)
}

/// An action as callers ask for it, before the store looks up what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionRequest {
    Dispatch {
        group_id: i64,
        assignee_id: Option<i64>,
    },
    Claim,
    /// 到场: the engineer arrived on site.
    Arrive,
    Transfer {
        group_id: i64,
        assignee_id: Option<i64>,
        reason: String,
    },
    Return {
        reason: String,
    },
    /// Without a group, the first active group of the next tier takes it.
    Escalate {
        group_id: Option<i64>,
        assignee_id: Option<i64>,
        reason: String,
    },
    Suspend {
        reason: String,
        note: Option<String>,
    },
    Resume,
    Resolve {
        code: String,
        notes: String,
    },
    Close,
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Merge {
        into: String,
    },
}

impl ActionRequest {
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionRequest::Dispatch { .. } => ActionKind::Dispatch,
            ActionRequest::Claim => ActionKind::Claim,
            ActionRequest::Arrive => ActionKind::Arrive,
            ActionRequest::Transfer { .. } => ActionKind::Transfer,
            ActionRequest::Return { .. } => ActionKind::Return,
            ActionRequest::Escalate { .. } => ActionKind::Escalate,
            ActionRequest::Suspend { .. } => ActionKind::Suspend,
            ActionRequest::Resume => ActionKind::Resume,
            ActionRequest::Resolve { .. } => ActionKind::Resolve,
            ActionRequest::Close => ActionKind::Close,
            ActionRequest::Reopen { .. } => ActionKind::Reopen,
            ActionRequest::Cancel { .. } => ActionKind::Cancel,
            ActionRequest::Merge { .. } => ActionKind::Merge,
        }
    }
}

/// The group an engineer works a ticket in (claim, arrival): the group holding it, which they
/// must belong to, or their own first group when none holds it yet.
async fn working_group(tx: &mut Tx, actor: &Actor, t: &Ticket) -> Result<i64> {
    Ok(match t.group_id {
        Some(g) if is_member(tx, g, actor.user_id).await? => g,
        Some(g) => {
            let name = scalar!(tx, String, "SELECT name FROM support_groups WHERE id = $1", g)?;
            return Err(StoreError::forbidden("not_in_holding_group").with("group", name));
        }
        None => {
            let mine = fetch_opt!(
                tx,
                (i64,),
                "SELECT g.id FROM support_groups g JOIN group_members m ON m.group_id = g.id
                 WHERE m.user_id = $1 AND g.active = TRUE ORDER BY g.tier, g.id LIMIT 1",
                actor.user_id
            )?;
            mine.map(|(g,)| g).ok_or_else(|| StoreError::forbidden("no_group"))?
        }
    })
}

/// Turns a request into a domain action, looking up and checking the groups, people and
/// tickets it names. Returns the target ticket of a merge as well.
async fn resolve_action(
    tx: &mut Tx,
    actor: &Actor,
    t: &Ticket,
    req: ActionRequest,
) -> Result<(Action, Option<Ticket>)> {
    let action = match req {
        ActionRequest::Dispatch { group_id, assignee_id } => {
            check_assignment(tx, group_id, assignee_id, t.tenant_id).await?;
            Action::Dispatch { group_id, assignee_id }
        }
        ActionRequest::Claim => Action::Claim { user_id: actor.user_id, group_id: working_group(tx, actor, t).await? },
        ActionRequest::Arrive => {
            Action::Arrive { user_id: actor.user_id, group_id: working_group(tx, actor, t).await? }
        }
        ActionRequest::Transfer { group_id, assignee_id, reason } => {
            check_assignment(tx, group_id, assignee_id, t.tenant_id).await?;
            Action::Transfer { group_id, assignee_id, reason }
        }
        ActionRequest::Return { reason } => Action::Return { reason },
        ActionRequest::Escalate { group_id, assignee_id, reason } => {
            let from_tier = match t.group_id {
                Some(g) => Some(group_facts(tx, "group_id", g).await?.tier as u8),
                None => None,
            };
            let target = match group_id {
                Some(g) => g,
                None => {
                    let next = i64::from(from_tier.unwrap_or(1)) + 1;
                    let row = fetch_opt!(
                        tx,
                        (i64,),
                        "SELECT id FROM support_groups WHERE tier = $1 AND active = TRUE ORDER BY id LIMIT 1",
                        next
                    )?;
                    row.map(|(g,)| g)
                        .ok_or_else(|| StoreError::invalid("group_id", "no_tier_group").with("tier", next))?
                }
            };
            let g = check_assignment(tx, target, assignee_id, t.tenant_id).await?;
            Action::Escalate { group_id: g.id, from_tier, to_tier: g.tier as u8, assignee_id, reason }
        }
        ActionRequest::Suspend { reason, .. } => Action::Suspend { reason: PendingReason::parse("reason", &reason)? },
        ActionRequest::Resume => Action::Resume,
        ActionRequest::Resolve { code, notes } => {
            Action::Resolve { code: ResolutionCode::parse("code", &code)?, notes, resolver_id: actor.user_id }
        }
        ActionRequest::Close => Action::Close,
        ActionRequest::Reopen { reason } => Action::Reopen { reason },
        ActionRequest::Cancel { reason } => Action::Cancel { reason },
        ActionRequest::Merge { into } => {
            let target = get(tx, actor, &TicketRef::parse(&into))
                .await
                .map_err(|_| StoreError::invalid("into", "no_such_ticket").with("value", into))?;
            if target.id == t.id {
                return Err(StoreError::invalid("into", "merge_into_self"));
            }
            if target.tenant_id != t.tenant_id {
                return Err(StoreError::invalid("into", "merge_other_tenant"));
            }
            if target.status.is_final() {
                return Err(StoreError::invalid("into", "merge_into_closed")
                    .with("number", &target.number)
                    .with("status_key", format!("status.{}", target.status)));
            }
            return Ok((Action::Merge { into_number: target.number.clone() }, Some(target)));
        }
    };
    Ok((action, None))
}

/// Takes a lifecycle action on a ticket at `version`.
pub async fn act(tx: &mut Tx, actor: &Actor, r: &TicketRef, version: i64, req: ActionRequest) -> Result<Ticket> {
    let before = get(tx, actor, r).await?;
    let kind = req.kind();
    ticket::may_act(actor, kind, before.requester_id, before.status)?;
    check_version(&before, version)?;
    let note = match &req {
        ActionRequest::Suspend { note: Some(n), .. } => validate::optional("note", n, 20_000)?,
        _ => String::new(),
    };
    let (action, merge_target) = resolve_action(tx, actor, &before, req).await?;
    let out = ticket::apply(&before.lifecycle(), &action)?;

    let now = Time::now();
    let stamp = |s: Stamp, old: Option<Time>| -> Option<Time> {
        if out.cleared.contains(&s) {
            None
        } else if out.stamps.contains(&s) {
            if s == Stamp::FirstResponse { old.or(Some(now)) } else { Some(now) }
        } else {
            old
        }
    };
    let (code, notes) = match &out.resolution {
        Some(Some((c, n))) => (Some(*c), Some(n.clone())),
        Some(None) => (None, None),
        None => (before.resolution_code, before.resolution_notes.clone()),
    };
    let n = execute!(
        tx,
        "UPDATE tickets SET status = $1, group_id = $2, assignee_id = $3, pending_reason = $4, resolution_code = $5,
         resolution_notes = $6, assigned_at = $7, first_response_at = $8, in_progress_at = $9, pending_at = $10,
         resolved_at = $11, closed_at = $12, cancelled_at = $13, reopen_count = $14, updated_at = $15,
         arrived_at = $16, version = version + 1
         WHERE id = $17 AND version = $18",
        out.state.status.as_str(),
        out.state.group_id,
        out.state.assignee_id,
        out.state.pending_reason.map(|p| p.as_str()),
        code.map(|c| c.as_str()),
        notes,
        stamp(Stamp::Assigned, before.assigned_at),
        stamp(Stamp::FirstResponse, before.first_response_at),
        stamp(Stamp::InProgress, before.in_progress_at),
        stamp(Stamp::Pending, before.pending_at),
        stamp(Stamp::Resolved, before.resolved_at),
        stamp(Stamp::Closed, before.closed_at),
        stamp(Stamp::Cancelled, before.cancelled_at),
        before.reopen_count + i64::from(out.reopened),
        now,
        stamp(Stamp::Arrived, before.arrived_at),
        before.id,
        version,
    )?;
    if n == 0 {
        return Err(StoreError::stale("ticket"));
    }
    let after = get_unscoped(tx, before.id).await?;
    crate::store::sla::sync(tx, Some(&before), &after).await?;
    let after = get_unscoped(tx, before.id).await?;
    if before.status.is_open() != after.status.is_open() {
        let kind = crate::store::intake::WORK_KIND;
        yunwei_cmdb::store::work::set_open(tx, kind, after.id, after.status.is_open()).await?;
    }

    let (body, mut data) = action_details(&action);
    if !note.is_empty() {
        data["note"] = json!(note);
    }
    data["from"] = json!(before.status);
    data["to"] = json!(after.status);
    let public =
        !matches!(kind, ActionKind::Dispatch | ActionKind::Transfer | ActionKind::Return | ActionKind::Escalate);
    add_event(tx, &after, actor, kind.as_str(), public, &body, data).await?;
    if public && !body.is_empty() {
        crate::store::search::index_ticket(tx, after.id).await?;
    }
    if let Some(target) = merge_target {
        insert_link(tx, actor, &after, &target, LinkKind::DuplicateOf).await?;
        add_event(tx, &target, actor, "merged", false, "", json!({ "from": after.number })).await?;
    }
    let lifecycle = |t: &Ticket| {
        json!({
            "status": t.status, "group_id": t.group_id, "assignee_id": t.assignee_id,
            "pending_reason": t.pending_reason, "resolution_code": t.resolution_code,
            "resolution_notes": t.resolution_notes, "reopen_count": t.reopen_count, "version": t.version,
        })
    };
    let action_name = format!("ticket.{kind}");
    audit_ticket(tx, actor, &action_name, &after, Some(lifecycle(&before)), lifecycle(&after)).await?;
    Ok(after)
}

/// The event body (the words a person wrote) and structured details of an action.
fn action_details(a: &Action) -> (String, Value) {
    match a {
        Action::Dispatch { group_id, assignee_id } => {
            (String::new(), json!({ "group_id": group_id, "assignee_id": assignee_id }))
        }
        Action::Claim { user_id, group_id } | Action::Arrive { user_id, group_id } => {
            (String::new(), json!({ "group_id": group_id, "assignee_id": user_id }))
        }
        Action::Transfer { group_id, assignee_id, reason } => {
            (reason.trim().to_string(), json!({ "group_id": group_id, "assignee_id": assignee_id }))
        }
        Action::Return { reason } => (reason.trim().to_string(), json!({})),
        Action::Escalate { group_id, from_tier, to_tier, assignee_id, reason } => (
            reason.trim().to_string(),
            json!({ "group_id": group_id, "assignee_id": assignee_id, "from_tier": from_tier, "to_tier": to_tier }),
        ),
        Action::Suspend { reason } => (String::new(), json!({ "pending_reason": reason })),
        Action::Resume => (String::new(), json!({})),
        Action::Resolve { code, notes, .. } => (notes.trim().to_string(), json!({ "resolution_code": code })),
        Action::Close => (String::new(), json!({})),
        Action::Reopen { reason } | Action::Cancel { reason } => (reason.trim().to_string(), json!({})),
        Action::Merge { into_number } => (String::new(), json!({ "into": into_number })),
    }
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Event {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub public: bool,
    pub body: String,
    /// What changed, as the change wrote it (group, status, reason codes, …).
    pub data: yunwei_db::JsonText<Value>,
    pub created_at: Time,
}

/// The ticket's timeline, oldest first. End users see only public entries.
pub async fn timeline(tx: &mut Tx, actor: &Actor, r: &TicketRef) -> Result<Vec<Event>> {
    let t = get(tx, actor, r).await?;
    timeline_of(tx, actor, &t).await
}

/// The timeline of a ticket the actor has already read in scope (a page that shows the ticket
/// and its timeline reads the ticket once).
pub async fn timeline_of(tx: &mut Tx, actor: &Actor, t: &Ticket) -> Result<Vec<Event>> {
    let internal = actor.may(permissions::INTERNAL_NOTES);
    Ok(fetch_all!(
        tx,
        Event,
        "SELECT e.id, e.ticket_id, e.kind, e.actor_id, u.name AS actor_name, e.public, e.body, e.data, e.created_at
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id
         WHERE e.ticket_id = $1 AND (e.public = TRUE OR $2) ORDER BY e.id",
        t.id,
        internal,
    )?)
}

/// Adds a public reply or an internal note. Replies on closed or cancelled tickets are refused.
pub async fn comment(tx: &mut Tx, actor: &Actor, r: &TicketRef, body: &str, public: bool) -> Result<Event> {
    let t = get(tx, actor, r).await?;
    if !public {
        actor.require(permissions::INTERNAL_NOTES)?;
    }
    let body = validate::required("body", body, 50_000)?;
    if t.status.is_final() {
        return Err(StoreError::invalid("body", "ticket_closed")
            .with("number", &t.number)
            .with("status_key", format!("status.{}", t.status)));
    }
    let now = now_micros();
    let first_response = public && actor.may(permissions::WORK_TICKETS) && actor.user_id != t.requester_id;
    execute!(
        tx,
        "UPDATE tickets SET updated_at = $1, first_response_at = CASE WHEN $2 AND first_response_at IS NULL
         THEN $1 ELSE first_response_at END WHERE id = $3",
        now,
        first_response,
        t.id,
    )?;
    if first_response && t.first_response_at.is_none() {
        let after = get_unscoped(tx, t.id).await?;
        crate::store::sla::sync(tx, Some(&t), &after).await?;
    }
    let kind = if public { "reply" } else { "note" };
    let id = add_event(tx, &t, actor, kind, public, &body, json!({})).await?;
    if public {
        crate::store::search::index_ticket(tx, t.id).await?;
    }
    audit_ticket(tx, actor, &format!("ticket.{kind}"), &t, None, json!({ "event_id": id, "public": public })).await?;
    let event = fetch_one!(
        tx,
        Event,
        "SELECT e.id, e.ticket_id, e.kind, e.actor_id, u.name AS actor_name, e.public, e.body, e.data, e.created_at
         FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.id = $1",
        id
    )?;
    Ok(event)
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Link {
    pub id: i64,
    pub kind: String,
    pub from_ticket_id: i64,
    pub from_number: String,
    pub to_ticket_id: i64,
    pub to_number: String,
    pub created_at: Time,
}

async fn insert_link(tx: &mut Tx, actor: &Actor, from: &Ticket, to: &Ticket, kind: LinkKind) -> Result<i64> {
    let id = scalar!(
        tx,
        i64,
        "INSERT INTO ticket_links (tenant_id, from_ticket_id, to_ticket_id, kind, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        from.tenant_id,
        from.id,
        to.id,
        kind.as_str(),
        actor.user_id,
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("ticket", "already_linked"))?;
    add_event(tx, from, actor, "link", false, "", json!({ "kind": kind, "ticket": to.number })).await?;
    audit_ticket(tx, actor, "ticket.link", from, None, json!({ "link_id": id, "kind": kind, "to": to.number })).await?;
    Ok(id)
}

/// Links two tickets: `parent` makes this ticket the parent of `other`, `child` the reverse,
/// `related` links them both ways. Merging (duplicate-of) is the merge action.
pub async fn link(tx: &mut Tx, actor: &Actor, r: &TicketRef, kind: &str, other: &str) -> Result<Vec<Link>> {
    let t = get(tx, actor, r).await?;
    actor.require(permissions::WORK_TICKETS)?;
    let o = get(tx, actor, &TicketRef::parse(other))
        .await
        .map_err(|_| StoreError::invalid("ticket", "no_such_ticket").with("value", other))?;
    if o.id == t.id {
        return Err(StoreError::invalid("ticket", "link_to_self"));
    }
    if o.tenant_id != t.tenant_id {
        return Err(StoreError::invalid("ticket", "link_other_tenant"));
    }
    let (parent, child, kind) = match kind {
        "parent" => (&t, &o, LinkKind::Parent),
        "child" => (&o, &t, LinkKind::Parent),
        "related" => (&t, &o, LinkKind::Related),
        other => {
            return Err(StoreError::invalid("kind", "not_a_link_kind").with("value", other));
        }
    };
    if kind == LinkKind::Parent {
        let has_parent = scalar!(
            tx,
            i64,
            "SELECT COUNT(*) FROM ticket_links WHERE to_ticket_id = $1 AND kind = 'parent'",
            child.id
        )?;
        if has_parent > 0 {
            return Err(StoreError::invalid("ticket", "has_parent").with("number", &child.number));
        }
        // Refuse cycles: the child must not be an ancestor of the parent.
        let mut cursor = Some(parent.id);
        while let Some(c) = cursor {
            if c == child.id {
                return Err(StoreError::invalid("ticket", "link_cycle"));
            }
            cursor = fetch_opt!(
                tx,
                (i64,),
                "SELECT from_ticket_id FROM ticket_links WHERE to_ticket_id = $1 AND kind = 'parent'",
                c
            )?
            .map(|(p,)| p);
        }
    }
    insert_link(tx, actor, parent, child, kind).await?;
    links(tx, actor, r).await
}

/// Removes a link of this ticket.
pub async fn unlink(tx: &mut Tx, actor: &Actor, r: &TicketRef, link_id: i64) -> Result<()> {
    let t = get(tx, actor, r).await?;
    actor.require(permissions::WORK_TICKETS)?;
    let n = execute!(
        tx,
        "DELETE FROM ticket_links WHERE id = $1 AND (from_ticket_id = $2 OR to_ticket_id = $2) AND kind <> 'duplicate_of'",
        link_id,
        t.id
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("link"));
    }
    add_event(tx, &t, actor, "unlink", false, "", json!({ "link_id": link_id })).await?;
    audit_ticket(tx, actor, "ticket.unlink", &t, Some(json!({ "link_id": link_id })), json!(null)).await
}

/// Links from and to this ticket.
pub async fn links(tx: &mut Tx, actor: &Actor, r: &TicketRef) -> Result<Vec<Link>> {
    let t = get(tx, actor, r).await?;
    links_of(tx, &t).await
}

/// The links of a ticket already read in scope.
pub async fn links_of(tx: &mut Tx, t: &Ticket) -> Result<Vec<Link>> {
    Ok(fetch_all!(
        tx,
        Link,
        "SELECT l.id, l.kind, l.from_ticket_id, f.number AS from_number, l.to_ticket_id, o.number AS to_number, l.created_at
         FROM ticket_links l JOIN tickets f ON f.id = l.from_ticket_id JOIN tickets o ON o.id = l.to_ticket_id
         WHERE l.from_ticket_id = $1 OR l.to_ticket_id = $1 ORDER BY l.id",
        t.id
    )?)
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub uploaded_by: i64,
    pub created_at: Time,
}

const ATTACHMENT_COLUMNS: &str =
    "id, ticket_id, file_name, content_type, size, sha256, public, uploaded_by, created_at";

/// Stores a file on a ticket. Names are sanitised; the served type comes from the name,
/// never from what the uploader claimed. End users' files are always public.
pub async fn attach(
    tx: &mut Tx,
    actor: &Actor,
    r: &TicketRef,
    file_name: &str,
    content: &[u8],
    public: bool,
) -> Result<Attachment> {
    let t = get(tx, actor, r).await?;
    let public = public || !actor.may(permissions::INTERNAL_NOTES);
    if content.is_empty() {
        return Err(StoreError::invalid("file", "empty_file"));
    }
    let name = attachment::sanitize_file_name(file_name);
    let (content_type, _) = attachment::served_type(&name);
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(content));
    let sql = format!(
        "INSERT INTO attachments (tenant_id, ticket_id, file_name, content_type, size, sha256, public, content, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {ATTACHMENT_COLUMNS}"
    );
    let a = fetch_one!(
        tx,
        Attachment,
        &sql,
        t.tenant_id,
        t.id,
        &name,
        content_type,
        content.len() as i64,
        &sha,
        public,
        content,
        actor.user_id,
        now_micros(),
    )?;
    add_event(
        tx,
        &t,
        actor,
        "attachment",
        public,
        "",
        json!({ "attachment_id": a.id, "file_name": name, "size": a.size }),
    )
    .await?;
    audit_ticket(
        tx,
        actor,
        "ticket.attach",
        &t,
        None,
        json!({ "attachment_id": a.id, "file_name": name, "sha256": sha }),
    )
    .await?;
    Ok(a)
}

/// Attachments the actor may see on a ticket.
pub async fn attachments(tx: &mut Tx, actor: &Actor, r: &TicketRef) -> Result<Vec<Attachment>> {
    let t = get(tx, actor, r).await?;
    attachments_of(tx, actor, &t).await
}

/// The attachments of a ticket already read in scope that the actor may see.
pub async fn attachments_of(tx: &mut Tx, actor: &Actor, t: &Ticket) -> Result<Vec<Attachment>> {
    let internal = actor.may(permissions::INTERNAL_NOTES);
    let sql = format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE ticket_id = $1 AND (public = TRUE OR $2) ORDER BY id"
    );
    Ok(fetch_all!(tx, Attachment, &sql, t.id, internal)?)
}

/// One attachment and its bytes, if the actor may see it.
pub async fn attachment_content(tx: &mut Tx, actor: &Actor, r: &TicketRef, id: i64) -> Result<(Attachment, Vec<u8>)> {
    let t = get(tx, actor, r).await?;
    let internal = actor.may(permissions::INTERNAL_NOTES);
    let sql = format!(
        "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1 AND ticket_id = $2 AND (public = TRUE OR $3)"
    );
    let a = fetch_opt!(tx, Attachment, &sql, id, t.id, internal)?.ok_or(StoreError::NotFound("attachment"))?;
    let (bytes,) = fetch_one!(tx, (Vec<u8>,), "SELECT content FROM attachments WHERE id = $1", id)?;
    Ok((a, bytes))
}

/// Sort orders for ticket lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    UpdatedAt,
    CreatedAt,
    Priority,
    Id,
}

impl SortKey {
    /// The order a list takes when none is asked for: the newest matches first for a text
    /// search (what a search is for, and what the index walks fastest), the last changed first
    /// otherwise.
    pub fn default_for(text: Option<&str>) -> &'static str {
        if text.is_some_and(|t| !t.trim().is_empty()) { "-number" } else { "-updated_at" }
    }

    pub fn parse(text: &str) -> Result<(SortKey, bool)> {
        let (desc, name) = match text.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, text),
        };
        let key = match name {
            "updated_at" => SortKey::UpdatedAt,
            "created_at" => SortKey::CreatedAt,
            "priority" => SortKey::Priority,
            "number" | "id" => SortKey::Id,
            other => {
                return Err(StoreError::invalid("sort", "not_a_sort").with("value", other));
            }
        };
        Ok((key, desc))
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::UpdatedAt => "t.updated_at",
            SortKey::CreatedAt => "t.created_at",
            SortKey::Priority => "t.priority",
            SortKey::Id => "t.id",
        }
    }

    fn value(self, t: &Ticket) -> i64 {
        match self {
            SortKey::UpdatedAt => t.updated_at.micros(),
            SortKey::CreatedAt => t.created_at.micros(),
            SortKey::Priority => t.priority,
            SortKey::Id => t.id,
        }
    }
}

/// Where the previous page ended: the sort value and id of its last ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub value: i64,
    pub id: i64,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    /// Shorthand for every status that still needs work.
    pub open_only: bool,
    pub ticket_type: Option<TicketType>,
    pub priorities: Vec<i64>,
    pub tenant_id: Option<i64>,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    /// Only tickets held by one of these groups (none at all for an empty list).
    pub group_in: Option<Vec<i64>>,
    pub requester_id: Option<i64>,
    /// Includes the category's sub-categories.
    pub category_id: Option<i64>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    pub updated_from: Option<i64>,
    pub updated_to: Option<i64>,
    /// Words anywhere in the public text — title, description, replies, resolution — (or the
    /// exact number).
    pub text: Option<String>,
    pub sort: SortKey,
    pub desc: bool,
    pub limit: i64,
    pub after: Option<Cursor>,
}

pub struct Page {
    pub tickets: Vec<Ticket>,
    pub next: Option<Cursor>,
}

/// A page of the tickets the actor may see, filtered and sorted, continuing after a cursor.
pub async fn list(tx: &mut Tx, actor: &Actor, f: &TicketFilter) -> Result<Page> {
    let limit = f.limit.clamp(1, 200);
    let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let terms = text.map(yunwei_kernel::search::query).unwrap_or_default();
    if let Some(text) = text
        && !terms.is_empty()
        && f.sort == SortKey::Id
        && f.desc
    {
        return search_newest_first(tx, actor, f, text, &terms, limit).await;
    }
    let mut sql = filtered(tx, actor, f).await?;
    if let Some(text) = text {
        push_text(&mut sql, tx.backend(), text, &terms, None, None);
    }
    let col = f.sort.column();
    let (cmp, dir) = if f.desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(c) = f.after {
        sql.push(&format!(" AND ({col} {cmp} ")).arg(Arg::Int(c.value));
        sql.push(&format!(" OR ({col} = ")).arg(Arg::Int(c.value));
        sql.push(&format!(" AND t.id {cmp} ")).arg(Arg::Int(c.id)).push("))");
    }
    sql.push(&format!(" ORDER BY {col} {dir}, t.id {dir} LIMIT ")).arg(Arg::Int(limit + 1));
    let tickets = fetch_sql!(tx, Ticket, sql, fetch_all)?;
    Ok(page(tickets, limit, f.sort))
}

fn page(mut tickets: Vec<Ticket>, limit: i64, sort: SortKey) -> Page {
    let next = if tickets.len() as i64 > limit {
        tickets.truncate(limit as usize);
        tickets.last().map(|t| Cursor { value: sort.value(t), id: t.id })
    } else {
        None
    };
    Page { tickets, next }
}

/// The query with every filter of `f` but the text, the cursor and the order.
async fn filtered(tx: &mut Tx, actor: &Actor, f: &TicketFilter) -> Result<Sql> {
    let mut sql = Sql::new(&select());
    sql.push(" WHERE 1 = 1");
    scope(&mut sql, actor);
    if f.open_only && f.statuses.is_empty() {
        push_open(&mut sql);
    } else if !f.statuses.is_empty() {
        push_statuses(&mut sql, &f.statuses);
    }
    if let Some(tt) = f.ticket_type {
        sql.push(" AND t.ticket_type = ").arg(Arg::Text(tt.as_str().to_string()));
    }
    if !f.priorities.is_empty() {
        sql.push(" AND ");
        sql.in_list("t.priority", &f.priorities);
    }
    let int_filters = [
        ("t.tenant_id", f.tenant_id),
        ("t.group_id", f.group_id),
        ("t.assignee_id", f.assignee_id),
        ("t.requester_id", f.requester_id),
    ];
    for (col, v) in int_filters {
        if let Some(v) = v {
            sql.push(" AND ").push(col).push(" = ").arg(Arg::Int(v));
        }
    }
    if f.unassigned {
        sql.push(" AND t.assignee_id IS NULL");
    }
    if let Some(groups) = &f.group_in {
        sql.push(" AND ");
        sql.in_list("t.group_id", groups);
    }
    if let Some(c) = f.category_id {
        let all = categories::list(tx).await?;
        let mut ids = vec![c];
        let mut i = 0;
        while i < ids.len() {
            let parent = ids[i];
            ids.extend(all.iter().filter(|x| x.parent_id == Some(parent)).map(|x| x.id));
            i += 1;
        }
        sql.push(" AND ");
        sql.in_list("t.category_id", &ids);
    }
    let ranges = [
        ("t.created_at >= ", f.created_from),
        ("t.created_at < ", f.created_to),
        ("t.updated_at >= ", f.updated_from),
        ("t.updated_at < ", f.updated_to),
    ];
    for (cond, v) in ranges {
        if let Some(v) = v {
            sql.push(" AND ").push(cond).arg(Arg::Int(v));
        }
    }
    Ok(sql)
}

/// `AND (the number is the text OR the document matches)`, the match limited to ids in
/// `[from, below)`.
fn push_text(sql: &mut Sql, backend: Backend, text: &str, terms: &[Term], from: Option<i64>, below: Option<i64>) {
    sql.push(" AND (t.number = ").arg(Arg::Text(text.to_uppercase()));
    if !terms.is_empty() {
        sql.push(" OR ");
        crate::store::search::TICKETS.push_match(sql, backend, "t.id", terms, from, below);
    }
    sql.push(")");
}

/// A text search, newest first: walks the index down from the newest match in chunks that grow
/// fourfold (see [`yunwei_db::search::Index::chunk_floor`]), each checked against the filters and the
/// scope, until the page is full. A common word then costs the newest few hundred matches,
/// not all of them.
async fn search_newest_first(
    tx: &mut Tx,
    actor: &Actor,
    f: &TicketFilter,
    text: &str,
    terms: &[Term],
    limit: i64,
) -> Result<Page> {
    let mut tickets = Vec::new();
    let mut below = f.after.map(|c| c.id);
    let mut chunk = 256;
    loop {
        let floor = crate::store::search::TICKETS.chunk_floor(tx, terms, below, chunk).await?;
        let mut sql = filtered(tx, actor, f).await?;
        if let Some(b) = below {
            sql.push(" AND t.id < ").arg(Arg::Int(b));
        }
        if let Some(fl) = floor {
            sql.push(" AND t.id >= ").arg(Arg::Int(fl));
        }
        push_text(&mut sql, tx.backend(), text, terms, floor, below);
        sql.push(" ORDER BY t.id DESC LIMIT ").arg(Arg::Int(limit + 1 - tickets.len() as i64));
        tickets.extend(fetch_sql!(tx, Ticket, sql, fetch_all)?);
        match floor {
            Some(fl) if tickets.len() as i64 <= limit => {
                below = Some(fl);
                chunk = (chunk * 4).min(65_536);
            }
            _ => break,
        }
    }
    Ok(page(tickets, limit, SortKey::Id))
}
