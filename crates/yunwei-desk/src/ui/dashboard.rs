//! The group lead's dashboard: open tickets by priority and by group, tickets created and
//! resolved per day over the last 30 days (days in the viewer's time zone) and the top
//! categories, drawn as SVG on the server. Every bar links to the console queue it counts.
//! Figures come from `store::dashboard`, in the viewer's scope.

use crate::store::dashboard;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::StoreError;

use yunwei_web::AppState;
use yunwei_web::ui::i18n::Locale;
use yunwei_web::ui::session::Staff;
use yunwei_web::ui::view::{self, Ui, render};

/// How many days the created/resolved chart covers.
pub const DAYS: usize = 30;

/// One bar of a horizontal bar chart, with its geometry precomputed.
pub struct HBar {
    pub label: String,
    /// The label, shortened to fit beside the bar.
    pub short: String,
    pub value: i64,
    pub href: String,
    pub y: i64,
    pub width: i64,
    /// A CSS class for the bar's colour (e.g. `p1`).
    pub class: String,
}

/// A horizontal bar chart: one row per bar.
pub struct HChart {
    pub bars: Vec<HBar>,
    pub height: i64,
    pub total: i64,
}

pub const H_LABEL: i64 = 150;
pub const H_BAR: i64 = 280;
pub const H_ROW: i64 = 30;

fn shorten(text: &str, max: usize) -> String {
    // Chinese characters are about twice as wide as Latin ones.
    let mut width = 0;
    let mut out = String::new();
    for c in text.chars() {
        width += if c.is_ascii() { 1 } else { 2 };
        if width > max {
            out.push('…');
            return out;
        }
        out.push(c);
    }
    out
}

pub fn hchart(rows: Vec<(String, i64, String, String)>) -> HChart {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let total = rows.iter().map(|r| r.1).sum();
    let bars: Vec<HBar> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, href, class))| HBar {
            short: shorten(&label, 20),
            label,
            value,
            href,
            y: i as i64 * H_ROW,
            width: if value > 0 { (value * H_BAR / max).max(2) } else { 0 },
            class,
        })
        .collect();
    HChart { height: (bars.len() as i64 * H_ROW).max(H_ROW), bars, total }
}

/// One day of the created/resolved chart.
pub struct Day {
    pub label: String,
    pub date: String,
    pub created: i64,
    pub resolved: i64,
    pub x: i64,
    pub created_y: i64,
    pub created_h: i64,
    pub resolved_y: i64,
    pub resolved_h: i64,
    /// Whether the date is written under this day (every fifth day and the last).
    pub tick: bool,
    pub created_href: String,
    pub resolved_href: String,
}

pub struct DayChart {
    pub days: Vec<Day>,
    pub max: i64,
    pub created: i64,
    pub resolved: i64,
}

pub const D_SLOT: i64 = 22;
pub const D_LEFT: i64 = 36;
pub const D_TOP: i64 = 10;
pub const D_PLOT: i64 = 160;

fn day_chart(dates: &[jiff::civil::Date], counts: &[(i64, i64)]) -> DayChart {
    let max = counts.iter().map(|(c, r)| (*c).max(*r)).max().unwrap_or(0).max(1);
    let h = |n: i64| if n > 0 { (n * D_PLOT / max).max(2) } else { 0 };
    let last = dates.len().saturating_sub(1);
    let days = dates
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (d, (c, r)))| {
            let date = d.strftime("%Y-%m-%d").to_string();
            Day {
                label: d.strftime("%m-%d").to_string(),
                created: *c,
                resolved: *r,
                x: D_LEFT + i as i64 * D_SLOT,
                created_h: h(*c),
                created_y: D_TOP + D_PLOT - h(*c),
                resolved_h: h(*r),
                resolved_y: D_TOP + D_PLOT - h(*r),
                tick: (last - i).is_multiple_of(5),
                created_href: format!("/console?queue=all&created_from={date}&created_to={date}&sort=-created_at"),
                resolved_href: "/console?queue=recent&status=resolved&sort=-updated_at".to_string(),
                date,
            }
        })
        .collect();
    DayChart { days, max, created: counts.iter().map(|c| c.0).sum(), resolved: counts.iter().map(|c| c.1).sum() }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ui: Ui,
    by_priority: HChart,
    by_group: HChart,
    categories: HChart,
    per_day: DayChart,
    open_total: i64,
    first_day: String,
}

