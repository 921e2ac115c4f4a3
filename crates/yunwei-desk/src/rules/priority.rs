//! Impact × urgency → priority, through a matrix an administrator can change.
//!
//! All three scales run 1 (highest) to 4 (lowest). Priorities carry the seeds' four levels:
//! 1 严重 critical, 2 较重 major, 3 一般 minor, 4 轻微 low.

use serde::{Deserialize, Serialize};

use yunwei_kernel::DomainError;

pub const LEVELS: u8 = 4;

/// Checks that `value` is one of the four levels of the scale named `field`.
pub fn level(field: &str, value: i64) -> Result<u8, DomainError> {
    if (1..=i64::from(LEVELS)).contains(&value) {
        Ok(value as u8)
    } else {
        Err(DomainError::invalid(field, "out_of_range").with("min", 1).with("max", LEVELS).with("value", value))
    }
}

/// The label of a priority in both languages, e.g. `("严重", "critical")`.
pub fn priority_label(priority: u8) -> (&'static str, &'static str) {
    match priority {
        1 => ("严重", "critical"),
        2 => ("较重", "major"),
        3 => ("一般", "minor"),
        _ => ("轻微", "low"),
    }
}

/// `cells[impact - 1][urgency - 1]` is the priority for that impact and urgency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix {
    pub cells: [[u8; 4]; 4],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        Self { cells: [[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]] }
    }
}

impl PriorityMatrix {
    /// Builds a matrix, refusing one with a cell out of range or one where a higher impact or
    /// urgency would give a lower priority than a lesser one (an easy slip to make by hand).
    pub fn new(cells: [[u8; 4]; 4]) -> Result<Self, DomainError> {
        for (i, row) in cells.iter().enumerate() {
            for (u, &p) in row.iter().enumerate() {
                let field = format!("cells[{i}][{u}]");
                level(&field, i64::from(p))?;
                if i > 0 && p < cells[i - 1][u] {
                    return Err(DomainError::invalid(field, "matrix_row"));
                }
                if u > 0 && p < row[u - 1] {
                    return Err(DomainError::invalid(field, "matrix_col"));
                }
            }
        }
        Ok(Self { cells })
    }

    pub fn priority(&self, impact: u8, urgency: u8) -> u8 {
        let i = usize::from(impact.clamp(1, LEVELS) - 1);
        let u = usize::from(urgency.clamp(1, LEVELS) - 1);
        self.cells[i][u]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_matrix_gives_critical_for_widespread_urgent_and_low_for_single_user_low() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(1, 1), 1);
        assert_eq!(m.priority(4, 4), 4);
        assert_eq!(m.priority(2, 3), 2);
        assert_eq!(priority_label(1), ("严重", "critical"));
    }

    #[test]
    fn matrix_out_of_range_cell_names_the_cell() {
        let err = PriorityMatrix::new([[1, 1, 2, 3], [1, 2, 2, 3], [2, 2, 5, 4], [2, 3, 4, 4]]);
        let Err(DomainError::Invalid(e)) = err else { panic!("accepted an out-of-range cell") };
        assert_eq!(e.field, "cells[2][2]");
    }

    #[test]
    fn matrix_that_inverts_impact_is_refused() {
        let err = PriorityMatrix::new([[3, 3, 3, 3], [1, 2, 2, 3], [2, 2, 3, 4], [2, 3, 4, 4]]);
        assert!(matches!(err, Err(DomainError::Invalid(e)) if e.field == "cells[1][0]"));
    }

    #[test]
    fn level_refuses_zero_and_five() {
        assert!(level("impact", 0).is_err());
        assert!(level("impact", 5).is_err());
        assert_eq!(level("impact", 3), Ok(3));
    }

    fn monotone_matrix() -> impl Strategy<Value = [[u8; 4]; 4]> {
        // Build a monotone matrix from non-negative steps, so every generated one is valid.
        proptest::array::uniform16(0u8..=1).prop_map(|steps| {
            let mut cells = [[1u8; 4]; 4];
            for i in 0..4 {
                for u in 0..4 {
                    let up = if i > 0 { cells[i - 1][u] } else { 1 };
                    let left = if u > 0 { cells[i][u - 1] } else { 1 };
                    cells[i][u] = (up.max(left) + steps[i * 4 + u]).min(4);
                }
            }
            cells
        })
    }

    proptest! {
        #[test]
        fn every_valid_matrix_maps_every_pair_to_a_level(cells in monotone_matrix(), i in 1u8..=4, u in 1u8..=4) {
            let m = PriorityMatrix::new(cells).expect("monotone matrices are valid");
            let p = m.priority(i, u);
            prop_assert!((1..=4).contains(&p));
            // Raising impact or urgency (a smaller number) never lowers the priority.
            if i > 1 { prop_assert!(m.priority(i - 1, u) <= p); }
            if u > 1 { prop_assert!(m.priority(i, u - 1) <= p); }
        }

        #[test]
        fn any_matrix_with_a_cell_out_of_range_is_refused(cells in proptest::array::uniform4(proptest::array::uniform4(0u8..=6))) {
            let bad = cells.iter().flatten().any(|&c| c == 0 || c > 4);
            if bad { prop_assert!(PriorityMatrix::new(cells).is_err()); }
        }
    }
}
