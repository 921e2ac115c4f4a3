//! Bulk loading for generated data sets (`yunwei generate`, the benchmarks): many tickets with
//! their timeline, SLA clocks, search documents and audit entries in a few multi-row statements per batch instead
//! of one store operation per row. The caller supplies finished history (it has already run the
//! domain rules); this module only writes it. Never used on a request path.

use yunwei_db::Backend;
use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Tx;
use yunwei_db::db::{Arg, Conn, Sql};

/// A ticket as it stands after its history, with the events and clocks that history left.
#[derive(Debug, Clone, Default)]
pub struct HistoryTicket {
    /// From [`reserve_ids`] for `tickets`.
    pub id: i64,
    pub number: String,
    pub ticket_type: String,
    pub tenant_id: i64,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub channel: String,
    pub requester_id: i64,
    pub location_id: Option<i64>,
    pub impact: i64,
    pub urgency: i64,
    pub priority: i64,
    pub status: String,
    pub pending_reason: Option<String>,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub resolution_code: Option<String>,
    pub resolution_notes: Option<String>,
    pub sla_policy_id: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub assigned_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub in_progress_at: Option<i64>,
    pub pending_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub events: Vec<HistoryEvent>,
    pub clocks: Vec<HistoryClock>,
}

#[derive(Debug, Clone, Default)]
pub struct HistoryEvent {
    pub kind: String,
    pub actor_id: Option<i64>,
    pub public: bool,
    pub body: String,
    /// JSON.
    pub data: String,
    pub created_at: i64,
}

/// An SLA clock with the figures derived from it (as `sla::sync` would have saved them).
#[derive(Debug, Clone, Default)]
pub struct HistoryClock {
    /// From [`reserve_ids`] for `sla_clocks`.
    pub id: i64,
    pub kind: String,
    pub policy_id: i64,
    pub target_secs: i64,
    pub started_at: i64,
    pub paused_since: Option<i64>,
    pub stopped_at: Option<i64>,
    /// JSON list of `[from, to]` pauses in microseconds.
    pub pauses: String,
    pub due_at: Option<i64>,
    pub breached: bool,
    pub elapsed_secs: i64,
    pub next_fire_at: Option<i64>,
    /// Thresholds (percent, 100 for the breach) that already fired, with when.
    pub fired: Vec<(i64, i64)>,
}

/// The most bind parameters one statement may carry on both backends (SQLite's limit is 32766,
/// PostgreSQL's 65535).
const MAX_BINDS: usize = 32_000;

/// Inserts `rows` (each as many values as `columns`) into `table` in as few statements as the
/// bind limit allows.
async fn insert_rows(tx: &mut Tx, table: &str, columns: &[&str], rows: Vec<Vec<Arg>>) -> Result<()> {
    insert_rows_as(tx, table, columns, &vec!["$"; columns.len()], rows).await
}

/// [`insert_rows`] with an SQL template per value, `$` standing for its placeholder.
async fn insert_rows_as(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    templates: &[&str],
    rows: Vec<Vec<Arg>>,
) -> Result<()> {
    let per_statement = (MAX_BINDS / columns.len()).max(1);
    let anonymous = tx.backend() == Backend::Sqlite;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
        sql.values_as(templates, rows.by_ref().take(per_statement), anonymous);
        execute_sql!(tx, sql)?;
    }
    Ok(())
}

/// Reserves `n` consecutive ids in `tickets` or `sla_clocks` and returns the first. Only for a
/// single loader: concurrent writers would be handed the same ids.
pub async fn reserve_ids(tx: &mut Tx, table: IdTable) -> Result<i64> {
    let sql = match table {
        IdTable::Tickets => "SELECT COALESCE(MAX(id), 0) + 1 FROM tickets",
        IdTable::Clocks => "SELECT COALESCE(MAX(id), 0) + 1 FROM sla_clocks",
    };
    Ok(scalar!(tx, i64, sql)?)
}

