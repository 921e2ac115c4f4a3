//! SLA management in the store: business calendars, policies, the clocks of each ticket, the
//! escalation scan and compliance figures. The arithmetic lives in `crate::rules::sla` and
//! `yunwei_kernel::calendar`; this module loads, saves and scopes.

use crate::rules::permissions;
use std::collections::BTreeMap;

use crate::rules::sla::{self, Clock, ClockKind, ClockView, PolicyScope, Targets};
use crate::rules::ticket::{PendingReason, Status};
use jiff::civil::{Date, Weekday};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;
use yunwei_kernel::calendar::{ALL_WEEK, Calendar, HolidayTable, Hours, WEEKDAYS};
use yunwei_kernel::permission::{self, Actor, Role};
use yunwei_kernel::validate;

use crate::store::tickets::{SystemReason, Ticket};
use yunwei_db::Backend;
use yunwei_db::JsonText;
use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::db::{self, Arg, Conn, Sql};
use yunwei_db::jobs;
use yunwei_db::notify::{self, Notice, Subject};
use yunwei_db::now_micros;

/// A stored instant. One outside the supported range is corrupt data, not 1970.
fn ts(micros: i64) -> Result<Timestamp> {
    Time::from_micros(micros).map(Time::timestamp).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

const DAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn weekday(field: &str, name: &str) -> Result<Weekday> {
    DAY_NAMES
        .iter()
        .position(|d| *d == name)
        .map(|i| ALL_WEEK[i])
        .ok_or_else(|| StoreError::invalid(field, "not_a_weekday").with("value", name))
}

fn date(field: &str, text: &str) -> Result<Date> {
    text.parse::<Date>().map_err(|_| StoreError::invalid(field, "not_a_date").with("value", text))
}

// ---------------------------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------------------------

stored_enum!(ClockKind);

stored_row! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct CalendarRow {
        pub id: i64,
        pub name: String,
        pub time_zone: String,
        pub hours: JsonText<BTreeMap<String, Vec<String>>>,
        pub holidays: JsonText<Vec<String>>,
        pub make_up_days: JsonText<Vec<String>>,
        pub make_up_weekday: String,
        pub version: i64,
        pub created_at: Time,
        pub updated_at: Time,
    }
}

/// A calendar as people write it: hours per weekday name, dates as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarSpec {
    pub name: String,
    pub time_zone: String,
    pub hours: BTreeMap<String, Vec<String>>,
    pub holidays: Vec<String>,
    pub make_up_days: Vec<String>,
    pub make_up_weekday: String,
}

impl CalendarSpec {
    /// Checks every field by building the calendar it describes.
    pub fn build(&self) -> Result<Calendar> {
        let mut b = Calendar::builder(self.time_zone.trim());
        for (day, list) in &self.hours {
            let wd = weekday(&format!("hours.{day}"), day)?;
            let mut hours = Vec::new();
            for (i, text) in list.iter().enumerate() {
                hours.push(Hours::parse(&format!("hours.{day}[{i}]"), text)?);
            }
            b = b.hours(&[wd], &hours);
        }
        let holidays: Vec<Date> =
            self.holidays.iter().enumerate().map(|(i, d)| date(&format!("holidays[{i}]"), d)).collect::<Result<_>>()?;
        let make_up: Vec<Date> = self
            .make_up_days
            .iter()
            .enumerate()
            .map(|(i, d)| date(&format!("make_up_days[{i}]"), d))
            .collect::<Result<_>>()?;
        b = b
            .holidays(holidays)
            .make_up_days(make_up)
            .make_up_weekday(weekday("make_up_weekday", &self.make_up_weekday)?);
        Ok(b.build()?)
    }
}

impl CalendarRow {
    pub fn spec(&self) -> CalendarSpec {
        CalendarSpec {
            name: self.name.clone(),
            time_zone: self.time_zone.clone(),
            hours: self.hours.0.clone(),
            holidays: self.holidays.0.clone(),
            make_up_days: self.make_up_days.0.clone(),
            make_up_weekday: self.make_up_weekday.clone(),
        }
    }

    pub fn calendar(&self) -> Result<Calendar> {
        self.spec().build()
    }
}

async fn calendar_by_id(tx: &mut Tx, id: i64) -> Result<CalendarRow> {
    fetch_opt!(tx, CalendarRow, "SELECT * FROM calendars WHERE id = $1", id)?.ok_or(StoreError::NotFound("calendar"))
}

async fn insert_calendar(tx: &mut Tx, actor: Option<&Actor>, spec: &CalendarSpec) -> Result<CalendarRow> {
    let name = validate::line("name", &spec.name, 100)?;
    spec.build()?;
    let hours = serde_json::to_string(&spec.hours).unwrap_or_default();
    let row = fetch_one!(
        tx,
        CalendarRow,
        "INSERT INTO calendars (name, time_zone, hours, holidays, make_up_days, make_up_weekday, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        &name,
        spec.time_zone.trim(),
        hours,
        serde_json::to_string(&spec.holidays).unwrap_or_default(),
        serde_json::to_string(&spec.make_up_days).unwrap_or_default(),
        &spec.make_up_weekday,
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("name", "calendar_name_taken"))?;
    let change = audit::Change {
        action: "calendar.create",
        entity: "calendar",
        entity_id: row.id,
        tenant_id: None,
        before: None,
        after: serde_json::to_value(&row).ok(),
    };
    audit::record(tx, actor, change).await?;
    Ok(row)
}

pub async fn create_calendar(tx: &mut Tx, actor: &Actor, spec: CalendarSpec) -> Result<CalendarRow> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    insert_calendar(tx, Some(actor), &spec).await
}

pub async fn list_calendars(tx: &mut Tx, actor: &Actor) -> Result<Vec<CalendarRow>> {
    actor.require(permission::READ_DIRECTORY)?;
    Ok(fetch_all!(tx, CalendarRow, "SELECT * FROM calendars ORDER BY id")?)
}

pub async fn get_calendar(tx: &mut Tx, actor: &Actor, id: i64) -> Result<CalendarRow> {
    actor.require(permission::READ_DIRECTORY)?;
    calendar_by_id(tx, id).await
}

/// Replaces a calendar. Clocks counting in it are recomputed at once: time already waited is
/// measured again on the new calendar, never lost.
pub async fn update_calendar(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    version: i64,
    spec: CalendarSpec,
) -> Result<CalendarRow> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = calendar_by_id(tx, id).await?;
    if before.version != version {
        return Err(StoreError::stale("calendar"));
    }
    let name = validate::line("name", &spec.name, 100)?;
    spec.build()?;
    let after = fetch_opt!(
        tx,
        CalendarRow,
        "UPDATE calendars SET name = $1, time_zone = $2, hours = $3, holidays = $4, make_up_days = $5,
         make_up_weekday = $6, version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9 RETURNING *",
        &name,
        spec.time_zone.trim(),
        serde_json::to_string(&spec.hours).unwrap_or_default(),
        serde_json::to_string(&spec.holidays).unwrap_or_default(),
        serde_json::to_string(&spec.make_up_days).unwrap_or_default(),
        &spec.make_up_weekday,
        now_micros(),
        id,
        version,
    )
    .map_err(|e| StoreError::from(e).unique("name", "calendar_name_taken"))?
    .ok_or_else(|| StoreError::stale("calendar"))?;
    let change = audit::Change {
        action: "calendar.update",
        entity: "calendar",
        entity_id: id,
        tenant_id: None,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    let policies = fetch_all!(tx, (i64,), "SELECT id FROM sla_policies WHERE calendar_id = $1", id)?;
    for (p,) in policies {
        enqueue_recompute(tx, p, 0).await?;
    }
    Ok(after)
}

fn hours_map(days: &[Weekday], hours: &[&str]) -> BTreeMap<String, Vec<String>> {
    days.iter()
        .map(|d| {
            (
                DAY_NAMES[ALL_WEEK.iter().position(|w| w == d).unwrap_or(0)].to_string(),
                hours.iter().map(|h| h.to_string()).collect(),
            )
        })
        .collect()
}

