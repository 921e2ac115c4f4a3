//! Stock-take reconciliation (盘点): what should be at a place (the snapshot taken when the
//! stock-take starts) against what was scanned there.
//!
//! Each line ends as one of:
//! - `found`: scanned where it is recorded to be (or scanned without a place);
//! - `missing`: expected, never scanned;
//! - `moved`: a known asset scanned at another place than its recorded one (applying the
//!   stock-take records the new place);
//! - `unexpected`: a tag or serial number that matches no asset of the tenant, recorded as
//!   found so someone looks into it;
//! - `pending` while an expected asset has not been scanned and the stock-take is still open
//!   (it becomes `missing` when applied: [`Line::outcome`] with `closing`).
//!
//! A second scan of the same thing changes nothing but warns ([`Scan::repeat`]).

use yunwei_kernel::string_enum;

string_enum!(Outcome {
    Pending = "pending",
    Found = "found",
    Missing = "missing",
    Moved = "moved",
    Unexpected = "unexpected",
});

string_enum!(StockTakeStatus {
    Open = "open",
    Applied = "applied",
});

/// The facts of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The asset, or `None` for a code that matched none.
    pub asset_id: Option<i64>,
    /// In the snapshot taken at the start.
    pub expected: bool,
    /// Where the asset is recorded to be.
    pub recorded_location: Option<i64>,
    /// How many times it was scanned, and where the first time.
    pub scans: i64,
    pub scanned_location: Option<i64>,
}

impl Line {
    /// The line's outcome; `closing` when the stock-take is being (or was) applied, so an
    /// expected asset nobody scanned is missing rather than pending.
    pub fn outcome(&self, closing: bool) -> Outcome {
        if self.asset_id.is_none() {
            return Outcome::Unexpected;
        }
        if self.scans == 0 {
            return if closing { Outcome::Missing } else { Outcome::Pending };
        }
        match self.scanned_location {
            Some(at) if Some(at) != self.recorded_location => Outcome::Moved,
            _ => Outcome::Found,
        }
    }
}

/// What recording one scan did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub outcome: Outcome,
    /// The same tag or serial was scanned before in this stock-take (nothing changes).
    pub repeat: bool,
}

/// Records a scan on a line (a fresh line for something not expected): the first scan sets
/// the place, a later one only counts.
pub fn scan(line: &mut Line, at: Option<i64>) -> Scan {
    let repeat = line.scans > 0;
    if !repeat {
        line.scanned_location = at;
    }
    line.scans += 1;
    Scan { outcome: line.outcome(false), repeat }
}

/// Counts of each outcome, for the running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub expected: i64,
    pub pending: i64,
    pub found: i64,
    pub missing: i64,
    pub moved: i64,
    pub unexpected: i64,
}

impl Counts {
    pub fn of(lines: &[Line], closing: bool) -> Counts {
        let mut c = Counts::default();
        for l in lines {
            if l.expected {
                c.expected += 1;
            }
            match l.outcome(closing) {
                Outcome::Pending => c.pending += 1,
                Outcome::Found => c.found += 1,
                Outcome::Missing => c.missing += 1,
                Outcome::Moved => c.moved += 1,
                Outcome::Unexpected => c.unexpected += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn expected(id: i64, at: i64) -> Line {
        Line { asset_id: Some(id), expected: true, recorded_location: Some(at), scans: 0, scanned_location: None }
    }

    #[test]
    fn found_missing_moved_unexpected_and_a_repeat() {
        let mut here = expected(1, 10);
        let mut gone = expected(2, 10);
        let mut elsewhere = expected(3, 10);
        let mut stranger =
            Line { asset_id: None, expected: false, recorded_location: None, scans: 0, scanned_location: None };
        assert_eq!(scan(&mut here, Some(10)), Scan { outcome: Outcome::Found, repeat: false });
        assert_eq!(scan(&mut elsewhere, Some(11)), Scan { outcome: Outcome::Moved, repeat: false });
        assert_eq!(scan(&mut stranger, Some(10)), Scan { outcome: Outcome::Unexpected, repeat: false });
        // A second scan warns and changes nothing, even at another place.
        assert_eq!(scan(&mut here, Some(12)), Scan { outcome: Outcome::Found, repeat: true });
        assert_eq!(here.scanned_location, Some(10));
        assert_eq!(gone.outcome(false), Outcome::Pending);
        assert_eq!(gone.outcome(true), Outcome::Missing);
        let lines = [here.clone(), gone.clone(), elsewhere.clone(), stranger.clone()];
        let c = Counts::of(&lines, true);
        assert_eq!(c, Counts { expected: 3, pending: 0, found: 1, missing: 1, moved: 1, unexpected: 1 });
        // Scanned without a place: found where it is.
        assert_eq!(scan(&mut gone, None).outcome, Outcome::Found);
    }

    proptest! {
        /// Whatever the scans, every line has exactly one outcome, the counts add up, and an
        /// expected line is missing exactly when it was never scanned.
        #[test]
        fn every_line_has_one_outcome(scans in prop::collection::vec((0usize..6, prop::option::of(0i64..3)), 0..30)) {
            let mut lines: Vec<Line> = (0..5).map(|i| expected(i, i % 3)).collect();
            lines.push(Line { asset_id: None, expected: false, recorded_location: None, scans: 0, scanned_location: None });
            let mut repeats = 0;
            for (i, at) in scans {
                if scan(&mut lines[i], at).repeat { repeats += 1; }
            }
            let c = Counts::of(&lines, true);
            prop_assert_eq!(c.found + c.missing + c.moved + c.unexpected + c.pending, lines.len() as i64);
            prop_assert_eq!(c.pending, 0);
            let never: i64 = lines.iter().filter(|l| l.expected && l.scans == 0).count() as i64;
            prop_assert_eq!(c.missing, never);
            let total: i64 = lines.iter().map(|l| l.scans).sum();
            let scanned = lines.iter().filter(|l| l.scans > 0).count() as i64;
            prop_assert_eq!(repeats, total - scanned);
        }
    }
}
