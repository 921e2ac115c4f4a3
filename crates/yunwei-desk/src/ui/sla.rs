//! SLA in the web UI: clocks on the ticket pages, the "breaching soon" queue and the compliance
//! report for staff, and the administration of business calendars and SLA policies for
//! administrators. Every figure comes from the store (`crate::store::sla`), as in the API.

use std::collections::{BTreeMap, HashMap};
use yunwei_db::Time;

use crate::rules::sla::Targets;
use crate::rules::ticket::{PendingReason, TicketType};
use crate::store::categories;
use crate::store::sla::{self, CalendarRow, CalendarSpec, ClockReport, ComplianceFilter, PolicyInput, PolicyRow};
use crate::store::tickets::{self, Ticket, TicketRef};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::SignedDuration;
use serde::Deserialize;
use yunwei_db::StoreError;
use yunwei_db::Tx;
use yunwei_kernel::DomainError;
use yunwei_org::groups;
use yunwei_org::tenants;

use super::shared;
use yunwei_kernel::permission::Actor;
use yunwei_web::AppState;
use yunwei_web::ui::i18n::{self, Locale};
use yunwei_web::ui::session::{Admin, AdminOnly, FormData, Posted, Staff, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const KINDS: [&str; 4] = ["response", "resolution", "on_site", "ola"];
const GROUP_BY: [&str; 5] = ["none", "tenant", "priority", "group", "policy"];
const HORIZONS: [i64; 6] = [1, 2, 4, 8, 24, 72];

// ---------------------------------------------------------------------------------------------
// Figures in words
// ---------------------------------------------------------------------------------------------

/// A duration in human units, e.g. `2 h 15 min` / `2小时15分`; whole minutes, never negative.
pub fn duration(locale: Locale, secs: i64) -> String {
    let mins = secs.max(0) / 60;
    let (h, m) = ((mins / 60).to_string(), (mins % 60).to_string());
    match (mins / 60, mins % 60) {
        (0, _) => i18n::tf(locale, "sla.unit.m", &[("m", &m)]),
        (_, 0) => i18n::tf(locale, "sla.unit.h", &[("h", &h)]),
        _ => i18n::tf(locale, "sla.unit.hm", &[("h", &h), ("m", &m)]),
    }
}

fn f_duration(locale: Locale, secs: Option<f64>) -> String {
    secs.map(|s| duration(locale, s.round() as i64)).unwrap_or_else(|| "—".into())
}

/// One clock as the ticket pages show it.
pub struct ClockLine {
    pub kind: String,
    pub policy: String,
    pub calendar: String,
    pub status: String,
    pub target: String,
    pub elapsed: String,
    pub remaining: String,
    /// Over target: `remaining` is how long ago the target passed.
    pub overdue: bool,
    pub due: Option<Time>,
    pub fired: String,
    /// The group an OLA clock times.
    pub group: Option<String>,
    /// (event, instant, the target then or before a retarget) oldest first.
    pub history: Vec<(String, Time, String)>,
}

fn clock_line(locale: Locale, c: &ClockReport) -> ClockLine {
    ClockLine {
        kind: c.kind.clone(),
        policy: c.policy_name.clone(),
        calendar: c.calendar_name.clone(),
        status: c.status.clone(),
        target: duration(locale, c.target_secs),
        elapsed: duration(locale, c.elapsed_secs),
        remaining: duration(locale, c.remaining_secs.abs()),
        overdue: c.status == "breached",
        due: c.due_at,
        fired: c.fired.iter().map(|p| format!("{p} %")).collect::<Vec<_>>().join(", "),
        group: c.group_name.clone(),
        history: c
            .history
            .iter()
            .map(|e| {
                let target = match e.previous_target_secs {
                    Some(p) => format!("{} → {}", duration(locale, p), duration(locale, e.target_secs)),
                    None => duration(locale, e.target_secs),
                };
                (e.event.clone(), e.at, target)
            })
            .collect(),
    }
}

/// A ticket's clocks for its page; a ticket without clocks (or a failure to measure them) shows
/// none rather than breaking the page.
pub async fn clock_lines(tx: &mut Tx, v: &Viewer, actor: &Actor, t: &Ticket) -> Vec<ClockLine> {
    match sla::clocks_of(tx, actor, t).await {
        Ok(list) => list.iter().map(|c| clock_line(v.locale, c)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "SLA clocks could not be measured for a ticket page");
            Vec::new()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Breaching soon
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct SoonQuery {
    hours: Option<String>,
}

pub struct SoonRow {
    pub number: String,
    pub title: String,
    pub priority: i64,
    pub status: String,
    pub kind: String,
    pub due: Time,
}

#[derive(Template)]
#[template(path = "sla_soon.html")]
struct SoonPage {
    ui: Ui,
    hours: i64,
    horizons: Vec<(i64, String)>,
    rows: Vec<SoonRow>,
}

fn parse_hours(text: Option<&str>, default: i64) -> i64 {
    text.and_then(|h| h.trim().parse::<i64>().ok()).filter(|h| (1..=24 * 31).contains(h)).unwrap_or(default)
}

pub async fn soon(State(s): State<AppState>, Staff(v, actor): Staff, Query(q): Query<SoonQuery>) -> Response {
    let hours = parse_hours(q.hours.as_deref(), 4);
    let loaded = async {
        let mut tx = s.store.read().await?;
        let mut rows = Vec::new();
        for (ticket_id, kind, due) in sla::breaching_soon(&mut tx, &actor, hours * 3600, 200).await? {
            let t = tickets::get(&mut tx, &actor, &TicketRef::Id(ticket_id)).await?;
            rows.push(SoonRow {
                number: t.number,
                title: t.title,
                priority: t.priority,
                status: t.status.to_string(),
                kind,
                due,
            });
        }
        Ok::<_, StoreError>(rows)
    };
    let rows = match loaded.await {
        Ok(r) => r,
        Err(e) => return view::fail(&v, e),
    };
    let mut horizons = HORIZONS.to_vec();
    if !horizons.contains(&hours) {
        horizons.push(hours);
        horizons.sort_unstable();
    }
    let horizons =
        horizons.into_iter().map(|h| (h, i18n::tf(v.locale, "sla.hours_n", &[("n", &h.to_string())]))).collect();
    render(&v, StatusCode::OK, SoonPage { ui: Ui::new(&v, "sla_soon"), hours, horizons, rows })
}

// ---------------------------------------------------------------------------------------------
// Compliance report
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    group_by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    horizon: Option<String>,
}

pub struct ReportLine {
    pub key: String,
    pub label: String,
    pub total: i64,
    pub met: i64,
    pub breached: i64,
    pub open: i64,
    pub compliance: String,
    pub mean_business: String,
    pub mean_wall: String,
    pub soon: i64,
}

pub struct ReportTable {
    pub kind: String,
    pub lines: Vec<ReportLine>,
}

#[derive(Template)]
#[template(path = "sla_report.html")]
struct ReportPage {
    ui: Ui,
    group_by: String,
    group_bys: Vec<&'static str>,
    from: String,
    to: String,
    horizon: i64,
    soon_heading: String,
    tables: Vec<ReportTable>,
    error: Option<String>,
}

/// Midnight at the start of a date in the viewer's zone, in microseconds.
fn day_start(v: &Viewer, text: &str) -> Option<i64> {
    let d: jiff::civil::Date = text.trim().parse().ok()?;
    Some(d.to_zoned(v.tz.clone()).ok()?.timestamp().as_microsecond())
}

fn percent(met: i64, breached: i64) -> String {
    let decided = met + breached;
    if decided == 0 { "—".into() } else { format!("{:.1} %", met as f64 * 100.0 / decided as f64) }
}

pub async fn report(State(s): State<AppState>, Staff(v, actor): Staff, Query(q): Query<ReportQuery>) -> Response {
    let group_by = q.group_by.clone().filter(|g| GROUP_BY.contains(&g.as_str())).unwrap_or_else(|| "none".into());
    let from = q.from.clone().unwrap_or_default().trim().to_string();
    let to = q.to.clone().unwrap_or_default().trim().to_string();
    let horizon = parse_hours(q.horizon.as_deref(), 4);
    let mut error = None;
    let from_at = if from.is_empty() { None } else { day_start(&v, &from) };
    // `to` is inclusive: tickets created up to the end of that day.
    let to_at = if to.is_empty() {
        None
    } else {
        to.parse::<jiff::civil::Date>().ok().and_then(|d| d.tomorrow().ok()).and_then(|d| day_start(&v, &d.to_string()))
    };
    if (!from.is_empty() && from_at.is_none()) || (!to.is_empty() && to_at.is_none()) {
        error = Some(i18n::t(v.locale, "sla.err.dates").to_string());
    }
    let f = ComplianceFilter {
        from: from_at,
        to: to_at,
        group_by: group_by.clone(),
        within_secs: horizon * 3600,
        ..Default::default()
    };
    let loaded = async {
        let mut tx = s.store.read().await?;
        let rows = sla::compliance(&mut tx, &actor, &f).await?;
        let mut names: HashMap<i64, String> = HashMap::new();
        match group_by.as_str() {
            "tenant" => names.extend(tenants::list(&mut tx, &actor).await?.into_iter().map(|t| (t.id, t.name))),
            "group" => {
                names.extend(groups::list(&mut tx, &actor).await?.into_iter().map(|g| (g.group.id, g.group.name)))
            }
            "policy" => names.extend(sla::list_policies(&mut tx, &actor).await?.into_iter().map(|p| (p.id, p.name))),
            _ => {}
        }
        Ok::<_, StoreError>((rows, names))
    };
    let (rows, names) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let mut ui = Ui::new(&v, "sla_report");
    let mut tables: Vec<ReportTable> = Vec::new();
    for kind in KINDS {
        let lines: Vec<ReportLine> = rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                let label = match (group_by.as_str(), r.key) {
                    ("none", _) => ui.t("sla.report.all").to_string(),
                    (_, None) => ui.t("common.none").to_string(),
                    ("priority", Some(p)) => ui.priority(p).to_string(),
                    (_, Some(k)) => names.get(&k).cloned().unwrap_or_else(|| format!("#{k}")),
                };
                ReportLine {
                    key: r.key.map(|k| k.to_string()).unwrap_or_else(|| "all".into()),
                    label,
                    total: r.total,
                    met: r.met,
                    breached: r.breached,
                    open: r.open,
                    compliance: percent(r.met, r.breached),
                    mean_business: f_duration(v.locale, r.mean_business_secs),
                    mean_wall: f_duration(v.locale, r.mean_wall_secs),
                    soon: r.breaching_soon,
                }
            })
            .collect();
        if !lines.is_empty() || kind != "on_site" {
            tables.push(ReportTable { kind: kind.to_string(), lines });
        }
    }
    ui.search = String::new();
    let page = ReportPage {
        ui,
        group_by,
        group_bys: GROUP_BY.to_vec(),
        from,
        to,
        horizon,
        soon_heading: i18n::tf(v.locale, "sla.report.soon", &[("n", &horizon.to_string())]),
        tables,
        error,
    };
    render(&v, StatusCode::OK, page)
}