#[derive(Debug, Clone, Copy)]
pub enum IdTable {
    Tickets,
    Clocks,
}

/// Takes `n` readable numbers of a ticket type (`INC`, `REQ`) from the same counter that
/// ticket creation uses, and returns the first sequence value.
pub async fn reserve_numbers(c: &mut impl Conn, prefix: &str, n: i64) -> Result<i64> {
    let mut sql = Sql::new("UPDATE counters SET value = value + ");
    sql.arg(Arg::Int(n)).push(" WHERE name = ").arg(Arg::Text(prefix.to_string())).push(" RETURNING value");
    let (last,): (i64,) = c.fetch(sql).await?.pop().ok_or(StoreError::NotFound("ticket number counter"))?;
    Ok(last - n + 1)
}

const TICKET_COLUMNS: &[&str] = &[
    "id",
    "number",
    "ticket_type",
    "tenant_id",
    "title",
    "description",
    "category_id",
    "channel",
    "requester_id",
    "location_id",
    "impact",
    "urgency",
    "priority",
    "status",
    "pending_reason",
    "group_id",
    "assignee_id",
    "resolution_code",
    "resolution_notes",
    "sla_policy_id",
    "response_due_at",
    "resolution_due_at",
    "created_by",
    "created_at",
    "updated_at",
    "assigned_at",
    "first_response_at",
    "in_progress_at",
    "pending_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
];