/// Seeds the ready-made calendars (7×24; 5×8 with mainland China's official holidays and
/// make-up days) and a default policy on them, once.
pub async fn seed_defaults(tx: &mut Tx) -> Result<bool> {
    if scalar!(tx, i64, "SELECT COUNT(*) FROM calendars")? > 0 {
        return Ok(false);
    }
    let always = CalendarSpec {
        name: "7×24".into(),
        time_zone: "Asia/Shanghai".into(),
        hours: hours_map(&ALL_WEEK, &["00:00-24:00"]),
        make_up_weekday: "monday".into(),
        ..Default::default()
    };
    insert_calendar(tx, None, &always).await?;
    let china = HolidayTable::china();
    let five = CalendarSpec {
        name: "5×8 中国 China".into(),
        time_zone: "Asia/Shanghai".into(),
        hours: hours_map(&WEEKDAYS, &["09:00-12:00", "13:00-18:00"]),
        holidays: china.holidays.iter().map(|d| d.to_string()).collect(),
        make_up_days: china.make_up_days.iter().map(|d| d.to_string()).collect(),
        make_up_weekday: "monday".into(),
    };
    let five = insert_calendar(tx, None, &five).await?;
    let h = |hours: i64| Some(SignedDuration::from_mins(hours));
    let targets = Targets {
        response: [h(15), h(30), h(120), h(240)],
        resolution: [h(4 * 60), h(8 * 60), h(24 * 60), h(40 * 60)],
        ..Default::default()
    };
    let policy = PolicyInput {
        name: Some("默认 Default".into()),
        calendar_id: Some(five.id),
        targets: Some(targets),
        ..Default::default()
    };
    insert_policy(tx, None, policy).await?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

stored_row! {
    #[derive(Debug, Clone, Serialize, PartialEq)]
    pub struct PolicyRow {
        pub id: i64,
        pub name: String,
        pub tenant_id: Option<i64>,
        pub ticket_type: Option<String>,
        pub category_id: Option<i64>,
        pub calendar_id: i64,
        pub targets: JsonText<Targets>,
        pub pause_on: JsonText<Vec<PendingReason>>,
        pub thresholds: JsonText<Vec<u32>>,
        pub notify_next_tier: bool,
        pub escalate_on_breach: bool,
        pub active: bool,
        pub version: i64,
        /// The support group of an OLA policy; `None` for an SLA policy.
        pub group_id: Option<i64>,
        /// At a breach of the resolution clock, raise the ticket's priority by one level.
        pub raise_priority_on_breach: bool,
        pub created_at: Time,
        pub updated_at: Time,
    }
}

impl PolicyRow {
    pub fn targets(&self) -> Targets {
        self.targets.0.clone()
    }

    pub fn pause_on(&self) -> Vec<PendingReason> {
        self.pause_on.0.clone()
    }

    pub fn thresholds(&self) -> Vec<u32> {
        self.thresholds.0.clone()
    }

    fn scope(&self) -> PolicyScope {
        PolicyScope {
            id: self.id,
            tenant_id: self.tenant_id,
            ticket_type: self.ticket_type.clone(),
            category_id: self.category_id,
            group_id: self.group_id,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub name: Option<String>,
    pub tenant_id: Option<Option<i64>>,
    pub ticket_type: Option<Option<String>>,
    pub category_id: Option<Option<i64>>,
    pub calendar_id: Option<i64>,
    pub targets: Option<Targets>,
    pub pause_on: Option<Vec<String>>,
    pub thresholds: Option<Vec<u32>>,
    pub notify_next_tier: Option<bool>,
    pub escalate_on_breach: Option<bool>,
    pub active: Option<bool>,
    pub group_id: Option<Option<i64>>,
    pub raise_priority_on_breach: Option<bool>,
}

/// The checked values of a policy, filled in from `base` where the input leaves a field out.
struct PolicyValues {
    name: String,
    tenant_id: Option<i64>,
    ticket_type: Option<String>,
    category_id: Option<i64>,
    calendar_id: i64,
    targets: String,
    pause_on: String,
    thresholds: String,
    notify_next_tier: bool,
    escalate_on_breach: bool,
    active: bool,
    group_id: Option<i64>,
    raise_priority_on_breach: bool,
}

async fn policy_values(tx: &mut Tx, input: PolicyInput, base: Option<&PolicyRow>) -> Result<PolicyValues> {
    let name = match (&input.name, base) {
        (Some(n), _) => validate::line("name", n, 100)?,
        (None, Some(b)) => b.name.clone(),
        (None, None) => return Err(StoreError::invalid("name", "required")),
    };
    let tenant_id = input.tenant_id.unwrap_or(base.and_then(|b| b.tenant_id));
    if let Some(t) = tenant_id
        && scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", t)? == 0
    {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", t));
    }
    let ticket_type = match input.ticket_type {
        Some(Some(t)) => Some(crate::rules::ticket::TicketType::parse("ticket_type", &t)?.as_str().to_string()),
        Some(None) => None,
        None => base.and_then(|b| b.ticket_type.clone()),
    };
    let category_id = input.category_id.unwrap_or(base.and_then(|b| b.category_id));
    if let Some(c) = category_id
        && scalar!(tx, i64, "SELECT COUNT(*) FROM categories WHERE id = $1", c)? == 0
    {
        return Err(StoreError::invalid("category_id", "no_such_category").with("id", c));
    }
    let calendar_id = match (input.calendar_id, base) {
        (Some(c), _) => c,
        (None, Some(b)) => b.calendar_id,
        (None, None) => return Err(StoreError::invalid("calendar_id", "required")),
    };
    if scalar!(tx, i64, "SELECT COUNT(*) FROM calendars WHERE id = $1", calendar_id)? == 0 {
        return Err(StoreError::invalid("calendar_id", "no_such_calendar").with("id", calendar_id));
    }
    let targets = match (input.targets, base) {
        (Some(t), _) => t,
        (None, Some(b)) => b.targets(),
        (None, None) => return Err(StoreError::invalid("targets", "required")),
    };
    let group_id = input.group_id.unwrap_or(base.and_then(|b| b.group_id));
    if let Some(g) = group_id
        && scalar!(tx, i64, "SELECT COUNT(*) FROM support_groups WHERE id = $1", g)? == 0
    {
        return Err(StoreError::invalid("group_id", "no_such_group").with("id", g));
    }
    if let Some(b) = base
        && b.group_id.is_some() != group_id.is_some()
    {
        return Err(StoreError::invalid("group_id", "ola_kind_fixed"));
    }
    targets.validate(group_id.is_some())?;
    let pause_on = match (input.pause_on, base) {
        (Some(list), _) => {
            list.iter().map(|r| PendingReason::parse("pause_on", r)).collect::<std::result::Result<Vec<_>, _>>()?
        }
        (None, Some(b)) => b.pause_on(),
        (None, None) => sla::DEFAULT_PAUSE_ON.to_vec(),
    };
    let thresholds = match (input.thresholds, base) {
        (Some(t), _) => sla::thresholds(&t)?,
        (None, Some(b)) => b.thresholds(),
        (None, None) => vec![50, 75],
    };
    Ok(PolicyValues {
        name,
        tenant_id,
        ticket_type,
        category_id,
        calendar_id,
        targets: serde_json::to_string(&targets).unwrap_or_default(),
        pause_on: serde_json::to_string(&pause_on).unwrap_or_default(),
        thresholds: serde_json::to_string(&thresholds).unwrap_or_default(),
        notify_next_tier: input.notify_next_tier.or(base.map(|b| b.notify_next_tier)).unwrap_or(false),
        escalate_on_breach: input.escalate_on_breach.or(base.map(|b| b.escalate_on_breach)).unwrap_or(false),
        active: input.active.or(base.map(|b| b.active)).unwrap_or(true),
        group_id,
        raise_priority_on_breach: input
            .raise_priority_on_breach
            .or(base.map(|b| b.raise_priority_on_breach))
            .unwrap_or(false),
    })
}

async fn insert_policy(tx: &mut Tx, actor: Option<&Actor>, input: PolicyInput) -> Result<PolicyRow> {
    let v = policy_values(tx, input, None).await?;
    let row = fetch_one!(
        tx,
        PolicyRow,
        "INSERT INTO sla_policies (name, tenant_id, ticket_type, category_id, calendar_id, targets, pause_on, thresholds,
            notify_next_tier, escalate_on_breach, active, group_id, raise_priority_on_breach, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING *",
        &v.name,
        v.tenant_id,
        v.ticket_type,
        v.category_id,
        v.calendar_id,
        &v.targets,
        &v.pause_on,
        &v.thresholds,
        v.notify_next_tier,
        v.escalate_on_breach,
        v.active,
        v.group_id,
        v.raise_priority_on_breach,
        now_micros(),
    )?;
    let change = audit::Change {
        action: "sla_policy.create",
        entity: "sla_policy",
        entity_id: row.id,
        tenant_id: row.tenant_id,
        before: None,
        after: serde_json::to_value(&row).ok(),
    };
    audit::record(tx, actor, change).await?;
    Ok(row)
}

pub async fn create_policy(tx: &mut Tx, actor: &Actor, input: PolicyInput) -> Result<PolicyRow> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    insert_policy(tx, Some(actor), input).await
}

/// Policies the actor may see: installation-wide ones and those of tenants in scope.
pub async fn list_policies(tx: &mut Tx, actor: &Actor) -> Result<Vec<PolicyRow>> {
    actor.require(permission::READ_DIRECTORY)?;
    let mut sql = Sql::new("SELECT * FROM sla_policies WHERE 1 = 1");
    sql.scoped_or_shared("tenant_id", &actor.tenant_scope()).push(" ORDER BY id");
    Ok(fetch_sql!(tx, PolicyRow, sql, fetch_all)?)
}

pub async fn get_policy(tx: &mut Tx, actor: &Actor, id: i64) -> Result<PolicyRow> {
    list_policies(tx, actor).await?.into_iter().find(|p| p.id == id).ok_or(StoreError::NotFound("SLA policy"))
}

/// Changes a policy. Tickets whose clocks run under it are recomputed at once: new targets
/// and calendar, the time already waited kept.
pub async fn update_policy(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: PolicyInput) -> Result<PolicyRow> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get_policy(tx, actor, id).await?;
    if before.version != version {
        return Err(StoreError::stale("SLA policy"));
    }
    let v = policy_values(tx, input, Some(&before)).await?;
    let after = fetch_opt!(
        tx,
        PolicyRow,
        "UPDATE sla_policies SET name = $1, tenant_id = $2, ticket_type = $3, category_id = $4, calendar_id = $5,
            targets = $6, pause_on = $7, thresholds = $8, notify_next_tier = $9, escalate_on_breach = $10, active = $11,
            group_id = $12, raise_priority_on_breach = $13, version = version + 1, updated_at = $14
         WHERE id = $15 AND version = $16 RETURNING *",
        &v.name,
        v.tenant_id,
        v.ticket_type,
        v.category_id,
        v.calendar_id,
        &v.targets,
        &v.pause_on,
        &v.thresholds,
        v.notify_next_tier,
        v.escalate_on_breach,
        v.active,
        v.group_id,
        v.raise_priority_on_breach,
        now_micros(),
        id,
        version,
    )?
    .ok_or_else(|| StoreError::stale("SLA policy"))?;
    let change = audit::Change {
        action: "sla_policy.update",
        entity: "sla_policy",
        entity_id: id,
        tenant_id: after.tenant_id,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    enqueue_recompute(tx, id, 0).await?;
    Ok(after)
}

// ---------------------------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ClockRow {
    pub id: i64,
    pub ticket_id: i64,
    pub tenant_id: i64,
    pub kind: ClockKind,
    pub policy_id: i64,
    /// The support group an OLA clock times.
    pub group_id: Option<i64>,
    pub target_secs: i64,
    pub started_at: i64,
    pub paused_since: Option<i64>,
    pub stopped_at: Option<i64>,
    pub pauses: JsonText<Vec<(i64, i64)>>,
    pub due_at: Option<i64>,
    pub breached: bool,
    pub elapsed_secs: i64,
    pub next_fire_at: Option<i64>,
    pub updated_at: i64,
}

impl ClockRow {
    pub fn clock(&self) -> Result<Clock> {
        Ok(Clock {
            started_at: ts(self.started_at)?,
            target: SignedDuration::from_secs(self.target_secs),
            pauses: self.pauses.iter().map(|(a, b)| Ok((ts(*a)?, ts(*b)?))).collect::<Result<_>>()?,
            paused_since: self.paused_since.map(ts).transpose()?,
            stopped_at: self.stopped_at.map(ts).transpose()?,
        })
    }

    pub fn kind(&self) -> ClockKind {
        self.kind
    }
}

/// A clock with its figures now, for display.
#[derive(Debug, Clone, Serialize)]
pub struct ClockReport {
    pub id: i64,
    pub kind: String,
    /// The support group an OLA clock times.
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub calendar_name: String,
    pub target_secs: i64,
    pub started_at: Time,
    pub stopped_at: Option<Time>,
    pub paused_since: Option<Time>,
    pub status: String,
    pub elapsed_secs: i64,
    pub remaining_secs: i64,
    pub due_at: Option<Time>,
    pub breached_at: Option<Time>,
    /// Thresholds already fired, in percent.
    pub fired: Vec<i64>,
    /// What happened to the clock, oldest first.
    pub history: Vec<ClockEventRow>,
}

/// One entry of a clock's history.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct ClockEventRow {
    pub clock_id: i64,
    pub event: String,
    pub at: Time,
    pub target_secs: i64,
    pub previous_target_secs: Option<i64>,
}

