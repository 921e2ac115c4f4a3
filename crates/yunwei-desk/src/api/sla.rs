//! SLA management: calendars, policies, a ticket's clocks, compliance, breaching soon, and the
//! caller's notifications.

use std::collections::BTreeMap;

use crate::api::dto;
use crate::api::tickets::TicketPath;
use crate::rules::sla::Targets;
use crate::store::sla::{self, CalendarSpec, ComplianceFilter, PolicyInput};
use crate::store::tickets::TicketRef;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use yunwei_db::notify;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option, parse_ts};
use yunwei_web::error::ApiResult;
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};
use yunwei_web::ui::i18n::{self, Locale};

#[derive(Serialize, ToSchema)]
#[schema(as = Calendar)]
pub struct CalendarOut {
    pub id: i64,
    pub name: String,
    #[schema(examples("Asia/Shanghai"))]
    pub time_zone: String,
    /// Weekday (`monday` … `sunday`) → working intervals such as `09:00-12:00`.
    pub hours: BTreeMap<String, Vec<String>>,
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<String>,
    /// 调休: weekend dates that are worked.
    #[schema(value_type = Vec<String>, format = Date)]
    pub make_up_days: Vec<String>,
    /// Whose hours a make-up day uses.
    pub make_up_weekday: String,
    pub version: i64,
    #[schema(format = DateTime)]
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
            updated_at: r.updated_at.to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendar {
    pub name: String,
    /// An IANA zone.
    #[schema(examples("Asia/Shanghai"))]
    pub time_zone: String,
    /// Weekday name → intervals like "09:00-12:00"; a missing day has no working time.
    pub hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<String>,
    /// 调休: weekend dates that are worked.
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub make_up_days: Vec<String>,
    /// Whose hours a make-up day uses (default `monday`).
    #[serde(default = "monday")]
    #[schema(default = "monday")]
    pub make_up_weekday: String,
}

/// A calendar replaced whole, at the version last read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: String,
    #[schema(examples("Asia/Shanghai"))]
    pub time_zone: String,
    /// Weekday name → intervals like "09:00-12:00"; a missing day has no working time.
    pub hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub holidays: Vec<String>,
    /// 调休: weekend dates that are worked.
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Date)]
    pub make_up_days: Vec<String>,
    /// Whose hours a make-up day uses (default `monday`).
    #[serde(default = "monday")]
    #[schema(default = "monday")]
    pub make_up_weekday: String,
}

fn monday() -> String {
    "monday".into()
}

impl NewCalendar {
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

impl CalendarPatch {
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

#[utoipa::path(get, path = "/calendars", summary = "Business calendars",
    responses((status = 200, description = "The calendars", body = Items<CalendarOut>),
        (status = 403, description = "End users may not read calendars")))]