// ---------------------------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sla_admin.html")]
struct AdminPage {
    ui: Ui,
    calendars: Vec<CalendarRow>,
    policies: Vec<PolicyRow>,
    calendar_names: HashMap<i64, String>,
    tenant_names: HashMap<i64, String>,
}

impl AdminPage {
    fn calendar_name(&self, id: &i64) -> &str {
        self.calendar_names.get(id).map(String::as_str).unwrap_or("")
    }

    fn tenant_name(&self, id: &Option<i64>) -> String {
        match id {
            Some(t) => self.tenant_names.get(t).cloned().unwrap_or_default(),
            None => self.ui.t("sla.policy.all_tenants").to_string(),
        }
    }
}

pub async fn admin(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let calendars = sla::list_calendars(&mut tx, &actor).await?;
        let policies = sla::list_policies(&mut tx, &actor).await?;
        let tenants = tenants::list(&mut tx, &actor).await?;
        Ok::<_, StoreError>((calendars, policies, tenants))
    };
    let (calendars, policies, tenants) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let page = AdminPage {
        ui: Ui::new(&v, "sla_admin"),
        calendar_names: calendars.iter().map(|c| (c.id, c.name.clone())).collect(),
        tenant_names: tenants.into_iter().map(|t| (t.id, t.name)).collect(),
        calendars,
        policies,
    };
    render(&v, StatusCode::OK, page)
}

