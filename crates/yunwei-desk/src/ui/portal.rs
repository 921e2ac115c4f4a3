//! The self-service portal: report a fault or ask for something, follow one's own tickets,
//! reply, confirm or reopen a resolution, and rate the service.

use std::borrow::Borrow;

use crate::rules::rating::rateable;
use crate::rules::ticket::{ActionKind, Status};
use crate::store::categories;
use crate::store::ratings;
use crate::store::tickets::{self, ActionRequest, Attachment, NewTicket, SortKey, Ticket, TicketFilter, TicketRef};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yunwei_db::{StoreError, Tx};
use yunwei_org::locations;

use super::shared::{self, CategoryGroup, EventView, Names};
use yunwei_kernel::permission::Actor;
use yunwei_web::AppState;
use yunwei_web::ui::forms;
use yunwei_web::ui::session::{Ctx, FormData, Posted, SignedIn, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

#[derive(Template)]
#[template(path = "portal_list.html")]
struct ListPage {
    ui: Ui,
    /// Resolved tickets waiting for the viewer to confirm or reopen: first on the page.
    awaiting: Vec<Ticket>,
    tickets: Vec<Ticket>,
    show: String,
    next: Option<String>,
    first_page: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    show: Option<String>,
    after: Option<String>,
}

const PORTAL_SORT: &str = "-updated_at";

/// The viewer's own tickets, most recently changed first; open ones unless asked for all.
pub async fn my_tickets(State(s): State<AppState>, Ctx(v, actor): Ctx, Query(q): Query<ListQuery>) -> Response {
    let show = if q.show.as_deref() == Some("all") { "all" } else { "open" };
    let f = TicketFilter {
        requester_id: Some(actor.user_id),
        open_only: show == "open",
        sort: SortKey::UpdatedAt,
        desc: true,
        limit: 25,
        after: q.after.as_deref().and_then(|a| shared::decode_cursor(PORTAL_SORT, a)),
        ..Default::default()
    };
    // What waits for the requester comes first: resolutions to confirm (or reopen), which
    // the list of work in progress does not hold.
    let waiting = TicketFilter {
        requester_id: Some(actor.user_id),
        statuses: vec![Status::Resolved],
        sort: SortKey::UpdatedAt,
        desc: true,
        limit: 50,
        ..Default::default()
    };
    let page = async {
        let mut tx = s.store.read().await?;
        let awaiting = if f.after.is_none() { tickets::list(&mut tx, &actor, &waiting).await?.tickets } else { vec![] };
        Ok::<_, StoreError>((awaiting, tickets::list(&mut tx, &actor, &f).await?))
    };
    match page.await {
        Ok((awaiting, page)) => {
            let next = page.next.map(|c| shared::encode_cursor(PORTAL_SORT, c));
            let p = ListPage {
                ui: Ui::new(&v, "portal"),
                awaiting,
                tickets: page.tickets,
                show: show.into(),
                next,
                first_page: f.after.is_none(),
            };
            render(&v, StatusCode::OK, p)
        }
        Err(e) => view::fail(&v, e),
    }
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewPage {
    ui: Ui,
    categories: Vec<CategoryGroup>,
    locations: Vec<(i64, String)>,
    error: Option<String>,
    kind: String,
    title: String,
    description: String,
    category_id: i64,
    location_id: i64,
    /// The viewer's own devices (CIs assigned to them): id, name, ticked.
    devices: Vec<(i64, String, bool)>,
}

async fn new_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    error: Option<String>,
    form: &FormData,
    preselect: Option<i64>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let cats = categories::list(&mut tx).await?;
        let locs = locations::list(&mut tx, actor, Some(actor.tenant_id)).await?;
        let mine = yunwei_cmdb::store::cis::CiFilter { user_id: Some(actor.user_id), ..Default::default() };
        let devices = yunwei_cmdb::store::cis::list(&mut tx, actor, &mine).await?;
        Ok::<_, yunwei_db::StoreError>((cats, locs, devices))
    };
    // Only the viewer's own devices are listed, so a preselected id that is not one of them
    // ticks nothing.
    let mut ticked = forms::ticked(form, "ci");
    ticked.extend(preselect);
    match loaded.await {
        Ok((cats, locs, devices)) => {
            let page = NewPage {
                ui: Ui::new(v, "report"),
                categories: shared::category_tree(v.locale, &cats),
                locations: locs.iter().filter(|l| l.active).map(|l| (l.id, l.label())).collect(),
                error,
                kind: if form.get("type") == "request" { "request".into() } else { "incident".into() },
                title: form.get("title").to_string(),
                description: form.get("description").to_string(),
                category_id: form.int("category_id").unwrap_or(0),
                location_id: form.int("location_id").unwrap_or(0),
                devices: devices.into_iter().map(|c| (c.id, c.name, ticked.contains(&c.id))).collect(),
            };
            render(v, status, page)
        }
        Err(e) => view::fail(v, e),
    }
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// A device to tick (from "My devices"); ignored unless it is one of the viewer's.
    ci: Option<String>,
}

