//! Satisfaction ratings (满意度): the requester scores the service 1–5, with an optional
//! comment, once the ticket is resolved or closed. One rating per ticket.

use crate::rules::ticket::Status;
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_kernel::validate;

pub const MIN_SCORE: i64 = 1;
pub const MAX_SCORE: i64 = 5;
pub const MAX_COMMENT: usize = 2000;

/// A checked rating: the score and the trimmed comment (possibly empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub score: u8,
    pub comment: String,
}

/// Checks a score and comment.
pub fn check(score: i64, comment: &str) -> Result<Rating, DomainError> {
    if !(MIN_SCORE..=MAX_SCORE).contains(&score) {
        return Err(DomainError::invalid("score", "out_of_range")
            .with("min", MIN_SCORE)
            .with("max", MAX_SCORE)
            .with("value", score));
    }
    let comment = validate::optional("comment", comment, MAX_COMMENT)?;
    Ok(Rating { score: score as u8, comment })
}

/// Whether a ticket in `status` may be rated at all.
pub fn rateable(status: Status) -> bool {
    matches!(status, Status::Resolved | Status::Closed)
}

/// Only the requester rates, only once the work is done.
pub fn may_rate(actor: &Actor, requester_id: i64, status: Status) -> Result<(), DomainError> {
    if actor.user_id != requester_id {
        return Err(DomainError::forbidden("only_requester_rates"));
    }
    if !rateable(status) {
        return Err(DomainError::invalid("score", "rate_when_resolved"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yunwei_kernel::permission::Role;

    fn user(id: i64) -> Actor {
        Actor { user_id: id, role: Role::EndUser, tenant_id: 2, served_tenants: vec![] }
    }

    #[test]
    fn scores_run_from_one_to_five_and_comments_are_trimmed() {
        assert_eq!(check(5, "  很满意  ").unwrap(), Rating { score: 5, comment: "很满意".into() });
        assert_eq!(check(1, "").unwrap().score, 1);
        for bad in [0, 6, -1] {
            let Err(DomainError::Invalid(e)) = check(bad, "") else { panic!("{bad} accepted") };
            assert_eq!(e.field, "score");
        }
        let Err(DomainError::Invalid(e)) = check(3, &"长".repeat(MAX_COMMENT + 1)) else { panic!("long comment") };
        assert_eq!(e.field, "comment");
    }

    #[test]
    fn only_the_requester_rates_and_only_when_the_work_is_done() {
        assert!(may_rate(&user(7), 7, Status::Resolved).is_ok());
        assert!(may_rate(&user(7), 7, Status::Closed).is_ok());
        assert!(may_rate(&user(7), 7, Status::InProgress).is_err());
        assert!(may_rate(&user(7), 7, Status::Cancelled).is_err());
        assert!(matches!(may_rate(&user(8), 7, Status::Resolved), Err(DomainError::Forbidden(_))));
    }
}