/// Policies and their parsed calendars, each loaded once per transaction that needs it.
#[derive(Default)]
struct Policies(BTreeMap<i64, (PolicyRow, CalendarRow, Calendar)>);

impl Policies {
    async fn get(&mut self, tx: &mut Tx, id: i64) -> Result<&(PolicyRow, CalendarRow, Calendar)> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.0.entry(id) {
            let policy = policy_by_id(tx, id).await?;
            let cal_row = calendar_by_id(tx, policy.calendar_id).await?;
            let cal = cal_row.calendar()?;
            slot.insert((policy, cal_row, cal));
        }
        self.0.get(&id).ok_or(StoreError::NotFound("SLA policy"))
    }
}

/// Writes the history entries for a clock's change from `old` to `new`.
async fn record_changes(tx: &mut Tx, row: &ClockRow, old: &Clock, new: &Clock, now: Timestamp) -> Result<()> {
    for c in sla::changes(old, new, now) {
        execute!(
            tx,
            "INSERT INTO sla_clock_events (clock_id, ticket_id, event, at, target_secs, previous_target_secs)
             VALUES ($1, $2, $3, $4, $5, $6)",
            row.id,
            row.ticket_id,
            c.event.as_str(),
            micros(c.at),
            new.target.as_secs(),
            c.previous_target.map(|t| t.as_secs()),
        )?;
    }
    Ok(())
}

/// Thresholds (percent, with 100 for the breach) not yet fired for this clock and target, and
/// the instant the first of them is reached.
async fn next_fire(
    tx: &mut Tx,
    row: &ClockRow,
    clock: &Clock,
    cal: &Calendar,
    thresholds: &[u32],
) -> Result<Option<i64>> {
    if !clock.is_running() {
        return Ok(None);
    }
    let fired = fetch_all!(
        tx,
        (i64,),
        "SELECT threshold FROM sla_firings WHERE clock_id = $1 AND target_secs = $2",
        row.id,
        // The clock's target, which may be new: a new target's thresholds are still to fire.
        clock.target.as_secs()
    )?;
    let fired: Vec<i64> = fired.into_iter().map(|(t,)| t).collect();
    Ok(first_unfired(clock, cal, thresholds, &fired))
}

/// The instant the first threshold (percent, with 100 for the breach) not in `fired` is reached.
fn first_unfired(clock: &Clock, cal: &Calendar, thresholds: &[u32], fired: &[i64]) -> Option<i64> {
    thresholds
        .iter()
        .chain(std::iter::once(&100))
        .filter(|p| !fired.contains(&i64::from(**p)))
        .filter_map(|p| clock.threshold_at(cal, *p))
        .map(micros)
        .min()
}

