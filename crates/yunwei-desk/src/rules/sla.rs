//! SLA clocks and policy choice.
//!
//! A [`Clock`] holds everything that decides it — when it started, its target, when it was
//! paused, when it stopped — and every figure (elapsed business time, remaining time, due
//! instant, breach instant, when each warning threshold is reached) is computed from that on a
//! [`Calendar`]. Nothing is accumulated, so nothing can drift: a new target (priority change),
//! a new calendar (policy change), a reopen or a reassignment all give exact figures, and time
//! already waited is never lost or counted twice.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use yunwei_kernel::DomainError;
use yunwei_kernel::calendar::Calendar;
use yunwei_kernel::string_enum;

use crate::rules::ticket::PendingReason;

string_enum!(
    /// What a clock measures.
    /// `ola`: the time one support group holds the ticket (an operational level agreement);
    /// a ticket gets one such clock per holding period.
    ClockKind { Response = "response", Resolution = "resolution", OnSite = "on_site", Ola = "ola" }
);

string_enum!(ClockStatus { Running = "running", Paused = "paused", Met = "met", Breached = "breached" });

/// One SLA clock of one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    pub started_at: Timestamp,
    pub target: SignedDuration,
    /// Closed pause intervals `[from, to)`, in the order they happened.
    pub pauses: Vec<(Timestamp, Timestamp)>,
    /// Set while the clock is paused.
    pub paused_since: Option<Timestamp>,
    /// Set once the clock has stopped (target met or missed).
    pub stopped_at: Option<Timestamp>,
}

/// Whether the instant `at` (a due instant, a warning threshold) has passed at `now`: only
/// after it, not at it. The view, the escalation scan and the stored figures all decide by it.
pub fn is_past(at: Timestamp, now: Timestamp) -> bool {
    at < now
}

string_enum!(
    /// How a queue shows a ticket's resolution clock: late, due within [`SOON`], counting, held
    /// (no due instant while paused), or none (stopped, or no SLA).
    DueState { Breached = "breached", Soon = "soon", Running = "running", Paused = "paused", None = "none" }
);

/// How near a due instant counts as "breaching soon" in a queue (the report's default horizon).
pub const SOON: SignedDuration = SignedDuration::from_hours(4);

/// A queue's reading of a ticket's saved resolution due instant at `now`: breached exactly
/// when the clock's own view says so ([`is_past`]; a running clock alone has a due instant),
/// soon within [`SOON`]; `open` is whether the ticket still needs work, `paused` whether it
/// waits (a pending ticket's clock has no due instant).
pub fn due_state(due: Option<Timestamp>, open: bool, paused: bool, now: Timestamp) -> DueState {
    match due {
        _ if !open => DueState::None,
        Some(d) if is_past(d, now) => DueState::Breached,
        Some(d) if d.duration_since(now) <= SOON => DueState::Soon,
        Some(_) => DueState::Running,
        None if paused => DueState::Paused,
        None => DueState::None,
    }
}

/// A clock's figures at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClockView {
    pub status: ClockStatus,
    pub elapsed: SignedDuration,
    /// Negative once breached.
    pub remaining: SignedDuration,
    /// When the target will be reached if the clock keeps running; `None` while paused or
    /// stopped.
    pub due_at: Option<Timestamp>,
    /// When the target was (or will be, if running) exceeded.
    pub breached_at: Option<Timestamp>,
}

impl ClockView {
    /// Whether a clock seen at one instant is breached at a `later` one, with nothing done to it
    /// between: breached already, or running and due before `later`. What the store asks of
    /// the figures it saved (`breached = TRUE OR due_at < now`), so its lists and reports need
    /// not recompute each clock; property-tested to agree with [`Clock::view`] at `later`.
    pub fn breached_by(&self, later: Timestamp) -> bool {
        self.status == ClockStatus::Breached || self.due_at.is_some_and(|d| is_past(d, later))
    }
}

impl Clock {
    pub fn start(at: Timestamp, target: SignedDuration) -> Clock {
        Clock { started_at: at, target, pauses: Vec::new(), paused_since: None, stopped_at: None }
    }

    pub fn is_running(&self) -> bool {
        self.stopped_at.is_none() && self.paused_since.is_none()
    }

    /// Pauses a running clock; pausing a paused or stopped clock changes nothing.
    pub fn pause(&mut self, at: Timestamp) {
        if self.is_running() {
            self.paused_since = Some(at.max(self.started_at));
        }
    }

