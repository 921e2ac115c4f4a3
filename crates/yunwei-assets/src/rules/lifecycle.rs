//! An asset's lifecycle: ordered → in stock → deployed ⇄ in repair → retired → disposed.
//!
//! | from \ to  | in_stock | deployed | in_repair | retired | disposed |
//! |------------|----------|----------|-----------|---------|----------|
//! | ordered    | ✓        |          |           | ✓       |          |
//! | in_stock   |          | ✓        | ✓         | ✓       |          |
//! | deployed   | ✓        |          | ✓         | ✓       |          |
//! | in_repair  | ✓        | ✓        |           | ✓       |          |
//! | retired    |          |          |           |         | ✓        |
//! | disposed   |          |          |           |         |          |
//!
//! Nothing goes back to `ordered`; any state but `disposed` may be retired; only a retired
//! asset is disposed of; `disposed` is final.

use yunwei_kernel::{DomainError, string_enum};

string_enum!(AssetStatus {
    Ordered = "ordered",
    InStock = "in_stock",
    Deployed = "deployed",
    InRepair = "in_repair",
    Retired = "retired",
    Disposed = "disposed",
});

impl AssetStatus {
    /// The states this one may move to, in lifecycle order.
    pub fn next(self) -> &'static [AssetStatus] {
        use AssetStatus::*;
        match self {
            Ordered => &[InStock, Retired],
            InStock => &[Deployed, InRepair, Retired],
            Deployed => &[InStock, InRepair, Retired],
            InRepair => &[InStock, Deployed, Retired],
            Retired => &[Disposed],
            Disposed => &[],
        }
    }

    pub fn may_become(self, to: AssetStatus) -> bool {
        self.next().contains(&to)
    }

    /// Whether the asset is still held (a stock-take expects it, reminders are sent for it).
    pub fn is_held(self) -> bool {
        matches!(self, AssetStatus::InStock | AssetStatus::Deployed | AssetStatus::InRepair)
    }
}

/// `to` if the lifecycle allows it from `from`; otherwise an illegal transition (409).
pub fn transition(from: AssetStatus, to: AssetStatus) -> Result<AssetStatus, DomainError> {
    if from.may_become(to) {
        Ok(to)
    } else {
        Err(DomainError::IllegalTransition { action: to.as_str(), from: from.as_str() })
    }
}

#[cfg(test)]
mod tests {
    use super::AssetStatus::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_table_allows_exactly_the_documented_moves() {
        assert!(transition(Ordered, InStock).is_ok());
        assert!(transition(InStock, Deployed).is_ok());
        assert!(transition(Deployed, InRepair).is_ok() && transition(InRepair, Deployed).is_ok());
        assert!(transition(Deployed, InStock).is_ok());
        for s in [Ordered, InStock, Deployed, InRepair] {
            assert!(transition(s, Retired).is_ok(), "{s} may be retired");
            assert!(transition(s, Disposed).is_err(), "{s} must be retired before disposal");
        }
        assert!(transition(Retired, Disposed).is_ok());
        assert!(transition(Retired, Deployed).is_err());
        for s in AssetStatus::ALL {
            assert!(transition(Disposed, *s).is_err(), "disposed is final");
            assert!(transition(*s, *s).is_err(), "{s} to itself is no transition");
            assert!(transition(*s, Ordered).is_err(), "nothing goes back to ordered");
        }
        let e = transition(Disposed, InStock).unwrap_err();
        assert_eq!(e, DomainError::IllegalTransition { action: "in_stock", from: "disposed" });
    }

    fn status() -> impl Strategy<Value = AssetStatus> {
        prop::sample::select(AssetStatus::ALL.to_vec())
    }

    proptest! {
        /// Random requests against the table: an allowed one moves, a refused one leaves the
        /// state as it was; a disposed asset was retired first and never moves again.
        #[test]
        fn random_sequences_follow_the_table(requests in prop::collection::vec(status(), 0..40)) {
            let mut state = Ordered;
            let mut seen = vec![state];
            for to in requests {
                let allowed = state.next().contains(&to);
                match transition(state, to) {
                    Ok(next) => {
                        prop_assert!(allowed);
                        prop_assert_ne!(next, state);
                        if next == Disposed {
                            prop_assert_eq!(state, Retired);
                        }
                        prop_assert_ne!(state, Disposed);
                        state = next;
                        seen.push(state);
                    }
                    Err(e) => {
                        prop_assert!(!allowed);
                        let is_illegal = matches!(e, DomainError::IllegalTransition { .. });
                        prop_assert!(is_illegal);
                    }
                }
            }
            if let Some(i) = seen.iter().position(|s| *s == Disposed) {
                prop_assert_eq!(i, seen.len() - 1, "nothing after disposal");
            }
            if let Some(i) = seen.iter().position(|s| *s == Retired) {
                prop_assert!(seen[i..].iter().all(|s| matches!(s, Retired | Disposed)), "retired never comes back");
            }
        }
    }
}