impl DashboardPage {
    fn day_width(&self) -> i64 {
        D_LEFT + self.per_day.days.len() as i64 * D_SLOT + 8
    }
}

/// The first instant of `date` in `tz` (the first existing instant on a day that starts in a
/// DST gap).
fn start_of(date: jiff::civil::Date, tz: &jiff::tz::TimeZone) -> i64 {
    date.to_zoned(tz.clone()).map(|z| z.timestamp().as_microsecond()).unwrap_or(0)
}

pub async fn show(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    let today = jiff::Timestamp::now().to_zoned(v.tz.clone()).date();
    let dates: Vec<jiff::civil::Date> =
        (0..DAYS as i64).rev().filter_map(|n| today.checked_sub(jiff::Span::new().days(n)).ok()).collect();
    let mut bounds: Vec<i64> = dates.iter().map(|d| start_of(*d, &v.tz)).collect();
    bounds.push(start_of(today.tomorrow().unwrap_or(today), &v.tz));
    let from = bounds[0];
    let loaded = async {
        let mut tx = s.store.read().await?;
        let by_priority = dashboard::open_by_priority(&mut tx, &actor).await?;
        let by_group = dashboard::open_by_group(&mut tx, &actor).await?;
        let per_day = dashboard::created_resolved(&mut tx, &actor, &bounds).await?;
        let categories = dashboard::top_categories(&mut tx, &actor, from, 8).await?;
        Ok::<_, StoreError>((by_priority, by_group, per_day, categories))
    };
    let (by_priority, by_group, per_day, categories) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let ui = Ui::new(&v, "dashboard");
    let first_day = dates.first().map(|d| d.strftime("%Y-%m-%d").to_string()).unwrap_or_default();
    let priority_rows = (1..=4)
        .map(|p| {
            let n = by_priority.iter().find(|(q, _)| *q == p).map(|x| x.1).unwrap_or(0);
            (ui.priority(p).to_string(), n, format!("/console?queue=open&priority={p}"), format!("p{p}"))
        })
        .collect();
    let group_rows = by_group
        .into_iter()
        .map(|(id, name, n)| {
            if id == 0 {
                (ui.t("dashboard.no_group").to_string(), n, "/console?queue=open".to_string(), "none".to_string())
            } else {
                (name, n, format!("/console?queue=open&group={id}"), "group".to_string())
            }
        })
        .collect();
    let category_rows = categories
        .into_iter()
        .map(|(id, zh, en, n)| {
            let name = if v.locale == Locale::ZhCn { zh } else { en };
            (name, n, format!("/console?queue=all&category={id}&created_from={first_day}"), "category".to_string())
        })
        .collect();
    let by_priority = hchart(priority_rows);
    let page = DashboardPage {
        open_total: by_priority.total,
        by_priority,
        by_group: hchart(group_rows),
        categories: hchart(category_rows),
        per_day: day_chart(&dates, &per_day),
        first_day,
        ui,
    };
    render(&v, StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_labels_are_shortened() {
        let c = hchart(vec![
            ("a".into(), 10, "/x".into(), "p1".into()),
            ("b".into(), 5, "/y".into(), "p2".into()),
            ("c".into(), 0, "/z".into(), "p3".into()),
        ]);
        assert_eq!(c.bars.iter().map(|b| b.width).collect::<Vec<_>>(), vec![H_BAR, H_BAR / 2, 0]);
        assert_eq!(c.total, 15);
        assert_eq!(shorten("门诊收费系统无法打印发票门诊收费", 20), "门诊收费系统无法打印…");
        assert_eq!(shorten("short", 20), "short");
    }
}