/// A clock's closed pauses as stored: a JSON list of `[from, to]` in microseconds (read back by
/// [`ClockRow::clock`]).
fn pauses_json(clock: &Clock) -> String {
    let pauses: Vec<(i64, i64)> = clock.pauses.iter().map(|(a, b)| (micros(*a), micros(*b))).collect();
    serde_json::to_string(&pauses).unwrap_or_default()
}

/// Saves a clock with its derived figures.
async fn save_clock(
    tx: &mut Tx,
    row: &ClockRow,
    clock: &Clock,
    cal: &Calendar,
    thresholds: &[u32],
    now: Timestamp,
) -> Result<ClockView> {
    record_changes(tx, row, &row.clock()?, clock, now).await?;
    let view = clock.view(cal, now);
    let next = next_fire(tx, row, clock, cal, thresholds).await?;
    execute!(
        tx,
        "UPDATE sla_clocks SET target_secs = $1, policy_id = $2, started_at = $3, paused_since = $4, stopped_at = $5,
         pauses = $6, due_at = $7, breached = $8, elapsed_secs = $9, next_fire_at = $10, updated_at = $11 WHERE id = $12",
        clock.target.as_secs(),
        row.policy_id,
        micros(clock.started_at),
        clock.paused_since.map(micros),
        clock.stopped_at.map(micros),
        pauses_json(clock),
        view.due_at.map(micros),
        view.status == sla::ClockStatus::Breached,
        view.elapsed.as_secs(),
        next,
        micros(now),
        row.id,
    )?;
    Ok(view)
}

async fn policy_by_id(tx: &mut Tx, id: i64) -> Result<PolicyRow> {
    fetch_opt!(tx, PolicyRow, "SELECT * FROM sla_policies WHERE id = $1", id)?.ok_or(StoreError::NotFound("SLA policy"))
}

/// A category and its ancestors, nearest first, for choosing the SLA policy (empty for none).
pub(crate) async fn category_path(tx: &mut Tx, category: Option<i64>) -> Result<Vec<i64>> {
    let Some(category) = category else { return Ok(Vec::new()) };
    Ok(category_chain(tx, category).await?.into_iter().map(|(id, _)| id).collect())
}

/// A category and its ancestors, nearest first, each with whether it is in use; empty when
/// there is no such category. One recursive query; a cycle in the tree ends the chain.
pub(crate) async fn category_chain(c: &mut impl Conn, category: i64) -> Result<Vec<(i64, bool)>> {
    let rows: Vec<(i64, bool)> = c
        .fetch(sql!(
            "WITH RECURSIVE up (id, parent_id, active, depth) AS (
               SELECT id, parent_id, active, 0 FROM categories WHERE id = $1
               UNION ALL
               SELECT c.id, c.parent_id, c.active, up.depth + 1 FROM categories c JOIN up ON c.id = up.parent_id
               WHERE up.depth < 8
             )
             SELECT id, active FROM up ORDER BY depth",
            category
        ))
        .await?;
    let mut chain: Vec<(i64, bool)> = Vec::with_capacity(rows.len());
    for row in rows {
        if chain.iter().any(|(id, _)| *id == row.0) {
            break;
        }
        chain.push(row);
    }
    Ok(chain)
}

/// Writes the due instants of the response and resolution clocks onto the ticket.
async fn write_due(tx: &mut Tx, ticket_id: i64) -> Result<()> {
    execute!(
        tx,
        "UPDATE tickets SET
           response_due_at = (SELECT due_at FROM sla_clocks WHERE ticket_id = $1 AND kind = 'response'),
           resolution_due_at = (SELECT due_at FROM sla_clocks WHERE ticket_id = $1 AND kind = 'resolution')
         WHERE id = $1",
        ticket_id
    )?;
    Ok(())
}

fn pausing(policy: &PolicyRow, status: Status, reason: Option<PendingReason>) -> bool {
    status == Status::Pending && reason.is_some_and(|r| policy.pause_on().contains(&r))
}

/// Moves one clock on for a change of its ticket from `before` to `after` at `now`.
fn advance(
    clock: &mut Clock,
    kind: ClockKind,
    policy: &PolicyRow,
    before: &Ticket,
    after: &Ticket,
    now: Timestamp,
) -> Result<()> {
    let (b, a) = (before.status, after.status);
    let reopened = b == Status::Resolved && a.is_open();
    if reopened && matches!(kind, ClockKind::Resolution | ClockKind::Ola) {
        clock.restart(now);
    }
    let was_paused = pausing(policy, b, before.pending_reason);
    let is_paused = pausing(policy, a, after.pending_reason);
    if was_paused && !is_paused {
        clock.resume(now);
    }
    if is_paused && !was_paused {
        clock.pause(now);
    }
    match kind {
        ClockKind::Response if before.first_response_at.is_none() => {
            if let Some(at) = after.first_response_at {
                clock.stop(at.timestamp());
            }
        }
        ClockKind::OnSite if before.arrived_at.is_none() => {
            if let Some(at) = after.arrived_at {
                clock.stop(at.timestamp());
            }
        }
        // The group gave the ticket away (transfer, escalation, return).
        ClockKind::Ola if after.group_id != before.group_id => clock.stop(now),
        _ => {}
    }
    if !a.is_open() {
        clock.stop(now);
    }
    if before.priority != after.priority
        && let Some(t) = policy.targets().get(kind, after.priority as u8)
    {
        clock.target = t;
    }
    Ok(())
}

/// Keeps a ticket's clocks in step with a change to it, in the same transaction. `before` is
/// `None` for a new ticket, which gets the most specific matching policy and its clocks. The
/// group holding the ticket gets an OLA clock when it has an OLA policy: a clock per holding
/// period, stopped when the group hands the ticket on, carried on when a reopened ticket comes
/// back to the same group.
pub async fn sync(tx: &mut Tx, before: Option<&Ticket>, after: &Ticket) -> Result<()> {
    let now = after.updated_at.timestamp();
    let Some(before) = before else {
        let ctx = ClockContext::load(tx).await?;
        let path = category_path(tx, after.category_id).await?;
        let plan = ctx.plan(&Start::of(after, &path)?, now);
        let history = insert_clocks(tx, &plan.rows(after.id, after.tenant_id), now).await?;
        db::execute_all(tx, vec![history]).await?;
        if let Some(policy_id) = plan.policy_id {
            execute!(
                tx,
                "UPDATE tickets SET sla_policy_id = $2, response_due_at = $3, resolution_due_at = $4 WHERE id = $1",
                after.id,
                policy_id,
                plan.due(ClockKind::Response, now),
                plan.due(ClockKind::Resolution, now),
            )?;
        }
        return Ok(());
    };
    let mut policies = Policies::default();
    let rows = fetch_all!(tx, ClockRow, "SELECT * FROM sla_clocks WHERE ticket_id = $1 ORDER BY id", after.id)?;
    // Of the OLA clocks only the latest can still move: the running one, or the one a reopen
    // brings back.
    let latest_ola = rows.iter().rfind(|r| r.kind() == ClockKind::Ola).map(|r| r.id);
    for row in &rows {
        let kind = row.kind();
        if kind == ClockKind::Ola && Some(row.id) != latest_ola {
            continue;
        }
        if kind == ClockKind::Ola && row.stopped_at.is_some() && row.group_id != after.group_id {
            continue;
        }
        let (policy, _, cal) = policies.get(tx, row.policy_id).await?;
        let mut clock = row.clock()?;
        advance(&mut clock, kind, policy, before, after, now)?;
        save_clock(tx, row, &clock, cal, &policy.thresholds(), now).await?;
    }
    if after.group_id != before.group_id || (before.status == Status::Resolved && after.status.is_open()) {
        start_ola(tx, after, now).await?;
    }
    if rows.is_empty() {
        return Ok(());
    }
    write_due(tx, after.id).await
}

async fn active_policies(c: &mut impl Conn) -> Result<Vec<PolicyRow>> {
    c.fetch(Sql::new("SELECT * FROM sla_policies WHERE active = TRUE ORDER BY id")).await
}

/// What decides the clocks a ticket starts with.
pub(crate) struct Start<'a> {
    pub tenant_id: i64,
    pub ticket_type: &'a str,
    /// The ticket's category and its ancestors, nearest first.
    pub category_path: &'a [i64],
    pub group_id: Option<i64>,
    pub priority: i64,
    pub status: Status,
    pub pending_reason: Option<PendingReason>,
    pub created_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
}