/// Which form field a store error is about, and its words in the viewer's language.
struct FieldError {
    field: String,
    message: String,
}

fn form_field(store_field: &str) -> String {
    let base = store_field.split('[').next().unwrap_or(store_field);
    if let Some(day) = base.strip_prefix("hours.") {
        return format!("hours_{day}");
    }
    if let Some(rest) = store_field.strip_prefix("targets.") {
        // `targets.response[0]` → `response_1`
        let (kind, i) = rest.split_once('[').unwrap_or((rest, "0]"));
        let i: usize = i.trim_end_matches(']').parse().unwrap_or(0);
        return format!("{kind}_{}", i + 1);
    }
    base.to_string()
}

// A response is made once per request; boxing it would buy nothing.
#[allow(clippy::result_large_err)]
fn field_error(v: &Viewer, e: StoreError) -> Result<(StatusCode, FieldError), Response> {
    let l = v.locale;
    match e {
        StoreError::Domain(DomainError::Invalid(f)) => {
            let field = form_field(&f.field);
            let key_field = if field.starts_with("hours_") {
                "hours".to_string()
            } else if KINDS.iter().any(|k| field.starts_with(&format!("{k}_"))) {
                "targets".to_string()
            } else {
                field.clone()
            };
            let key = format!("sla.err.{key_field}");
            let message = if i18n::has(l, &key) {
                i18n::t(l, &key).to_string()
            } else {
                view::explain(v, StoreError::Domain(DomainError::Invalid(f)))?.1
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, FieldError { field, message }))
        }
        StoreError::Duplicate { field, .. } => Ok((
            StatusCode::CONFLICT,
            FieldError { field: field.to_string(), message: i18n::t(l, "sla.err.name_taken").to_string() },
        )),
        StoreError::Conflict(_) => Ok((
            StatusCode::CONFLICT,
            FieldError { field: String::new(), message: i18n::t(l, "sla.err.conflict").to_string() },
        )),
        other => {
            let (status, message) = view::explain(v, other)?;
            Ok((status, FieldError { field: String::new(), message }))
        }
    }
}

