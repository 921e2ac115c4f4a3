//! SLA management: calendars, policies, a ticket's clocks, compliance, breaching soon, and the
//! caller's notifications.

use std::collections::BTreeMap;

use crate::rules::sla::Targets;
use crate::store::sla::{self, CalendarSpec, ComplianceFilter, PolicyInput};
use crate::store::tickets::TicketRef;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use yunwei_db::notify;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option, parse_ts, ts};
use yunwei_web::error::{ApiError, ApiResult};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};
use yunwei_web::ui::i18n::{self, Locale};

#[derive(Serialize)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub hours: BTreeMap<String, Vec<String>>,
    pub holidays: Vec<String>,
    pub make_up_days: Vec<String>,
    pub make_up_weekday: String,
    pub version: i64,
    pub updated_at: String,
}

impl From<sla::CalendarRow> for CalendarOut {
    fn from(r: sla::CalendarRow) -> Self {
        let s = r.spec();
        CalendarOut {
            id: r.id,
            name: s.name,
            time_zone: s.time_zone,
            hours: s.hours,
            holidays: s.holidays,
            make_up_days: s.make_up_days,
            make_up_weekday: s.make_up_weekday,
            version: r.version,
            updated_at: ts(r.updated_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    pub version: Option<i64>,
    pub name: String,
    pub time_zone: String,
    /// Weekday name → intervals like "09:00-12:00"; a missing day has no working time.
    pub hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub make_up_days: Vec<String>,
    #[serde(default = "monday")]
    pub make_up_weekday: String,
}

fn monday() -> String {
    "monday".into()
}

impl CalendarBody {
    fn spec(self) -> CalendarSpec {
        CalendarSpec {
            name: self.name,
            time_zone: self.time_zone,
            hours: self.hours,
            holidays: self.holidays,
            make_up_days: self.make_up_days,
            make_up_weekday: self.make_up_weekday,
        }
    }
}

pub async fn list_calendars(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<CalendarOut>>> {
    let mut tx = s.store.read().await?;
    let rows = sla::list_calendars(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: rows.into_iter().map(Into::into).collect() }))
}

pub async fn get_calendar(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<CalendarOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(sla::get_calendar(&mut tx, &auth.actor, id).await?.into()))
}

pub async fn create_calendar(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<CalendarBody>,
) -> ApiResult<(StatusCode, Json<CalendarOut>)> {
    if b.version.is_some() {
        return Err(ApiError::invalid("version", "not_on_create"));
    }
    let mut tx = s.store.write().await?;
    let row = sla::create_calendar(&mut tx, &auth.actor, b.spec()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub async fn update_calendar(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CalendarBody>,
) -> ApiResult<Json<CalendarOut>> {
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "required"))?;
    let mut tx = s.store.write().await?;
    let row = sla::update_calendar(&mut tx, &auth.actor, id, version, b.spec()).await?;
    tx.commit().await?;
    yunwei_db::jobs::wake();
    Ok(Json(row.into()))
}

/// Targets on the wire: minutes per priority 1–4, `null` for none.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetMinutes {
    #[serde(default)]
    pub response: [Option<i64>; 4],
    #[serde(default)]
    pub resolution: [Option<i64>; 4],
    #[serde(default)]
    pub on_site: [Option<i64>; 4],
    /// How long the policy's support group may hold a ticket (OLA policies only).
    #[serde(default)]
    pub ola: [Option<i64>; 4],
}

impl TargetMinutes {
    fn targets(&self) -> Targets {
        let conv = |row: &[Option<i64>; 4]| row.map(|m| m.map(SignedDuration::from_mins));
        Targets {
            response: conv(&self.response),
            resolution: conv(&self.resolution),
            on_site: conv(&self.on_site),
            ola: conv(&self.ola),
        }
    }

    fn from_targets(t: &Targets) -> Self {
        let conv = |row: &[Option<SignedDuration>; 4]| row.map(|d| d.map(|d| d.as_secs() / 60));
        TargetMinutes {
            response: conv(&t.response),
            resolution: conv(&t.resolution),
            on_site: conv(&t.on_site),
            ola: conv(&t.ola),
        }
    }
}

#[derive(Serialize)]
pub struct PolicyOut {
    pub id: i64,
    pub name: String,
    pub tenant_id: Option<i64>,
    pub ticket_type: Option<String>,
    pub category_id: Option<i64>,
    pub calendar_id: i64,
    pub targets_minutes: TargetMinutes,
    pub pause_on: Vec<String>,
    pub thresholds: Vec<u32>,
    pub notify_next_tier: bool,
    pub escalate_on_breach: bool,
    pub raise_priority_on_breach: bool,
    /// Set for a support group's OLA policy.
    pub group_id: Option<i64>,
    pub active: bool,
    pub version: i64,
    pub updated_at: String,
}

