//! Business calendars for SLA clocks: when work happens, and how much working time lies
//! between two instants or is needed to spend a budget.
//!
//! A calendar has an IANA time zone, weekly working hours (per weekday, a list of civil-time
//! intervals such as 09:00–12:00 and 13:00–18:00), holidays (days off even on a working
//! weekday) and make-up working days (调休: a weekend date that is worked, with the hours of a
//! reference weekday, Monday unless configured otherwise).
//!
//! Working intervals are laid out per civil day in the calendar's zone, so daylight saving
//! time is honoured: in America/New_York a 01:00–03:00 interval lasts three real hours on the
//! fall-back day and one on the spring-forward day. A civil time that does not exist (inside a
//! spring-forward gap) means the instant the clocks jump; a civil time that occurs twice
//! (inside a fall-back fold) means its first occurrence, so the repeated hour belongs to the
//! interval that is running when the clocks go back. That mapping never goes backwards, so
//! intervals that do not overlap on the clock never overlap in real time, and a full
//! 00:00–24:00 day is exactly the real length of that day.
//!
//! All arithmetic is on [`Timestamp`]s and [`SignedDuration`]s (whole nanoseconds), so it is
//! exact: what [`Calendar::add_business_time`] adds, [`Calendar::business_time_between`]
//! measures back to the nanosecond.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::DomainError;

/// Seconds in a civil day on the clock; an interval may end here (24:00, the end of the day).
pub const DAY_SECS: u32 = 86_400;

/// How far [`Calendar::add_business_time`] searches before giving up: ten years of days.
pub const MAX_SEARCH_DAYS: u32 = 3_653;

/// The official mainland China holidays and make-up working days for 2025 and 2026, in the
/// format [`HolidayTable::parse`] reads (from the State Council General Office notices).
pub const CN_HOLIDAYS_TSV: &str = include_str!("../data/cn-holidays.tsv");

/// Monday to Friday.
pub const WEEKDAYS: [Weekday; 5] =
    [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];

/// Every day of the week, Monday first.
pub const ALL_WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// One working interval within a civil day, `[start, end)` in seconds since midnight on the
/// clock; `end` may be [`DAY_SECS`] (24:00). A calendar refuses intervals that are inverted,
/// empty, end after 24:00 or overlap another interval of the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours {
    pub start: u32,
    pub end: u32,
}

impl Hours {
    /// The whole day, 00:00–24:00.
    pub const ALL_DAY: Hours = Hours { start: 0, end: DAY_SECS };

    /// `Hours::hm(9, 0, 12, 30)` is 09:00–12:30; `Hours::hm(18, 0, 24, 0)` ends at midnight.
    pub const fn hm(start_hour: u32, start_minute: u32, end_hour: u32, end_minute: u32) -> Hours {
        Hours { start: start_hour * 3600 + start_minute * 60, end: end_hour * 3600 + end_minute * 60 }
    }

    /// Reads `HH:MM-HH:MM` (an en dash `–` works too), e.g. `09:00-12:00` or `22:00-24:00`.
    /// `field` names the input in the error.
    pub fn parse(field: &str, text: &str) -> Result<Hours, DomainError> {
        let bad = || DomainError::invalid(field, "hours_format").with("value", text);
        let (start, end) = text.trim().split_once(['-', '–']).ok_or_else(bad)?;
        let clock = |s: &str| -> Option<u32> {
            let (h, m) = s.trim().split_once(':')?;
            let all_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
            if !all_digits(h) || !all_digits(m) {
                return None;
            }
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 3600 + m * 60)
        };
        let hours = Hours { start: clock(start).ok_or_else(bad)?, end: clock(end).ok_or_else(bad)? };
        if hours.start >= hours.end {
            return Err(DomainError::invalid(field, "hours_backwards").with("hours", hours));
        }
        Ok(hours)
    }
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = |s: u32| match s % 60 {
            0 => format!("{:02}:{:02}", s / 3600, s / 60 % 60),
            secs => format!("{:02}:{:02}:{secs:02}", s / 3600, s / 60 % 60),
        };
        write!(f, "{}-{}", clock(self.start), clock(self.end))
    }
}

/// Holidays and make-up working days, as read from a table like `cn-holidays.tsv`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    /// Days off, even when they fall on a working weekday.
    pub holidays: BTreeSet<Date>,
    /// Weekend days that are worked (调休).
    pub make_up_days: BTreeSet<Date>,
}

impl HolidayTable {
    /// Reads lines of `date<TAB>kind<TAB>name`, where `date` is `YYYY-MM-DD`, `kind` is `off`
    /// (a holiday) or `work` (a make-up working day) and `name` is free text (optional). Blank
    /// lines, lines starting with `#` and a `date<TAB>kind…` header are skipped. A malformed
    /// line, or a date listed both as `off` and `work`, is refused with the field `line N`
    /// (counting from 1).
    pub fn parse(text: &str) -> Result<HolidayTable, DomainError> {
        let mut table = HolidayTable::default();
        let mut header_allowed = true;
        for (i, raw) in text.strip_prefix('\u{feff}').unwrap_or(text).lines().enumerate() {
            let field = format!("line {}", i + 1);
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let mut columns = line.splitn(3, '\t');
            let date = columns.next().unwrap_or_default().trim();
            let kind = columns.next().map(str::trim);
            if std::mem::take(&mut header_allowed) && date.eq_ignore_ascii_case("date") {
                continue;
            }
            let Some(kind) = kind else {
                return Err(DomainError::invalid(field, "holiday_line_format"));
            };
            let well_formed = date.len() == 10
                && date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
            let date: Date = match date.parse() {
                Ok(d) if well_formed => d,
                _ => return Err(DomainError::invalid(field, "not_a_date").with("value", date)),
            };
            let (this, other) = match kind {
                "off" => (&mut table.holidays, &table.make_up_days),
                "work" => (&mut table.make_up_days, &table.holidays),
                _ => return Err(DomainError::invalid(field, "not_off_or_work").with("value", kind)),
            };
            if other.contains(&date) {
                return Err(DomainError::invalid(field, "off_and_work").with("date", date));
            }
            this.insert(date);
        }
        Ok(table)
    }

    /// The embedded official mainland China table for 2025–2026 ([`CN_HOLIDAYS_TSV`]).
    pub fn china() -> HolidayTable {
        HolidayTable::parse(CN_HOLIDAYS_TSV).expect("the embedded China holiday table is well formed")
    }
}