    /// Resumes a paused clock.
    pub fn resume(&mut self, at: Timestamp) {
        if let Some(since) = self.paused_since.take()
            && at > since
        {
            self.pauses.push((since, at));
        }
    }

    /// Stops the clock (ending any pause first).
    pub fn stop(&mut self, at: Timestamp) {
        if self.stopped_at.is_none() {
            self.resume(at);
            self.stopped_at = Some(at.max(self.started_at));
        }
    }

    /// Runs a stopped clock again (a reopened ticket): the stopped time counts as a pause, so
    /// the clock carries on from where it stood.
    pub fn restart(&mut self, at: Timestamp) {
        if let Some(stopped) = self.stopped_at.take()
            && at > stopped
        {
            self.pauses.push((stopped, at));
        }
    }

    /// Pause intervals including the open one, which runs to `end`.
    fn all_pauses(&self, end: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut p = self.pauses.clone();
        if let Some(since) = self.paused_since {
            p.push((since, end.max(since)));
        }
        p
    }

    /// Business time counted up to `now` (or the stop).
    pub fn elapsed(&self, cal: &Calendar, now: Timestamp) -> SignedDuration {
        let end = self.stopped_at.map_or(now, |s| s.min(now)).max(self.started_at);
        cal.business_time_between_excluding(self.started_at, end, &self.all_pauses(end))
    }

    /// The instant at which the clock's counted time reaches `amount`, if it does: `None` when
    /// it stops or pauses (indefinitely) before then. A zero amount is reached at the start.
    pub fn reached_at(&self, cal: &Calendar, amount: SignedDuration) -> Option<Timestamp> {
        if amount <= SignedDuration::ZERO {
            return Some(self.started_at);
        }
        let mut pauses = self.pauses.clone();
        pauses.sort();
        // The running segments: from the start, between pauses, to the stop (or open-ended).
        let mut segments = Vec::new();
        let mut cursor = self.started_at;
        for (from, to) in pauses {
            if from > cursor {
                segments.push((cursor, Some(from)));
            }
            cursor = cursor.max(to);
        }
        let last_end = match (self.paused_since, self.stopped_at) {
            (Some(p), _) => Some(p),
            (None, Some(s)) => Some(s),
            (None, None) => None,
        };
        match last_end {
            Some(end) if end > cursor => segments.push((cursor, Some(end))),
            Some(_) => {}
            None => segments.push((cursor, None)),
        }
        let mut left = amount;
        for (from, to) in segments {
            match to {
                Some(to) => {
                    let here = cal.business_time_between(from, to);
                    if here >= left {
                        return cal.add_business_time(from, left).ok();
                    }
                    left -= here;
                }
                None => return cal.add_business_time(from, left).ok(),
            }
        }
        None
    }

    /// The clock's figures at `now`.
    ///
    /// Breached means one thing everywhere: the due instant (where the counted time reaches the
    /// target) has passed without the clock stopping or pausing. A 40-hour clock due at Friday
    /// 18:00, the close of business, is breached from then on, though no more business time
    /// counts until Monday; stopped at 18:00 itself it is met.
    pub fn view(&self, cal: &Calendar, now: Timestamp) -> ClockView {
        let elapsed = self.elapsed(cal, now);
        let remaining = self.target - elapsed;
        let due = self.reached_at(cal, self.target);
        // Counting ended at the stop or the pause, else goes on to now.
        let until = self.stopped_at.or(self.paused_since).map_or(now, |t| t.min(now));
        let breached_at = due.filter(|d| is_past(*d, until));
        let due_at = if self.is_running() { due } else { None };
        let status = if breached_at.is_some() {
            ClockStatus::Breached
        } else if self.stopped_at.is_some() {
            ClockStatus::Met
        } else if self.paused_since.is_some() {
            ClockStatus::Paused
        } else {
            ClockStatus::Running
        };
        ClockView { status, elapsed, remaining, due_at, breached_at }
    }

    /// When `percent` of the target is reached, if the clock gets there while running.
    pub fn threshold_at(&self, cal: &Calendar, percent: u32) -> Option<Timestamp> {
        let nanos = self.target.as_nanos() * i128::from(percent) / 100;
        let amount = SignedDuration::from_nanos(i64::try_from(nanos).unwrap_or(i64::MAX));
        self.reached_at(cal, amount)
    }
}