pub async fn new_form(State(s): State<AppState>, Ctx(v, actor): Ctx, Query(q): Query<NewQuery>) -> Response {
    let preselect = q.ci.as_deref().and_then(|c| c.trim().parse().ok());
    new_page(&s, &v, &actor, StatusCode::OK, None, &FormData::default(), preselect).await
}

/// Attaches the form's file, if any, in the same transaction as what it belongs to.
pub async fn attach_file(
    tx: &mut Tx,
    actor: &yunwei_kernel::permission::Actor,
    t: &TicketRef,
    form: &FormData,
    public: bool,
) -> yunwei_db::Result<Option<Attachment>> {
    match &form.file {
        Some((name, bytes)) => Ok(Some(tickets::attach(tx, actor, t, name, bytes, public).await?)),
        None => Ok(None),
    }
}

pub async fn create(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Some(msg) = v.file_too_large(&form) {
        return new_page(&s, &v, &actor, StatusCode::PAYLOAD_TOO_LARGE, Some(msg), &form, None).await;
    }
    let new = NewTicket {
        ticket_type: if form.get("type") == "request" { "request".into() } else { "incident".into() },
        title: form.get("title").to_string(),
        description: Some(form.get("description").to_string()),
        category_id: form.int("category_id").filter(|c| *c > 0),
        channel: "web".into(),
        location_id: form.int("location_id").filter(|l| *l > 0),
        affected_cis: forms::ticked(&form, "ci"),
        ..Default::default()
    };
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::create(&mut tx, &actor, new).await?;
        attach_file(&mut tx, &actor, &TicketRef::Id(t.id), &form, true).await?;
        tx.commit().await?;
        Ok::<_, yunwei_db::StoreError>(t)
    };
    match done.await {
        Ok(t) => view::redirect_with(&v, &format!("/portal/tickets/{}", t.number), "flash.created"),
        Err(e) => match view::explain(&v, e) {
            Ok((status, msg)) => new_page(&s, &v, &actor, status, Some(msg), &form, None).await,
            Err(page) => page,
        },
    }
}

pub struct FileView {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub internal: bool,
}

pub fn file_views(files: Vec<Attachment>) -> Vec<FileView> {
    files
        .into_iter()
        .map(|a| FileView { id: a.id, size: shared::file_size(a.size), name: a.file_name, internal: !a.public })
        .collect()
}

#[derive(Template)]
#[template(path = "portal_ticket.html")]
struct TicketPage {
    ui: Ui,
    t: Ticket,
    category: String,
    location: String,
    events: Vec<EventView>,
    files: Vec<FileView>,
    rating: Option<ratings::Rating>,
    can_close: bool,
    can_reopen: bool,
    can_cancel: bool,
    can_reply: bool,
    can_rate: bool,
    error: Option<String>,
    /// SLA clocks, public figures only (target, due, status).
    clocks: Vec<super::sla::ClockLine>,
    public_only: bool,
}

impl TicketPage {
    fn stars(&self, score: impl Borrow<i64>) -> String {
        let score = *score.borrow();
        (1..=5).map(|i| if i <= score { '★' } else { '☆' }).collect()
    }
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
        let rating = ratings::for_ticket_of(&mut tx, &t).await?;
        let cats = categories::list(&mut tx).await?;
        let location = match t.location_id {
            Some(id) => locations::get(&mut tx, actor, id).await.ok().map(|l| l.label()),
            None => None,
        };
        let clocks = super::sla::clock_lines(&mut tx, v, actor, &t).await;
        Ok::<_, yunwei_db::StoreError>((t, events, files, rating, cats, location, clocks))
    };
    let (t, events, files, rating, cats, location, clocks) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    // The portal is the requester's view; staff looking at someone else's ticket work it in
    // the console.
    if t.requester_id != actor.user_id {
        return Redirect::to(&format!("/console/tickets/{}", t.number)).into_response();
    }
    let actions = t.actions_for(actor);
    let names = Names::default();
    let page = TicketPage {
        ui: Ui::new(v, "portal"),
        category: shared::category_path(v.locale, &cats, t.category_id),
        location: location.unwrap_or_default(),
        // The portal shows the public story only, whoever looks.
        events: events.iter().filter(|e| e.public).map(|e| shared::event_view(v.locale, e, &names)).collect(),
        files: file_views(files.into_iter().filter(|f| f.public).collect()),
        can_close: actions.contains(&ActionKind::Close),
        can_reopen: actions.contains(&ActionKind::Reopen),
        can_cancel: actions.contains(&ActionKind::Cancel),
        can_reply: !t.status.is_final(),
        can_rate: rating.is_none() && rateable(t.status),
        rating,
        error,
        clocks,
        public_only: true,
        t,
    };
    render(v, status, page)
}

