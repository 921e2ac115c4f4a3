//! The slow-down after failed logins: a few mistakes are free, then each further failure locks
//! the login for longer, up to a ceiling. A success clears the count.

/// Failures allowed before the first lock.
pub const FREE_FAILURES: i64 = 5;
/// The first lock, in seconds; each further failure doubles it.
pub const FIRST_LOCK_SECS: i64 = 60;
/// The longest lock, in seconds.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// Failures older than this are forgotten, in seconds.
pub const FORGET_AFTER_SECS: i64 = 24 * 60 * 60;

/// How long to lock a login after its `failures`-th consecutive failure (`None`: no lock).
pub fn lock_secs(failures: i64) -> Option<i64> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    Some((FIRST_LOCK_SECS << doublings).min(MAX_LOCK_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failures_are_free_then_locks_double_up_to_a_ceiling() {
        for n in 0..FREE_FAILURES {
            assert_eq!(lock_secs(n), None, "{n}");
        }
        assert_eq!(lock_secs(FREE_FAILURES), Some(60));
        assert_eq!(lock_secs(FREE_FAILURES + 1), Some(120));
        assert_eq!(lock_secs(FREE_FAILURES + 2), Some(240));
        assert_eq!(lock_secs(FREE_FAILURES + 4), Some(MAX_LOCK_SECS));
        assert_eq!(lock_secs(1000), Some(MAX_LOCK_SECS));
    }
}