impl From<sla::PolicyRow> for PolicyOut {
    fn from(p: sla::PolicyRow) -> Self {
        PolicyOut {
            targets_minutes: TargetMinutes::from_targets(&p.targets()),
            pause_on: p.pause_on().iter().map(|r| r.as_str().to_string()).collect(),
            thresholds: p.thresholds(),
            id: p.id,
            name: p.name,
            tenant_id: p.tenant_id,
            ticket_type: p.ticket_type,
            category_id: p.category_id,
            calendar_id: p.calendar_id,
            notify_next_tier: p.notify_next_tier,
            escalate_on_breach: p.escalate_on_breach,
            raise_priority_on_breach: p.raise_priority_on_breach,
            group_id: p.group_id,
            active: p.active,
            version: p.version,
            updated_at: ts(p.updated_at),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    pub version: Option<i64>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub tenant_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub ticket_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub category_id: Option<Option<i64>>,
    pub calendar_id: Option<i64>,
    pub targets_minutes: Option<TargetMinutes>,
    pub pause_on: Option<Vec<String>>,
    pub thresholds: Option<Vec<u32>>,
    pub notify_next_tier: Option<bool>,
    pub escalate_on_breach: Option<bool>,
    pub raise_priority_on_breach: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    pub group_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

impl PolicyBody {
    fn input(self) -> PolicyInput {
        PolicyInput {
            name: self.name,
            tenant_id: self.tenant_id,
            ticket_type: self.ticket_type,
            category_id: self.category_id,
            calendar_id: self.calendar_id,
            targets: self.targets_minutes.as_ref().map(TargetMinutes::targets),
            pause_on: self.pause_on,
            thresholds: self.thresholds,
            notify_next_tier: self.notify_next_tier,
            escalate_on_breach: self.escalate_on_breach,
            raise_priority_on_breach: self.raise_priority_on_breach,
            group_id: self.group_id,
            active: self.active,
        }
    }
}

pub async fn list_policies(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<PolicyOut>>> {
    let mut tx = s.store.read().await?;
    let rows = sla::list_policies(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: rows.into_iter().map(Into::into).collect() }))
}

pub async fn get_policy(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<PolicyOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(sla::get_policy(&mut tx, &auth.actor, id).await?.into()))
}

pub async fn create_policy(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<(StatusCode, Json<PolicyOut>)> {
    if b.version.is_some() {
        return Err(ApiError::invalid("version", "not_on_create"));
    }
    let mut tx = s.store.write().await?;
    let p = sla::create_policy(&mut tx, &auth.actor, b.input()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

pub async fn update_policy(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PolicyBody>,
) -> ApiResult<Json<PolicyOut>> {
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "required"))?;
    let mut tx = s.store.write().await?;
    let p = sla::update_policy(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    yunwei_db::jobs::wake();
    Ok(Json(p.into()))
}

#[derive(Serialize)]
pub struct ClockOut {
    pub id: i64,
    pub kind: String,
    /// The support group an `ola` clock times.
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub calendar_name: String,
    pub status: String,
    pub target_secs: i64,
    pub elapsed_secs: i64,
    pub remaining_secs: i64,
    pub started_at: String,
    pub stopped_at: Option<String>,
    pub paused_since: Option<String>,
    pub due_at: Option<String>,
    pub breached_at: Option<String>,
    pub fired_thresholds: Vec<i64>,
    pub history: Vec<ClockEventOut>,
}

/// One entry of a clock's history.
#[derive(Serialize)]
pub struct ClockEventOut {
    /// `started`, `paused`, `resumed`, `stopped`, `restarted` or `retargeted`.
    pub event: String,
    pub at: String,
    pub target_secs: i64,
    /// The target before a `retargeted` entry.
    pub previous_target_secs: Option<i64>,
}

pub async fn ticket_clocks(
    State(s): State<AppState>,
    auth: Auth,
    Path(r): Path<String>,
) -> ApiResult<Json<Items<ClockOut>>> {
    let mut tx = s.store.read().await?;
    let clocks = sla::clocks(&mut tx, &auth.actor, &TicketRef::parse(&r)).await?;
    Ok(Json(Items {
        items: clocks
            .into_iter()
            .map(|c| ClockOut {
                id: c.id,
                kind: c.kind,
                group_id: c.group_id,
                group_name: c.group_name,
                policy_id: c.policy_id,
                policy_name: c.policy_name,
                calendar_name: c.calendar_name,
                status: c.status,
                target_secs: c.target_secs,
                elapsed_secs: c.elapsed_secs,
                remaining_secs: c.remaining_secs,
                started_at: ts(c.started_at),
                stopped_at: c.stopped_at.map(ts),
                paused_since: c.paused_since.map(ts),
                due_at: c.due_at.map(ts),
                breached_at: c.breached_at.map(ts),
                fired_thresholds: c.fired,
                history: c
                    .history
                    .into_iter()
                    .map(|e| ClockEventOut {
                        event: e.event,
                        at: ts(e.at),
                        target_secs: e.target_secs,
                        previous_target_secs: e.previous_target_secs,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    pub group_by: Option<String>,
    pub tenant_id: Option<i64>,
    pub priority: Option<i64>,
    pub group_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Horizon for "breaching soon", in hours (default 4).
    pub within_hours: Option<i64>,
}

#[derive(Serialize)]
pub struct ComplianceOut {
    pub key: Option<i64>,
    pub clock: String,
    pub total: i64,
    pub met: i64,
    pub breached: i64,
    pub open: i64,
    /// Met ÷ (met + breached), in percent; `null` when nothing has finished.
    pub compliance_pct: Option<f64>,
    pub mean_business_secs: Option<f64>,
    pub mean_wall_secs: Option<f64>,
    pub breaching_soon: i64,
}

pub async fn compliance(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> ApiResult<Json<Items<ComplianceOut>>> {
    let f = ComplianceFilter {
        tenant_id: q.tenant_id,
        priority: q.priority,
        group_id: q.group_id,
        from: q.from.as_deref().map(|t| parse_ts("from", t)).transpose()?,
        to: q.to.as_deref().map(|t| parse_ts("to", t)).transpose()?,
        group_by: q.group_by.unwrap_or_else(|| "none".into()),
        within_secs: q.within_hours.unwrap_or(4) * 3600,
    };
    let mut tx = s.store.read().await?;
    let rows = sla::compliance(&mut tx, &auth.actor, &f).await?;
    Ok(Json(Items {
        items: rows
            .into_iter()
            .map(|r| {
                let done = r.met + r.breached;
                ComplianceOut {
                    compliance_pct: (done > 0).then(|| (r.met as f64 * 1000.0 / done as f64).round() / 10.0),
                    key: r.key,
                    clock: r.kind,
                    total: r.total,
                    met: r.met,
                    breached: r.breached,
                    open: r.open,
                    mean_business_secs: r.mean_business_secs,
                    mean_wall_secs: r.mean_wall_secs,
                    breaching_soon: r.breaching_soon,
                }
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SoonQuery {
    pub within_hours: Option<i64>,
    pub limit: Option<i64>,
}

#[derive(Serialize)]
pub struct SoonOut {
    pub ticket_id: i64,
    pub clock: String,
    pub due_at: String,
}

pub async fn breaching_soon(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SoonQuery>,
) -> ApiResult<Json<Items<SoonOut>>> {
    let mut tx = s.store.read().await?;
    let within = q.within_hours.unwrap_or(4) * 3600;
    let rows = sla::breaching_soon(&mut tx, &auth.actor, within, q.limit.unwrap_or(100)).await?;
    Ok(Json(Items {
        items: rows.into_iter().map(|(ticket_id, clock, due)| SoonOut { ticket_id, clock, due_at: ts(due) }).collect(),
    }))
}

/// One notification, worded in the caller's language.
#[derive(Serialize)]
pub struct NotificationOut {
    pub id: i64,
    /// What happened, e.g. `sla.breach`.
    pub kind: String,
    /// The record it is about.
    pub subject: Option<SubjectOut>,
    /// The ticket it is about (the subject, when that is a ticket).
    pub ticket_id: Option<i64>,
    /// The values the text is made from.
    pub args: BTreeMap<String, String>,
    /// The notification in the caller's language (their profile's).
    pub text: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

#[derive(Serialize)]
pub struct SubjectOut {
    pub kind: String,
    pub id: i64,
}

impl NotificationOut {
    pub fn new(n: notify::Notification, locale: Locale) -> Self {
        let text = if n.legacy_body.is_empty() {
            i18n::render(locale, &format!("notice.{}", n.kind), &n.args)
        } else {
            n.legacy_body
        };
        NotificationOut {
            id: n.id,
            ticket_id: n.subject.as_ref().filter(|s| s.kind == "ticket").map(|s| s.id),
            subject: n.subject.map(|s| SubjectOut { kind: s.kind, id: s.id }),
            kind: n.kind,
            args: n.args,
            text,
            created_at: ts(n.created_at),
            read_at: n.read_at.map(ts),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    pub unread: Option<bool>,
}

pub async fn notifications(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Items<NotificationOut>>> {
    let mut tx = s.store.read().await?;
    let rows = notify::for_actor(&mut tx, &auth.actor, q.unread.unwrap_or(false)).await?;
    let locale = Locale::parse(&auth.user.locale).unwrap_or(Locale::ZhCn);
    Ok(Json(Items { items: rows.into_iter().map(|n| NotificationOut::new(n, locale)).collect() }))
}

pub async fn mark_read(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let mut tx = s.store.write().await?;
    notify::mark_read(&mut tx, &auth.actor, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
