//! Logging new tickets. The checks of a new ticket ([`prepare`]) are kept apart from its
//! writes ([`insert`]), which take a fixed number of statements whether they are for one ticket
//! or for many, and the [`Intake`] gathers tickets logged at the same moment into one
//! transaction. SQLite has one writer at a time, and a batch shares its commit and its
//! statements between its tickets; there the intake writes on a connection of its own, on its
//! own thread (`db::DirectWriter`), with no hand-off to another thread per statement.

use crate::rules::permissions;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::rules::priority;
use crate::rules::sla::ClockKind;
use crate::rules::ticket::{Channel, Status, TicketType};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use yunwei_kernel::permission::Actor;
use yunwei_kernel::validate;

use crate::store::bulk;
use crate::store::matrix;
use crate::store::search;
use crate::store::sla;
use crate::store::sla::{ClockContext, Start};
use crate::store::tickets;
use crate::store::tickets::{NewTicket, Ticket};
use yunwei_cmdb::store::work::{self, NewLink};
use yunwei_db::Backend;
use yunwei_db::Result;
use yunwei_db::Store;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::audit;
use yunwei_db::db::{Arg, Conn, DirectWriter, Sql};

/// The kind of work tickets are in the CMDB's links (`ci_work`).
pub const WORK_KIND: &str = "ticket";

/// A new ticket that passed its checks, with everything its writes need.
#[derive(Debug, Clone)]
pub struct Draft {
    created_by: i64,
    ticket_type: TicketType,
    channel: Channel,
    title: String,
    description: String,
    impact: u8,
    urgency: u8,
    requester_id: i64,
    tenant_id: i64,
    category_id: Option<i64>,
    /// The category and its ancestors, nearest first, for choosing the SLA policy.
    category_path: Vec<i64>,
    location_id: Option<i64>,
    group_id: Option<i64>,
    assignee_id: Option<i64>,
    /// How the group was chosen at creation: `dispatch` (named) or `location` (the location's
    /// responsible group).
    assigned_by: Option<&'static str>,
    /// Checked CI ids, without repeats.
    affected_cis: Vec<i64>,
}

/// Checks a new ticket for `actor`. The requester defaults to the actor; staff may log on
/// behalf of a user of a tenant they serve. A location with a responsible group dispatches it
/// to that group. Reads only: it runs on a lookup connection ([`Store::lookup`]).
pub async fn prepare(c: &mut impl Conn, actor: &Actor, new: NewTicket) -> Result<Draft> {
    let ticket_type = TicketType::parse("type", &new.ticket_type)?;
    let channel = Channel::parse("channel", &new.channel)?;
    let title = validate::line("title", &new.title, 200)?;
    let description = validate::optional("description", new.description.as_deref().unwrap_or(""), 50_000)?;
    let impact = priority::level("impact", new.impact.unwrap_or(3))?;
    let urgency = priority::level("urgency", new.urgency.unwrap_or(3))?;

    let requester_id = new.requester_id.unwrap_or(actor.user_id);
    if requester_id != actor.user_id {
        actor.require(permissions::CREATE_FOR_OTHERS)?;
    }
    let requester = tickets::party(c, requester_id)
        .await?
        .filter(|p| p.active && actor.tenant_scope().contains(p.tenant_id))
        .ok_or_else(|| StoreError::invalid("requester_id", "no_requester").with("id", requester_id))?;
    let tenant_id = requester.tenant_id;
    if new.tenant_id.is_some_and(|t| t != tenant_id) {
        return Err(StoreError::invalid("tenant_id", "requester_tenant"));
    }
    let category_path = tickets::check_category(c, new.category_id).await?;
    let area_group = tickets::check_location(c, new.location_id, tenant_id).await?;

    // Assignment at creation: explicit (staff only) or by the location's responsible group.
    let explicit = new.group_id.is_some() || new.assignee_id.is_some();
    if explicit {
        actor.require(permissions::WORK_TICKETS)?;
    }
    let group_id = new.group_id.or(if explicit { None } else { area_group });
    if new.assignee_id.is_some() && group_id.is_none() {
        return Err(StoreError::invalid("group_id", "group_for_assignee"));
    }
    if let Some(g) = group_id {
        tickets::check_assignment(c, g, new.assignee_id, tenant_id).await?;
    }
    let affected_cis = yunwei_cmdb::store::work::check(c, actor, "affected_cis", tenant_id, &new.affected_cis).await?;
    Ok(Draft {
        created_by: actor.user_id,
        ticket_type,
        channel,
        title,
        description,
        impact,
        urgency,
        requester_id,
        tenant_id,
        category_id: new.category_id,
        category_path,
        location_id: new.location_id,
        group_id,
        assignee_id: new.assignee_id,
        assigned_by: group_id.map(|_| if explicit { "dispatch" } else { "location" }),
        affected_cis,
    })
}