fn list_text(items: &[String]) -> String {
    items.join("\n")
}

fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c == '，' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The calendar form's values, as text.
pub struct CalendarForm {
    pub id: Option<i64>,
    pub version: i64,
    pub name: String,
    pub time_zone: String,
    /// Per weekday (monday first): the day name and its intervals as text.
    pub hours: Vec<(&'static str, String)>,
    pub holidays: String,
    pub make_up_days: String,
    pub make_up_weekday: String,
}

impl CalendarForm {
    fn blank() -> CalendarForm {
        CalendarForm {
            id: None,
            version: 0,
            name: String::new(),
            time_zone: "Asia/Shanghai".into(),
            hours: DAYS
                .iter()
                .map(|d| {
                    (
                        *d,
                        if matches!(*d, "saturday" | "sunday") {
                            String::new()
                        } else {
                            "09:00-12:00, 13:00-18:00".into()
                        },
                    )
                })
                .collect(),
            holidays: String::new(),
            make_up_days: String::new(),
            make_up_weekday: "monday".into(),
        }
    }

    fn from_row(row: &CalendarRow) -> CalendarForm {
        let spec = row.spec();
        CalendarForm {
            id: Some(row.id),
            version: row.version,
            name: spec.name,
            time_zone: spec.time_zone,
            hours: DAYS.iter().map(|d| (*d, spec.hours.get(*d).map(|h| h.join(", ")).unwrap_or_default())).collect(),
            holidays: list_text(&spec.holidays),
            make_up_days: list_text(&spec.make_up_days),
            make_up_weekday: spec.make_up_weekday,
        }
    }

