//! Where the impact picture puts its boxes and lines: pure, so it is tested on its own.
//!
//! The CIs stand in columns by their depth from the start (the start alone on the left). In
//! each column the CIs are ordered by the position of the CI they were reached from (its
//! barycentre: each CI has one parent in the walk), so the tree's lines do not cross. A column
//! with more CIs than `limit` shows the first `limit - 1` and one "N more" box for the rest
//! (unless that depth is `expanded`); lines to and from hidden CIs end at that box.

use std::collections::{BTreeMap, HashMap, HashSet};

/// Box width and height, the gaps between columns and rows, and the margin around it all.
pub const BOX_W: u32 = 250;
pub const BOX_H: u32 = 54;
pub const COL_GAP: u32 = 110;
pub const ROW_GAP: u32 = 14;
pub const MARGIN: u32 = 22;
/// The most boxes a column shows unless expanded.
pub const LIMIT: usize = 12;

/// One CI of the walk: its id, its depth and the CI it was reached from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub depth: u32,
    pub via: Option<i64>,
}

/// What a box shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// One CI: its index in the items.
    Node(usize),
    /// The CIs of a depth that did not fit (indexes in the items).
    More { depth: u32, hidden: Vec<usize> },
}

/// A box and where it stands (top left corner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub shown: Shown,
    pub x: u32,
    pub y: u32,
}

/// A line from box `from` (left) to box `to` (right); `item` is the CI that `to` shows when it
/// shows one (its relationship labels the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub from: usize,
    pub to: usize,
    pub item: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub boxes: Vec<Placed>,
    pub lines: Vec<Line>,
    pub width: u32,
    pub height: u32,
}