string_enum!(
    /// What happened to a clock, for its history.
    ClockEvent {
        Started = "started",
        Paused = "paused",
        Resumed = "resumed",
        Stopped = "stopped",
        Restarted = "restarted",
        Retargeted = "retargeted",
    }
);

/// One entry of a clock's history: what happened, when, and the target before a retarget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockChange {
    pub event: ClockEvent,
    pub at: Timestamp,
    pub previous_target: Option<SignedDuration>,
}

/// What changed from `before` to `after` (the same clock after one change to its ticket, made
/// at `at`), in the order it happened.
pub fn changes(before: &Clock, after: &Clock, at: Timestamp) -> Vec<ClockChange> {
    let mut out = Vec::new();
    let mut push = |event, at, previous_target| out.push(ClockChange { event, at, previous_target });
    if before.stopped_at.is_some() && after.stopped_at.is_none() {
        push(ClockEvent::Restarted, at, None);
    }
    if before.paused_since.is_some() && after.paused_since.is_none() {
        push(ClockEvent::Resumed, at, None);
    }
    if before.target != after.target {
        push(ClockEvent::Retargeted, at, Some(before.target));
    }
    if let (None, Some(p)) = (before.paused_since, after.paused_since) {
        push(ClockEvent::Paused, p, None);
    }
    if let (None, Some(s)) = (before.stopped_at, after.stopped_at) {
        push(ClockEvent::Stopped, s, None);
    }
    out
}

/// Targets of a policy: for each kind of clock, per priority 1–4, a duration (or none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub response: [Option<SignedDuration>; 4],
    pub resolution: [Option<SignedDuration>; 4],
    pub on_site: [Option<SignedDuration>; 4],
    /// How long a support group may hold the ticket; only in a group's OLA policy.
    #[serde(default)]
    pub ola: [Option<SignedDuration>; 4],
}

impl Targets {
    pub fn get(&self, kind: ClockKind, priority: u8) -> Option<SignedDuration> {
        let i = usize::from(priority.clamp(1, 4) - 1);
        match kind {
            ClockKind::Response => self.response[i],
            ClockKind::Resolution => self.resolution[i],
            ClockKind::OnSite => self.on_site[i],
            ClockKind::Ola => self.ola[i],
        }
    }

    /// Refuses zero or negative targets and a response target longer than the resolution one.
    /// An OLA policy (`for_group`) has only `ola` targets, at least one; an SLA policy none.
    pub fn validate(&self, for_group: bool) -> Result<(), DomainError> {
        let rows = [
            ("response", &self.response),
            ("resolution", &self.resolution),
            ("on_site", &self.on_site),
            ("ola", &self.ola),
        ];
        for (name, row) in rows {
            if (name == "ola") != for_group
                && let Some(i) = row.iter().position(Option::is_some)
            {
                let field = format!("targets.{name}[{i}]");
                return Err(if for_group {
                    DomainError::invalid(field, "ola_only_ola_targets")
                } else {
                    DomainError::invalid(field, "ola_target_needs_group")
                });
            }
        }
        if for_group && self.ola.iter().all(Option::is_none) {
            return Err(DomainError::invalid("targets.ola", "ola_target_needed"));
        }
        for (name, row) in rows {
            for (i, t) in row.iter().enumerate() {
                if t.is_some_and(|d| d <= SignedDuration::ZERO) {
                    return Err(DomainError::invalid(format!("targets.{name}[{i}]"), "not_positive"));
                }
            }
        }
        for i in 0..4 {
            if let (Some(r), Some(s)) = (self.response[i], self.resolution[i])
                && r > s
            {
                return Err(DomainError::invalid(format!("targets.response[{i}]"), "response_after_resolution"));
            }
        }
        Ok(())
    }
}

/// Checks warning thresholds: percentages between 1 and 99, each at most once; sorted.
pub fn thresholds(values: &[u32]) -> Result<Vec<u32>, DomainError> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    if v.len() != values.len() {
        return Err(DomainError::invalid("thresholds", "listed_twice"));
    }
    if v.iter().any(|p| !(1..=99).contains(p)) {
        return Err(DomainError::invalid("thresholds", "percent_range"));
    }
    Ok(v)
}

/// The pending reasons that pause clocks by default: waiting on the user, a vendor or a change.
pub const DEFAULT_PAUSE_ON: [PendingReason; 3] = [PendingReason::User, PendingReason::Vendor, PendingReason::Change];