    fn from_post(id: Option<i64>, form: &FormData) -> CalendarForm {
        CalendarForm {
            id,
            version: form.int("version").unwrap_or(0),
            name: form.get("name").to_string(),
            time_zone: form.get("time_zone").trim().to_string(),
            hours: DAYS.iter().map(|d| (*d, form.get(&format!("hours_{d}")).to_string())).collect(),
            holidays: form.get("holidays").to_string(),
            make_up_days: form.get("make_up_days").to_string(),
            make_up_weekday: form.opt("make_up_weekday").unwrap_or("monday").to_string(),
        }
    }

    fn spec(&self) -> CalendarSpec {
        let mut hours = BTreeMap::new();
        for (day, text) in &self.hours {
            let list: Vec<String> =
                text.split([',', '，', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
            hours.insert(day.to_string(), list);
        }
        CalendarSpec {
            name: self.name.clone(),
            time_zone: self.time_zone.clone(),
            hours,
            holidays: split_list(&self.holidays),
            make_up_days: split_list(&self.make_up_days),
            make_up_weekday: self.make_up_weekday.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "sla_calendar.html")]
struct CalendarPage {
    ui: Ui,
    f: CalendarForm,
    days: Vec<&'static str>,
    error: Option<FieldError>,
}

impl CalendarPage {
    /// The error to show beside `field`, if it is about that field.
    fn err(&self, field: &str) -> &str {
        match &self.error {
            Some(e) if e.field == field => &e.message,
            _ => "",
        }
    }

    /// An error about no single field, shown above the form.
    fn general_error(&self) -> &str {
        match &self.error {
            Some(e) if !self.field_known(&e.field) => &e.message,
            _ => "",
        }
    }

    fn field_known(&self, field: &str) -> bool {
        ["name", "time_zone", "holidays", "make_up_days", "make_up_weekday"].contains(&field)
            || DAYS.iter().any(|d| field == format!("hours_{d}"))
    }
}

fn calendar_page(v: &Viewer, status: StatusCode, f: CalendarForm, error: Option<FieldError>) -> Response {
    render(v, status, CalendarPage { ui: Ui::new(v, "sla_admin"), f, days: DAYS.to_vec(), error })
}

pub async fn new_calendar(Admin(v, _): Admin) -> Response {
    calendar_page(&v, StatusCode::OK, CalendarForm::blank(), None)
}

pub async fn edit_calendar(State(s): State<AppState>, Admin(v, actor): Admin, Path(id): Path<i64>) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        sla::get_calendar(&mut tx, &actor, id).await
    };
    match loaded.await {
        Ok(row) => calendar_page(&v, StatusCode::OK, CalendarForm::from_row(&row), None),
        Err(e) => view::fail(&v, e),
    }
}

async fn save_calendar(s: &AppState, v: &Viewer, actor: &Actor, id: Option<i64>, form: &FormData) -> Response {
    let f = CalendarForm::from_post(id, form);
    let spec = f.spec();
    let saved = async {
        let mut tx = s.store.write().await?;
        match id {
            Some(id) => sla::update_calendar(&mut tx, actor, id, f.version, spec).await?,
            None => sla::create_calendar(&mut tx, actor, spec).await?,
        };
        tx.commit().await
    };
    match saved.await {
        Ok(()) => {
            yunwei_db::jobs::wake();
            view::redirect_with(v, "/admin/sla", "flash.sla_saved")
        }
        Err(e) => match field_error(v, e) {
            Ok((status, err)) => calendar_page(v, status, f, Some(err)),
            Err(page) => page,
        },
    }
}

pub async fn create_calendar(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    save_calendar(&s, &p.viewer, &p.actor, None, &p.form).await
}

pub async fn update_calendar(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    save_calendar(&s, &p.viewer, &p.actor, Some(id), &p.form).await
}

/// The policy form's values, as text.
pub struct PolicyForm {
    pub id: Option<i64>,
    pub version: i64,
    pub name: String,
    pub tenant_id: i64,
    pub ticket_type: String,
    pub category_id: i64,
    pub calendar_id: i64,
    /// Per kind: the kind, its unit (`min` or `h`) and the four targets (priority 1–4) as text.
    pub targets: Vec<(&'static str, String, Vec<String>)>,
    pub pause_on: Vec<String>,
    pub thresholds: String,
    pub notify_next_tier: bool,
    pub escalate_on_breach: bool,
    pub raise_priority_on_breach: bool,
    /// The support group of an OLA policy, 0 for none.
    pub group_id: i64,
    pub active: bool,
}

fn target_row(kind: &'static str, row: &[Option<SignedDuration>; 4]) -> (&'static str, String, Vec<String>) {
    let mins: Vec<Option<i64>> = row.iter().map(|d| d.map(|d| d.as_secs() / 60)).collect();
    let hours = mins.iter().flatten().count() > 0 && mins.iter().flatten().all(|m| m % 60 == 0);
    let unit = if hours { "h" } else { "min" };
    let values =
        mins.iter().map(|m| m.map(|m| if hours { m / 60 } else { m }.to_string()).unwrap_or_default()).collect();
    (kind, unit.to_string(), values)
}

impl PolicyForm {
    fn blank(calendar_id: i64) -> PolicyForm {
        PolicyForm {
            id: None,
            version: 0,
            name: String::new(),
            tenant_id: 0,
            ticket_type: String::new(),
            category_id: 0,
            calendar_id,
            targets: KINDS.iter().map(|k| (*k, "h".to_string(), vec![String::new(); 4])).collect(),
            pause_on: sla_default_pause_on(),
            thresholds: "50, 75".into(),
            notify_next_tier: false,
            escalate_on_breach: false,
            raise_priority_on_breach: false,
            group_id: 0,
            active: true,
        }
    }

