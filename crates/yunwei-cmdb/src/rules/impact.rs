//! The impact walk: breadth first from one CI along the dependency edges, one level at a
//! time, each CI reached once at its shortest distance, with the edge it was reached by so
//! every result can show the path that explains it. Cycles in the data never loop the walk;
//! a depth and a node limit bound it.
//!
//! The store feeds it: it asks for the edges out of [`Walk::frontier`], learns which of the
//! CIs they reach the caller may see — only as many of [`Walk::candidates`] as the node limit
//! can still take — and hands the edges to those to [`Walk::visit`], until the frontier is
//! empty.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::relations::RelationKind;
use yunwei_kernel::string_enum;

// `down`: what fails when this CI does (the CIs that depend on it, transitively); `up`: what
// this CI stands on (its dependencies, transitively).
string_enum!(Direction {
    Down = "down",
    Up = "up",
});

/// The deepest walk asked for.
pub const MAX_DEPTH: u32 = 10;

/// One CI reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: i64,
    /// Levels from the start (the start itself is 0).
    pub depth: u32,
    /// The CI it was reached from, and the relationship kind between them.
    pub via: Option<i64>,
    pub kind: Option<RelationKind>,
}

/// An edge from a frontier CI to a neighbour in the walk's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: i64,
    pub to: i64,
    pub kind: RelationKind,
}

#[derive(Debug, Clone)]
pub struct Walk {
    depth: u32,
    max_depth: u32,
    max_nodes: usize,
    index: HashMap<i64, usize>,
    steps: Vec<Step>,
    frontier: Vec<i64>,
    truncated: bool,
}

impl Walk {
    pub fn new(start: i64, max_depth: u32, max_nodes: usize) -> Self {
        Self::from_starts(&[start], max_depth, max_nodes)
    }

    /// A walk from several CIs at once (each at depth 0): what any of them reaches, each CI
    /// at its least depth from the nearest.
    pub fn from_starts(starts: &[i64], max_depth: u32, max_nodes: usize) -> Self {
        let mut index = HashMap::new();
        let mut steps = Vec::new();
        for &id in starts {
            if let std::collections::hash_map::Entry::Vacant(e) = index.entry(id) {
                e.insert(steps.len());
                steps.push(Step { id, depth: 0, via: None, kind: None });
            }
        }
        let mut frontier: Vec<i64> = if max_depth == 0 { vec![] } else { index.keys().copied().collect() };
        frontier.sort_unstable();
        Walk { depth: 0, max_depth, max_nodes: max_nodes.max(1), index, steps, frontier, truncated: false }
    }

    /// The CIs whose edges the next level needs; empty when the walk is over.
    pub fn frontier(&self) -> &[i64] {
        &self.frontier
    }

    /// The edges out of the frontier, in the order the walk takes them: by the CI they come
    /// from (in the order it was reached), then the CI they reach.
    fn ordered(&self, edges: impl IntoIterator<Item = Edge>) -> Vec<Edge> {
        let mut edges: Vec<(usize, Edge)> = edges
            .into_iter()
            .filter_map(|e| self.frontier.binary_search(&e.from).ok().map(|_| (self.index[&e.from], e)))
            .collect();
        // Each edge's place looked up once: sorting by a key that looked it up took 4 ms for
        // a core switch's 6,800 relationships.
        edges.sort_unstable_by(|(a, x), (b, y)| (a, x.to, x.kind.as_str()).cmp(&(b, y.to, y.kind.as_str())));
        edges.into_iter().map(|(_, e)| e).collect()
    }

    /// How many more CIs the node limit lets the walk take.
    pub fn room(&self) -> usize {
        self.max_nodes.saturating_sub(self.steps.len())
    }

    /// The CIs the `edges` out of the frontier reach for the first time, in the order
    /// [`Walk::visit`] would take them. The walk only needs to know which of the first of them
    /// the caller may see: once [`Walk::room`] + 1 are known visible (the one past the limit
    /// says the result is cut short), the rest cannot change the result.
    pub fn candidates(&self, edges: &[Edge]) -> Vec<i64> {
        let mut seen = std::collections::HashSet::new();
        self.ordered(edges.iter().copied())
            .into_iter()
            .filter(|e| !self.index.contains_key(&e.to) && seen.insert(e.to))
            .map(|e| e.to)
            .collect()
    }