/// A business calendar: when working time runs, in which time zone. Build one with
/// [`Calendar::builder`], or take [`Calendar::always`], [`Calendar::five_by_eight`] or
/// [`Calendar::china_5x8`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    tz: TimeZone,
    /// Working hours per weekday, Monday first, each list sorted and non-overlapping.
    week: [Vec<Hours>; 7],
    holidays: BTreeSet<Date>,
    make_up_days: BTreeSet<Date>,
    make_up_weekday: Weekday,
    /// Every instant is working time (every day 00:00–24:00, no holidays): plain wall-clock.
    always: bool,
}

/// Collects a calendar's settings; [`CalendarBuilder::build`] checks them.
#[derive(Debug, Clone)]
pub struct CalendarBuilder {
    tz: Result<TimeZone, DomainError>,
    week: [Vec<Hours>; 7],
    holidays: BTreeSet<Date>,
    make_up_days: BTreeSet<Date>,
    make_up_weekday: Weekday,
}

impl CalendarBuilder {
    /// Sets the working hours of each of `days` to `hours` (replacing what was there).
    pub fn hours(mut self, days: &[Weekday], hours: &[Hours]) -> Self {
        for day in days {
            self.week[weekday_index(*day)] = hours.to_vec();
        }
        self
    }

    /// Adds holidays: days off even when they fall on a working weekday.
    pub fn holidays(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.holidays.extend(dates);
        self
    }

    /// Adds make-up working days (调休), worked with the hours of the make-up weekday.
    pub fn make_up_days(mut self, dates: impl IntoIterator<Item = Date>) -> Self {
        self.make_up_days.extend(dates);
        self
    }

    /// Adds the holidays and make-up days of a table.
    pub fn holiday_table(self, table: &HolidayTable) -> Self {
        self.holidays(table.holidays.iter().copied()).make_up_days(table.make_up_days.iter().copied())
    }

    /// The weekday whose hours a make-up working day uses (Monday unless set).
    pub fn make_up_weekday(mut self, weekday: Weekday) -> Self {
        self.make_up_weekday = weekday;
        self
    }

    /// Checks the settings: a known time zone (`time_zone`), intervals that end after they
    /// start, by 24:00 and without overlapping (`hours.monday[1]`, numbered as given), and no
    /// date that is both a holiday and a make-up day (`make_up_days`).
    pub fn build(self) -> Result<Calendar, DomainError> {
        let tz = self.tz?;
        let mut week = self.week;
        for (day, hours) in ALL_WEEK.iter().zip(week.iter_mut()) {
            let name = weekday_name(*day);
            for (i, h) in hours.iter().enumerate() {
                let field = || format!("hours.{name}[{i}]");
                if h.end > DAY_SECS {
                    return Err(DomainError::invalid(field(), "hours_past_midnight").with("hours", h));
                }
                if h.start >= h.end {
                    return Err(DomainError::invalid(field(), "hours_backwards").with("hours", h));
                }
                if let Some(other) = hours[..i].iter().find(|o| o.start < h.end && h.start < o.end) {
                    return Err(DomainError::invalid(field(), "hours_overlap").with("hours", h).with("other", other));
                }
            }
            hours.sort();
        }
        if let Some(date) = self.holidays.intersection(&self.make_up_days).next() {
            return Err(DomainError::invalid("make_up_days", "make_up_is_holiday").with("date", date));
        }
        let always = self.holidays.is_empty() && week.iter().all(|hours| covers_whole_day(hours));
        Ok(Calendar {
            tz,
            week,
            holidays: self.holidays,
            make_up_days: self.make_up_days,
            make_up_weekday: self.make_up_weekday,
            always,
        })
    }
}

impl Calendar {
    /// Starts a calendar in the IANA time zone named `time_zone` (e.g. `Asia/Shanghai`), with
    /// no working hours yet. An unknown name is refused by [`CalendarBuilder::build`].
    pub fn builder(time_zone: &str) -> CalendarBuilder {
        let tz = TimeZone::get(time_zone)
            .map_err(|_| DomainError::invalid("time_zone", "not_a_time_zone").with("value", time_zone));
        CalendarBuilder { tz, ..Calendar::builder_in(TimeZone::UTC) }
    }

    /// Starts a calendar in a time zone already at hand.
    pub fn builder_in(tz: TimeZone) -> CalendarBuilder {
        CalendarBuilder {
            tz: Ok(tz),
            week: Default::default(),
            holidays: BTreeSet::new(),
            make_up_days: BTreeSet::new(),
            make_up_weekday: Weekday::Monday,
        }
    }

    /// 7×24: every instant is working time, so business time is wall-clock time.
    pub fn always() -> Calendar {
        Calendar::builder_in(TimeZone::UTC).hours(&ALL_WEEK, &[Hours::ALL_DAY]).build().expect("7x24 is valid")
    }

    /// 5×8: Monday to Friday, 09:00–12:00 and 13:00–18:00 in `tz`, no holidays.
    pub fn five_by_eight(tz: TimeZone) -> Calendar {
        Calendar::builder_in(tz).hours(&WEEKDAYS, &FIVE_BY_EIGHT).build().expect("5x8 is valid")
    }