    fn from_row(row: &PolicyRow) -> PolicyForm {
        let t = row.targets();
        PolicyForm {
            id: Some(row.id),
            version: row.version,
            name: row.name.clone(),
            tenant_id: row.tenant_id.unwrap_or(0),
            ticket_type: row.ticket_type.clone().unwrap_or_default(),
            category_id: row.category_id.unwrap_or(0),
            calendar_id: row.calendar_id,
            targets: vec![
                target_row("response", &t.response),
                target_row("resolution", &t.resolution),
                target_row("on_site", &t.on_site),
                target_row("ola", &t.ola),
            ],
            pause_on: row.pause_on().iter().map(|r| r.as_str().to_string()).collect(),
            thresholds: row.thresholds().iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
            notify_next_tier: row.notify_next_tier,
            escalate_on_breach: row.escalate_on_breach,
            raise_priority_on_breach: row.raise_priority_on_breach,
            group_id: row.group_id.unwrap_or(0),
            active: row.active,
        }
    }

    fn from_post(id: Option<i64>, form: &FormData) -> PolicyForm {
        PolicyForm {
            id,
            version: form.int("version").unwrap_or(0),
            name: form.get("name").to_string(),
            tenant_id: form.int("tenant_id").unwrap_or(0),
            ticket_type: form.get("ticket_type").to_string(),
            category_id: form.int("category_id").unwrap_or(0),
            calendar_id: form.int("calendar_id").unwrap_or(0),
            targets: KINDS
                .iter()
                .map(|k| {
                    let unit = if form.get(&format!("{k}_unit")) == "min" { "min" } else { "h" };
                    (*k, unit.to_string(), (1..=4).map(|p| form.get(&format!("{k}_{p}")).trim().to_string()).collect())
                })
                .collect(),
            pause_on: PendingReason::ALL
                .iter()
                .map(|r| r.as_str())
                .filter(|r| !form.get(&format!("pause_{r}")).is_empty())
                .map(str::to_string)
                .collect(),
            thresholds: form.get("thresholds").to_string(),
            notify_next_tier: !form.get("notify_next_tier").is_empty(),
            escalate_on_breach: !form.get("escalate_on_breach").is_empty(),
            raise_priority_on_breach: !form.get("raise_priority_on_breach").is_empty(),
            group_id: form.int("group_id").unwrap_or(0),
            active: !form.get("active").is_empty(),
        }
    }