/// Lays `items` out (walk order: the start first, each CI after the one it was reached from).
pub fn layout(items: &[Item], limit: usize, expanded: &[u32]) -> Layout {
    let limit = limit.max(2);
    let mut layers: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        layers.entry(item.depth).or_default().push(i);
    }
    // Per CI id: its box, and the row it stands at (for the next column's order).
    let mut box_of: HashMap<i64, usize> = HashMap::new();
    let mut row_of: HashMap<i64, usize> = HashMap::new();
    let mut boxes: Vec<Placed> = Vec::new();
    let mut columns: Vec<Vec<usize>> = Vec::new();
    for (&depth, members) in &layers {
        let mut order = members.clone();
        order.sort_by_key(|&i| {
            let parent_row = items[i].via.and_then(|p| row_of.get(&p)).copied().unwrap_or(0);
            (parent_row, items[i].id)
        });
        let keep = if order.len() > limit && !expanded.contains(&depth) { limit - 1 } else { order.len() };
        let mut column = Vec::new();
        for (row, &i) in order.iter().take(keep).enumerate() {
            box_of.insert(items[i].id, boxes.len());
            row_of.insert(items[i].id, row);
            column.push(boxes.len());
            boxes.push(Placed { shown: Shown::Node(i), x: 0, y: 0 });
        }
        if keep < order.len() {
            let hidden: Vec<usize> = order[keep..].to_vec();
            for &i in &hidden {
                box_of.insert(items[i].id, boxes.len());
                row_of.insert(items[i].id, keep);
            }
            column.push(boxes.len());
            boxes.push(Placed { shown: Shown::More { depth, hidden }, x: 0, y: 0 });
        }
        columns.push(column);
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let pitch = BOX_H + ROW_GAP;
    for (c, column) in columns.iter().enumerate() {
        let offset = (tallest - column.len() as u32) * pitch / 2;
        for (row, &b) in column.iter().enumerate() {
            boxes[b].x = MARGIN + c as u32 * (BOX_W + COL_GAP);
            boxes[b].y = MARGIN + offset + row as u32 * pitch;
        }
    }
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (Some(parent), Some(&to)) = (item.via, box_of.get(&item.id)) else { continue };
        let Some(&from) = box_of.get(&parent) else { continue };
        if from == to || !seen.insert((from, to)) {
            continue;
        }
        let item = matches!(boxes[to].shown, Shown::Node(_)).then_some(i);
        lines.push(Line { from, to, item });
    }
    let n = columns.len() as u32;
    let width = if n == 0 { 0 } else { 2 * MARGIN + n * BOX_W + (n - 1) * COL_GAP };
    let height = if tallest == 0 { 0 } else { 2 * MARGIN + tallest * pitch - ROW_GAP };
    Layout { boxes, lines, width, height }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A random walk result: item 0 the start; each next item hangs off an earlier one one
    /// level shallower.
    fn walk(parents: &[usize]) -> Vec<Item> {
        let mut items = vec![Item { id: 100, depth: 0, via: None }];
        for (i, p) in parents.iter().enumerate() {
            let parent = items[p % items.len()];
            items.push(Item { id: 101 + i as i64, depth: parent.depth + 1, via: Some(parent.id) });
        }
        // Walk order is by depth.
        items.sort_by_key(|i| i.depth);
        items
    }

    fn overlap(a: &Placed, b: &Placed) -> bool {
        a.x < b.x + BOX_W && b.x < a.x + BOX_W && a.y < b.y + BOX_H && b.y < a.y + BOX_H
    }

    #[test]
    fn a_star_of_500_shows_eleven_and_one_box_for_the_rest_unless_expanded() {
        let items = walk(&vec![0; 500]);
        let l = layout(&items, LIMIT, &[]);
        assert_eq!(l.boxes.len(), 1 + LIMIT);
        match &l.boxes.last().unwrap().shown {
            Shown::More { depth, hidden } => assert_eq!((*depth, hidden.len()), (1, 500 - (LIMIT - 1))),
            other => panic!("{other:?}"),
        }
        assert_eq!(l.lines.len(), LIMIT);
        let all = layout(&items, LIMIT, &[1]);
        assert_eq!(all.boxes.len(), 501);
        assert!(all.boxes.iter().all(|b| matches!(b.shown, Shown::Node(_))));
    }

    #[test]
    fn children_follow_their_parents_order_so_tree_lines_do_not_cross() {
        // 0 → {1, 2}; 2's child listed before 1's child.
        let items = vec![
            Item { id: 1, depth: 0, via: None },
            Item { id: 20, depth: 1, via: Some(1) },
            Item { id: 10, depth: 1, via: Some(1) },
            Item { id: 5, depth: 2, via: Some(20) },
            Item { id: 6, depth: 2, via: Some(10) },
        ];
        let l = layout(&items, LIMIT, &[]);
        let y = |id: i64| {
            l.boxes.iter().find(|b| matches!(b.shown, Shown::Node(i) if items[i].id == id)).map(|b| b.y).unwrap()
        };
        assert!(y(10) < y(20));
        assert!(y(6) < y(5), "the child of the upper parent stands higher");
    }

    #[test]
    fn nothing_to_draw_is_an_empty_picture() {
        assert_eq!(layout(&[], LIMIT, &[]), Layout::default());
    }

    proptest! {
        #[test]
        fn boxes_never_overlap_lines_join_boxes_and_every_ci_is_counted_once(
            parents in proptest::collection::vec(0usize..40, 0..200),
            limit in 2usize..15,
            expand in proptest::collection::vec(0u32..6, 0..3),
        ) {
            let items = walk(&parents);
            let l = layout(&items, limit, &expand);
            for (i, a) in l.boxes.iter().enumerate() {
                prop_assert!(a.x + BOX_W <= l.width && a.y + BOX_H <= l.height);
                for b in &l.boxes[i + 1..] {
                    prop_assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
                }
            }
            for line in &l.lines {
                prop_assert!(line.from < l.boxes.len() && line.to < l.boxes.len());
                prop_assert!(l.boxes[line.from].x < l.boxes[line.to].x, "lines run left to right");
            }
            let mut counted = vec![0; items.len()];
            for b in &l.boxes {
                match &b.shown {
                    Shown::Node(i) => counted[*i] += 1,
                    Shown::More { hidden, depth } => {
                        prop_assert!(!expand.contains(depth));
                        prop_assert!(hidden.len() >= 2);
                        for &i in hidden { counted[i] += 1 }
                    }
                }
            }
            prop_assert!(counted.iter().all(|&c| c == 1));
            // Every CI but the start is joined to the box it came from.
            let boxes_per_column = l.boxes.iter().filter(|b| b.x == MARGIN).count();
            prop_assert_eq!(boxes_per_column, 1);
            for column in l.boxes.iter().map(|b| b.x).collect::<HashSet<_>>() {
                let n = l.boxes.iter().filter(|b| b.x == column).count();
                let depth_expanded = l.boxes.iter().filter(|b| b.x == column).any(|b| match b.shown {
                    Shown::Node(i) => expand.contains(&items[i].depth),
                    _ => false,
                });
                prop_assert!(n <= limit || depth_expanded);
            }
            let shown_nodes = l.boxes.iter().filter(|b| matches!(b.shown, Shown::Node(_))).count();
            prop_assert_eq!(l.lines.iter().filter(|x| x.item.is_some()).count(), shown_nodes - 1);
        }
    }
}
