//! The agent console: queues with counts, filters, sorting and pages; the ticket page with the
//! full timeline and every lifecycle action the viewer may take; logging a call on behalf of
//! a caller; search by number or words.

use crate::rules::permissions;
use std::borrow::Borrow;
use std::collections::HashMap;

use crate::rules::ticket::{self, ActionKind, Channel, PendingReason, ResolutionCode, Status, TicketType};
use crate::store::categories;
use crate::store::queues::{self, Queue};
use crate::store::ratings;
use crate::store::tickets::{self, ActionRequest, Link, NewTicket, SortKey, Ticket, TicketFilter, TicketRef};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yunwei_db::StoreError;
use yunwei_org::directory::{self, AssignableGroup};
use yunwei_org::groups;
use yunwei_org::locations;
use yunwei_org::tenants;
use yunwei_org::users;

use super::portal::{FileView, attach_file, file_views};
use super::shared::{self, CategoryGroup, EventView, Names};
use crate::api::tickets::{ActionBody, action_request};
use yunwei_kernel::permission::Actor;
use yunwei_web::AppState;
use yunwei_web::ui::session::{FormData, Posted, Staff, StaffOnly, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

/// The sort orders a queue offers: (value, label key).
const SORTS: &[(&str, &str)] = &[
    ("-updated_at", "sort.updated_desc"),
    ("updated_at", "sort.updated_asc"),
    ("-created_at", "sort.created_desc"),
    ("created_at", "sort.created_asc"),
    ("priority", "sort.priority_high"),
    ("-number", "sort.number_desc"),
];

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    queue: Option<String>,
    q: Option<String>,
    status: Option<String>,
    priority: Option<String>,
    #[serde(rename = "type")]
    ticket_type: Option<String>,
    group: Option<String>,
    tenant: Option<String>,
    /// A category (with its sub-categories), e.g. from the dashboard.
    category: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD` in the viewer's time zone).
    created_from: Option<String>,
    /// Created on or before this day.
    created_to: Option<String>,
    sort: Option<String>,
    after: Option<String>,
}

pub struct QueueTab {
    pub name: &'static str,
    pub count: i64,
}

#[derive(Template)]
#[template(path = "console_queue.html")]
struct QueuePage {
    ui: Ui,
    queue: String,
    tabs: Vec<QueueTab>,
    tickets: Vec<Ticket>,
    q: String,
    status: String,
    priority: String,
    ticket_type: String,
    group: i64,
    tenant: i64,
    sort: String,
    sorts: Vec<(&'static str, &'static str)>,
    statuses: Vec<&'static str>,
    types: Vec<&'static str>,
    groups: Vec<(i64, String)>,
    tenants: Vec<(i64, String)>,
    tenant_codes: HashMap<i64, String>,
    /// This view's query string without the page cursor, for links.
    base_query: String,
    /// The instant the page is drawn, for the SLA column.
    now: jiff::Timestamp,
    next: Option<String>,
    first_page: bool,
}

impl QueuePage {
    fn tenant_code(&self, id: impl Borrow<i64>) -> &str {
        self.tenant_codes.get(id.borrow()).map(String::as_str).unwrap_or("")
    }

    /// The resolution clock as the queue shows it: breached, due soon, running, paused, none.
    fn due_state(&self, t: &Ticket) -> &'static str {
        let due = t.resolution_due_at.map(yunwei_db::Time::timestamp);
        crate::rules::sla::due_state(due, t.status.is_open(), t.status == Status::Pending, self.now).as_str()
    }
}

fn opt_int(v: &Option<String>) -> Option<i64> {
    v.as_deref().and_then(|s| s.trim().parse().ok()).filter(|n: &i64| *n > 0)
}

pub async fn queue(State(s): State<AppState>, Staff(v, actor): Staff, Query(q): Query<QueueQuery>) -> Response {
    let queue_name = q.queue.clone().unwrap_or_else(|| "mine".into());
    let queue = Queue::parse(&queue_name);
    let text = q.q.clone().unwrap_or_default().trim().to_string();
    let sort = q
        .sort
        .clone()
        .filter(|s| SORTS.iter().any(|(v, _)| v == s))
        .unwrap_or_else(|| SortKey::default_for(Some(&text)).into());
    let status = q.status.clone().filter(|s| s == "open" || Status::parse("status", s).is_ok()).unwrap_or_default();
    let priority = q.priority.clone().filter(|p| matches!(p.as_str(), "1" | "2" | "3" | "4")).unwrap_or_default();
    let ticket_type = q.ticket_type.clone().filter(|t| TicketType::parse("type", t).is_ok()).unwrap_or_default();
    let group = opt_int(&q.group);
    let tenant = opt_int(&q.tenant);
    let category = opt_int(&q.category);
    let day = |d: &Option<String>| d.as_deref().and_then(|d| d.trim().parse::<jiff::civil::Date>().ok());
    let (created_from, created_to) = (day(&q.created_from), day(&q.created_to));
    let day_start = |d: jiff::civil::Date| d.to_zoned(v.tz.clone()).ok().map(|z| z.timestamp().as_microsecond());

    let loaded = async {
        let mut tx = s.store.read().await?;
        // A search for an exact ticket number goes straight to the ticket.
        if !text.is_empty()
            && text.contains('-')
            && !text.contains(' ')
            && let Ok(t) = tickets::get(&mut tx, &actor, &TicketRef::Number(text.to_uppercase())).await
        {
            return Ok(Err(t.number));
        }
        let my_groups = queues::my_groups(&mut tx, &actor).await?;
        let now = yunwei_db::now_micros();
        let mut f = match queue {
            Some(queue) => queue.filter(&actor, &my_groups, now),
            None => TicketFilter::default(),
        };
        f.limit = 50;
        f.text = Some(text.clone()).filter(|t| !t.is_empty());
        if status == "open" {
            f.open_only = true;
        } else if let Ok(st) = Status::parse("status", &status) {
            f.statuses = vec![st];
        }
        if let Ok(p) = priority.parse::<i64>() {
            f.priorities = vec![p];
        }
        f.ticket_type = TicketType::parse("type", &ticket_type).ok();
        if group.is_some() {
            f.group_id = group;
        }
        f.tenant_id = tenant;
        f.category_id = category;
        f.created_from = created_from.and_then(day_start);
        f.created_to = created_to.and_then(|d| d.tomorrow().ok()).and_then(day_start);
        let (key, desc) = SortKey::parse(&sort)?;
        f.sort = key;
        f.desc = desc;
        f.after = q.after.as_deref().and_then(|a| shared::decode_cursor(&sort, a));
        let page = tickets::list(&mut tx, &actor, &f).await?;
        let counts = queues::counts(&mut tx, &actor).await?;
        let all_groups = groups::list(&mut tx, &actor).await?;
        let all_tenants = tenants::list(&mut tx, &actor).await?;
        Ok(Ok((page, counts, all_groups, all_tenants, f.after.is_none())))
    };
    let (page, counts, all_groups, all_tenants, first_page) = match loaded.await {
        Ok(Ok(x)) => x,
        Ok(Err(number)) => return Redirect::to(&format!("/console/tickets/{number}")).into_response(),
        Err(e) => return view::fail(&v, e),
    };
    let mut base = vec![format!("queue={}", shared::enc(&queue_name))];
    for (k, val) in
        [("q", &text), ("status", &status), ("priority", &priority), ("type", &ticket_type), ("sort", &sort)]
    {
        if !val.is_empty() {
            base.push(format!("{k}={}", shared::enc(val)));
        }
    }
    if let Some(g) = group {
        base.push(format!("group={g}"));
    }
    if let Some(c) = category {
        base.push(format!("category={c}"));
    }
    if let Some(d) = created_from {
        base.push(format!("created_from={d}"));
    }
    if let Some(d) = created_to {
        base.push(format!("created_to={d}"));
    }
    if let Some(t) = tenant {
        base.push(format!("tenant={t}"));
    }
    let mut ui = Ui::new(&v, "queues");
    ui.search = text.clone();
    let p = QueuePage {
        ui,
        queue: if queue.is_some() { queue_name } else { "all".into() },
        tabs: counts.into_iter().map(|(q, n)| QueueTab { name: q.as_str(), count: n }).collect(),
        next: page.next.map(|c| shared::encode_cursor(&sort, c)),
        tickets: page.tickets,
        q: text,
        status,
        priority,
        ticket_type,
        group: group.unwrap_or(0),
        tenant: tenant.unwrap_or(0),
        sort,
        sorts: SORTS.to_vec(),
        statuses: Status::ALL.iter().map(|s| s.as_str()).collect(),
        types: TicketType::ALL.iter().map(|t| t.as_str()).collect(),
        groups: all_groups.into_iter().filter(|g| g.group.active).map(|g| (g.group.id, g.group.name)).collect(),
        tenant_codes: all_tenants.iter().map(|t| (t.id, t.code.clone())).collect(),
        tenants: all_tenants.into_iter().filter(|t| t.kind == "client").map(|t| (t.id, t.name)).collect(),
        base_query: base.join("&"),
        now: jiff::Timestamp::now(),
        first_page,
    };
    render(&v, StatusCode::OK, p)
}

// ---------------------------------------------------------------------------------------------
// The ticket page
// ---------------------------------------------------------------------------------------------

pub struct LinkView {
    pub id: i64,
    pub kind: String,
    pub number: String,
}

#[derive(Template)]
#[template(path = "console_ticket.html")]
struct TicketPage {
    ui: Ui,
    t: Ticket,
    category: String,
    location: String,
    /// Whether the viewer may reclassify it (staff who work tickets, while it is not final).
    can_edit: bool,
    /// The category tree and the organisation's locations, for reclassifying.
    categories: Vec<CategoryGroup>,
    places: Vec<(i64, String)>,
    events: Vec<EventView>,
    files: Vec<FileView>,
    links: Vec<LinkView>,
    rating: Option<ratings::Rating>,
    actions: Vec<&'static str>,
    assignable: Vec<AssignableGroup>,
    /// Groups above the current tier, for escalation.
    higher: Vec<AssignableGroup>,
    codes: Vec<&'static str>,
    reasons: Vec<&'static str>,
    can_comment: bool,
    error: Option<String>,
    /// SLA clocks with their figures now.
    clocks: Vec<super::sla::ClockLine>,
    public_only: bool,
    /// The CIs the ticket is about: id, name, class in the viewer's language.
    cis: Vec<(i64, String, String)>,
    /// The business services that stand on those CIs (the CMDB's impact analysis).
    services: Vec<(i64, String)>,
}

impl TicketPage {
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }

    fn in_category(&self, id: impl Borrow<i64>) -> bool {
        self.t.category_id == Some(*id.borrow())
    }

    /// The ticket's category when the form's choices (active ones, two levels) lack it, so
    /// saving other fields keeps it rather than clearing it.
    fn unlisted_category(&self) -> Option<i64> {
        let id = self.t.category_id?;
        let listed = self.categories.iter().any(|g| g.id == id || g.children.iter().any(|(c, _)| *c == id));
        (!listed).then_some(id)
    }

    fn at_location(&self, id: impl Borrow<i64>) -> bool {
        self.t.location_id == Some(*id.borrow())
    }

    fn stars(&self, score: impl Borrow<i64>) -> String {
        let score = *score.borrow();
        (1..=5).map(|i| if i <= score { '★' } else { '☆' }).collect()
    }
}

fn link_views(t: &Ticket, links: Vec<Link>) -> Vec<LinkView> {
    links
        .into_iter()
        .map(|l| {
            let outgoing = l.from_ticket_id == t.id;
            let kind = match (l.kind.as_str(), outgoing) {
                ("parent", true) => "parent_of",
                ("parent", false) => "child_of",
                ("duplicate_of", true) => "duplicate_of",
                ("duplicate_of", false) => "duplicated_by",
                _ => "related",
            };
            LinkView { id: l.id, kind: kind.into(), number: if outgoing { l.to_number } else { l.from_number } }
        })
        .collect()
}

async fn ticket_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    r: &str,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let r = TicketRef::parse(r);
    let loaded = async {
        let mut tx = s.store.read().await?;
        let t = tickets::get(&mut tx, actor, &r).await?;
        let events = tickets::timeline_of(&mut tx, actor, &t).await?;
        let files = tickets::attachments_of(&mut tx, actor, &t).await?;
        let links = tickets::links_of(&mut tx, &t).await?;
        let rating = ratings::for_ticket_of(&mut tx, &t).await?;
        let cats = categories::list(&mut tx).await?;
        // The organisation's locations: the ticket's, and those it may be moved to.
        let places = locations::list(&mut tx, actor, Some(t.tenant_id)).await?;
        let assignable = directory::assignable(&mut tx, actor, t.tenant_id).await?;
        // Names of everyone the timeline mentions.
        let mut names = Names::default();
        for g in groups::list(&mut tx, actor).await? {
            names.groups.insert(g.group.id, g.group.name);
        }
        for e in &events {
            if let Some(u) = e.data.get("assignee_id").and_then(serde_json::Value::as_i64)
                && !names.users.contains_key(&u)
                && let Ok(view) = users::get(&mut tx, actor, u).await
            {
                names.users.insert(u, view.user.name);
            }
        }
        let clocks = super::sla::clock_lines(&mut tx, v, actor, &t).await;
        let cis = affected(&mut tx, &s.store, v, actor, &t).await?;
        Ok::<_, StoreError>((t, events, files, links, rating, cats, places, assignable, names, clocks, cis))
    };
    let (t, events, files, links, rating, cats, places, assignable, names, clocks, (cis, services)) = match loaded.await
    {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let tier = t.group_id.and_then(|g| assignable.iter().find(|a| a.id == g)).map(|g| g.tier).unwrap_or(1);
    let mine: Vec<i64> =
        assignable.iter().filter(|g| g.members.iter().any(|(id, _)| *id == actor.user_id)).map(|g| g.id).collect();
    let page = TicketPage {
        ui: Ui::new(v, "queues"),
        category: shared::category_path(v.locale, &cats, t.category_id),
        location: t
            .location_id
            .and_then(|id| places.iter().find(|l| l.id == id))
            .map(|l| l.label())
            .unwrap_or_default(),
        can_edit: actor.may(permissions::WORK_TICKETS) && !t.status.is_final(),
        categories: shared::category_tree(v.locale, &cats),
        places: places.iter().filter(|l| l.active || Some(l.id) == t.location_id).map(|l| (l.id, l.label())).collect(),
        events: events.iter().map(|e| shared::event_view(v.locale, e, &names)).collect(),
        files: file_views(files),
        links: link_views(&t, links),
        rating,
        // Claiming and arriving are offered to members of the holding group; arrival on site
        // where the SLA has an on-site target.
        actions: t
            .actions_for(actor)
            .into_iter()
            .filter(|k| !matches!(k, ActionKind::Claim | ActionKind::Arrive) || ticket::may_work_in(t.group_id, &mine))
            .filter(|k| {
                *k != ActionKind::Arrive || (t.arrived_at.is_none() && clocks.iter().any(|c| c.kind == "on_site"))
            })
            .map(ActionKind::as_str)
            .collect(),
        higher: assignable.iter().filter(|g| g.tier > tier).cloned().collect(),
        assignable,
        codes: ResolutionCode::ALL.iter().map(|c| c.as_str()).collect(),
        reasons: PendingReason::ALL.iter().map(|r| r.as_str()).collect(),
        can_comment: !t.status.is_final(),
        error,
        clocks,
        public_only: false,
        cis,
        services,
        t,
    };
    render(v, status, page)
}

type Affected = (Vec<(i64, String, String)>, Vec<(i64, String)>);

/// The CIs a ticket names and the business services that depend on them: those found on a
/// lookup connection, as impact analysis is (a ticket on a core switch walks thousands of CIs).
async fn affected(
    tx: &mut yunwei_db::Tx,
    store: &yunwei_db::Store,
    v: &Viewer,
    actor: &Actor,
    t: &Ticket,
) -> Result<Affected, StoreError> {
    use yunwei_cmdb::store::{classes, impact};
    let cis = tickets::affected_cis(tx, actor, t).await?;
    if cis.is_empty() {
        return Ok((vec![], vec![]));
    }
    let names: std::collections::HashMap<String, String> =
        classes::list(tx).await?.into_iter().map(|c| (c.code.clone(), c.name(v.locale.as_str()).to_string())).collect();
    let ids: Vec<i64> = cis.iter().map(|c| c.id).collect();
    let services = impact::services_of(&mut store.lookup().await?, actor, &ids).await?;
    let class = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
    let cis = cis.into_iter().map(|c| (c.id, c.name, class(&c.class_code))).collect();
    Ok((cis, services))
}

/// The CI an agent names for a ticket of `tenant_id`: by id, or by a name or unique value
/// (serial number, hostname) of one CI of that organisation, else of the provider's shared
/// ones; anything else (none, or two alike) is refused on `affected_cis`.
async fn ci_named(tx: &mut yunwei_db::Tx, actor: &Actor, tenant_id: i64, text: &str) -> Result<i64, StoreError> {
    use yunwei_cmdb::store::cis;
    if let Ok(id) = text.parse::<i64>() {
        return Ok(id);
    }
    for tenant in [Some(tenant_id), None] {
        let f = cis::CiFilter { q: Some(text.to_string()), tenant_id: tenant, limit: Some(2), ..Default::default() };
        let found: Vec<i64> = cis::list(tx, actor, &f).await?.into_iter().map(|c| c.id).collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Ok(*one),
            _ => break,
        }
    }
    Err(StoreError::invalid("affected_cis", "no_such_ci").with("id", text))
}

/// Changes the CIs a ticket names: those left ticked, and one more by id, name or a unique
/// value such as a serial number or hostname.
/// Reclassifies a ticket: title, description, category, location, impact and urgency (the
/// priority follows the matrix), with the reason shown in the timeline.
pub async fn edit(State(s): State<AppState>, Path(r): Path<String>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let tr = TicketRef::parse(&r);
    let patch = tickets::TicketPatch {
        title: Some(form.get("title").to_string()),
        description: Some(form.get("description").to_string()),
        category_id: Some(form.int("category_id").filter(|c| *c > 0)),
        location_id: Some(form.int("location_id").filter(|l| *l > 0)),
        impact: form.int("impact"),
        urgency: form.int("urgency"),
        affected_cis: None,
        reason: Some(form.get("reason").to_string()),
    };
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::update(&mut tx, &actor, &tr, form.int("version").unwrap_or(0), patch).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.reclassified").await
}

pub async fn set_cis(State(s): State<AppState>, Path(r): Path<String>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        let mut ids = yunwei_web::ui::forms::ticked(&form, "ci");
        let add = form.get("add").trim();
        if !add.is_empty() {
            ids.push(ci_named(&mut tx, &actor, t.tenant_id, add).await?);
        }
        let patch = tickets::TicketPatch { affected_cis: Some(ids), ..Default::default() };
        tickets::update(&mut tx, &actor, &tr, form.int("version").unwrap_or(0), patch).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.cis_saved").await
}

pub async fn ticket(State(s): State<AppState>, Staff(v, actor): Staff, Path(r): Path<String>) -> Response {
    ticket_page(&s, &v, &actor, &r, StatusCode::OK, None).await
}

async fn after(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    r: &str,
    result: Result<String, Refusal>,
    flash: &'static str,
) -> Response {
    match result {
        Ok(number) => view::redirect_with(v, &format!("/console/tickets/{number}"), flash),
        Err(Refusal::Store(e)) => match view::explain(v, e) {
            Ok((status, msg)) => ticket_page(s, v, actor, r, status, Some(msg)).await,
            Err(page) => page,
        },
        Err(Refusal::Form(status, msg)) => ticket_page(s, v, actor, r, status, Some(msg)).await,
    }
}

/// Why a console form was refused.
enum Refusal {
    Store(StoreError),
    Form(StatusCode, String),
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::Store(e)
    }
}

fn file_too_large(v: &Viewer, form: &FormData) -> Option<Refusal> {
    v.file_too_large(form).map(|msg| Refusal::Form(StatusCode::PAYLOAD_TOO_LARGE, msg))
}

/// A public reply or an internal note, with an optional file.
pub async fn comment(State(s): State<AppState>, Path(r): Path<String>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let public = form.get("visibility") != "internal";
    let tr = TicketRef::parse(&r);
    let done = async {
        if let Some(refusal) = file_too_large(&v, &form) {
            return Err(refusal);
        }
        let mut tx = s.store.write().await?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        let body = form.get("body");
        if body.trim().is_empty() && form.file.is_none() {
            return Err(StoreError::invalid("body", "required").into());
        }
        if !body.trim().is_empty() {
            tickets::comment(&mut tx, &actor, &tr, body, public).await?;
        }
        attach_file(&mut tx, &actor, &tr, &form, public).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, if public { "flash.replied" } else { "flash.noted" }).await
}

/// `g:3` is group 3, `g:3:u:7` person 7 in group 3; `auto` (escalation) the next tier's group.
fn parse_assign(value: &str) -> (Option<i64>, Option<i64>) {
    let parts: Vec<&str> = value.split(':').collect();
    match parts.as_slice() {
        ["g", g] => (g.parse().ok(), None),
        ["g", g, "u", u] => (g.parse().ok(), u.parse().ok()),
        _ => (None, None),
    }
}

/// One lifecycle action, from the form the ticket page offers for it.
pub async fn act(
    State(s): State<AppState>,
    Path((r, action)): Path<(String, String)>,
    p: Posted<StaffOnly>,
) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let (group_id, assignee_id) = parse_assign(form.get("assign"));
    let text = |name: &str| form.fields.get(name).map(|t| t.to_string());
    let body = match action.as_str() {
        "dispatch" | "transfer" | "escalate" => ActionBody {
            version: 0,
            group_id,
            assignee_id,
            reason: if action == "dispatch" { None } else { Some(form.get("reason").to_string()) },
            note: None,
            code: None,
            notes: None,
            into: None,
        },
        "suspend" => ActionBody {
            version: 0,
            group_id: None,
            assignee_id: None,
            reason: text("reason"),
            note: text("note"),
            code: None,
            notes: None,
            into: None,
        },
        "resolve" => ActionBody {
            version: 0,
            group_id: None,
            assignee_id: None,
            reason: None,
            note: None,
            code: text("code"),
            notes: text("notes"),
            into: None,
        },
        "merge" => ActionBody {
            version: 0,
            group_id: None,
            assignee_id: None,
            reason: None,
            note: None,
            code: None,
            notes: None,
            into: text("into"),
        },
        "return" | "reopen" | "cancel" => ActionBody {
            version: 0,
            group_id: None,
            assignee_id: None,
            reason: Some(form.get("reason").to_string()),
            note: None,
            code: None,
            notes: None,
            into: None,
        },
        "claim" | "arrive" | "resume" | "close" => ActionBody {
            version: 0,
            group_id: None,
            assignee_id: None,
            reason: None,
            note: None,
            code: None,
            notes: None,
            into: None,
        },
        _ => return view::not_found(&v),
    };
    let req: ActionRequest = match action_request(&action, body) {
        Ok(req) => req,
        Err(e) => {
            return match view::explain_api(&v, e) {
                Ok((status, msg)) => ticket_page(&s, &v, &actor, &r, status, Some(msg)).await,
                Err(page) => page,
            };
        }
    };
    let version = form.int("version").unwrap_or(0);
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::act(&mut tx, &actor, &tr, version, req).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.done").await
}

pub async fn link(State(s): State<AppState>, Path(r): Path<String>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        tickets::link(&mut tx, &actor, &tr, form.get("kind"), form.get("ticket")).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.linked").await
}

pub async fn download(
    State(s): State<AppState>,
    Staff(v, actor): Staff,
    Path((r, id)): Path<(String, i64)>,
) -> Response {
    super::portal::send_attachment(&s, &v, &actor, &r, id).await
}

// ---------------------------------------------------------------------------------------------
// Logging a call
// ---------------------------------------------------------------------------------------------

pub struct PersonOption {
    pub id: i64,
    pub label: String,
}

pub struct TenantOptions {
    pub name: String,
    pub people: Vec<PersonOption>,
    pub locations: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "console_new.html")]
struct NewPage {
    ui: Ui,
    tenants: Vec<TenantOptions>,
    categories: Vec<CategoryGroup>,
    channels: Vec<&'static str>,
    /// Whether the agent belongs to a support group, without which they cannot claim.
    can_claim: bool,
    error: Option<String>,
    form: FormData,
}

impl NewPage {
    fn val(&self, name: &str) -> &str {
        self.form.get(name)
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.form.get(name) == value
    }

    fn is_id(&self, name: &str, id: impl Borrow<i64>) -> bool {
        self.form.int(name) == Some(*id.borrow())
    }
}

async fn new_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    error: Option<String>,
    form: FormData,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let ts = tenants::list(&mut tx, actor).await?;
        let people = users::list(
            &mut tx,
            actor,
            &users::UserFilter { role: Some("end_user".into()), active: Some(true), ..Default::default() },
        )
        .await?;
        let locs = locations::list(&mut tx, actor, None).await?;
        let cats = categories::list(&mut tx).await?;
        let in_a_group = yunwei_org::groups::list(&mut tx, actor)
            .await?
            .iter()
            .any(|g| g.group.active && g.members.contains(&actor.user_id));
        Ok::<_, StoreError>((ts, people, locs, cats, in_a_group))
    };
    let (ts, people, locs, cats, can_claim) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let tenants = ts
        .iter()
        .filter(|t| t.kind == "client" && t.active)
        .map(|t| TenantOptions {
            name: t.name.clone(),
            people: people
                .iter()
                .filter(|u| u.tenant_id == t.id)
                .map(|u| PersonOption {
                    id: u.id,
                    label: match (&u.phone, &u.email) {
                        (Some(p), _) => format!("{} · {p}", u.name),
                        (None, Some(e)) => format!("{} · {e}", u.name),
                        _ => u.name.clone(),
                    },
                })
                .collect(),
            locations: locs.iter().filter(|l| l.tenant_id == t.id && l.active).map(|l| (l.id, l.label())).collect(),
        })
        .collect();
    let page = NewPage {
        ui: Ui::new(v, "log"),
        tenants,
        categories: shared::category_tree(v.locale, &cats),
        channels: [Channel::Phone, Channel::WalkIn, Channel::Email].iter().map(|c| c.as_str()).collect(),
        can_claim,
        error,
        form,
    };
    render(v, status, page)
}

pub async fn new_form(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    let mut form = FormData::default();
    form.fields.insert("channel".into(), "phone".into());
    form.fields.insert("impact".into(), "3".into());
    form.fields.insert("urgency".into(), "3".into());
    new_page(&s, &v, &actor, StatusCode::OK, None, form).await
}

pub async fn create(State(s): State<AppState>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if !actor.may(permissions::CREATE_FOR_OTHERS) {
        return view::not_found(&v);
    }
    let mut new = NewTicket {
        ticket_type: if form.get("type") == "request" { "request".into() } else { "incident".into() },
        title: form.get("title").to_string(),
        description: Some(form.get("description").to_string()),
        category_id: form.int("category_id").filter(|c| *c > 0),
        channel: form.opt("channel").unwrap_or("phone").to_string(),
        requester_id: Some(form.int("requester_id").unwrap_or(0)),
        location_id: form.int("location_id").filter(|l| *l > 0),
        impact: form.int("impact"),
        urgency: form.int("urgency"),
        ..Default::default()
    };
    let claim = form.get("claim") == "on";
    let done = async {
        if let Some(refusal) = file_too_large(&v, &form) {
            return Err(refusal);
        }
        let mut tx = s.store.write().await?;
        // The CI the call is about, among the caller's organisation's (the ticket page then
        // shows the business services it serves).
        let ci = form.get("ci").trim();
        if !ci.is_empty()
            && let Some(requester) = new.requester_id.filter(|r| *r > 0)
        {
            let tenant = yunwei_org::users::get(&mut tx, &actor, requester).await?.user.tenant_id;
            new.affected_cis = vec![ci_named(&mut tx, &actor, tenant, ci).await?];
        }
        let mut t = tickets::create(&mut tx, &actor, new).await?;
        attach_file(&mut tx, &actor, &TicketRef::Id(t.id), &form, true).await?;
        if claim {
            t = tickets::act(&mut tx, &actor, &TicketRef::Id(t.id), t.version, ActionRequest::Claim).await?;
        }
        tx.commit().await?;
        Ok::<_, Refusal>(t.number)
    };
    match done.await {
        Ok(number) => view::redirect_with(&v, &format!("/console/tickets/{number}"), "flash.logged"),
        Err(Refusal::Store(e)) => match view::explain(&v, e) {
            Ok((status, msg)) => new_page(&s, &v, &actor, status, Some(msg), form).await,
            Err(page) => page,
        },
        Err(Refusal::Form(status, msg)) => new_page(&s, &v, &actor, status, Some(msg), form).await,
    }
}