/// Where a policy applies. `None` means any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyScope {
    pub id: i64,
    pub tenant_id: Option<i64>,
    pub ticket_type: Option<String>,
    pub category_id: Option<i64>,
    /// The support group of an OLA policy; `None` for an SLA policy.
    pub group_id: Option<i64>,
}

/// Picks the most specific policy matching a ticket: a tenant's own policy before an
/// installation-wide one, a category (or its nearest ancestor) before none, a ticket type
/// before none; ties go to the oldest policy. `category_path` is the ticket's category and its
/// ancestors, nearest first. With `group` it picks among the OLA policies of that support
/// group, without it among the SLA policies.
pub fn select_policy(
    policies: &[PolicyScope],
    group: Option<i64>,
    tenant_id: i64,
    ticket_type: &str,
    category_path: &[i64],
) -> Option<i64> {
    let score = |p: &PolicyScope| -> Option<(u8, i64, i64)> {
        if p.group_id != group {
            return None;
        }
        let tenant = match p.tenant_id {
            Some(t) if t == tenant_id => 1,
            Some(_) => return None,
            None => 0,
        };
        let (category, distance) = match p.category_id {
            Some(c) => (1, category_path.iter().position(|x| *x == c)? as i64),
            None => (0, i64::MAX),
        };
        let kind = match &p.ticket_type {
            Some(t) if t == ticket_type => 1,
            Some(_) => return None,
            None => 0,
        };
        Some((tenant * 4 + category * 2 + kind, -distance, -p.id))
    };
    policies.iter().filter_map(|p| score(p).map(|s| (s, p.id))).max().map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn sh(y: i16, m: i8, d: i8, h: i8, mi: i8) -> Timestamp {
        date(y, m, d).at(h, mi, 0, 0).to_zoned(TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    #[test]
    fn a_friday_ticket_on_a_five_by_eight_calendar_is_due_on_monday() {
        let cal = Calendar::china_5x8();
        // Friday 2026-03-06 17:00, 4 business hours to resolve.
        let c = Clock::start(sh(2026, 3, 6, 17, 0), hours(4));
        let v = c.view(&cal, sh(2026, 3, 7, 3, 0));
        assert_eq!(v.elapsed, hours(1));
        assert_eq!(v.status, ClockStatus::Running);
        assert_eq!(v.due_at, Some(sh(2026, 3, 9, 12, 0)));
        // 75 % (3 h) is reached Monday 11:00, never at a weekend.
        assert_eq!(c.threshold_at(&cal, 75), Some(sh(2026, 3, 9, 11, 0)));
    }

    #[test]
    fn pending_time_is_not_counted_and_the_due_instant_moves_by_it() {
        let cal = Calendar::china_5x8();
        let mut c = Clock::start(sh(2026, 3, 9, 9, 0), hours(4));
        c.pause(sh(2026, 3, 9, 10, 0));
        let paused = c.view(&cal, sh(2026, 3, 9, 15, 0));
        assert_eq!((paused.status, paused.elapsed, paused.due_at), (ClockStatus::Paused, hours(1), None));
        c.resume(sh(2026, 3, 9, 15, 0));
        let v = c.view(&cal, sh(2026, 3, 9, 15, 0));
        assert_eq!(v.elapsed, hours(1));
        // Three hours left from 15:00 on a 09–12, 13–18 day: due at 18:00, the pause moved it.
        assert_eq!(v.due_at, Some(sh(2026, 3, 9, 18, 0)));
    }

    #[test]
    fn a_reopened_ticket_carries_on_from_where_its_clock_stood() {
        let cal = Calendar::always();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut c = Clock::start(t0, hours(8));
        c.stop(t0 + hours(3));
        assert_eq!(c.view(&cal, t0 + hours(30)).status, ClockStatus::Met);
        c.restart(t0 + hours(30));
        let v = c.view(&cal, t0 + hours(31));
        assert_eq!((v.status, v.elapsed), (ClockStatus::Running, hours(4)));
        assert_eq!(v.due_at, Some(t0 + hours(35)));
    }

    #[test]
    fn a_new_target_keeps_the_elapsed_time() {
        let cal = Calendar::always();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut c = Clock::start(t0, hours(24));
        c.pause(t0 + hours(2));
        c.resume(t0 + hours(5));
        let before = c.elapsed(&cal, t0 + hours(10));
        c.target = hours(4); // raised to P1
        let v = c.view(&cal, t0 + hours(10));
        assert_eq!(v.elapsed, before);
        assert_eq!(v.status, ClockStatus::Breached);
        assert_eq!(v.breached_at, Some(t0 + hours(7)));
        assert_eq!(v.remaining, hours(-3));
    }

    #[test]
    fn a_stopped_late_clock_is_breached_and_says_when() {
        let cal = Calendar::always();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut c = Clock::start(t0, hours(2));
        c.stop(t0 + hours(3));
        let v = c.view(&cal, t0 + hours(9));
        assert_eq!((v.status, v.breached_at, v.due_at), (ClockStatus::Breached, Some(t0 + hours(2)), None));
    }

    #[test]
    fn the_most_specific_policy_wins() {
        let p = |id, tenant, ty: Option<&str>, cat| PolicyScope {
            id,
            tenant_id: tenant,
            ticket_type: ty.map(str::to_string),
            category_id: cat,
            group_id: None,
        };
        let policies = [
            p(1, None, None, None),
            p(2, Some(7), None, None),
            p(3, Some(7), Some("incident"), None),
            p(4, Some(7), None, Some(10)),
            p(5, Some(7), None, Some(11)),
            p(6, Some(8), None, None),
        ];
        // Category 12 under 11 under 10: the nearest ancestor's policy wins.
        assert_eq!(select_policy(&policies, None, 7, "incident", &[12, 11, 10]), Some(5));
        assert_eq!(select_policy(&policies, None, 7, "incident", &[10]), Some(4));
        assert_eq!(select_policy(&policies, None, 7, "incident", &[]), Some(3));
        assert_eq!(select_policy(&policies, None, 7, "request", &[]), Some(2));
        assert_eq!(select_policy(&policies, None, 9, "request", &[]), Some(1));
        assert_eq!(select_policy(&policies[1..], None, 9, "request", &[]), None);
        // OLA policies are chosen only for their group, and never as the ticket's SLA.
        let ola = |id, group, tenant| PolicyScope { group_id: Some(group), ..p(id, tenant, None, None) };
        let mut all = policies.to_vec();
        all.extend([ola(7, 20, None), ola(8, 20, Some(7)), ola(9, 21, None)]);
        assert_eq!(select_policy(&all, None, 9, "request", &[]), Some(1));
        assert_eq!(select_policy(&all, Some(20), 7, "incident", &[]), Some(8));
        assert_eq!(select_policy(&all, Some(20), 9, "incident", &[]), Some(7));
        assert_eq!(select_policy(&all, Some(22), 7, "incident", &[]), None);
    }

    #[test]
    fn targets_and_thresholds_are_checked() {
        let mut t = Targets::default();
        t.response[0] = Some(hours(2));
        t.resolution[0] = Some(hours(1));
        assert!(t.validate(false).is_err());
        t.resolution[0] = Some(hours(4));
        assert!(t.validate(false).is_ok());
        assert_eq!(t.validate(true).unwrap_err().to_string(), "targets.response[0]: ola_only_ola_targets");
        let mut o = Targets::default();
        assert!(o.validate(true).is_err());
        o.ola[1] = Some(hours(2));
        assert!(o.validate(true).is_ok());
        assert!(o.validate(false).is_err());
        t.on_site[3] = Some(SignedDuration::ZERO);
        assert!(t.validate(false).is_err());
        assert_eq!(thresholds(&[75, 50]).unwrap(), vec![50, 75]);
        assert!(thresholds(&[50, 50]).is_err());
        assert!(thresholds(&[100]).is_err());
    }

    #[test]
    fn a_clock_history_names_each_change_once() {
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let mut c = Clock::start(t0, hours(8));
        let start = c.clone();
        c.pause(t0 + hours(1));
        assert_eq!(
            changes(&start, &c, t0 + hours(1)).iter().map(|x| x.event).collect::<Vec<_>>(),
            [ClockEvent::Paused]
        );
        let paused = c.clone();
        c.resume(t0 + hours(2));
        c.target = hours(4);
        let ch = changes(&paused, &c, t0 + hours(2));
        assert_eq!(
            ch.iter().map(|x| (x.event, x.previous_target)).collect::<Vec<_>>(),
            [(ClockEvent::Resumed, None), (ClockEvent::Retargeted, Some(hours(8)))]
        );
        let running = c.clone();
        c.stop(t0 + hours(3));
        assert_eq!(changes(&running, &c, t0 + hours(3))[0].event, ClockEvent::Stopped);
        let stopped = c.clone();
        c.restart(t0 + hours(5));
        assert_eq!(
            changes(&stopped, &c, t0 + hours(5))[0],
            ClockChange { event: ClockEvent::Restarted, at: t0 + hours(5), previous_target: None }
        );
        assert!(changes(&c, &c.clone(), t0 + hours(6)).is_empty());
    }

    /// Where a calendar's business time ends, by kind of edge, with the next instant it counts
    /// again: the close of an ordinary day, a Friday, the Friday before a 调休 (make-up) Saturday,
    /// that Saturday's close before nine days of Spring Festival, and the lunch break.
    fn edges() -> [(&'static str, Timestamp, Timestamp); 5] {
        [
            ("end of day", sh(2026, 3, 9, 18, 0), sh(2026, 3, 10, 9, 0)),
            ("weekend", sh(2026, 3, 6, 18, 0), sh(2026, 3, 9, 9, 0)),
            ("before a make-up day", sh(2026, 2, 13, 18, 0), sh(2026, 2, 14, 9, 0)),
            ("holiday", sh(2026, 2, 14, 18, 0), sh(2026, 2, 24, 9, 0)),
            ("lunch", sh(2026, 3, 10, 12, 0), sh(2026, 3, 10, 13, 0)),
        ]
    }

    #[test]
    fn a_clock_due_at_the_close_of_business_is_breached_from_then_not_from_the_next_morning() {
        let cal = Calendar::china_5x8();
        for (edge, close, reopen) in edges() {
            // Started 40 business hours before the close: due exactly at it.
            let start = sh(2026, 1, 5, 9, 0);
            let target = cal.business_time_between(start, close);
            let c = Clock::start(start, target);
            assert_eq!(c.reached_at(&cal, target), Some(close), "{edge}");
            let at = c.view(&cal, close);
            assert_eq!(
                (at.status, at.remaining),
                (ClockStatus::Running, SignedDuration::ZERO),
                "{edge}: due, not late"
            );
            for later in [close + SignedDuration::from_micros(1), close + reopen.duration_since(close) / 2, reopen] {
                let v = c.view(&cal, later);
                assert_eq!(
                    (v.status, v.breached_at, v.due_at),
                    (ClockStatus::Breached, Some(close), Some(close)),
                    "{edge}"
                );
                assert_eq!(v.remaining, SignedDuration::ZERO, "{edge}: no business time has passed since");
                assert!(is_past(c.threshold_at(&cal, 100).unwrap(), later), "{edge}: the scan fires");
            }
            // Stopped at the close it is met; stopped after it (on the weekend, say), breached.
            let mut on_time = c.clone();
            on_time.stop(close);
            assert_eq!(on_time.view(&cal, reopen).status, ClockStatus::Met, "{edge}");
            let mut late = c.clone();
            late.stop(close + SignedDuration::from_mins(30));
            assert_eq!(late.view(&cal, reopen).status, ClockStatus::Breached, "{edge}");
            // Paused at the close and resumed after the weekend: not breached while paused.
            let mut held = c.clone();
            held.pause(close);
            assert_eq!(held.view(&cal, close + SignedDuration::from_hours(1)).status, ClockStatus::Paused, "{edge}");
        }
    }

    #[test]
    fn a_queue_reads_a_due_instant_as_the_clock_does() {
        let due = sh(2026, 3, 6, 18, 0);
        let at = |h, m| sh(2026, 3, 6, h, m);
        assert_eq!(due_state(Some(due), true, false, at(13, 0)), DueState::Running);
        assert_eq!(due_state(Some(due), true, false, at(14, 0)), DueState::Soon);
        assert_eq!(due_state(Some(due), true, false, due), DueState::Soon, "due, not late");
        assert_eq!(due_state(Some(due), true, false, due + SignedDuration::from_micros(1)), DueState::Breached);
        assert_eq!(due_state(None, true, true, at(9, 0)), DueState::Paused);
        assert_eq!(due_state(Some(due), false, false, at(19, 0)), DueState::None, "resolved tickets are done");
        // The same verdict as the clock's own view, for a clock due at this Friday's close.
        let cal = Calendar::china_5x8();
        let start = sh(2026, 3, 2, 9, 0);
        let c = Clock::start(start, cal.business_time_between(start, due));
        for now in [due, due + SignedDuration::from_mins(1), sh(2026, 3, 9, 8, 0)] {
            let v = c.view(&cal, now);
            let late = due_state(v.due_at, true, false, now) == DueState::Breached;
            assert_eq!(late, v.status == ClockStatus::Breached);
        }
    }

    fn events() -> impl Strategy<Value = Vec<(u8, i64)>> {
        // (what: 0 pause, 1 resume, 2 stop, 3 restart; minutes after the previous event)
        proptest::collection::vec((0u8..4, 1i64..3000), 0..12)
    }

    proptest! {
        /// Whatever happens to a clock, the instant it reaches an amount measures back to that
        /// amount, pauses add nothing, and the elapsed time never exceeds wall-clock time.
        #[test]
        fn clock_figures_are_consistent(evs in events(), target_min in 1i64..5000, probe in 1i64..5000) {
            let cal = Calendar::china_5x8();
            let t0 = sh(2026, 2, 10, 8, 0);
            let mut c = Clock::start(t0, SignedDuration::from_mins(target_min));
            let mut now = t0;
            for (what, gap) in evs {
                now += SignedDuration::from_mins(gap);
                match what { 0 => c.pause(now), 1 => c.resume(now), 2 => c.stop(now), _ => c.restart(now) }
            }
            let later = now + SignedDuration::from_mins(probe);
            let elapsed = c.elapsed(&cal, later);
            prop_assert!(elapsed <= later.duration_since(t0));
            prop_assert!(elapsed <= cal.business_time_between(t0, later));
            let amount = SignedDuration::from_mins(probe);
            if let Some(at) = c.reached_at(&cal, amount) {
                prop_assert_eq!(c.elapsed(&cal, at), amount);
            } else {
                // Not reached: the clock stops or pauses before it gets there.
                prop_assert!(!c.is_running());
                prop_assert!(c.elapsed(&cal, later + SignedDuration::from_hours(24 * 400)) < amount);
            }
            let v = c.view(&cal, later);
            prop_assert_eq!(v.remaining, c.target - v.elapsed);
            if let Some(due) = v.due_at {
                prop_assert_eq!(c.elapsed(&cal, due), c.target);
            }
        }

        /// At every calendar edge, whatever happened to a clock before: the figures saved at
        /// one instant say "breached" at a later one exactly when the clock's own view does
        /// (the store's lists and reports read the saved figures), a running clock is breached
        /// exactly when the scan's 100 % threshold has passed, and a breach means the due
        /// instant passed while the clock counted.
        #[test]
        fn every_reader_of_a_clock_agrees_on_a_breach(
            evs in events(),
            edge in 0usize..5,
            offset_min in -600i64..600,
            shift_min in -3000i64..3000,
            later_min in 0i64..6000,
        ) {
            let cal = Calendar::china_5x8();
            let (_, close, _) = edges()[edge];
            let start = sh(2026, 1, 5, 9, 0) + SignedDuration::from_mins(shift_min);
            // A target that, run without pauses, ends near (often exactly at) the edge.
            let exact = cal.business_time_between(start, close);
            let target = (exact + SignedDuration::from_mins(offset_min / 10 * 10)).max(SignedDuration::from_mins(1));
            let mut c = Clock::start(start, target);
            let mut saved_at = start;
            for (what, gap) in evs {
                saved_at += SignedDuration::from_mins(gap);
                match what { 0 => c.pause(saved_at), 1 => c.resume(saved_at), 2 => c.stop(saved_at), _ => c.restart(saved_at) }
            }
            let saved = c.view(&cal, saved_at);
            for later in [saved_at, close, close + SignedDuration::from_micros(1), saved_at + SignedDuration::from_mins(later_min)] {
                if later < saved_at { continue; }
                let now = c.view(&cal, later);
                let breached = now.status == ClockStatus::Breached;
                prop_assert_eq!(saved.breached_by(later), breached);
                if c.is_running() {
                    prop_assert_eq!(c.threshold_at(&cal, 100).is_some_and(|at| is_past(at, later)), breached);
                }
                if breached {
                    let due = now.breached_at.unwrap();
                    prop_assert_eq!(c.elapsed(&cal, due), c.target);
                    prop_assert!(is_past(due, later));
                }
            }
        }
    }
}