    /// Adds the CIs the `edges` out of the frontier reach for the first time, at the next
    /// depth, in a stable order (by the CI they come from, then their id).
    pub fn visit(&mut self, edges: impl IntoIterator<Item = Edge>) {
        let edges = self.ordered(edges);
        self.depth += 1;
        let mut next = Vec::new();
        for e in edges {
            if self.index.contains_key(&e.to) {
                continue;
            }
            if self.steps.len() >= self.max_nodes {
                self.truncated = true;
                break;
            }
            self.index.insert(e.to, self.steps.len());
            self.steps.push(Step { id: e.to, depth: self.depth, via: Some(e.from), kind: Some(e.kind) });
            next.push(e.to);
        }
        next.sort_unstable();
        self.frontier = if self.depth >= self.max_depth || self.truncated { vec![] } else { next };
    }

    /// Every CI reached, the start first, in the order reached.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Whether the node limit cut the walk short.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The CIs from the start to `id`, both included; empty if `id` was not reached.
    pub fn path(&self, id: i64) -> Vec<i64> {
        let mut path = Vec::new();
        let mut at = self.index.get(&id).map(|&i| &self.steps[i]);
        while let Some(step) = at {
            path.push(step.id);
            at = step.via.and_then(|v| self.index.get(&v)).map(|&i| &self.steps[i]);
        }
        path.reverse();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeSet, VecDeque};

    fn run(edges: &[(i64, i64)], start: i64, depth: u32, limit: usize) -> Walk {
        run_from(edges, &[start], depth, limit)
    }

    fn run_from(edges: &[(i64, i64)], starts: &[i64], depth: u32, limit: usize) -> Walk {
        let mut w = Walk::from_starts(starts, depth, limit);
        while !w.frontier().is_empty() {
            let f: BTreeSet<i64> = w.frontier().iter().copied().collect();
            let out: Vec<Edge> = edges
                .iter()
                .filter(|(a, _)| f.contains(a))
                .map(|&(from, to)| Edge { from, to, kind: RelationKind::DependsOn })
                .collect();
            w.visit(out);
        }
        w
    }

    fn distances(edges: &[(i64, i64)], start: i64) -> HashMap<i64, u32> {
        let mut d = HashMap::from([(start, 0)]);
        let mut q = VecDeque::from([start]);
        while let Some(n) = q.pop_front() {
            for &(a, b) in edges {
                if a == n && !d.contains_key(&b) {
                    d.insert(b, d[&n] + 1);
                    q.push_back(b);
                }
            }
        }
        d
    }