/// Writes checked tickets with their numbers, SLA clocks, `created` timeline entries, search
/// documents and audit entries, in the order given. The statements are the same in number for
/// one ticket as for a hundred.
pub async fn insert(w: &mut impl Conn, drafts: &[Draft]) -> Result<Vec<Ticket>> {
    use Arg::{Bool, Int, OptInt, Text};
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let matrix = matrix::get(w).await?;
    let clocks = ClockContext::load(w).await?;
    let at = jiff::Timestamp::now();
    let now_t = Time::from(at);
    let now = now_t.micros();

    // Readable numbers: one counter update per ticket type in the batch.
    let mut next_seq: BTreeMap<&str, i64> = BTreeMap::new();
    for d in drafts {
        *next_seq.entry(d.ticket_type.prefix()).or_default() += 1;
    }
    for (prefix, seq) in next_seq.iter_mut() {
        *seq = bulk::reserve_numbers(w, prefix, *seq).await?;
    }

    // The tickets as they will be stored; their ids and names come back from the insert.
    let mut plans = Vec::with_capacity(drafts.len());
    let mut inserted = Vec::with_capacity(drafts.len());
    for d in drafts {
        let seq = next_seq.get_mut(d.ticket_type.prefix()).map_or(0, |s| {
            *s += 1;
            *s - 1
        });
        let priority = i64::from(matrix.priority(d.impact, d.urgency));
        let status = if d.group_id.is_some() { Status::Assigned } else { Status::New };
        let start = Start {
            tenant_id: d.tenant_id,
            ticket_type: d.ticket_type.as_str(),
            category_path: &d.category_path,
            group_id: d.group_id,
            priority,
            status,
            pending_reason: None,
            created_at: at,
            first_response_at: None,
        };
        let plan = clocks.plan(&start, at);
        inserted.push(Ticket {
            id: 0,
            number: d.ticket_type.number(seq),
            ticket_type: d.ticket_type,
            tenant_id: d.tenant_id,
            title: d.title.clone(),
            description: d.description.clone(),
            category_id: d.category_id,
            channel: d.channel,
            requester_id: d.requester_id,
            location_id: d.location_id,
            impact: i64::from(d.impact),
            urgency: i64::from(d.urgency),
            priority,
            status,
            pending_reason: None,
            group_id: d.group_id,
            assignee_id: d.assignee_id,
            resolution_code: None,
            resolution_notes: None,
            response_due_at: plan.due(ClockKind::Response, at),
            resolution_due_at: plan.due(ClockKind::Resolution, at),
            created_by: d.created_by,
            created_at: now_t,
            updated_at: now_t,
            assigned_at: d.group_id.map(|_| now_t),
            first_response_at: None,
            in_progress_at: None,
            pending_at: None,
            resolved_at: None,
            closed_at: None,
            cancelled_at: None,
            arrived_at: None,
            reopen_count: 0,
            version: 1,
            tenant_code: String::new(),
            requester_name: String::new(),
            group_name: None,
            assignee_name: None,
        });
        plans.push(plan);
    }
    let rows = inserted.iter().zip(&plans).map(|(t, plan)| {
        vec![
            Text(t.number.clone()),
            Text(t.ticket_type.to_string()),
            Int(t.tenant_id),
            Text(t.title.clone()),
            Text(t.description.clone()),
            OptInt(t.category_id),
            Text(t.channel.to_string()),
            Int(t.requester_id),
            OptInt(t.location_id),
            Int(t.impact),
            Int(t.urgency),
            Int(t.priority),
            Text(t.status.to_string()),
            OptInt(t.group_id),
            OptInt(t.assignee_id),
            OptInt(plan.policy_id),
            t.response_due_at.into(),
            t.resolution_due_at.into(),
            Int(t.created_by),
            t.created_at.into(),
            t.updated_at.into(),
            t.assigned_at.into(),
        ]
    });
    let mut sql = Sql::new(
        "INSERT INTO tickets (number, ticket_type, tenant_id, title, description, category_id, channel, requester_id,
           location_id, impact, urgency, priority, status, group_id, assignee_id, sla_policy_id, response_due_at,
           resolution_due_at, created_by, created_at, updated_at, assigned_at) VALUES ",
    );
    sql.values(w.backend(), rows.collect()).push(" RETURNING id, number, ").push(&tickets::names("tickets"));
    type Returned = (i64, String, String, String, Option<String>, Option<String>);
    let mut returned: Vec<Returned> = w.fetch(sql).await?;
    // Returned rows come in no set order; each is found by its number.
    for t in &mut inserted {
        let i = returned.iter().position(|r| r.1 == t.number).ok_or(StoreError::NotFound("new ticket"))?;
        let (id, _, tenant_code, requester_name, group_name, assignee_name) = returned.swap_remove(i);
        (t.id, t.tenant_code, t.requester_name, t.group_name, t.assignee_name) =
            (id, tenant_code, requester_name, group_name, assignee_name);
    }

    let clock_rows: Vec<_> = inserted.iter().zip(&plans).flat_map(|(t, p)| p.rows(t.id, t.tenant_id)).collect();
    let clock_history = sla::insert_clocks(w, &clock_rows, at).await?;

    let mut events = Sql::new(
        "INSERT INTO ticket_events (ticket_id, tenant_id, kind, actor_id, public, body, data, created_at) VALUES ",
    );
    events.values(
        w.backend(),
        inserted
            .iter()
            .zip(drafts)
            .map(|(t, d)| {
                let mut data = json!({ "status": t.status, "priority": t.priority });
                if let (Some(g), Some(by)) = (t.group_id, d.assigned_by) {
                    data["group_id"] = json!(g);
                    data["assigned_by"] = json!(by);
                }
                vec![
                    Int(t.id),
                    Int(t.tenant_id),
                    Text("created".into()),
                    Int(d.created_by),
                    Bool(true),
                    Text(String::new()),
                    Text(data.to_string()),
                    Int(now),
                ]
            })
            .collect(),
    );

    let docs: Vec<(i64, &str, &str)> =
        inserted.iter().map(|t| (t.id, t.title.as_str(), t.description.as_str())).collect();
    let documents = search::index_new(w.backend(), &docs);

    let after: Vec<serde_json::Value> = inserted.iter().map(|t| serde_json::to_value(t).unwrap_or_default()).collect();
    let changes = inserted
        .iter()
        .zip(drafts)
        .zip(after)
        .map(|((t, d), after)| {
            let change = audit::Change {
                action: "ticket.create",
                entity: "ticket",
                entity_id: t.id,
                tenant_id: Some(t.tenant_id),
                before: None,
                after: Some(after),
            };
            (Some(d.created_by), change)
        })
        .collect();
    let links: Vec<NewLink<'_>> = inserted
        .iter()
        .zip(drafts)
        .flat_map(|(t, d)| {
            d.affected_cis.iter().map(|&ci_id| NewLink {
                ci_id,
                ref_id: t.id,
                tenant_id: t.tenant_id,
                number: &t.number,
                title: &t.title,
            })
        })
        .collect();
    // The rest goes to the database in one round trip where it can.
    let mut rest = vec![clock_history, events, documents, audit::entries(w.backend(), changes)];
    rest.extend(work::link_new(w.backend(), WORK_KIND, &links, now));
    w.execute_all(rest).await?;
    Ok(inserted)
}