pub async fn list_calendars(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<CalendarOut>>> {
    let mut tx = s.store.read().await?;
    let rows = sla::list_calendars(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: rows.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/calendars/{id}", summary = "One business calendar",
    params(("id" = i64, Path, description = "The calendar's id")),
    responses((status = 200, description = "The calendar", body = CalendarOut),
        (status = 403, description = "End users may not read calendars")))]
pub async fn get_calendar(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<CalendarOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(sla::get_calendar(&mut tx, &auth.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/calendars", summary = "Create a business calendar", request_body = NewCalendar,
    responses((status = 201, description = "The new calendar", body = CalendarOut),
        (status = 403, description = "Only administrators create calendars"),
        (status = 409, description = "The name is taken")))]
pub async fn create_calendar(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewCalendar>,
) -> ApiResult<(StatusCode, Json<CalendarOut>)> {
    let mut tx = s.store.write().await?;
    let row = sla::create_calendar(&mut tx, &auth.actor, b.spec()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[utoipa::path(patch, path = "/calendars/{id}", summary = "Replace a calendar; open clocks are recomputed",
    params(("id" = i64, Path, description = "The calendar's id")), request_body = CalendarPatch,
    responses((status = 200, description = "The calendar after the change", body = CalendarOut),
        (status = 403, description = "Only administrators change calendars"),
        (status = 409, description = "Stale version, or the name is taken")))]
pub async fn update_calendar(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CalendarPatch>,
) -> ApiResult<Json<CalendarOut>> {
    let version = b.version;
    let mut tx = s.store.write().await?;
    let row = sla::update_calendar(&mut tx, &auth.actor, id, version, b.spec()).await?;
    tx.commit().await?;
    yunwei_db::jobs::wake();
    Ok(Json(row.into()))
}

/// Targets on the wire: minutes per priority 1–4, `null` for none.
#[derive(Serialize, Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetMinutes {
    /// Minutes to the first response, per priority 1–4.
    #[serde(default)]
    #[schema(min_items = 4, max_items = 4)]
    pub response: [Option<i64>; 4],
    /// Minutes to resolution, per priority 1–4.
    #[serde(default)]
    #[schema(min_items = 4, max_items = 4)]
    pub resolution: [Option<i64>; 4],
    /// Minutes to arrival on site, per priority 1–4.
    #[serde(default)]
    #[schema(min_items = 4, max_items = 4)]
    pub on_site: [Option<i64>; 4],
    /// How long the policy's support group may hold a ticket (OLA policies only).
    #[serde(default)]
    #[schema(min_items = 4, max_items = 4)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = Policy)]
pub struct PolicyOut {
    pub id: i64,
    pub name: String,
    /// Set: the policy applies to this tenant's tickets only.
    pub tenant_id: Option<i64>,
    #[schema(schema_with = ticket_type_or_null)]
    pub ticket_type: Option<String>,
    pub category_id: Option<i64>,
    pub calendar_id: i64,
    pub targets_minutes: TargetMinutes,
    /// The pending reasons that pause the clocks.
    #[schema(schema_with = pause_on)]
    pub pause_on: Vec<String>,
    /// Warning percentages; 100 is the breach.
    pub thresholds: Vec<u32>,
    pub notify_next_tier: bool,
    pub escalate_on_breach: bool,
    /// Raise the priority one level at a resolution breach.
    pub raise_priority_on_breach: bool,
    /// Set for a support group's OLA policy.
    pub group_id: Option<i64>,
    pub active: bool,
    pub version: i64,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

fn ticket_type_or_null() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts_or_null(crate::rules::ticket::TicketType::ALL.iter().map(|t| t.as_str()))
}

fn pause_on() -> utoipa::openapi::Array {
    let reasons = crate::rules::ticket::PendingReason::ALL.iter().map(|r| r.as_str());
    utoipa::openapi::ArrayBuilder::new().items(yunwei_web::openapi::one_of_texts(reasons)).build()
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
            updated_at: p.updated_at.to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    pub name: String,
    /// Set: the policy applies to this tenant's tickets only.
    pub tenant_id: Option<i64>,
    #[schema(schema_with = ticket_type_or_null)]
    pub ticket_type: Option<String>,
    pub category_id: Option<i64>,
    pub calendar_id: i64,
    pub targets_minutes: TargetMinutes,
    /// The pending reasons that pause the clocks (default: the user's and a vendor's).
    #[schema(schema_with = pause_on)]
    pub pause_on: Option<Vec<String>>,
    /// Warning percentages; 100 is the breach.
    pub thresholds: Option<Vec<u32>>,
    pub notify_next_tier: Option<bool>,
    pub escalate_on_breach: Option<bool>,
    /// Raise the priority one level at a resolution breach.
    pub raise_priority_on_breach: Option<bool>,
    /// Set: the policy is this support group's OLA.
    pub group_id: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    /// `null`: every tenant.
    #[serde(default, deserialize_with = "double_option")]
    pub tenant_id: Option<Option<i64>>,
    /// `null`: both types.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = ticket_type_or_null)]
    pub ticket_type: Option<Option<String>>,
    /// `null`: every category.
    #[serde(default, deserialize_with = "double_option")]
    pub category_id: Option<Option<i64>>,
    pub calendar_id: Option<i64>,
    pub targets_minutes: Option<TargetMinutes>,
    #[schema(schema_with = pause_on)]
    pub pause_on: Option<Vec<String>>,
    /// Warning percentages; 100 is the breach.
    pub thresholds: Option<Vec<u32>>,
    pub notify_next_tier: Option<bool>,
    pub escalate_on_breach: Option<bool>,
    pub raise_priority_on_breach: Option<bool>,
    /// An SLA policy cannot become an OLA or the other way round.
    #[serde(default, deserialize_with = "double_option")]
    pub group_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

impl NewPolicy {
    fn input(self) -> PolicyInput {
        PolicyInput {
            name: Some(self.name),
            tenant_id: Some(self.tenant_id),
            ticket_type: Some(self.ticket_type),
            category_id: Some(self.category_id),
            calendar_id: Some(self.calendar_id),
            targets: Some(self.targets_minutes.targets()),
            pause_on: self.pause_on,
            thresholds: self.thresholds,
            notify_next_tier: self.notify_next_tier,
            escalate_on_breach: self.escalate_on_breach,
            raise_priority_on_breach: self.raise_priority_on_breach,
            group_id: Some(self.group_id),
            active: self.active,
        }
    }
}

impl PolicyPatch {
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

#[utoipa::path(get, path = "/sla-policies", summary = "SLA policies",
    responses((status = 200, description = "The policies in the caller's scope", body = Items<PolicyOut>),
        (status = 403, description = "End users may not read policies")))]
pub async fn list_policies(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<PolicyOut>>> {
    let mut tx = s.store.read().await?;
    let rows = sla::list_policies(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: rows.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/sla-policies/{id}", summary = "One SLA policy",
    params(("id" = i64, Path, description = "The policy's id")),
    responses((status = 200, description = "The policy", body = PolicyOut),
        (status = 403, description = "End users may not read policies")))]
pub async fn get_policy(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<PolicyOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(sla::get_policy(&mut tx, &auth.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/sla-policies", summary = "Create an SLA policy", request_body = NewPolicy,
    responses((status = 201, description = "The new policy", body = PolicyOut),
        (status = 403, description = "Only administrators create policies"),
        (status = 409, description = "The name is taken")))]
pub async fn create_policy(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewPolicy>,
) -> ApiResult<(StatusCode, Json<PolicyOut>)> {
    let mut tx = s.store.write().await?;
    let p = sla::create_policy(&mut tx, &auth.actor, b.input()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[utoipa::path(patch, path = "/sla-policies/{id}", summary = "Change a policy; open clocks are recomputed",
    params(("id" = i64, Path, description = "The policy's id")), request_body = PolicyPatch,
    responses((status = 200, description = "The policy after the change", body = PolicyOut),
        (status = 403, description = "Only administrators change policies"),
        (status = 409, description = "Stale version, or the name is taken")))]
pub async fn update_policy(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<PolicyPatch>,
) -> ApiResult<Json<PolicyOut>> {
    let version = b.version;
    let mut tx = s.store.write().await?;
    let p = sla::update_policy(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    yunwei_db::jobs::wake();
    Ok(Json(p.into()))
}

#[derive(Serialize, ToSchema)]
#[schema(as = Clock)]
pub struct ClockOut {
    pub id: i64,
    #[schema(schema_with = dto::clock_kind)]
    pub kind: String,
    /// The support group an `ola` clock times.
    pub group_id: Option<i64>,
    pub group_name: Option<String>,
    pub policy_id: i64,
    pub policy_name: String,
    pub calendar_name: String,
    #[schema(schema_with = dto::clock_status)]
    pub status: String,
    pub target_secs: i64,
    pub elapsed_secs: i64,
    /// Negative once breached.
    pub remaining_secs: i64,
    #[schema(format = DateTime)]
    pub started_at: String,
    #[schema(format = DateTime)]
    pub stopped_at: Option<String>,
    #[schema(format = DateTime)]
    pub paused_since: Option<String>,
    #[schema(format = DateTime)]
    pub due_at: Option<String>,
    #[schema(format = DateTime)]
    pub breached_at: Option<String>,
    /// The warning percentages that fired.
    pub fired_thresholds: Vec<i64>,
    pub history: Vec<ClockEventOut>,
}

/// One entry of a clock's history.
#[derive(Serialize, ToSchema)]
#[schema(as = ClockHistoryEntry)]
pub struct ClockEventOut {
    #[schema(schema_with = dto::clock_event)]
    pub event: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub target_secs: i64,
    /// The target before a `retargeted` entry.
    pub previous_target_secs: Option<i64>,
}

#[utoipa::path(get, path = "/tickets/{ticket}/sla", summary = "The ticket's SLA clocks with their figures now", params(TicketPath),
    responses((status = 200, description = "The clocks, with their history", body = Items<ClockOut>)))]
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
                started_at: c.started_at.to_string(),
                stopped_at: c.stopped_at.map(|t| t.to_string()),
                paused_since: c.paused_since.map(|t| t.to_string()),
                due_at: c.due_at.map(|t| t.to_string()),
                breached_at: c.breached_at.map(|t| t.to_string()),
                fired_thresholds: c.fired,
                history: c
                    .history
                    .into_iter()
                    .map(|e| ClockEventOut {
                        event: e.event,
                        at: e.at.to_string(),
                        target_secs: e.target_secs,
                        previous_target_secs: e.previous_target_secs,
                    })
                    .collect(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// `none` (default), `tenant`, `priority`, `group` or `policy`: what `key` is.
    #[param(schema_with = group_by)]
    pub group_by: Option<String>,
    pub tenant_id: Option<i64>,
    #[param(minimum = 1, maximum = 4)]
    pub priority: Option<i64>,
    pub group_id: Option<i64>,
    /// Clocks started at or after (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Clocks started before (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// Horizon for "breaching soon", in hours (default 4).
    pub within_hours: Option<i64>,
}

fn group_by() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(["none", "tenant", "priority", "group", "policy"])
}

#[derive(Serialize, ToSchema)]
#[schema(as = Compliance)]
pub struct ComplianceOut {
    /// The tenant, priority, group or policy of the row; `null` without `group_by`.
    pub key: Option<i64>,
    #[schema(schema_with = dto::clock_kind)]
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

#[utoipa::path(get, path = "/reports/sla",
    summary = "Compliance, MTTA/MTTR and breaches coming (group_by tenant, priority, group, policy)", params(ComplianceQuery),
    responses((status = 200, description = "One row per clock kind (and key)", body = Items<ComplianceOut>),
        (status = 403, description = "End users may not read reports"),
        (status = 422, description = "A filter is invalid (a time, group_by); `field` names it")))]
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

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SoonQuery {
    /// The horizon in hours (default 4).
    pub within_hours: Option<i64>,
    /// At most this many (default 100).
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = BreachingSoon)]
pub struct SoonOut {
    pub ticket_id: i64,
    #[schema(schema_with = dto::clock_kind)]
    pub clock: String,
    #[schema(format = DateTime)]
    pub due_at: String,
}

#[utoipa::path(get, path = "/sla/breaching-soon", summary = "Running clocks due within within_hours (default 4)", params(SoonQuery),
    responses((status = 200, description = "The clocks, soonest first", body = Items<SoonOut>),
        (status = 403, description = "End users may not list clocks"),
        (status = 422, description = "A parameter is out of range; `field` names it")))]
pub async fn breaching_soon(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<SoonQuery>,
) -> ApiResult<Json<Items<SoonOut>>> {
    let mut tx = s.store.read().await?;
    let within = q.within_hours.unwrap_or(4) * 3600;
    let rows = sla::breaching_soon(&mut tx, &auth.actor, within, q.limit.unwrap_or(100)).await?;
    Ok(Json(Items {
        items: rows
            .into_iter()
            .map(|(ticket_id, clock, due)| SoonOut { ticket_id, clock, due_at: due.to_string() })
            .collect(),
    }))
}

/// One notification, worded in the caller's language.
#[derive(Serialize, ToSchema)]
#[schema(as = Notification)]
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
    #[schema(format = DateTime)]
    pub created_at: String,
    /// `null` while unread.
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
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
            created_at: n.created_at.to_string(),
            read_at: n.read_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// `true`: unread ones only.
    pub unread: Option<bool>,
}

#[utoipa::path(get, path = "/notifications", summary = "The caller's notifications (unread=true for unread only)",
    params(NotificationQuery),
    responses((status = 200, description = "The notifications, newest first", body = Items<NotificationOut>)))]
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

#[utoipa::path(post, path = "/notifications/{id}/read", summary = "Mark a notification read",
    params(("id" = i64, Path, description = "The notification's id")),
    responses((status = 204, description = "Marked read")))]
pub async fn mark_read(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    let mut tx = s.store.write().await?;
    notify::mark_read(&mut tx, &auth.actor, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