impl<'a> Start<'a> {
    fn of(t: &'a Ticket, category_path: &'a [i64]) -> Result<Self> {
        Ok(Start {
            tenant_id: t.tenant_id,
            ticket_type: t.ticket_type.as_str(),
            category_path,
            group_id: t.group_id,
            priority: t.priority,
            status: t.status,
            pending_reason: t.pending_reason,
            created_at: t.created_at.timestamp(),
            first_response_at: t.first_response_at.map(Time::timestamp),
        })
    }
}

/// The active policies with their parsed calendars, loaded once for the clocks of one ticket
/// or of a batch of new ones.
pub(crate) struct ClockContext {
    policies: Vec<PolicyRow>,
    calendars: BTreeMap<i64, Calendar>,
}

/// A clock about to be inserted, with the policy and calendar it runs under.
pub(crate) struct NewClock<'c> {
    kind: ClockKind,
    policy: &'c PolicyRow,
    cal: &'c Calendar,
    /// The group an OLA clock times.
    group_id: Option<i64>,
    clock: Clock,
}

/// The clocks a new ticket starts with, and the SLA policy they come from.
pub(crate) struct Plan<'c> {
    pub policy_id: Option<i64>,
    clocks: Vec<NewClock<'c>>,
}

impl<'c> Plan<'c> {
    /// When the clock of `kind` falls due, as seen at `now`.
    pub fn due(&self, kind: ClockKind, now: Timestamp) -> Option<Time> {
        let c = self.clocks.iter().find(|c| c.kind == kind)?;
        c.clock.view(c.cal, now).due_at.map(Time::from)
    }

    /// The clocks for [`insert_clocks`], for the ticket `ticket_id` of `tenant_id`.
    pub fn rows(&self, ticket_id: i64, tenant_id: i64) -> Vec<(i64, i64, &NewClock<'c>)> {
        self.clocks.iter().map(|c| (ticket_id, tenant_id, c)).collect()
    }
}

impl ClockContext {
    pub(crate) async fn load(c: &mut impl Conn) -> Result<Self> {
        let policies = active_policies(c).await?;
        Self::with_calendars(c, policies).await
    }

    /// The context of `policies`, with the calendars they run on.
    async fn with_calendars(c: &mut impl Conn, policies: Vec<PolicyRow>) -> Result<Self> {
        let mut ids: Vec<i64> = policies.iter().map(|p| p.calendar_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut calendars = BTreeMap::new();
        if !ids.is_empty() {
            let mut sql = Sql::new("SELECT * FROM calendars WHERE ");
            sql.in_list("id", &ids);
            for row in c.fetch::<CalendarRow>(sql).await? {
                calendars.insert(row.id, row.calendar()?);
            }
        }
        Ok(ClockContext { policies, calendars })
    }

    /// Whether any active policy is the OLA policy of `group` (`None`: any SLA policy).
    fn any_for(&self, group: Option<i64>) -> bool {
        self.policies.iter().any(|p| p.group_id == group)
    }

    /// The SLA policy that applies to a ticket, or the OLA policy of `group`, with its calendar.
    fn choose(&self, s: &Start, group: Option<i64>) -> Option<(&PolicyRow, &Calendar)> {
        if !self.any_for(group) {
            return None;
        }
        let scopes: Vec<PolicyScope> = self.policies.iter().map(PolicyRow::scope).collect();
        let id = sla::select_policy(&scopes, group, s.tenant_id, s.ticket_type, s.category_path)?;
        let policy = self.policies.iter().find(|p| p.id == id)?;
        Some((policy, self.calendars.get(&policy.calendar_id)?))
    }

    /// The clocks of a new ticket: response, resolution and on-site from the most specific SLA
    /// policy (a response given as the ticket was logged stops its clock at once), and the OLA
    /// clock of the group it was logged to.
    pub(crate) fn plan(&self, s: &Start, now: Timestamp) -> Plan<'_> {
        let mut plan = Plan { policy_id: None, clocks: Vec::new() };
        if let Some((policy, cal)) = self.choose(s, None) {
            plan.policy_id = Some(policy.id);
            let targets = policy.targets();
            for kind in [ClockKind::Response, ClockKind::Resolution, ClockKind::OnSite] {
                let Some(target) = targets.get(kind, s.priority as u8) else { continue };
                let mut clock = Clock::start(s.created_at, target);
                if kind == ClockKind::Response
                    && let Some(at) = s.first_response_at
                {
                    clock.stop(at);
                }
                plan.clocks.push(NewClock { kind, policy, cal, group_id: None, clock });
            }
        }
        plan.clocks.extend(self.ola(s, now));
        plan
    }

    /// The OLA clock an open ticket starts for the group now holding it, if that group has an
    /// OLA policy with a target for the ticket's priority.
    fn ola(&self, s: &Start, now: Timestamp) -> Option<NewClock<'_>> {
        let group = s.group_id?;
        if !s.status.is_open() {
            return None;
        }
        let (policy, cal) = self.choose(s, Some(group))?;
        let target = policy.targets().get(ClockKind::Ola, s.priority as u8)?;
        let mut clock = Clock::start(now, target);
        if pausing(policy, s.status, s.pending_reason) {
            clock.pause(now);
        }
        Some(NewClock { kind: ClockKind::Ola, policy, cal, group_id: Some(group), clock })
    }
}