/// The most tickets written in one transaction.
const MAX_BATCH: usize = 64;

type Job = (Draft, oneshot::Sender<Result<Ticket>>);

/// Gathers checked tickets logged at the same moment and writes them in one transaction:
/// while one batch is being written, the tickets that arrive queue for the next. A ticket
/// logged alone is written at once, in a batch of one. When a batch fails, each of its tickets
/// is written again on its own, so one bad ticket fails alone. Cheap to clone; the writing
/// task starts with the first ticket and ends when the last clone is dropped.
#[derive(Clone)]
pub struct Intake {
    store: Store,
    jobs: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl Intake {
    pub fn new(store: Store) -> Self {
        Intake { store, jobs: Arc::new(OnceLock::new()) }
    }

    /// Writes a checked ticket (with others logged at the same moment) and returns it.
    pub async fn create(&self, draft: Draft) -> Result<Ticket> {
        let jobs = self.jobs.get_or_init(|| {
            let (send, receive) = mpsc::channel(4 * MAX_BATCH);
            let store = self.store.clone();
            match store.backend() {
                // The direct connection runs SQLite on the calling thread: a batch would hold a
                // request worker for a millisecond or more, so it gets a thread of its own. No
                // sockets are opened on that thread, so its runtime leaves nothing behind when
                // it ends.
                Backend::Sqlite => {
                    let writes = std::thread::Builder::new().name("yunwei-intake".into()).spawn(move || {
                        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                            Ok(rt) => rt.block_on(write_batches(store, receive)),
                            Err(e) => tracing::error!(error = %e, "the ticket intake could not start"),
                        }
                    });
                    if let Err(e) = writes {
                        tracing::error!(error = %e, "the ticket intake could not start");
                    }
                }
                Backend::Postgres => {
                    tokio::spawn(write_batches(store, receive));
                }
            }
            send
        });
        let (reply, answer) = oneshot::channel();
        jobs.send((draft, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Config("the ticket intake has stopped".into())
}

/// Where the intake writes: on SQLite a connection of its own ([`DirectWriter`]), else the store.
enum Sink {
    Direct(DirectWriter),
    Store(Store),
}

async fn write_batches(store: Store, mut jobs: mpsc::Receiver<Job>) {
    let mut sink = match store.direct() {
        Ok(Some(direct)) => Sink::Direct(direct),
        Ok(None) => Sink::Store(store),
        Err(e) => {
            tracing::warn!(error = %e, "the ticket intake writes through the store: its own connection failed to open");
            Sink::Store(store)
        }
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (drafts, replies): (Vec<Draft>, Vec<_>) = batch.drain(..).unzip();
        if drafts.len() > 1 {
            match write(&mut sink, &drafts).await {
                Ok(tickets) => {
                    for (reply, t) in replies.into_iter().zip(tickets) {
                        let _ = reply.send(Ok(t));
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, n = drafts.len(), "a batch of new tickets failed; writing each alone")
                }
            }
        }
        for (draft, reply) in drafts.into_iter().zip(replies) {
            let one = write(&mut sink, std::slice::from_ref(&draft)).await;
            let _ = reply.send(one.and_then(|mut t| t.pop().ok_or(StoreError::NotFound("new ticket"))));
        }
    }
}

/// Writes a batch in a transaction of its own.
async fn write(sink: &mut Sink, drafts: &[Draft]) -> Result<Vec<Ticket>> {
    match sink {
        Sink::Direct(direct) => direct.write(async |d| insert(d, drafts).await).await,
        Sink::Store(store) => {
            let mut tx = store.write().await?;
            let tickets = insert(&mut tx, drafts).await?;
            tx.commit().await?;
            Ok(tickets)
        }
    }
}
