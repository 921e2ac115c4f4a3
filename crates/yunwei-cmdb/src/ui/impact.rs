//! The impact page: the store's analysis drawn as an SVG picture on the server (boxes placed
//! by [`super::layout`], text escaped by the template like any other), then the affected CIs
//! with the path that explains each, the organisations affected and the open tickets.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yunwei_db::StoreError;
use yunwei_web::AppState;
use yunwei_web::ui::i18n::{self, Locale};
use yunwei_web::ui::session::Ctx;
use yunwei_web::ui::view::{self, Ui, render};

use super::Names;
use super::cis::{kind_label, reader};
use super::layout::{self, BOX_H, BOX_W, Item, LIMIT, Shown};
use crate::rules::impact::{Direction, MAX_DEPTH};
use crate::rules::relations::RelationKind;
use crate::store::impact::{self, ImpactNode};
use crate::store::work::WorkItem;

#[derive(Deserialize, Default)]
pub struct ImpactQuery {
    direction: Option<String>,
    depth: Option<String>,
    /// Depths whose every CI is shown, comma-separated.
    expand: Option<String>,
}

/// A box of the picture.
pub struct BoxView {
    pub x: u32,
    pub y: u32,
    pub href: String,
    /// The whole name (a tooltip); `name` may be shortened to fit.
    pub title: String,
    pub name: String,
    pub class: String,
    pub tickets: String,
    pub start: bool,
    pub more: bool,
}

/// A line of the picture, with the relationship read from its left end.
pub struct LineView {
    pub d: String,
    pub label: &'static str,
    pub lx: u32,
    pub ly: u32,
}

/// An affected CI in the list below the picture.
pub struct Affected {
    pub id: i64,
    pub name: String,
    pub class: String,
    pub tenant: String,
    pub depth: u32,
    pub path: Vec<(i64, String)>,
    pub open_tickets: i64,
}

#[derive(Template)]
#[template(path = "cmdb_impact.html")]
struct ImpactPage {
    ui: Ui,
    id: i64,
    name: String,
    direction: &'static str,
    depth: u32,
    depths: Vec<u32>,
    width: u32,
    height: u32,
    box_w: u32,
    box_h: u32,
    boxes: Vec<BoxView>,
    lines: Vec<LineView>,
    affected: Vec<Affected>,
    tenants: Vec<String>,
    open_tickets: Vec<WorkItem>,
    truncated: bool,
    /// How many CIs were reached besides the start (the list shows at most [`LIST_MAX`]).
    affected_total: usize,
    /// Says the list is cut, when it is.
    list_note: String,
}

/// The most affected CIs listed below the picture.
const LIST_MAX: usize = 200;

/// At most `max` width units of `text` (a CJK character counts two), with "…" if cut.
pub fn fit(text: &str, max: usize) -> String {
    let mut used = 0;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        let w = if c.len_utf8() > 2 { 2 } else { 1 };
        if used + w > max {
            let rest: String = text.chars().skip(i).collect();
            if rest.is_empty() {
                break;
            }
            out.push('…');
            return out;
        }
        used += w;
        out.push(c);
    }
    out
}

/// How the CI on the left of a line relates to the one on its right: walking down, the left
/// one is what the right one depends on; walking up, the reverse.
fn line_label(l: Locale, direction: Direction, kind: RelationKind) -> &'static str {
    // The dependent is the relationship's source except for `contains`.
    let left_is_source = match direction {
        Direction::Down => kind == RelationKind::Contains,
        Direction::Up => kind != RelationKind::Contains,
    };
    kind_label(l, kind, left_is_source)
}

fn expand_list(text: Option<&str>) -> Vec<u32> {
    let mut out: Vec<u32> =
        text.unwrap_or("").split(',').filter_map(|d| d.trim().parse().ok()).filter(|d| *d <= MAX_DEPTH).collect();
    out.sort_unstable();
    out.dedup();
    out
}