    /// 5×8 in Asia/Shanghai with the official 2025–2026 holidays and make-up days
    /// ([`HolidayTable::china`]). Dates after 2026 count as ordinary weeks until an
    /// administrator adds the next notice. Should the system lack time zone data, a fixed
    /// UTC+08:00 is used, which is the same thing: China has not changed its clocks since 1991.
    pub fn china_5x8() -> Calendar {
        let tz = TimeZone::get("Asia/Shanghai").unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)));
        Calendar::builder_in(tz)
            .hours(&WEEKDAYS, &FIVE_BY_EIGHT)
            .holiday_table(&HolidayTable::china())
            .build()
            .expect("China 5x8 is valid")
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The weekly working hours of `weekday`, sorted.
    pub fn weekly_hours(&self, weekday: Weekday) -> &[Hours] {
        &self.week[weekday_index(weekday)]
    }

    pub fn holidays(&self) -> &BTreeSet<Date> {
        &self.holidays
    }

    pub fn make_up_days(&self) -> &BTreeSet<Date> {
        &self.make_up_days
    }

    pub fn make_up_weekday(&self) -> Weekday {
        self.make_up_weekday
    }

    /// The working hours that apply on `date`: none on a holiday, the make-up weekday's on a
    /// make-up day, otherwise the weekday's.
    pub fn hours_on(&self, date: Date) -> &[Hours] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.make_up_days.contains(&date) {
            self.weekly_hours(self.make_up_weekday)
        } else {
            self.weekly_hours(date.weekday())
        }
    }

    /// Whether `instant` is working time.
    pub fn is_working(&self, instant: Timestamp) -> bool {
        if self.always {
            return true;
        }
        // A fold that crosses midnight can put an instant whose clock shows date D into the
        // real-time span of D + 1, so look at both.
        let date = self.date_of(instant);
        let mut spans = Vec::new();
        [Some(date), date.tomorrow().ok()].into_iter().flatten().any(|day| {
            self.spans_on(day, &mut spans);
            spans.iter().any(|&(s, e)| s <= instant && instant < e)
        })
    }

    /// Working time in `[start, end)`; zero if `end <= start`.
    pub fn business_time_between(&self, start: Timestamp, end: Timestamp) -> SignedDuration {
        if end <= start {
            return SignedDuration::ZERO;
        }
        if self.always {
            return end.duration_since(start);
        }
        let mut total = SignedDuration::ZERO;
        let mut spans = Vec::new();
        let mut day = self.date_of(start);
        while self.instant(day, 0).is_some_and(|day_start| day_start < end) {
            self.spans_on(day, &mut spans);
            for &(s, e) in &spans {
                let (lo, hi) = (s.max(start), e.min(end));
                if lo < hi {
                    total += hi.duration_since(lo);
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        total
    }

    /// Working time in `[start, end)` that no pause covers. A pause `(from, to)` covers
    /// `[from, to)`; pauses may overlap each other and reach outside `[start, end)` (pass a
    /// pause that is still running as `(from, end)`); one with `to <= from` covers nothing.
    pub fn business_time_between_excluding(
        &self,
        start: Timestamp,
        end: Timestamp,
        pauses: &[(Timestamp, Timestamp)],
    ) -> SignedDuration {
        let mut clipped: Vec<(Timestamp, Timestamp)> =
            pauses.iter().map(|&(from, to)| (from.max(start), to.min(end))).filter(|(from, to)| from < to).collect();
        clipped.sort();
        let mut total = SignedDuration::ZERO;
        let mut cursor = start;
        for (from, to) in clipped {
            if from > cursor {
                total += self.business_time_between(cursor, from);
            }
            cursor = cursor.max(to);
        }
        total + self.business_time_between(cursor, end)
    }

    /// The earliest instant `t` with `business_time_between(start, t) == budget`: when the
    /// clock started at `start` with `budget` to go runs out. A zero budget gives `start`
    /// unchanged; otherwise the answer is always the end of a stretch of working time (so a
    /// budget that runs out exactly at 12:00 before lunch gives 12:00, not the 13:00 restart).
    ///
    /// Refuses a negative budget (`budget`), and gives up with `calendar` when ten years of
    /// days ([`MAX_SEARCH_DAYS`]) do not hold enough working time.
    pub fn add_business_time(&self, start: Timestamp, budget: SignedDuration) -> Result<Timestamp, DomainError> {
        if budget.is_negative() {
            return Err(DomainError::invalid("budget", "negative"));
        }
        if budget.is_zero() {
            return Ok(start);
        }
        if self.always {
            return start.checked_add(budget).map_err(|_| DomainError::invalid("budget", "past_supported_time"));
        }
        let mut remaining = budget;
        let mut spans = Vec::new();
        let mut day = self.date_of(start);
        for _ in 0..=MAX_SEARCH_DAYS {
            self.spans_on(day, &mut spans);
            for &(s, e) in &spans {
                let lo = s.max(start);
                if lo >= e {
                    continue;
                }
                let available = e.duration_since(lo);
                if remaining <= available {
                    return Ok(lo + remaining);
                }
                remaining -= available;
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        Err(DomainError::invalid("calendar", "too_little_working_time")
            .with("budget", format!("{budget:#}"))
            .with("start", start))
    }

    /// The civil date on the calendar's clock at `instant`.
    fn date_of(&self, instant: Timestamp) -> Date {
        self.tz.to_datetime(instant).date()
    }

    /// Fills `spans` with the real-time working intervals of `date`, in order. Days that fall
    /// outside the supported range of timestamps have none.
    fn spans_on(&self, date: Date, spans: &mut Vec<(Timestamp, Timestamp)>) {
        spans.clear();
        for h in self.hours_on(date) {
            if let (Some(s), Some(e)) = (self.instant(date, h.start), self.instant(date, h.end))
                && s < e
            {
                spans.push((s, e));
            }
        }
    }

    /// The first instant at which the clock shows `date` plus `secs` (up to 24:00) or later:
    /// the transition itself for a time skipped by a gap, the first occurrence in a fold.
    fn instant(&self, date: Date, secs: u32) -> Option<Timestamp> {
        let (date, secs) = if secs >= DAY_SECS { (date.tomorrow().ok()?, secs - DAY_SECS) } else { (date, secs) };
        let dt: DateTime = date.at((secs / 3600) as i8, (secs / 60 % 60) as i8, (secs % 60) as i8, 0);
        let with = |offset: Offset| offset.to_timestamp(dt).ok();
        match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => with(offset),
            AmbiguousOffset::Fold { before, .. } => with(before),
            AmbiguousOffset::Gap { before, after } => {
                // Read with the later offset, the time is just before the jump; the next
                // transition is the jump itself.
                let probe = with(after)?;
                self.tz.following(probe).next().map(|t| t.timestamp()).or_else(|| with(before))
            }
        }
    }
}

const FIVE_BY_EIGHT: [Hours; 2] = [Hours::hm(9, 0, 12, 0), Hours::hm(13, 0, 18, 0)];

fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset() as usize
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// Whether sorted, non-overlapping `hours` leave no gap between 00:00 and 24:00.
fn covers_whole_day(hours: &[Hours]) -> bool {
    let mut reached = 0;
    for h in hours {
        if h.start > reached {
            return false;
        }
        reached = reached.max(h.end);
    }
    reached == DAY_SECS
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Zoned;
    use jiff::civil::date;
    use proptest::prelude::*;

    const NS: SignedDuration = SignedDuration::from_nanos(1);

    fn at(zone: &str, civil: &str) -> Timestamp {
        format!("{civil}[{zone}]").parse::<Zoned>().expect("a civil time in a known zone").timestamp()
    }

    fn sh(civil: &str) -> Timestamp {
        at("Asia/Shanghai", civil)
    }

    fn utc(instant: &str) -> Timestamp {
        instant.parse().expect("an RFC 3339 instant")
    }

    fn hours(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    fn mins(n: i64) -> SignedDuration {
        SignedDuration::from_mins(n)
    }

    fn shanghai() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("tzdb has Asia/Shanghai")
    }

    /// Checks each `(what, start, budget, expected)` both ways: adding lands on `expected`, and
    /// measuring from `start` to it gives the budget back.
    fn check_adds(cal: &Calendar, zone: &str, cases: &[(&str, &str, SignedDuration, &str)]) {
        for &(what, start, budget, want) in cases {
            let (start, want) = (at(zone, start), at(zone, want));
            let got = cal.add_business_time(start, budget).expect(what);
            assert_eq!(got.to_zoned(cal.time_zone().clone()), want.to_zoned(cal.time_zone().clone()), "{what}");
            assert_eq!(cal.business_time_between(start, got), budget, "{what}: measured back");
        }
    }

    #[test]
    fn five_by_eight_adds_across_nights_weekends_and_lunch() {
        // 2025-03-07 is a Friday, 2025-03-09 a Sunday, 2025-03-10 a Monday.
        let cal = Calendar::five_by_eight(shanghai());
        check_adds(
            &cal,
            "Asia/Shanghai",
            &[
                ("Friday 17:00 + 2 h lands Monday 10:00", "2025-03-07T17:00", hours(2), "2025-03-10T10:00"),
                ("Friday 17:00 + 4 h ends at Monday's lunch", "2025-03-07T17:00", hours(4), "2025-03-10T12:00"),
                ("Friday 17:00 + 4 h 30 skips lunch", "2025-03-07T17:00", mins(270), "2025-03-10T13:30"),
                ("Friday 11:00 + 2 h skips lunch", "2025-03-07T11:00", hours(2), "2025-03-07T14:00"),
                ("11:30 + 1 h resumes at 13:00", "2025-03-10T11:30", hours(1), "2025-03-10T13:30"),
                (
                    "Friday 17:00 + 1 h ends at 18:00, not Monday 09:00",
                    "2025-03-07T17:00",
                    hours(1),
                    "2025-03-07T18:00",
                ),
                ("Sunday 03:00 counts from Monday 09:00", "2025-03-09T03:00", hours(1), "2025-03-10T10:00"),
                ("lunchtime counts from 13:00", "2025-03-10T12:15", mins(30), "2025-03-10T13:30"),
                ("a whole working week", "2025-03-10T09:00", hours(40), "2025-03-14T18:00"),
                ("Saturday + 1 s", "2025-03-08T10:00", SignedDuration::from_secs(1), "2025-03-10T09:00:01"),
            ],
        );
    }

    #[test]
    fn lunch_until_half_past_one_pushes_the_second_half_hour_to_two() {
        let cal = Calendar::builder("Asia/Shanghai")
            .hours(&WEEKDAYS, &[Hours::hm(9, 0, 12, 0), Hours::hm(13, 30, 18, 0)])
            .build()
            .unwrap();
        check_adds(
            &cal,
            "Asia/Shanghai",
            &[
                (
                    "11:30 + 1 h: 30 min before lunch, 30 min after 13:30",
                    "2025-03-10T11:30",
                    hours(1),
                    "2025-03-10T14:00",
                ),
                ("11:30 + 30 min ends at 12:00", "2025-03-10T11:30", mins(30), "2025-03-10T12:00"),
                ("11:30 + 31 min resumes at 13:30", "2025-03-10T11:30", mins(31), "2025-03-10T13:31"),
            ],
        );
        assert_eq!(cal.business_time_between(sh("2025-03-10T00:00"), sh("2025-03-11T00:00")), mins(450));
    }

    #[test]
    fn china_spring_festival_2026_uses_both_make_up_saturdays_and_skips_nine_days_off() {
        let cal = Calendar::china_5x8();
        check_adds(
            &cal,
            "Asia/Shanghai",
            &[
                ("Fri 02-13 17:30 + 1 h lands on make-up Sat 02-14", "2026-02-13T17:30", hours(1), "2026-02-14T09:30"),
                ("Sat 02-14 17:00 + 2 h skips 02-15..02-23", "2026-02-14T17:00", hours(2), "2026-02-24T10:00"),
                ("Fri 02-27 17:00 + 2 h lands on make-up Sat 02-28", "2026-02-27T17:00", hours(2), "2026-02-28T10:00"),
                ("Sat 02-28 17:00 + 2 h skips Sunday", "2026-02-28T17:00", hours(2), "2026-03-02T10:00"),
            ],
        );
        assert_eq!(cal.business_time_between(sh("2026-02-14T18:00"), sh("2026-02-24T09:00")), SignedDuration::ZERO);
        // Three weeks from Monday 02-09: 5 days + Sat 02-14, then Tue–Fri 02-24..27 + Sat 02-28.
        assert_eq!(cal.business_time_between(sh("2026-02-09T00:00"), sh("2026-03-02T00:00")), hours(8 * 11));
        assert!(cal.is_working(sh("2026-02-14T10:00")));
        assert!(!cal.is_working(sh("2026-02-16T10:00")));
        assert!(!cal.is_working(sh("2026-02-23T10:00")), "Monday 02-23 is the last day off");
    }

    #[test]
    fn china_national_day_2025_and_new_year_2026() {
        let cal = Calendar::china_5x8();
        check_adds(
            &cal,
            "Asia/Shanghai",
            &[
                ("Fri 09-26 17:00 + 2 h lands on make-up Sun 09-28", "2025-09-26T17:00", hours(2), "2025-09-28T10:00"),
                ("Tue 09-30 17:00 + 2 h skips 10-01..10-08", "2025-09-30T17:00", hours(2), "2025-10-09T10:00"),
                ("Fri 10-10 17:00 + 2 h lands on make-up Sat 10-11", "2025-10-10T17:00", hours(2), "2025-10-11T10:00"),
                ("Wed 12-31 17:00 + 2 h lands on make-up Sun 01-04", "2025-12-31T17:00", hours(2), "2026-01-04T10:00"),
            ],
        );
        // The week of National Day 2025 (Mon 09-29 .. Sun 10-05) has two working days.
        assert_eq!(cal.business_time_between(sh("2025-09-29T00:00"), sh("2025-10-06T00:00")), hours(16));
    }

    #[test]
    fn make_up_days_use_the_reference_weekday() {
        let cal = Calendar::builder("Asia/Shanghai")
            .hours(&[Weekday::Monday], &[Hours::hm(8, 0, 12, 0)])
            .hours(&[Weekday::Friday], &[Hours::hm(14, 0, 16, 0)])
            .make_up_days([date(2026, 2, 14)])
            .build()
            .unwrap();
        let saturday = (sh("2026-02-14T00:00"), sh("2026-02-15T00:00"));
        assert_eq!(cal.business_time_between(saturday.0, saturday.1), hours(4), "Monday's 08:00-12:00");
        let cal = Calendar::builder("Asia/Shanghai")
            .hours(&[Weekday::Monday], &[Hours::hm(8, 0, 12, 0)])
            .hours(&[Weekday::Friday], &[Hours::hm(14, 0, 16, 0)])
            .make_up_days([date(2026, 2, 14)])
            .make_up_weekday(Weekday::Friday)
            .build()
            .unwrap();
        assert_eq!(cal.business_time_between(saturday.0, saturday.1), hours(2), "Friday's 14:00-16:00");
    }

    #[test]
    fn always_is_wall_clock() {
        let cal = Calendar::always();
        let (a, b) = (utc("2025-03-09T03:00:00Z"), utc("2026-11-01T06:30:00.000123Z"));
        assert_eq!(cal.business_time_between(a, b), b.duration_since(a));
        assert_eq!(cal.add_business_time(a, b.duration_since(a)).unwrap(), b);
        assert!(cal.is_working(a) && cal.is_working(b));
        // 7×24 by hand, in a zone with daylight saving time, is the same.
        let ny = Calendar::builder("America/New_York")
            .hours(&ALL_WEEK, &[Hours::hm(0, 0, 12, 0), Hours::hm(12, 0, 24, 0)])
            .build()
            .unwrap();
        assert_eq!(ny.business_time_between(a, b), b.duration_since(a));
    }

    #[test]
    fn zero_budget_returns_the_start_even_in_non_working_time() {
        let cal = Calendar::five_by_eight(shanghai());
        let sunday = sh("2025-03-09T03:00:00.5");
        assert_eq!(cal.add_business_time(sunday, SignedDuration::ZERO), Ok(sunday));
    }

    #[test]
    fn end_before_start_measures_zero() {
        let cal = Calendar::five_by_eight(shanghai());
        assert_eq!(cal.business_time_between(sh("2025-03-10T11:00"), sh("2025-03-10T10:00")), SignedDuration::ZERO);
        assert_eq!(cal.business_time_between(sh("2025-03-10T11:00"), sh("2025-03-10T11:00")), SignedDuration::ZERO);
    }

    #[test]
    fn calendar_without_working_time_gives_up_instead_of_hanging() {
        let cal = Calendar::builder("Asia/Shanghai").build().unwrap();
        let err = cal.add_business_time(sh("2025-03-10T11:00"), hours(1)).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "calendar"));
        // One hour a week: 600 hours is more than ten years hold (about 522), 500 is not.
        let cal =
            Calendar::builder("Asia/Shanghai").hours(&[Weekday::Monday], &[Hours::hm(9, 0, 10, 0)]).build().unwrap();
        let err = cal.add_business_time(sh("2025-03-10T11:00"), hours(600)).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "calendar"));
        let end = cal.add_business_time(sh("2025-03-10T11:00"), hours(500)).unwrap();
        assert_eq!(end, sh("2034-10-09T10:00"), "2025-03-10 + 500 weeks");
    }

    #[test]
    fn negative_budget_is_refused() {
        let cal = Calendar::always();
        let err = cal.add_business_time(utc("2025-01-01T00:00:00Z"), -NS).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "budget"));
    }

    #[test]
    fn new_york_full_sundays_last_23_and_25_hours_on_clock_changes() {
        let cal = Calendar::builder("America/New_York")
            .hours(&[Weekday::Sunday], &[Hours::ALL_DAY])
            .hours(&WEEKDAYS, &[Hours::hm(9, 0, 17, 0)])
            .build()
            .unwrap();
        let ny = |civil: &str| at("America/New_York", civil);
        // 2026-03-08 springs forward at 02:00; 2026-11-01 falls back at 02:00.
        assert_eq!(cal.business_time_between(ny("2026-03-08T00:00"), ny("2026-03-09T00:00")), hours(23));
        assert_eq!(cal.business_time_between(ny("2026-03-07T00:00"), ny("2026-03-09T09:00")), hours(23));
        assert_eq!(cal.business_time_between(ny("2026-11-01T00:00"), ny("2026-11-02T00:00")), hours(25));
        assert_eq!(cal.business_time_between(ny("2026-03-01T00:00"), ny("2026-03-02T00:00")), hours(24));
        // Saturday is not working time; Sunday starts at 05:00Z in March (EST) and at 04:00Z
        // in November (EDT).
        let cases = [
            ("Sat + 3 h: 00:00 EST + 3 real hours is 04:00 EDT", "2026-03-07T17:00:00Z", 3, "2026-03-08T08:00:00Z"),
            ("Sat + 23 h ends at Sunday's midnight (EDT)", "2026-03-07T17:00:00Z", 23, "2026-03-09T04:00:00Z"),
            ("Sat + 24 h is Monday 10:00 EDT", "2026-03-07T17:00:00Z", 24, "2026-03-09T14:00:00Z"),
            ("Sat + 1 h is the first 01:00 (EDT)", "2026-10-31T16:00:00Z", 1, "2026-11-01T05:00:00Z"),
            ("Sat + 2 h is the second 01:00 (EST)", "2026-10-31T16:00:00Z", 2, "2026-11-01T06:00:00Z"),
            ("Sat + 3 h is 02:00 EST", "2026-10-31T16:00:00Z", 3, "2026-11-01T07:00:00Z"),
            ("Sat + 25 h ends at Sunday's midnight (EST)", "2026-10-31T16:00:00Z", 25, "2026-11-02T05:00:00Z"),
        ];
        for (what, start, n, want) in cases {
            let got = cal.add_business_time(utc(start), hours(n)).unwrap();
            assert_eq!(got, utc(want), "{what}");
        }
    }

    #[test]
    fn new_york_one_to_three_lasts_three_hours_on_fall_back_and_one_on_spring_forward() {
        let cal =
            Calendar::builder("America/New_York").hours(&[Weekday::Sunday], &[Hours::hm(1, 0, 3, 0)]).build().unwrap();
        let sunday =
            |d: &str| (at("America/New_York", &format!("{d}T00:00")), at("America/New_York", &format!("{d}T23:00")));
        let (a, b) = sunday("2026-11-01");
        assert_eq!(cal.business_time_between(a, b), hours(3));
        let (a, b) = sunday("2026-03-08");
        assert_eq!(cal.business_time_between(a, b), hours(1));
        let (a, b) = sunday("2026-03-15");
        assert_eq!(cal.business_time_between(a, b), hours(2));
        // Fall back: 05:00Z is 01:00 EDT, 06:30Z is 01:30 EST (the second time round), 08:00Z 03:00 EST.
        assert!(!cal.is_working(utc("2026-11-01T04:59:59Z")));
        assert!(cal.is_working(utc("2026-11-01T05:00:00Z")));
        assert!(cal.is_working(utc("2026-11-01T06:30:00Z")));
        assert!(cal.is_working(utc("2026-11-01T07:59:59Z")));
        assert!(!cal.is_working(utc("2026-11-01T08:00:00Z")));
        // Spring forward: 06:59Z is 01:59 EST, 07:00Z is 03:00 EDT.
        assert!(cal.is_working(utc("2026-03-08T06:59:59Z")));
        assert!(!cal.is_working(utc("2026-03-08T07:00:00Z")));
        assert_eq!(cal.add_business_time(utc("2026-03-08T00:00:00Z"), hours(1)), Ok(utc("2026-03-08T07:00:00Z")));
    }

    #[test]
    fn a_fold_at_midnight_gives_the_repeated_hour_to_the_day_before() {
        // Beirut falls back from 00:00 (+03) to 23:00 (+02) on Sunday 2026-10-25: Saturday
        // 23:00-24:00 happens twice, and Sunday starts at the second midnight.
        let cal = Calendar::builder("Asia/Beirut")
            .hours(&[Weekday::Saturday], &[Hours::hm(23, 0, 24, 0)])
            .hours(&[Weekday::Sunday], &[Hours::hm(0, 0, 1, 0)])
            .build()
            .unwrap();
        let (a, b) = (utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z"));
        assert_eq!(cal.business_time_between(a, b), hours(3));
        assert!(cal.is_working(utc("2026-10-24T21:30:00Z")), "23:30 the second time round");
        assert_eq!(cal.add_business_time(a, hours(2)), Ok(utc("2026-10-24T22:00:00Z")));
    }

    #[test]
    fn hours_that_the_clock_skips_are_no_working_time_that_day() {
        let cal = Calendar::builder("America/New_York")
            .hours(&[Weekday::Sunday], &[Hours::hm(2, 0, 2, 30), Hours::hm(3, 0, 4, 0)])
            .build()
            .unwrap();
        let ny = |civil: &str| at("America/New_York", civil);
        assert_eq!(cal.business_time_between(ny("2026-03-08T00:00"), ny("2026-03-08T12:00")), hours(1));
        assert_eq!(cal.business_time_between(ny("2026-03-15T00:00"), ny("2026-03-15T12:00")), mins(90));
    }

    #[test]
    fn pauses_take_out_the_working_time_they_cover_once() {
        let cal = Calendar::five_by_eight(shanghai());
        let (start, end) = (sh("2025-03-10T09:00"), sh("2025-03-10T18:00"));
        assert_eq!(cal.business_time_between_excluding(start, end, &[]), hours(8));
        let overlapping = [
            (sh("2025-03-10T10:00"), sh("2025-03-10T11:00")),
            (sh("2025-03-10T10:30"), sh("2025-03-10T12:30")),
            (sh("2025-03-10T12:10"), sh("2025-03-10T12:20")),
        ];
        assert_eq!(cal.business_time_between_excluding(start, end, &overlapping), hours(6));
        // A pause still running is passed up to `end`, or beyond.
        let open = [(sh("2025-03-10T14:00"), sh("2025-03-20T00:00"))];
        assert_eq!(cal.business_time_between_excluding(start, end, &open), hours(4));
        let before_and_inverted =
            [(sh("2025-03-07T00:00"), sh("2025-03-10T10:00")), (sh("2025-03-10T17:00"), sh("2025-03-10T16:00"))];
        assert_eq!(cal.business_time_between_excluding(start, end, &before_and_inverted), hours(7));
    }

    #[test]
    fn unknown_time_zone_is_refused_naming_the_field() {
        let err = Calendar::builder("Mars/Olympus_Mons").build().unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "time_zone"));
    }

    #[test]
    fn inverted_empty_overlapping_and_too_late_hours_are_refused_naming_the_interval() {
        let refused = |day: Weekday, hours: &[Hours]| match Calendar::builder("UTC").hours(&[day], hours).build() {
            Err(DomainError::Invalid(e)) => e.field,
            other => panic!("accepted {hours:?}: {other:?}"),
        };
        assert_eq!(refused(Weekday::Monday, &[Hours::hm(12, 0, 9, 0)]), "hours.monday[0]");
        assert_eq!(refused(Weekday::Monday, &[Hours::hm(9, 0, 9, 0)]), "hours.monday[0]");
        assert_eq!(refused(Weekday::Tuesday, &[Hours::hm(13, 0, 18, 0), Hours::hm(9, 0, 13, 1)]), "hours.tuesday[1]");
        assert_eq!(refused(Weekday::Sunday, &[Hours::hm(22, 0, 24, 1)]), "hours.sunday[0]");
        // Touching intervals are fine.
        let cal =
            Calendar::builder("UTC").hours(&[Weekday::Monday], &[Hours::hm(13, 0, 18, 0), Hours::hm(9, 0, 13, 0)]);
        assert_eq!(cal.build().unwrap().weekly_hours(Weekday::Monday)[0], Hours::hm(9, 0, 13, 0));
    }

    #[test]
    fn a_date_both_off_and_worked_is_refused() {
        let err = Calendar::builder("UTC").holidays([date(2026, 2, 14)]).make_up_days([date(2026, 2, 14)]).build();
        assert!(matches!(err, Err(DomainError::Invalid(e)) if e.field == "make_up_days"));
    }

    #[test]
    fn hours_parse_and_display() {
        assert_eq!(Hours::parse("h", "09:00-12:00"), Ok(Hours::hm(9, 0, 12, 0)));
        assert_eq!(Hours::parse("h", " 13:30–24:00 "), Ok(Hours::hm(13, 30, 24, 0)));
        assert_eq!(Hours::hm(13, 30, 24, 0).to_string(), "13:30-24:00");
        assert_eq!(Hours { start: 30, end: 3600 }.to_string(), "00:00:30-01:00");
        for bad in ["9:00-12:00", "09:00", "09:60-10:00", "24:30-24:45", "12:00-09:00", "aa:bb-cc:dd", "00:00-25:00"] {
            assert!(matches!(Hours::parse("hours", bad), Err(DomainError::Invalid(e)) if e.field == "hours"), "{bad}");
        }
    }

    #[test]
    fn holiday_table_skips_comments_blank_lines_and_the_header() {
        let text = "\u{feff}# a comment\r\ndate\tkind\tname\r\n\r\n2026-02-14\twork\t春节\r\n  # indented comment\n2026-02-15\toff\t春节\n2026-02-16\toff\n";
        let table = HolidayTable::parse(text).unwrap();
        assert_eq!(table.make_up_days, BTreeSet::from([date(2026, 2, 14)]));
        assert_eq!(table.holidays, BTreeSet::from([date(2026, 2, 15), date(2026, 2, 16)]));
    }

    #[test]
    fn holiday_table_refuses_malformed_lines_naming_the_line() {
        let field = |text: &str| match HolidayTable::parse(text) {
            Err(DomainError::Invalid(e)) => e.field,
            other => panic!("accepted {text:?}: {other:?}"),
        };
        assert_eq!(field("# c\n2026-02-15\tholiday\tx\n"), "line 2");
        assert_eq!(field("2026-02-15\toff\tx\n2026-02-30\toff\tx\n"), "line 2");
        assert_eq!(field("2026-2-15\toff\tx\n"), "line 1");
        assert_eq!(field("2026-02-15 off x\n"), "line 1");
        assert_eq!(field("\n\n2026-02-15\toff\n2026-02-15\twork\n"), "line 4");
        assert_eq!(field("2026-02-15\toff\ndate\tkind\tname\n"), "line 2", "a header only comes first");
    }

    #[test]
    fn embedded_china_table_has_the_official_2025_and_2026_days() {
        let table = HolidayTable::china();
        assert_eq!((table.holidays.len(), table.make_up_days.len()), (61, 11));
        for d in &table.make_up_days {
            assert!(matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday), "make-up day {d} is a weekday");
        }
        let spring: BTreeSet<Date> = (15..=23).map(|day| date(2026, 2, day)).collect();
        assert!(table.holidays.is_superset(&spring));
        assert!(table.make_up_days.contains(&date(2026, 2, 14)) && table.make_up_days.contains(&date(2026, 2, 28)));
        let national_day_2025: BTreeSet<Date> = (1..=8).map(|day| date(2025, 10, day)).collect();
        assert!(table.holidays.is_superset(&national_day_2025));
        assert!(table.make_up_days.contains(&date(2025, 9, 28)) && table.make_up_days.contains(&date(2025, 10, 11)));
        assert!(table.holidays.iter().chain(&table.make_up_days).all(|d| (2025..=2026).contains(&d.year())));
    }

    #[test]
    fn a_year_of_five_by_eight_without_holidays_has_261_working_days() {
        let cal = Calendar::five_by_eight(shanghai());
        let (a, b) = (sh("2025-01-01T00:00"), sh("2026-01-01T00:00"));
        assert_eq!(cal.business_time_between(a, b), hours(8 * 261));
        assert_eq!(cal.add_business_time(a, hours(8 * 261)), Ok(sh("2025-12-31T18:00")));
        // China 2025: 18 of the days off fall on weekdays and 5 weekend days are worked, which
        // gives the published 248 working days.
        let china = Calendar::china_5x8();
        let table = HolidayTable::china();
        let weekday_holidays_2025 =
            table.holidays.iter().filter(|d| d.year() == 2025 && WEEKDAYS.contains(&d.weekday())).count();
        let make_up_2025 = table.make_up_days.iter().filter(|d| d.year() == 2025).count();
        assert_eq!((weekday_holidays_2025, make_up_2025), (18, 5));
        assert_eq!(china.business_time_between(a, b), hours(8 * 248));
    }

    // ----- properties over random calendars -----

    const DAY_US: i64 = 86_400_000_000;

    fn zone() -> impl Strategy<Value = &'static str> {
        // Zones with a clock change at 02:00 (New York, London), by 30 minutes (Lord Howe), at
        // midnight (Havana), with a fall-back fold that crosses midnight (Beirut, Santiago),
        // and without any (UTC, Shanghai, Kathmandu at +05:45).
        proptest::sample::select(vec![
            "UTC",
            "Asia/Shanghai",
            "Asia/Kathmandu",
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "America/Havana",
            "Asia/Beirut",
            "America/Santiago",
        ])
    }

    fn day_hours() -> impl Strategy<Value = Vec<Hours>> {
        // 0 to 3 intervals from distinct minute marks, sorted, so never overlapping.
        proptest::collection::btree_set(0u32..=1440, 0..=6).prop_map(|marks| {
            let marks: Vec<u32> = marks.into_iter().collect();
            marks.chunks_exact(2).map(|p| Hours { start: p[0] * 60, end: p[1] * 60 }).collect()
        })
    }

    /// A random calendar and the first instant of a 60-day window (from December 2025 into
    /// 2026, so it often holds clock changes) that has random holidays and make-up days.
    fn calendar() -> impl Strategy<Value = (Calendar, Timestamp)> {
        (zone(), proptest::array::uniform7(day_hours()), 0i64..330, proptest::collection::vec(0u8..10, 60), 0i8..7)
            .prop_map(|(zone, week, offset, marks, reference)| {
                let first = date(2025, 12, 1) + jiff::Span::new().days(offset);
                let day = |i: usize| first + jiff::Span::new().days(i as i64);
                let mut b = Calendar::builder(zone)
                    .make_up_weekday(Weekday::from_monday_zero_offset(reference).unwrap())
                    .holidays(marks.iter().enumerate().filter(|(_, m)| **m == 0).map(|(i, _)| day(i)))
                    .make_up_days(marks.iter().enumerate().filter(|(_, m)| **m == 1).map(|(i, _)| day(i)));
                for (weekday, hours) in ALL_WEEK.iter().zip(week) {
                    b = b.hours(&[*weekday], &hours);
                }
                let window = first.to_zoned(TimeZone::UTC).unwrap().timestamp();
                (b.build().expect("generated calendars are valid"), window)
            })
    }

    fn budget() -> impl Strategy<Value = SignedDuration> {
        prop_oneof![0i64..=DAY_US, 0i64..=30 * DAY_US].prop_map(SignedDuration::from_micros)
    }

    fn instant_in(window: Timestamp, micros: i64) -> Timestamp {
        window + SignedDuration::from_micros(micros)
    }

    proptest! {
        #[test]
        fn measuring_what_was_added_gives_the_budget_back(
            (cal, window) in calendar(), at in 0..60 * DAY_US, budget in budget(),
        ) {
            let start = instant_in(window, at);
            match cal.add_business_time(start, budget) {
                Ok(end) => {
                    prop_assert!(end >= start);
                    prop_assert_eq!(cal.business_time_between(start, end), budget);
                }
                Err(_) => {
                    let ten_years = start + SignedDuration::from_hours(24 * 3652);
                    prop_assert!(cal.business_time_between(start, ten_years) < budget);
                }
            }
        }

        #[test]
        fn adding_more_never_lands_earlier(
            (cal, window) in calendar(), at in 0..60 * DAY_US, a in budget(), b in budget(),
        ) {
            let start = instant_in(window, at);
            let (small, large) = (a.min(b), a.max(b));
            if let (Ok(x), Ok(y)) = (cal.add_business_time(start, small), cal.add_business_time(start, large)) {
                prop_assert!(x <= y);
            }
        }

        #[test]
        fn a_positive_budget_runs_out_at_the_end_of_working_time(
            (cal, window) in calendar(), at in 0..60 * DAY_US, budget in budget(),
        ) {
            let start = instant_in(window, at);
            if let (true, Ok(end)) = (budget.is_positive(), cal.add_business_time(start, budget)) {
                prop_assert!(end - NS >= start);
                prop_assert!(cal.is_working(end - NS), "the nanosecond before {} is not working time", end);
            }
        }

        #[test]
        fn is_working_agrees_with_measuring_one_nanosecond(
            (cal, window) in calendar(), at in 0..60 * DAY_US,
        ) {
            let t = instant_in(window, at);
            prop_assert_eq!(cal.is_working(t), cal.business_time_between(t, t + NS) == NS);
        }

        #[test]
        fn pauses_only_ever_take_time_away(
            (cal, window) in calendar(), at in 0..60 * DAY_US, span in 0..31 * DAY_US,
            pauses in proptest::collection::vec((-DAY_US..32 * DAY_US, 0..5 * DAY_US), 0..5),
        ) {
            let (start, end) = (instant_in(window, at), instant_in(window, at + span));
            let whole = cal.business_time_between(start, end);
            let pauses: Vec<(Timestamp, Timestamp)> =
                pauses.iter().map(|&(from, len)| (instant_in(window, at + from), instant_in(window, at + from + len))).collect();
            let excluded = cal.business_time_between_excluding(start, end, &pauses);
            prop_assert!(excluded <= whole);
            prop_assert!(excluded >= SignedDuration::ZERO);
            let paused: SignedDuration = pauses.iter().map(|&(a, b)| cal.business_time_between(a.max(start), b.min(end))).sum();
            prop_assert!(excluded >= whole - paused, "a pause was counted twice");
            prop_assert_eq!(cal.business_time_between_excluding(start, end, &[]), whole);
            prop_assert_eq!(cal.business_time_between_excluding(start, end, &[(start, end)]), SignedDuration::ZERO);
            if let Some(&(a, b)) = pauses.first() {
                let (a, b) = (a.clamp(start, end), b.clamp(start, end));
                let one = cal.business_time_between_excluding(start, end, &[(a, b)]);
                prop_assert_eq!(one, cal.business_time_between(start, a) + cal.business_time_between(b, end));
            }
        }

        #[test]
        fn business_time_is_additive(
            (cal, window) in calendar(), a in 0..60 * DAY_US, b in 0..60 * DAY_US, c in 0..60 * DAY_US,
        ) {
            let mut t = [a, b, c].map(|x| instant_in(window, x));
            t.sort();
            let [a, b, c] = t;
            prop_assert_eq!(cal.business_time_between(a, b) + cal.business_time_between(b, c), cal.business_time_between(a, c));
        }

        #[test]
        fn business_time_is_at_most_wall_clock_time(
            (cal, window) in calendar(), a in 0..60 * DAY_US, b in 0..60 * DAY_US,
        ) {
            let (a, b) = (instant_in(window, a), instant_in(window, b));
            let measured = cal.business_time_between(a, b);
            prop_assert!(measured >= SignedDuration::ZERO);
            prop_assert!(measured <= b.duration_since(a).max(SignedDuration::ZERO));
        }

        #[test]
        fn always_equals_wall_clock(a in 0..400 * DAY_US, span in 0..400 * DAY_US) {
            let cal = Calendar::always();
            let start = instant_in(utc("2025-01-01T00:00:00Z"), a);
            let d = SignedDuration::from_micros(span);
            prop_assert_eq!(cal.add_business_time(start, d), Ok(start + d));
            prop_assert_eq!(cal.business_time_between(start, start + d), d);
        }

        #[test]
        fn holiday_table_parse_never_panics(text in "(#|date|20[0-9]{2}-[0-9]{2}-[0-9]{2}|\t|off|work|x| |\r?\n){0,30}") {
            let _ = HolidayTable::parse(&text);
        }
    }
}