/// Inserts new clocks, each `(ticket_id, tenant_id, clock)`, with their figures at `now`
/// already derived (a new clock has no firings yet) and their history so far: started, and
/// whatever happened to it at once. Inserts the clocks in one statement and gives the one
/// that writes their history (empty for no clocks), for the caller to run, on its own or
/// with others ([`yunwei_db::db::execute_all`]).
pub(crate) async fn insert_clocks(
    w: &mut impl Conn,
    clocks: &[(i64, i64, &NewClock<'_>)],
    now: Timestamp,
) -> Result<Sql> {
    use Arg::{Bool, Int, OptInt, Text};
    if clocks.is_empty() {
        return Ok(Sql::default());
    }
    let rows = clocks
        .iter()
        .map(|(ticket_id, tenant_id, c)| {
            let view = c.clock.view(c.cal, now);
            let next =
                if c.clock.is_running() { first_unfired(&c.clock, c.cal, &c.policy.thresholds(), &[]) } else { None };
            vec![
                Int(*ticket_id),
                Int(*tenant_id),
                Text(c.kind.as_str().to_string()),
                Int(c.policy.id),
                OptInt(c.group_id),
                Int(c.clock.target.as_secs()),
                Int(micros(c.clock.started_at)),
                OptInt(c.clock.paused_since.map(micros)),
                OptInt(c.clock.stopped_at.map(micros)),
                Text(pauses_json(&c.clock)),
                OptInt(view.due_at.map(micros)),
                Bool(view.status == sla::ClockStatus::Breached),
                Int(view.elapsed.as_secs()),
                OptInt(next),
                Int(micros(now)),
            ]
        })
        .collect();
    let mut sql = Sql::new(
        "INSERT INTO sla_clocks (ticket_id, tenant_id, kind, policy_id, group_id, target_secs, started_at,
           paused_since, stopped_at, pauses, due_at, breached, elapsed_secs, next_fire_at, updated_at) VALUES ",
    );
    sql.values(w.backend(), rows).push(" RETURNING id, ticket_id, kind");
    let ids: Vec<(i64, i64, String)> = w.fetch(sql).await?;
    let mut events = Vec::new();
    for (ticket_id, _, c) in clocks {
        // A new ticket has one clock of each kind; the returned rows come in no set order.
        let Some((id, ..)) = ids.iter().find(|(_, t, k)| t == ticket_id && k == c.kind.as_str()) else {
            return Err(StoreError::NotFound("new SLA clock"));
        };
        let fresh = Clock::start(c.clock.started_at, c.clock.target);
        let changes = sla::changes(&fresh, &c.clock, now).into_iter().map(|ch| (ch.event.as_str(), ch.at));
        for (event, at) in std::iter::once((sla::ClockEvent::Started.as_str(), c.clock.started_at)).chain(changes) {
            events.push(vec![
                Int(*id),
                Int(*ticket_id),
                Text(event.to_string()),
                Int(micros(at)),
                Int(c.clock.target.as_secs()),
            ]);
        }
    }
    let mut sql = Sql::new("INSERT INTO sla_clock_events (clock_id, ticket_id, event, at, target_secs) VALUES ");
    sql.values(w.backend(), events);
    Ok(sql)
}

/// Starts an OLA clock for the group now holding an open ticket, when the group has an OLA
/// policy and no clock of its own is running.
async fn start_ola(tx: &mut Tx, t: &Ticket, now: Timestamp) -> Result<()> {
    // Most groups have no OLA policy: one query settles it, before calendars are read and parsed.
    let policies = active_policies(tx).await?;
    if t.group_id.is_none() || !policies.iter().any(|p| p.group_id == t.group_id) {
        return Ok(());
    }
    let running = scalar!(
        tx,
        i64,
        "SELECT COUNT(*) FROM sla_clocks WHERE ticket_id = $1 AND kind = 'ola' AND stopped_at IS NULL",
        t.id
    )?;
    if running > 0 {
        return Ok(());
    }
    let ctx = ClockContext::with_calendars(tx, policies).await?;
    let path = category_path(tx, t.category_id).await?;
    let Some(clock) = ctx.ola(&Start::of(t, &path)?, now) else { return Ok(()) };
    let history = insert_clocks(tx, &[(t.id, t.tenant_id, &clock)], now).await?;
    db::execute_all(tx, vec![history]).await
}

/// The job that re-derives the open clocks under a policy after the policy or its calendar
/// changed. It runs after the change commits, in batches, so an edit never holds the writer for
/// the whole recompute.
pub const RECOMPUTE_JOB: &str = "sla.recompute";

/// How many clocks one run of the recompute job measures again.
const RECOMPUTE_BATCH: i64 = 500;

async fn enqueue_recompute(tx: &mut Tx, policy_id: i64, after_clock: i64) -> Result<()> {
    let payload = serde_json::json!({ "policy_id": policy_id, "after_clock": after_clock });
    jobs::enqueue(tx, RECOMPUTE_JOB, &payload, None).await?;
    Ok(())
}

/// Runs one batch of [`RECOMPUTE_JOB`] and queues the next while clocks remain.
pub fn recompute_job(tx: &mut Tx, payload: serde_json::Value) -> jobs::BoxedRun<'_> {
    Box::pin(async move {
        let field = |name: &str| {
            payload[name].as_i64().ok_or_else(|| StoreError::Corrupt(format!("{RECOMPUTE_JOB} job without {name}")))
        };
        let (policy_id, after_clock) = (field("policy_id")?, field("after_clock")?);
        if let Some(last) = recompute_policy_clocks(tx, policy_id, after_clock, RECOMPUTE_BATCH).await? {
            enqueue_recompute(tx, policy_id, last).await?;
        }
        Ok(())
    })
}

/// Re-derives up to `limit` open clocks under a policy with ids above `after_clock`; returns
/// the last id when there may be more.
async fn recompute_policy_clocks(tx: &mut Tx, policy_id: i64, after_clock: i64, limit: i64) -> Result<Option<i64>> {
    let Some(policy) = fetch_opt!(tx, PolicyRow, "SELECT * FROM sla_policies WHERE id = $1", policy_id)? else {
        return Ok(None);
    };
    let cal = calendar_by_id(tx, policy.calendar_id).await?.calendar()?;
    let targets = policy.targets();
    let thresholds = policy.thresholds();
    let rows = fetch_all!(
        tx,
        ClockRowWithPriority,
        "SELECT c.*, t.priority AS ticket_priority FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id
         WHERE c.policy_id = $1 AND c.stopped_at IS NULL AND c.id > $2 ORDER BY c.id LIMIT $3",
        policy_id,
        after_clock,
        limit
    )?;
    let now = Timestamp::now();
    let last = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.row.id)).flatten();
    let mut tickets = Vec::new();
    for r in rows {
        let mut clock = r.row.clock()?;
        if let Some(t) = targets.get(r.row.kind(), r.ticket_priority as u8) {
            clock.target = t;
        }
        save_clock(tx, &r.row, &clock, &cal, &thresholds, now).await?;
        tickets.push(r.row.ticket_id);
    }
    tickets.sort_unstable();
    tickets.dedup();
    for t in tickets {
        write_due(tx, t).await?;
    }
    Ok(last)
}

#[derive(Debug, FromRow)]
struct ClockRowWithPriority {
    #[sqlx(flatten)]
    row: ClockRow,
    ticket_priority: i64,
}

/// A ticket's clocks with their figures now and their history. The ticket must be visible to
/// the actor; end users do not see OLA clocks.
pub async fn clocks(tx: &mut Tx, actor: &Actor, ticket: &crate::store::tickets::TicketRef) -> Result<Vec<ClockReport>> {
    let t = crate::store::tickets::get(tx, actor, ticket).await?;
    clocks_of(tx, actor, &t).await
}

/// The clocks of a ticket already read in scope.
pub async fn clocks_of(tx: &mut Tx, actor: &Actor, t: &crate::store::tickets::Ticket) -> Result<Vec<ClockReport>> {
    let mut rows = fetch_all!(
        tx,
        ClockRowWithGroup,
        "SELECT c.*, g.name AS group_name FROM sla_clocks c LEFT JOIN support_groups g ON g.id = c.group_id
         WHERE c.ticket_id = $1 ORDER BY c.id",
        t.id
    )?;
    // OLAs are the provider's internal agreements: a requester sees the ticket's own clocks.
    if permissions::own_tickets_only(actor) {
        rows.retain(|r| r.row.kind() != ClockKind::Ola);
    }
    let mut history = fetch_all!(
        tx,
        ClockEventRow,
        "SELECT clock_id, event, at, target_secs, previous_target_secs FROM sla_clock_events
         WHERE ticket_id = $1 ORDER BY id",
        t.id
    )?;
    let now = Timestamp::now();
    let mut policies = Policies::default();
    let mut out = Vec::new();
    for ClockRowWithGroup { row, group_name } in rows {
        let (policy, cal_row, cal) = policies.get(tx, row.policy_id).await?;
        let v = row.clock()?.view(cal, now);
        let (policy_id, policy_name, calendar_name) = (policy.id, policy.name.clone(), cal_row.name.clone());
        let fired = fetch_all!(
            tx,
            (i64,),
            "SELECT threshold FROM sla_firings WHERE clock_id = $1 AND target_secs = $2 ORDER BY threshold",
            row.id,
            row.target_secs
        )?;
        let (mine, rest): (Vec<_>, Vec<_>) = history.into_iter().partition(|e| e.clock_id == row.id);
        history = rest;
        out.push(ClockReport {
            id: row.id,
            kind: row.kind.as_str().to_string(),
            group_id: row.group_id,
            group_name,
            policy_id,
            policy_name,
            calendar_name,
            target_secs: row.target_secs,
            started_at: Time::from(ts(row.started_at)?),
            stopped_at: row.stopped_at.map(ts).transpose()?.map(Time::from),
            paused_since: row.paused_since.map(ts).transpose()?.map(Time::from),
            status: v.status.as_str().to_string(),
            elapsed_secs: v.elapsed.as_secs(),
            remaining_secs: v.remaining.as_secs(),
            due_at: v.due_at.map(Time::from),
            breached_at: v.breached_at.map(Time::from),
            fired: fired.into_iter().map(|(f,)| f).collect(),
            history: mine,
        });
    }
    Ok(out)
}