pub async fn show(
    State(s): State<AppState>,
    Ctx(v, actor): Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ImpactQuery>,
) -> Response {
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    let direction = Direction::parse("direction", q.direction.as_deref().unwrap_or("down")).unwrap_or(Direction::Down);
    let depth = q.depth.as_deref().and_then(|d| d.trim().parse::<u32>().ok()).unwrap_or(3).clamp(1, MAX_DEPTH);
    let expand = expand_list(q.expand.as_deref());
    let loaded = async {
        let found = impact::analyse(&mut s.store.lookup().await?, &actor, id, direction, depth).await?;
        let mut tx = s.store.read().await?;
        let names = Names::load(&mut tx, &actor).await?;
        Ok::<_, StoreError>((found, names))
    };
    let (found, names) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let l = v.locale;
    let lc = l.as_str();
    let items: Vec<Item> = found.nodes.iter().map(|n| Item { id: n.id, depth: n.depth, via: n.via }).collect();
    let picture = layout::layout(&items, LIMIT, &expand);
    let node = |i: usize| -> &ImpactNode { &found.nodes[i] };
    let base = format!("/cmdb/{id}/impact?direction={}&depth={depth}", direction.as_str());
    let boxes: Vec<BoxView> = picture
        .boxes
        .iter()
        .map(|b| match &b.shown {
            Shown::Node(i) => {
                let n = node(*i);
                let tickets = if n.open_tickets > 0 {
                    i18n::tf(l, "cmdb.impact.open_n", &[("n", &n.open_tickets.to_string())])
                } else {
                    String::new()
                };
                BoxView {
                    x: b.x,
                    y: b.y,
                    href: format!("/cmdb/{}", n.id),
                    title: n.name.clone(),
                    name: fit(&n.name, 28),
                    // The organisation tells apart CIs of the same name at two clients.
                    // Shorter beside the open-ticket count, which sits at the line's end.
                    class: fit(
                        &format!("{} · {}", names.class_name(&n.class_code, lc), names.tenant(n.tenant_id)),
                        if tickets.is_empty() { 34 } else { 24 },
                    ),
                    tickets,
                    start: n.depth == 0,
                    more: false,
                }
            }
            Shown::More { depth: d, hidden } => {
                let mut all = expand.clone();
                all.push(*d);
                let list: Vec<String> = all.iter().map(u32::to_string).collect();
                let text = i18n::tf(l, "cmdb.impact.more", &[("n", &hidden.len().to_string())]);
                let open: i64 = hidden.iter().map(|&i| node(i).open_tickets).sum();
                BoxView {
                    x: b.x,
                    y: b.y,
                    href: format!("{base}&expand={}", list.join(",")),
                    title: text.clone(),
                    name: text,
                    class: i18n::t(l, "cmdb.impact.show_all").to_string(),
                    tickets: if open > 0 {
                        i18n::tf(l, "cmdb.impact.open_n", &[("n", &open.to_string())])
                    } else {
                        String::new()
                    },
                    start: false,
                    more: true,
                }
            }
        })
        .collect();
    let lines = picture
        .lines
        .iter()
        .map(|line| {
            let (a, b) = (&picture.boxes[line.from], &picture.boxes[line.to]);
            let (x1, y1, x2, y2) = (a.x + BOX_W, a.y + BOX_H / 2, b.x, b.y + BOX_H / 2);
            let xm = (x1 + x2) / 2;
            let label = line.item.and_then(|i| node(i).kind).map(|k| line_label(l, direction, k)).unwrap_or("");
            LineView { d: format!("M{x1},{y1} C{xm},{y1} {xm},{y2} {x2},{y2}"), label, lx: x2 - 8, ly: y2 - 5 }
        })
        .collect();
    let name_of: HashMap<i64, &str> = found.nodes.iter().map(|n| (n.id, n.name.as_str())).collect();
    let affected_total = found.nodes.len().saturating_sub(1);
    let affected: Vec<Affected> = found
        .nodes
        .iter()
        .filter(|n| n.depth > 0)
        .take(LIST_MAX)
        .map(|n| Affected {
            id: n.id,
            name: n.name.clone(),
            class: names.class_name(&n.class_code, lc),
            tenant: names.tenant(n.tenant_id),
            depth: n.depth,
            path: n.path.iter().map(|p| (*p, name_of.get(p).copied().unwrap_or("").to_string())).collect(),
            open_tickets: n.open_tickets,
        })
        .collect();
    let list_note = if affected.len() < affected_total {
        let (shown, total) = (affected.len().to_string(), affected_total.to_string());
        i18n::tf(l, "cmdb.impact.list_first", &[("shown", &shown), ("total", &total)])
    } else {
        String::new()
    };
    let start_name = found.nodes.first().map(|n| n.name.clone()).unwrap_or_default();
    let page = ImpactPage {
        ui: Ui::new(&v, "cmdb"),
        id,
        name: start_name,
        direction: direction.as_str(),
        depth,
        depths: (1..=MAX_DEPTH).collect(),
        width: picture.width,
        height: picture.height,
        box_w: BOX_W,
        box_h: BOX_H,
        boxes,
        lines,
        affected,
        tenants: found.tenants.iter().map(|t| names.tenant(*t)).collect(),
        open_tickets: found.open_tickets,
        truncated: found.truncated,
        list_note,
        affected_total,
    };
    render(&v, StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_to_fit_counting_chinese_double() {
        crate::install_texts();
        assert_eq!(fit("web-01", 26), "web-01");
        assert_eq!(fit("abcdefghij", 5), "abcde…");
        assert_eq!(fit("核心交换机一号", 6), "核心交…");
        assert_eq!(fit("abcde", 5), "abcde");
    }

    #[test]
    fn lines_read_left_to_right_whichever_way_the_walk_goes() {
        crate::install_texts();
        // Down from a server: "server hosts app"; up from an app: "app runs on server".
        assert_eq!(line_label(Locale::En, Direction::Down, RelationKind::RunsOn), "hosts");
        assert_eq!(line_label(Locale::En, Direction::Up, RelationKind::RunsOn), "runs on");
        // A rack contains a server: down from the rack, "rack contains server".
        assert_eq!(line_label(Locale::En, Direction::Down, RelationKind::Contains), "contains");
        assert_eq!(line_label(Locale::En, Direction::Up, RelationKind::Contains), "is in");
    }
}