    /// The store's input, or the first field that is not a number.
    fn input(&self) -> Result<PolicyInput, StoreError> {
        let mut targets = Targets::default();
        for (kind, unit, values) in &self.targets {
            let mut row = [None; 4];
            for (i, text) in values.iter().enumerate() {
                if text.is_empty() {
                    continue;
                }
                let n: f64 = text
                    .replace(',', ".")
                    .parse()
                    .map_err(|_| StoreError::invalid(format!("targets.{kind}[{i}]"), "not_a_number"))?;
                let mins = if unit == "h" { n * 60.0 } else { n };
                if !mins.is_finite() || mins > 10_000_000.0 {
                    return Err(StoreError::invalid(format!("targets.{kind}[{i}]"), "not_a_number"));
                }
                row[i] = Some(SignedDuration::from_mins(mins.round() as i64));
            }
            match *kind {
                "response" => targets.response = row,
                "resolution" => targets.resolution = row,
                "on_site" => targets.on_site = row,
                _ => targets.ola = row,
            }
        }
        let mut thresholds = Vec::new();
        for part in split_list(&self.thresholds) {
            let p = part.trim_end_matches('%').trim();
            thresholds.push(p.parse::<u32>().map_err(|_| StoreError::invalid("thresholds", "not_a_number"))?);
        }
        Ok(PolicyInput {
            name: Some(self.name.clone()),
            tenant_id: Some(Some(self.tenant_id).filter(|t| *t > 0)),
            ticket_type: Some(Some(self.ticket_type.clone()).filter(|t| !t.is_empty())),
            category_id: Some(Some(self.category_id).filter(|c| *c > 0)),
            calendar_id: Some(self.calendar_id),
            targets: Some(targets),
            pause_on: Some(self.pause_on.clone()),
            thresholds: Some(thresholds),
            notify_next_tier: Some(self.notify_next_tier),
            escalate_on_breach: Some(self.escalate_on_breach),
            raise_priority_on_breach: Some(self.raise_priority_on_breach),
            group_id: Some(Some(self.group_id).filter(|g| *g > 0)),
            active: Some(self.active),
        })
    }
}

fn sla_default_pause_on() -> Vec<String> {
    crate::rules::sla::DEFAULT_PAUSE_ON.iter().map(|r| r.as_str().to_string()).collect()
}

#[derive(Template)]
#[template(path = "sla_policy.html")]
struct PolicyPage {
    ui: Ui,
    f: PolicyForm,
    tenants: Vec<(i64, String)>,
    calendars: Vec<(i64, String)>,
    categories: Vec<(i64, String)>,
    groups: Vec<(i64, String)>,
    types: Vec<&'static str>,
    reasons: Vec<&'static str>,
    error: Option<FieldError>,
}

impl PolicyPage {
    fn err(&self, field: &str) -> &str {
        match &self.error {
            Some(e) if e.field == field => &e.message,
            _ => "",
        }
    }

    /// The first error about a target of `kind`, shown beside its row.
    fn kind_err(&self, kind: &str) -> &str {
        match &self.error {
            Some(e) if e.field.starts_with(&format!("{kind}_")) => &e.message,
            _ => "",
        }
    }

    fn general_error(&self) -> &str {
        let known = ["name", "tenant_id", "ticket_type", "category_id", "calendar_id", "thresholds", "pause_on"];
        match &self.error {
            Some(e)
                if !known.contains(&e.field.as_str())
                    && !KINDS.iter().any(|k| e.field.starts_with(&format!("{k}_"))) =>
            {
                &e.message
            }
            _ => "",
        }
    }