/// Writes a batch of tickets with their timelines, clocks, firings and one audit entry each
/// (`ticket.generate`, so the audit log tells generated history from real work).
pub async fn insert_history(tx: &mut Tx, tickets: &[HistoryTicket]) -> Result<()> {
    use Arg::{Bool, Int, OptInt, OptText, Text};
    let due = |t: &HistoryTicket, kind: &str| t.clocks.iter().find(|c| c.kind == kind).and_then(|c| c.due_at);
    let rows = tickets
        .iter()
        .map(|t| {
            vec![
                Int(t.id),
                Text(t.number.clone()),
                Text(t.ticket_type.clone()),
                Int(t.tenant_id),
                Text(t.title.clone()),
                Text(t.description.clone()),
                OptInt(t.category_id),
                Text(t.channel.clone()),
                Int(t.requester_id),
                OptInt(t.location_id),
                Int(t.impact),
                Int(t.urgency),
                Int(t.priority),
                Text(t.status.clone()),
                OptText(t.pending_reason.clone()),
                OptInt(t.group_id),
                OptInt(t.assignee_id),
                OptText(t.resolution_code.clone()),
                OptText(t.resolution_notes.clone()),
                OptInt(t.sla_policy_id),
                OptInt(due(t, "response")),
                OptInt(due(t, "resolution")),
                Int(t.created_by),
                Int(t.created_at),
                Int(t.updated_at),
                OptInt(t.assigned_at),
                OptInt(t.first_response_at),
                OptInt(t.in_progress_at),
                OptInt(t.pending_at),
                OptInt(t.resolved_at),
                OptInt(t.closed_at),
                OptInt(t.cancelled_at),
            ]
        })
        .collect();
    insert_rows(tx, "tickets", TICKET_COLUMNS, rows).await?;

    let events = tickets
        .iter()
        .flat_map(|t| {
            t.events.iter().map(move |e| {
                vec![
                    Int(t.id),
                    Int(t.tenant_id),
                    Text(e.kind.clone()),
                    OptInt(e.actor_id),
                    Bool(e.public),
                    Text(e.body.clone()),
                    Text(e.data.clone()),
                    Int(e.created_at),
                ]
            })
        })
        .collect();
    let event_columns = ["ticket_id", "tenant_id", "kind", "actor_id", "public", "body", "data", "created_at"];
    insert_rows(tx, "ticket_events", &event_columns, events).await?;

    let clocks = tickets
        .iter()
        .flat_map(|t| {
            t.clocks.iter().map(move |c| {
                vec![
                    Int(c.id),
                    Int(t.id),
                    Int(t.tenant_id),
                    Text(c.kind.clone()),
                    Int(c.policy_id),
                    Int(c.target_secs),
                    Int(c.started_at),
                    OptInt(c.paused_since),
                    OptInt(c.stopped_at),
                    Text(c.pauses.clone()),
                    OptInt(c.due_at),
                    Bool(c.breached),
                    Int(c.elapsed_secs),
                    OptInt(c.next_fire_at),
                    Int(t.updated_at),
                ]
            })
        })
        .collect();
    let clock_columns = [
        "id",
        "ticket_id",
        "tenant_id",
        "kind",
        "policy_id",
        "target_secs",
        "started_at",
        "paused_since",
        "stopped_at",
        "pauses",
        "due_at",
        "breached",
        "elapsed_secs",
        "next_fire_at",
        "updated_at",
    ];
    insert_rows(tx, "sla_clocks", &clock_columns, clocks).await?;

    let firings = tickets
        .iter()
        .flat_map(|t| t.clocks.iter())
        .flat_map(|c| c.fired.iter().map(move |(p, at)| vec![Int(c.id), Int(*p), Int(c.target_secs), Int(*at)]))
        .collect();
    insert_rows(tx, "sla_firings", &["clock_id", "threshold", "target_secs", "fired_at"], firings).await?;

    let (search_columns, search_templates) = crate::store::search::TICKETS.bulk_columns(tx.backend());
    let docs = tickets
        .iter()
        .map(|t| {
            let mut texts = vec![t.title.as_str(), t.description.as_str(), t.resolution_notes.as_deref().unwrap_or("")];
            texts.extend(t.events.iter().filter(|e| e.public && !e.body.is_empty()).map(|e| e.body.as_str()));
            let doc = Text(yunwei_kernel::search::document(&texts));
            if search_columns.len() == 3 { vec![Int(t.id), Int(t.id), doc] } else { vec![Int(t.id), doc] }
        })
        .collect();
    let index = crate::store::search::TICKETS.table;
    insert_rows_as(tx, index, &search_columns, &search_templates, docs).await?;

    let audit = tickets
        .iter()
        .map(|t| {
            let after = serde_json::json!({ "number": t.number, "status": t.status, "priority": t.priority });
            vec![
                Int(t.tenant_id),
                OptInt(Some(t.created_by)),
                Text("ticket.generate".into()),
                Text("ticket".into()),
                Int(t.id),
                Text(after.to_string()),
                Int(t.created_at),
            ]
        })
        .collect();
    let audit_columns = ["tenant_id", "actor_id", "action", "entity", "entity_id", "after", "created_at"];
    insert_rows(tx, "audit_log", &audit_columns, audit).await
}

/// After loading: moves PostgreSQL's identity sequences past the ids given explicitly, and
/// refreshes the planner's statistics on both backends.
pub async fn finish(tx: &mut Tx) -> Result<()> {
    if tx.backend() == Backend::Postgres {
        for table in ["tickets", "sla_clocks"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            );
            scalar!(tx, i64, &sql)?;
        }
    }
    execute!(tx, "ANALYZE")?;
    Ok(())
}

/// Every `every`-th ticket as `(id, tenant_id, number, title, open)`, for the generator to
/// link to CIs.
pub async fn sample_tickets(tx: &mut Tx, every: i64) -> Result<Vec<(i64, i64, String, String, bool)>> {
    let rows = fetch_all!(
        tx,
        (i64, i64, String, String, crate::rules::ticket::Status),
        "SELECT id, tenant_id, number, title, status FROM tickets WHERE id % $1 = 0 ORDER BY id",
        every
    )?;
    Ok(rows.into_iter().map(|(id, t, n, title, s)| (id, t, n, title, s.is_open())).collect())
}