#[derive(Debug, FromRow)]
struct ClockRowWithGroup {
    #[sqlx(flatten)]
    row: ClockRow,
    group_name: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Escalation
// ---------------------------------------------------------------------------------------------

/// Fires every threshold that is due at `now`, at most `limit` clocks per call, and returns how
/// many firings happened. Safe to run on several instances at once: on PostgreSQL each clock is
/// taken with `SKIP LOCKED`, and every firing is a row whose key makes a second insert a no-op,
/// so each threshold fires once and only once. The cost depends on the clocks due, not on the
/// open tickets (an index on `next_fire_at`). When a scan finds several thresholds of a clock
/// reached at once (after downtime, or a new, shorter target), all are recorded and the highest
/// is announced.
pub async fn fire_due(tx: &mut Tx, now: Timestamp, limit: i64) -> Result<usize> {
    let mut sql = String::from("SELECT * FROM sla_clocks WHERE next_fire_at <= $1 ORDER BY next_fire_at LIMIT $2");
    if tx.backend() == Backend::Postgres {
        sql.push_str(" FOR UPDATE SKIP LOCKED");
    }
    let rows = fetch_all!(tx, ClockRow, &sql, micros(now), limit)?;
    let mut fired = 0;
    // A batch mostly shares a few policies: each is loaded and parsed once.
    let mut policies = Policies::default();
    // Breach actions change tickets and so their clocks: they run once every clock of the
    // batch is saved, or a clock read before them would be written back over their changes.
    let mut breach_actions = Vec::new();
    for row in rows {
        let (policy, _, cal) = policies.get(tx, row.policy_id).await?;
        let clock = row.clock()?;
        let thresholds = policy.thresholds();
        let mut highest = None;
        for pct in thresholds.iter().copied().chain(std::iter::once(100)) {
            let Some(at) = clock.threshold_at(cal, pct) else { continue };
            if !sla::is_past(at, now) || !clock.is_running() {
                continue;
            }
            let inserted = execute!(
                tx,
                "INSERT INTO sla_firings (clock_id, threshold, target_secs, fired_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                row.id,
                i64::from(pct),
                row.target_secs,
                micros(now),
            )?;
            if inserted == 1 {
                highest = Some((pct, at));
                fired += 1;
            }
        }
        save_clock(tx, &row, &clock, cal, &thresholds, now).await?;
        let Some((pct, at)) = highest else { continue };
        announce(tx, &row, policy, pct, at).await?;
        // Acting on a breach happens once per clock, not again when a new target (such as the
        // raised priority itself) is breached in turn.
        let first_breach = pct >= 100
            && row.kind() == ClockKind::Resolution
            && scalar!(tx, i64, "SELECT COUNT(*) FROM sla_firings WHERE clock_id = $1 AND threshold = 100", row.id)?
                == 1;
        if first_breach {
            breach_actions.push((row.ticket_id, policy.raise_priority_on_breach, policy.escalate_on_breach));
        }
    }
    for (ticket_id, raise, escalate) in breach_actions {
        if raise {
            crate::store::tickets::raise_priority_by_system(tx, ticket_id, SystemReason::SlaBreach).await?;
        }
        if escalate {
            crate::store::tickets::escalate_by_system(tx, ticket_id, SystemReason::SlaBreach).await?;
        }
    }
    Ok(fired)
}

/// The timeline entry and notifications for one firing.
async fn announce(tx: &mut Tx, row: &ClockRow, policy: &PolicyRow, pct: u32, at: Timestamp) -> Result<()> {
    let t = fetch_one!(
        tx,
        (i64, String, Option<i64>, Option<i64>),
        "SELECT tenant_id, number, assignee_id, group_id FROM tickets WHERE id = $1",
        row.ticket_id
    )?;
    let (tenant_id, number, assignee, group) = t;
    // An OLA clock concerns the group it times, which may have handed the ticket on since.
    let group = row.group_id.or(group);
    let kind = if pct >= 100 { "sla_breach" } else { "sla_warning" };
    let data = json!({ "clock": row.kind, "threshold": pct, "target_secs": row.target_secs, "reached_at": micros(at) });
    execute!(
        tx,
        "INSERT INTO ticket_events (ticket_id, tenant_id, kind, actor_id, public, body, data, created_at)
         VALUES ($1, $2, $3, NULL, FALSE, '', $4, $5)",
        row.ticket_id,
        tenant_id,
        kind,
        data.to_string(),
        now_micros(),
    )?;
    let mut recipients: Vec<i64> = assignee.into_iter().collect();
    if let Some(g) = group {
        let leads = fetch_all!(
            tx,
            (i64,),
            "SELECT u.id FROM users u JOIN group_members m ON m.user_id = u.id
             WHERE m.group_id = $1 AND u.role = 'group_lead' AND u.active = TRUE",
            g
        )?;
        recipients.extend(leads.into_iter().map(|(u,)| u));
        if policy.notify_next_tier && pct >= 100 {
            let next = fetch_all!(
                tx,
                (i64,),
                "SELECT u.id FROM users u JOIN group_members m ON m.user_id = u.id JOIN support_groups n ON n.id = m.group_id
                 WHERE n.tier = (SELECT tier + 1 FROM support_groups WHERE id = $1) AND u.role = 'group_lead' AND u.active = TRUE",
                g
            )?;
            recipients.extend(next.into_iter().map(|(u,)| u));
        }
    }
    let notice = Notice {
        kind: if pct >= 100 { "sla.breach" } else { "sla.warning" }.to_string(),
        tenant_id: Some(tenant_id),
        subject: Some(Subject { kind: "ticket".to_string(), id: row.ticket_id }),
        args: BTreeMap::from([
            ("number".to_string(), number),
            ("clock_key".to_string(), format!("sla.kind.{}", row.kind)),
            ("pct".to_string(), pct.to_string()),
        ]),
        recipients,
    };
    notify::send(tx, &notice).await
}

// ---------------------------------------------------------------------------------------------
// Compliance
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct ComplianceFilter {
    pub tenant_id: Option<i64>,
    pub priority: Option<i64>,
    pub group_id: Option<i64>,
    /// Tickets created in [from, to).
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// `tenant`, `priority`, `group`, `policy` or `none`.
    pub group_by: String,
    /// The "breaching soon" horizon.
    pub within_secs: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct ComplianceRow {
    /// The value of the grouping column (tenant id, priority, group id, policy id), if any.
    pub key: Option<i64>,
    pub kind: String,
    pub total: i64,
    /// Stopped within target.
    pub met: i64,
    /// Over target, stopped or still running.
    pub breached: i64,
    /// Still running within target.
    pub open: i64,
    /// Average business and wall-clock seconds of the clocks that stopped (MTTA for the
    /// response clock, MTTR for the resolution clock).
    pub mean_business_secs: Option<f64>,
    pub mean_wall_secs: Option<f64>,
    /// Running clocks due within the horizon.
    pub breaching_soon: i64,
}

/// Whether the clock `c` is breached at `now` (microseconds), from its saved figures: the one
/// definition ([`sla::ClockView::breached_by`], property-tested against the clock's own view)
/// in SQL. `due_at` is saved only while a clock runs, so a clock due before now is running and
/// late; a stopped or paused one keeps the flag it was saved with. Only a running clock has a
/// due instant, so `NOT breached AND due_at <= h` is a clock still to breach by `h`.
fn push_breached(sql: &mut Sql, now: i64) -> &mut Sql {
    sql.push("(c.breached = TRUE OR (c.due_at IS NOT NULL AND c.due_at < ").arg(Arg::Int(now)).push("))")
}

/// The clocks `c` not breached at `now` and due by `until`: `NOT breached AND due_at <= until`
/// by [`push_breached`], written as the partial index `sla_clocks_running_due` states its rows
/// (running, not flagged) so a list of them reads that index from `now` to `until` alone.
fn push_due_by(sql: &mut Sql, now: i64, until: i64) -> &mut Sql {
    sql.push("(c.stopped_at IS NULL AND c.paused_since IS NULL AND c.breached = FALSE AND c.due_at >= ")
        .arg(Arg::Int(now))
        .push(" AND c.due_at <= ")
        .arg(Arg::Int(until))
        .push(")")
}

/// Compliance per grouping and clock: within target, breached, compliance, mean times, and
/// breaches coming. Cancelled tickets are left out.
pub async fn compliance(tx: &mut Tx, actor: &Actor, f: &ComplianceFilter) -> Result<Vec<ComplianceRow>> {
    actor.require(permissions::SEE_ALL_TICKETS_IN_SCOPE)?;
    let key = match f.group_by.as_str() {
        "tenant" => "t.tenant_id",
        "priority" => "t.priority",
        // An OLA clock counts for the group it timed, the ticket's clocks for its group now.
        "group" => "COALESCE(c.group_id, t.group_id)",
        "policy" => "c.policy_id",
        "none" | "" => "NULL",
        other => {
            return Err(StoreError::invalid("group_by", "not_a_grouping").with("value", other));
        }
    };
    let now = now_micros();
    let mut sql = Sql::new(&format!(
        "SELECT CAST({key} AS BIGINT) AS key, c.kind, CAST(COUNT(*) AS BIGINT) AS total,
           CAST(SUM(CASE WHEN c.stopped_at IS NOT NULL AND NOT "
    ));
    push_breached(&mut sql, now).push(" THEN 1 ELSE 0 END) AS BIGINT) AS met, CAST(SUM(CASE WHEN ");
    push_breached(&mut sql, now)
        .push(" THEN 1 ELSE 0 END) AS BIGINT) AS breached, CAST(SUM(CASE WHEN c.stopped_at IS NULL AND NOT ");
    push_breached(&mut sql, now).push(
        " THEN 1 ELSE 0 END) AS BIGINT) AS open,
           CAST(AVG(CASE WHEN c.stopped_at IS NOT NULL THEN c.elapsed_secs END) AS DOUBLE PRECISION) AS mean_business_secs,
           CAST(AVG(CASE WHEN c.stopped_at IS NOT NULL THEN (c.stopped_at - c.started_at) / 1000000.0 END) AS DOUBLE PRECISION)
             AS mean_wall_secs,
           CAST(SUM(CASE WHEN ",
    );
    push_due_by(&mut sql, now, now + f.within_secs.max(0) * 1_000_000);
    sql.push(
        " THEN 1 ELSE 0 END) AS BIGINT) AS breaching_soon
         FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id WHERE t.status <> 'cancelled'",
    );
    sql.scoped("t.tenant_id", &actor.tenant_scope());
    let group = "COALESCE(c.group_id, t.group_id)";
    for (col, v) in [("t.tenant_id", f.tenant_id), ("t.priority", f.priority), (group, f.group_id)] {
        if let Some(v) = v {
            sql.push(" AND ").push(col).push(" = ").arg(Arg::Int(v));
        }
    }
    if let Some(v) = f.from {
        sql.push(" AND t.created_at >= ").arg(Arg::Int(v));
    }
    if let Some(v) = f.to {
        sql.push(" AND t.created_at < ").arg(Arg::Int(v));
    }
    sql.push(" GROUP BY 1, 2 ORDER BY 1, 2");
    Ok(fetch_sql!(tx, ComplianceRow, sql, fetch_all)?)
}

/// Running clocks of tickets in scope that reach their target within `within_secs`, soonest
/// first: the "breaching soon" queue.
pub async fn breaching_soon(
    tx: &mut Tx,
    actor: &Actor,
    within_secs: i64,
    limit: i64,
) -> Result<Vec<(i64, String, Time)>> {
    actor.require(permissions::SEE_ALL_TICKETS_IN_SCOPE)?;
    let now = now_micros();
    let mut sql =
        Sql::new("SELECT c.ticket_id, c.kind, c.due_at FROM sla_clocks c JOIN tickets t ON t.id = c.ticket_id WHERE ");
    push_due_by(&mut sql, now, now + within_secs.max(0) * 1_000_000);
    sql.scoped("t.tenant_id", &actor.tenant_scope());
    sql.push(" ORDER BY c.due_at LIMIT ").arg(Arg::Int(limit.clamp(1, 500)));
    Ok(fetch_sql!(tx, (i64, String, Time), sql, fetch_all)?)
}

// ---------------------------------------------------------------------------------------------
// Rebuilding
// ---------------------------------------------------------------------------------------------

/// Rebuilds a ticket's clocks from its timeline: each entry is replayed as the change it was,
/// through the same rules as a live change ([`sync`]) — started at creation, paused while
/// pending on a pausing reason, the response clock stopped at the first response, the on-site
/// one at the arrival, an OLA clock per group holding the ticket, carried on after a reopen,
/// stopped for good at close or cancel — so the clocks and their history come out as if the
/// ticket had lived it. Used for demo data (whose history is written after the fact) and to
/// repair clocks. Later edits of impact or urgency are not in the timeline's replay.
pub async fn rebuild_from_timeline(tx: &mut Tx, ticket_id: i64) -> Result<()> {
    let t = crate::store::tickets::get_for_rebuild(tx, ticket_id).await?;
    execute!(
        tx,
        "DELETE FROM sla_firings WHERE clock_id IN (SELECT id FROM sla_clocks WHERE ticket_id = $1)",
        ticket_id
    )?;
    execute!(tx, "DELETE FROM sla_clock_events WHERE ticket_id = $1", ticket_id)?;
    execute!(tx, "DELETE FROM sla_clocks WHERE ticket_id = $1", ticket_id)?;
    let events = fetch_all!(
        tx,
        (String, String, Time, String),
        "SELECT e.kind, e.data, e.created_at, COALESCE(u.role, '') AS role FROM ticket_events e
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = $1 ORDER BY e.id",
        ticket_id
    )?;
    let mut state = Ticket {
        status: Status::New,
        pending_reason: None,
        group_id: None,
        assignee_id: None,
        first_response_at: None,
        arrived_at: None,
        updated_at: t.created_at,
        ..t.clone()
    };
    let mut started = false;
    for (kind, data, at, role) in events {
        let data: serde_json::Value = serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("ticket {ticket_id} has an unreadable {kind} entry: {e}")))?;
        let id = |field: &str| data[field].as_i64();
        let mut next = Ticket { updated_at: at, ..state.clone() };
        let mut status = |s: Status| next.status = s;
        match kind.as_str() {
            "created" => {
                if let Some(g) = id("group_id") {
                    status(Status::Assigned);
                    next.group_id = Some(g);
                }
                next.updated_at = t.created_at;
                next.priority = id("priority").unwrap_or(next.priority);
                sync(tx, None, &next).await?;
                started = true;
                state = next;
                continue;
            }
            "dispatch" | "transfer" | "escalate" => {
                status(Status::Assigned);
                (next.group_id, next.assignee_id) = (id("group_id"), id("assignee_id"));
            }
            "claim" | "arrive" => {
                status(Status::InProgress);
                (next.group_id, next.assignee_id) = (id("group_id"), id("assignee_id"));
                next.first_response_at = next.first_response_at.or(Some(at));
                if kind == "arrive" {
                    next.arrived_at = Some(at);
                }
            }
            "return" => {
                status(Status::New);
                (next.group_id, next.assignee_id) = (None, None);
            }
            "suspend" => {
                status(Status::Pending);
                next.pending_reason = match data["pending_reason"].as_str() {
                    Some(r) => Some(PendingReason::parse("pending_reason", r).map_err(|e| {
                        StoreError::Corrupt(format!("ticket {ticket_id} has a suspend entry with {e}"))
                    })?),
                    None => None,
                };
            }
            "resume" => {
                status(if next.assignee_id.is_some() { Status::InProgress } else { Status::Assigned });
                next.pending_reason = None;
            }
            // A reply answers the requester only when staff write it.
            "reply" if Role::parse("role", &role).is_ok_and(|r| r.is_staff()) => {
                next.first_response_at = next.first_response_at.or(Some(at));
            }
            "resolve" => {
                status(Status::Resolved);
                next.pending_reason = None;
                next.first_response_at = next.first_response_at.or(Some(at));
            }
            "reopen" => status(if next.group_id.is_some() { Status::Assigned } else { Status::New }),
            "close" | "merge" => status(Status::Closed),
            "cancel" => status(Status::Cancelled),
            "priority_raised" => next.priority = data["priority"]["to"].as_i64().unwrap_or(next.priority),
            _ => continue,
        }
        if started {
            sync(tx, Some(&state), &next).await?;
        }
        state = next;
    }
    // Figures as of now, for clocks still running.
    let rows = fetch_all!(tx, ClockRow, "SELECT * FROM sla_clocks WHERE ticket_id = $1 ORDER BY id", ticket_id)?;
    let now = Timestamp::now();
    let mut policies = Policies::default();
    for row in rows {
        let (policy, _, cal) = policies.get(tx, row.policy_id).await?;
        save_clock(tx, &row, &row.clock()?, cal, &policy.thresholds(), now).await?;
    }
    write_due(tx, ticket_id).await
}