    fn pauses(&self, reason: &str) -> bool {
        self.f.pause_on.iter().any(|r| r == reason)
    }
}

async fn policy_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    f: Option<PolicyForm>,
    id: Option<i64>,
) -> Response {
    let error = None;
    policy_page_with(s, v, actor, status, f, id, error).await
}

async fn policy_page_with(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    f: Option<PolicyForm>,
    id: Option<i64>,
    error: Option<FieldError>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let calendars = sla::list_calendars(&mut tx, actor).await?;
        let tenants = tenants::list(&mut tx, actor).await?;
        let cats = categories::list(&mut tx).await?;
        let groups = groups::list(&mut tx, actor).await?;
        let row = match id {
            Some(id) if f.is_none() => Some(sla::get_policy(&mut tx, actor, id).await?),
            _ => None,
        };
        Ok::<_, StoreError>((calendars, tenants, cats, groups, row))
    };
    let (calendars, tenants, cats, groups, row) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let f = match (f, row) {
        (Some(f), _) => f,
        (None, Some(row)) => PolicyForm::from_row(&row),
        (None, None) => PolicyForm::blank(calendars.first().map(|c| c.id).unwrap_or(0)),
    };
    let page = PolicyPage {
        ui: Ui::new(v, "sla_admin"),
        f,
        tenants: tenants.into_iter().filter(|t| t.kind == "client").map(|t| (t.id, t.name)).collect(),
        calendars: calendars.into_iter().map(|c| (c.id, c.name)).collect(),
        groups: groups.into_iter().map(|g| (g.group.id, format!("L{} {}", g.group.tier, g.group.name))).collect(),
        categories: cats
            .iter()
            .filter(|c| c.active)
            .map(|c| (c.id, shared::category_path(v.locale, &cats, Some(c.id))))
            .collect(),
        types: TicketType::ALL.iter().map(|t| t.as_str()).collect(),
        reasons: PendingReason::ALL.iter().map(|r| r.as_str()).collect(),
        error,
    };
    render(v, status, page)
}

pub async fn new_policy(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    policy_page(&s, &v, &actor, StatusCode::OK, None, None).await
}

pub async fn edit_policy(State(s): State<AppState>, Admin(v, actor): Admin, Path(id): Path<i64>) -> Response {
    policy_page(&s, &v, &actor, StatusCode::OK, None, Some(id)).await
}

async fn save_policy(s: &AppState, v: &Viewer, actor: &Actor, id: Option<i64>, form: &FormData) -> Response {
    let f = PolicyForm::from_post(id, form);
    let saved = async {
        let input = f.input()?;
        let mut tx = s.store.write().await?;
        match id {
            Some(id) => sla::update_policy(&mut tx, actor, id, f.version, input).await?,
            None => sla::create_policy(&mut tx, actor, input).await?,
        };
        tx.commit().await
    };
    match saved.await {
        Ok(()) => {
            yunwei_db::jobs::wake();
            view::redirect_with(v, "/admin/sla", "flash.sla_saved")
        }
        Err(e) => match field_error(v, e) {
            Ok((status, err)) => policy_page_with(s, v, actor, status, Some(f), id, Some(err)).await,
            Err(page) => page,
        },
    }
}

pub async fn create_policy(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    save_policy(&s, &p.viewer, &p.actor, None, &p.form).await
}

pub async fn update_policy(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    save_policy(&s, &p.viewer, &p.actor, Some(id), &p.form).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally_in_both_languages() {
        crate::install_texts();
        assert_eq!(duration(Locale::En, 2 * 3600 + 15 * 60), "2 h 15 min");
        assert_eq!(duration(Locale::ZhCn, 2 * 3600 + 15 * 60), "2小时15分");
        assert_eq!(duration(Locale::En, 45 * 60 + 59), "45 min");
        assert_eq!(duration(Locale::En, 3 * 3600), "3 h");
        assert_eq!(duration(Locale::ZhCn, -5), "0分钟");
    }

    #[test]
    fn store_fields_map_to_form_fields() {
        assert_eq!(form_field("hours.monday[1]"), "hours_monday");
        assert_eq!(form_field("holidays[3]"), "holidays");
        assert_eq!(form_field("targets.response[0]"), "response_1");
        assert_eq!(form_field("time_zone"), "time_zone");
    }
}