    #[test]
    fn a_cycle_is_walked_once() {
        let w = run(&[(1, 2), (2, 3), (3, 1), (3, 4)], 1, 10, 100);
        let ids: Vec<i64> = w.steps().iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4]);
        assert_eq!(w.path(4), vec![1, 2, 3, 4]);
        assert!(!w.truncated());
    }

    #[test]
    fn depth_and_node_limits_bound_the_walk() {
        let chain: Vec<(i64, i64)> = (1..20).map(|i| (i, i + 1)).collect();
        assert_eq!(run(&chain, 1, 6, 100).steps().len(), 7);
        let star: Vec<(i64, i64)> = (2..50).map(|i| (1, i)).collect();
        let w = run(&star, 1, 6, 10);
        assert_eq!(w.steps().len(), 10);
        assert!(w.truncated());
        assert_eq!(run(&chain, 1, 0, 100).steps().len(), 1);
    }

    proptest! {
        /// On any graph, cycles and repeated edges included, every CI within reach is found
        /// exactly once at its shortest distance, and its path is made of real edges.
        #[test]
        fn each_reachable_ci_once_at_its_shortest_distance(
            edges in proptest::collection::vec((0i64..30, 0i64..30), 0..120),
            start in 0i64..30,
            depth in 1u32..8,
        ) {
            let w = run(&edges, start, depth, 10_000);
            let ids: Vec<i64> = w.steps().iter().map(|s| s.id).collect();
            let unique: BTreeSet<i64> = ids.iter().copied().collect();
            prop_assert_eq!(unique.len(), ids.len());
            let expected: BTreeSet<i64> = distances(&edges, start).into_iter().filter(|(_, d)| *d <= depth).map(|(n, _)| n).collect();
            prop_assert_eq!(&unique, &expected);
            let dist = distances(&edges, start);
            for s in w.steps() {
                prop_assert_eq!(s.depth, dist[&s.id]);
                let path = w.path(s.id);
                prop_assert_eq!(path.len() as u32, s.depth + 1);
                prop_assert_eq!(path[0], start);
                for pair in path.windows(2) {
                    prop_assert!(edges.contains(&(pair[0], pair[1])));
                }
            }
        }

        /// Knowing, of the candidates, only whether the first ones are visible (until room + 1
        /// are) gives the same walk as knowing it of every CI: the store's shortcut is exact.
        #[test]
        fn the_first_visible_candidates_decide_the_walk(
            edges in proptest::collection::vec((0i64..40, 0i64..40), 0..160),
            hidden in proptest::collection::btree_set(0i64..40, 0..15),
            start in 0i64..40,
            depth in 1u32..6,
            limit in 1usize..30,
        ) {
            let to_edges = |f: &BTreeSet<i64>| -> Vec<Edge> {
                edges.iter().filter(|(a, _)| f.contains(a)).map(|&(from, to)| Edge { from, to, kind: RelationKind::DependsOn }).collect()
            };
            let mut full = Walk::new(start, depth, limit);
            let mut short = Walk::new(start, depth, limit);
            while !full.frontier().is_empty() || !short.frontier().is_empty() {
                prop_assert_eq!(full.frontier(), short.frontier());
                let out = to_edges(&full.frontier().iter().copied().collect());
                full.visit(out.iter().copied().filter(|e| !hidden.contains(&e.to)));
                let mut known = BTreeSet::new();
                let mut visible = 0;
                for id in short.candidates(&out) {
                    if visible > short.room() {
                        break;
                    }
                    known.insert(id);
                    if !hidden.contains(&id) {
                        visible += 1;
                    }
                }
                short.visit(out.iter().copied().filter(|e| known.contains(&e.to) && !hidden.contains(&e.to)));
            }
            prop_assert_eq!(full.steps(), short.steps());
            prop_assert_eq!(full.truncated(), short.truncated());
        }

        /// From several starts, each CI is reached once, at its least distance from any of
        /// them, by a path of real edges from one of them.
        #[test]
        fn from_several_starts_each_ci_at_its_distance_from_the_nearest(
            edges in proptest::collection::vec((0i64..30, 0i64..30), 0..120),
            starts in proptest::collection::vec(0i64..30, 1..5),
            depth in 1u32..8,
        ) {
            let w = run_from(&edges, &starts, depth, 10_000);
            let mut nearest: std::collections::BTreeMap<i64, u32> = Default::default();
            for s in &starts {
                for (n, d) in distances(&edges, *s) {
                    let e = nearest.entry(n).or_insert(d);
                    *e = (*e).min(d);
                }
            }
            let expected: BTreeSet<i64> = nearest.iter().filter(|(_, d)| **d <= depth).map(|(n, _)| *n).collect();
            let ids: Vec<i64> = w.steps().iter().map(|s| s.id).collect();
            let unique: BTreeSet<i64> = ids.iter().copied().collect();
            prop_assert_eq!(unique.len(), ids.len());
            prop_assert_eq!(&unique, &expected);
            for s in w.steps() {
                prop_assert_eq!(s.depth, nearest[&s.id]);
                let path = w.path(s.id);
                prop_assert!(starts.contains(&path[0]));
                prop_assert_eq!(path.len() as u32, s.depth + 1);
                for pair in path.windows(2) {
                    prop_assert!(edges.contains(&(pair[0], pair[1])));
                }
            }
        }
    }
}