pub async fn ticket(State(s): State<AppState>, Ctx(v, actor): Ctx, Path(r): Path<String>) -> Response {
    ticket_page(&s, &v, &actor, &r, StatusCode::OK, None).await
}

/// After a form on the ticket page: back to it with a message, or the page again with the
/// refusal beside the forms.
async fn after(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    r: &str,
    result: yunwei_db::Result<String>,
    flash: &'static str,
) -> Response {
    match result {
        Ok(number) => view::redirect_with(v, &format!("/portal/tickets/{number}"), flash),
        Err(e) => match view::explain(v, e) {
            Ok((status, msg)) => ticket_page(s, v, actor, r, status, Some(msg)).await,
            Err(page) => page,
        },
    }
}

pub async fn reply(State(s): State<AppState>, Path(r): Path<String>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Some(msg) = v.file_too_large(&form) {
        return ticket_page(&s, &v, &actor, &r, StatusCode::PAYLOAD_TOO_LARGE, Some(msg)).await;
    }
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        if t.requester_id != actor.user_id {
            return Err(yunwei_db::StoreError::NotFound("ticket"));
        }
        let body = form.get("body");
        if body.trim().is_empty() && form.file.is_none() {
            return Err(yunwei_db::StoreError::invalid("body", "required"));
        }
        if !body.trim().is_empty() {
            tickets::comment(&mut tx, &actor, &tr, body, true).await?;
        }
        attach_file(&mut tx, &actor, &tr, &form, true).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.replied").await
}

/// Confirm (close), reopen or cancel one's own ticket.
pub async fn act(
    State(s): State<AppState>,
    Path((r, action)): Path<(String, String)>,
    p: Posted<SignedIn>,
) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let reason = form.get("reason").to_string();
    let (req, flash) = match action.as_str() {
        "close" => (ActionRequest::Close, "flash.closed"),
        "reopen" => (ActionRequest::Reopen { reason }, "flash.reopened"),
        "cancel" => (ActionRequest::Cancel { reason }, "flash.cancelled"),
        _ => return view::not_found(&v),
    };
    let version = form.int("version").unwrap_or(0);
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        if t.requester_id != actor.user_id {
            return Err(yunwei_db::StoreError::NotFound("ticket"));
        }
        let t = tickets::act(&mut tx, &actor, &tr, version, req).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, flash).await
}

pub async fn rate(State(s): State<AppState>, Path(r): Path<String>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let tr = TicketRef::parse(&r);
    let done = async {
        let mut tx = s.store.write().await?;
        let score = form.int("score").ok_or_else(|| yunwei_db::StoreError::invalid("score", "required"))?;
        let t = tickets::get(&mut tx, &actor, &tr).await?;
        ratings::rate(&mut tx, &actor, &tr, score, form.get("comment")).await?;
        tx.commit().await?;
        Ok(t.number)
    };
    let result = done.await;
    after(&s, &v, &actor, &r, result, "flash.rated").await
}

/// Serves a file of a ticket the viewer may see, with the type derived from its name.
pub async fn download(State(s): State<AppState>, Ctx(v, actor): Ctx, Path((r, id)): Path<(String, i64)>) -> Response {
    send_attachment(&s, &v, &actor, &r, id).await
}

/// The one way the portal and the console serve a file: scoped by the viewer, typed by name.
pub(super) async fn send_attachment(
    s: &AppState,
    v: &yunwei_web::ui::session::Viewer,
    actor: &Actor,
    r: &str,
    id: i64,
) -> Response {
    let found = async {
        let mut tx = s.store.read().await?;
        tickets::attachment_content(&mut tx, actor, &TicketRef::parse(r), id).await
    };
    match found.await {
        Ok((a, bytes)) => yunwei_web::files::file_response(&a.file_name, bytes),
        Err(e) => view::fail(v, e),
    }
}
