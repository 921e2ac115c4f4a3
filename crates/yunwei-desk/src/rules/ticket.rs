//! The ticket lifecycle shared by incidents and service requests.
//!
//! new → assigned → in progress → pending → resolved → closed, plus reopen, cancel and merge.
//! [`apply`] is the whole state machine: given a ticket's state and an action it returns the
//! new state, or refuses the action with a clear reason. The store writes what it returns.

use crate::rules::permissions;
use yunwei_kernel::permission::Actor;
use yunwei_kernel::{DomainError, string_enum};

string_enum!(
    /// Incidents (事件/故障) and service requests (服务请求) share one engine.
    TicketType { Incident = "incident", Request = "request" }
);

impl TicketType {
    /// The prefix of the ticket's readable number.
    pub fn prefix(self) -> &'static str {
        match self {
            TicketType::Incident => "INC",
            TicketType::Request => "REQ",
        }
    }

    /// Formats the readable number, e.g. `INC-000123`.
    pub fn number(self, seq: i64) -> String {
        format!("{}-{seq:06}", self.prefix())
    }
}

string_enum!(Status {
    New = "new",
    Assigned = "assigned",
    InProgress = "in_progress",
    Pending = "pending",
    Resolved = "resolved",
    Closed = "closed",
    Cancelled = "cancelled",
});

impl Status {
    /// Closed and cancelled tickets take no further action.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }

    /// Open means someone still has work to do on it.
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }
}

string_enum!(Channel {
    Web = "web",
    Email = "email",
    Phone = "phone",
    Api = "api",
    Monitoring = "monitoring",
    WalkIn = "walk_in",
});

string_enum!(
    /// Why a ticket waits; while pending, SLA clocks pause.
    PendingReason { User = "user", Vendor = "vendor", Change = "change" }
);

string_enum!(ResolutionCode {
    Solved = "solved",
    Workaround = "workaround",
    Fulfilled = "fulfilled",
    UserGuidance = "user_guidance",
    NoFaultFound = "no_fault_found",
    NotReproducible = "not_reproducible",
    Duplicate = "duplicate",
});

string_enum!(ActionKind {
    Dispatch = "dispatch",
    Claim = "claim",
    Arrive = "arrive",
    Transfer = "transfer",
    Return = "return",
    Escalate = "escalate",
    Suspend = "suspend",
    Resume = "resume",
    Resolve = "resolve",
    Close = "close",
    Reopen = "reopen",
    Cancel = "cancel",
    Merge = "merge",
});

string_enum!(
    /// Links between tickets. `parent` reads "this ticket is the parent of the other".
    LinkKind { Parent = "parent", DuplicateOf = "duplicate_of", Related = "related" }
);

/// What the lifecycle needs to know about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleState {
    pub status: Status,
    pub group_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub pending_reason: Option<PendingReason>,
    /// Whether the engineer's arrival on site is recorded.
    pub arrived: bool,
}

/// An action with the parameters it needs. Who may do it, and whether a group or person
/// exists and belongs together, are checked before this by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 派单: hand a new ticket to a group (and optionally a person in it).
    Dispatch {
        group_id: i64,
        assignee_id: Option<i64>,
    },
    /// 领取: an engineer takes the ticket and starts work on it.
    Claim {
        user_id: i64,
        group_id: i64,
    },
    /// 到场: the engineer records arrival on site (stops the on-site SLA clock) and works on
    /// the ticket.
    Arrive {
        user_id: i64,
        group_id: i64,
    },
    /// 转派: hand the ticket on to another group or person.
    Transfer {
        group_id: i64,
        assignee_id: Option<i64>,
        reason: String,
    },
    /// 退回: send the ticket back to the service desk for dispatch.
    Return {
        reason: String,
    },
    /// Functional escalation to a group of a higher tier (L1 → L2 → L3).
    Escalate {
        group_id: i64,
        from_tier: Option<u8>,
        to_tier: u8,
        assignee_id: Option<i64>,
        reason: String,
    },
    /// 挂起: wait on the user, a vendor or a change.
    Suspend {
        reason: PendingReason,
    },
    Resume,
    Resolve {
        code: ResolutionCode,
        notes: String,
        resolver_id: i64,
    },
    /// Confirmation by the requester (or the desk on their behalf).
    Close,
    Reopen {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    /// Close this ticket as a duplicate of another.
    Merge {
        into_number: String,
    },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::Claim { .. } => ActionKind::Claim,
            Action::Arrive { .. } => ActionKind::Arrive,
            Action::Transfer { .. } => ActionKind::Transfer,
            Action::Return { .. } => ActionKind::Return,
            Action::Escalate { .. } => ActionKind::Escalate,
            Action::Suspend { .. } => ActionKind::Suspend,
            Action::Resume => ActionKind::Resume,
            Action::Resolve { .. } => ActionKind::Resolve,
            Action::Close => ActionKind::Close,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Cancel { .. } => ActionKind::Cancel,
            Action::Merge { .. } => ActionKind::Merge,
        }
    }
}

/// The states an action may start from.
pub fn allowed_from(kind: ActionKind) -> &'static [Status] {
    use Status::*;
    match kind {
        ActionKind::Dispatch | ActionKind::Claim => &[New, Assigned],
        ActionKind::Arrive => &[Assigned, InProgress],
        ActionKind::Transfer | ActionKind::Return | ActionKind::Escalate | ActionKind::Suspend => {
            &[Assigned, InProgress]
        }
        ActionKind::Resume => &[Pending],
        ActionKind::Resolve | ActionKind::Cancel => &[New, Assigned, InProgress, Pending],
        ActionKind::Close | ActionKind::Reopen => &[Resolved],
        ActionKind::Merge => &[New, Assigned, InProgress, Pending, Resolved],
    }
}

/// The actions open to a ticket in `status`, in the order a console would offer them.
pub fn available_actions(status: Status) -> Vec<ActionKind> {
    ActionKind::ALL.iter().copied().filter(|k| allowed_from(*k).contains(&status)).collect()
}

/// Which state timestamp an outcome sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    Assigned,
    InProgress,
    /// The first response: set once, by the first claim (or the first public agent reply).
    FirstResponse,
    Pending,
    /// Arrival on site: set once.
    Arrived,
    Resolved,
    Closed,
    Cancelled,
}

/// What an action changes. The store writes exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub state: LifecycleState,
    /// `Some(Some(..))` sets a resolution, `Some(None)` clears it, `None` leaves it.
    pub resolution: Option<Option<(ResolutionCode, String)>>,
    pub stamps: Vec<Stamp>,
    /// Timestamps that no longer hold (a reopened ticket is no longer resolved).
    pub cleared: Vec<Stamp>,
    pub reopened: bool,
}

fn required_text(field: &str, text: &str, max: usize) -> Result<String, DomainError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::invalid(field, "required"));
    }
    if t.chars().count() > max {
        return Err(DomainError::invalid(field, "too_long").with("max", max));
    }
    Ok(t.to_string())
}

/// Applies `action` to a ticket in `state`, or refuses it.
pub fn apply(state: &LifecycleState, action: &Action) -> Result<Outcome, DomainError> {
    let kind = action.kind();
    if !allowed_from(kind).contains(&state.status) {
        return Err(DomainError::IllegalTransition { action: kind.as_str(), from: state.status.as_str() });
    }
    let mut out =
        Outcome { state: state.clone(), resolution: None, stamps: Vec::new(), cleared: Vec::new(), reopened: false };
    let s = &mut out.state;
    match action {
        Action::Dispatch { group_id, assignee_id } => {
            s.status = Status::Assigned;
            s.group_id = Some(*group_id);
            s.assignee_id = *assignee_id;
            out.stamps.push(Stamp::Assigned);
        }
        Action::Claim { user_id, group_id } => {
            if state.assignee_id.is_some_and(|a| a != *user_id) {
                return Err(DomainError::invalid("assignee_id", "assigned_to_other_claim"));
            }
            s.status = Status::InProgress;
            s.group_id = Some(*group_id);
            s.assignee_id = Some(*user_id);
            out.stamps.extend([Stamp::InProgress, Stamp::FirstResponse]);
            if state.status == Status::New {
                out.stamps.push(Stamp::Assigned);
            }
        }
        Action::Arrive { user_id, group_id } => {
            if state.arrived {
                return Err(DomainError::invalid("arrived_at", "arrival_recorded"));
            }
            if state.assignee_id.is_some_and(|a| a != *user_id) {
                return Err(DomainError::invalid("assignee_id", "assigned_to_other_arrival"));
            }
            s.status = Status::InProgress;
            s.group_id = Some(*group_id);
            s.assignee_id = Some(*user_id);
            s.arrived = true;
            out.stamps.extend([Stamp::Arrived, Stamp::FirstResponse]);
            if state.status != Status::InProgress {
                out.stamps.push(Stamp::InProgress);
            }
        }
        Action::Transfer { group_id, assignee_id, reason } => {
            required_text("reason", reason, 2000)?;
            if state.group_id == Some(*group_id) && state.assignee_id == *assignee_id {
                return Err(DomainError::invalid("group_id", "already_with_group"));
            }
            s.status = Status::Assigned;
            s.group_id = Some(*group_id);
            s.assignee_id = *assignee_id;
            out.stamps.push(Stamp::Assigned);
        }
        Action::Return { reason } => {
            required_text("reason", reason, 2000)?;
            s.status = Status::New;
            s.group_id = None;
            s.assignee_id = None;
        }
        Action::Escalate { group_id, from_tier, to_tier, assignee_id, reason } => {
            required_text("reason", reason, 2000)?;
            let from = from_tier.unwrap_or(1);
            if *to_tier <= from {
                return Err(DomainError::invalid("group_id", "escalate_higher_tier")
                    .with("from", from)
                    .with("to", to_tier));
            }
            s.status = Status::Assigned;
            s.group_id = Some(*group_id);
            s.assignee_id = *assignee_id;
            out.stamps.push(Stamp::Assigned);
        }
        Action::Suspend { reason } => {
            s.status = Status::Pending;
            s.pending_reason = Some(*reason);
            out.stamps.push(Stamp::Pending);
        }
        Action::Resume => {
            // Back to whoever had it; a ticket suspended before anyone took it waits again.
            s.pending_reason = None;
            if s.assignee_id.is_some() {
                s.status = Status::InProgress;
                out.stamps.push(Stamp::InProgress);
            } else {
                s.status = Status::Assigned;
            }
        }
        Action::Resolve { code, notes, resolver_id } => {
            let notes = required_text("resolution_notes", notes, 20_000)?;
            s.status = Status::Resolved;
            s.pending_reason = None;
            if s.assignee_id.is_none() {
                s.assignee_id = Some(*resolver_id);
            }
            out.resolution = Some(Some((*code, notes)));
            out.stamps.extend([Stamp::Resolved, Stamp::FirstResponse]);
        }
        Action::Close => {
            s.status = Status::Closed;
            out.stamps.push(Stamp::Closed);
        }
        Action::Reopen { reason } => {
            required_text("reason", reason, 2000)?;
            s.status = if s.group_id.is_some() { Status::Assigned } else { Status::New };
            out.resolution = Some(None);
            out.cleared.push(Stamp::Resolved);
            out.reopened = true;
            if s.status == Status::Assigned {
                out.stamps.push(Stamp::Assigned);
            }
        }
        Action::Cancel { reason } => {
            required_text("reason", reason, 2000)?;
            s.status = Status::Cancelled;
            s.pending_reason = None;
            out.stamps.push(Stamp::Cancelled);
        }
        Action::Merge { into_number } => {
            s.status = Status::Closed;
            s.pending_reason = None;
            out.resolution = Some(Some((ResolutionCode::Duplicate, format!("Merged into {into_number}"))));
            out.stamps.push(Stamp::Closed);
        }
    }
    Ok(out)
}

/// Whether `actor` may take `action` on a ticket they can already see: staff any action the
/// lifecycle allows, an end user only confirming, reopening or (until work starts on it)
/// withdrawing their own.
pub fn may_act(actor: &Actor, action: ActionKind, requester_id: i64, status: Status) -> Result<(), DomainError> {
    if actor.may(permissions::WORK_TICKETS) {
        return Ok(());
    }
    let own = requester_id == actor.user_id;
    let allowed = own
        && match action {
            ActionKind::Close | ActionKind::Reopen => true,
            // Withdrawn until someone starts work on it (claims it).
            ActionKind::Cancel => matches!(status, Status::New | Status::Assigned),
            _ => false,
        };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::forbidden("role_may_not_action")
            .with("role_key", format!("role.{}", actor.role))
            .with("action_key", format!("action.{action}")))
    }
}

/// Whether someone in the support groups `mine` may work a ticket held by `holder` themselves
/// (claim it, arrive on site): a member of the holding group, or of any group while none holds
/// it. The console offers claiming only where this holds; the store refuses the rest, naming
/// the holding group.
pub fn may_work_in(holder: Option<i64>, mine: &[i64]) -> bool {
    match holder {
        Some(g) => mine.contains(&g),
        None => !mine.is_empty(),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_members_of_the_holding_group_work_a_ticket_and_anyone_in_a_group_an_unheld_one() {
        assert!(may_work_in(Some(2), &[1, 2]));
        assert!(!may_work_in(Some(3), &[1, 2]));
        assert!(!may_work_in(Some(3), &[]));
        assert!(may_work_in(None, &[1]));
        assert!(!may_work_in(None, &[]));
    }
    use super::*;
    use proptest::prelude::*;

    fn state(status: Status) -> LifecycleState {
        LifecycleState { status, group_id: Some(1), assignee_id: None, pending_reason: None, arrived: false }
    }

    fn resolve() -> Action {
        Action::Resolve { code: ResolutionCode::Solved, notes: "replaced toner".into(), resolver_id: 7 }
    }

    #[test]
    fn full_lifecycle_from_new_to_closed() {
        let mut s = LifecycleState {
            status: Status::New,
            group_id: None,
            assignee_id: None,
            pending_reason: None,
            arrived: false,
        };
        for (action, expect) in [
            (Action::Dispatch { group_id: 2, assignee_id: None }, Status::Assigned),
            (Action::Claim { user_id: 7, group_id: 2 }, Status::InProgress),
            (Action::Suspend { reason: PendingReason::Vendor }, Status::Pending),
            (Action::Resume, Status::InProgress),
            (resolve(), Status::Resolved),
            (Action::Close, Status::Closed),
        ] {
            s = apply(&s, &action).unwrap().state;
            assert_eq!(s.status, expect, "after {:?}", action.kind());
        }
        assert_eq!(s.assignee_id, Some(7));
        assert_eq!(s.pending_reason, None);
    }

    #[test]
    fn closing_an_unresolved_ticket_is_refused_with_a_clear_reason() {
        let err = apply(&state(Status::InProgress), &Action::Close).unwrap_err();
        assert_eq!(err.to_string(), "close is not allowed while the ticket is in_progress");
    }

    #[test]
    fn nothing_is_allowed_on_closed_or_cancelled_tickets() {
        for s in [Status::Closed, Status::Cancelled] {
            assert!(available_actions(s).is_empty(), "{s} offers actions");
        }
    }

    #[test]
    fn reopen_clears_the_resolution_and_returns_to_the_group() {
        let mut s = state(Status::Resolved);
        s.assignee_id = Some(7);
        let out = apply(&s, &Action::Reopen { reason: "still broken".into() }).unwrap();
        assert_eq!(out.state.status, Status::Assigned);
        assert_eq!(out.state.assignee_id, Some(7));
        assert_eq!(out.resolution, Some(None));
        assert!(out.reopened);
        assert_eq!(out.cleared, vec![Stamp::Resolved]);
    }

    #[test]
    fn return_sends_the_ticket_back_to_the_desk_unassigned() {
        let mut s = state(Status::InProgress);
        s.assignee_id = Some(7);
        let out = apply(&s, &Action::Return { reason: "not ours".into() }).unwrap();
        assert_eq!((out.state.status, out.state.group_id, out.state.assignee_id), (Status::New, None, None));
    }

    #[test]
    fn escalation_must_go_up_a_tier() {
        let esc = |from, to| Action::Escalate {
            group_id: 3,
            from_tier: from,
            to_tier: to,
            assignee_id: None,
            reason: "needs L2".into(),
        };
        assert!(apply(&state(Status::InProgress), &esc(Some(2), 2)).is_err());
        assert!(apply(&state(Status::InProgress), &esc(Some(3), 2)).is_err());
        let out = apply(&state(Status::InProgress), &esc(Some(1), 2)).unwrap();
        assert_eq!((out.state.status, out.state.group_id), (Status::Assigned, Some(3)));
    }

    #[test]
    fn arrival_on_site_is_recorded_once_by_the_assignee() {
        let mut s = state(Status::Assigned);
        s.assignee_id = Some(7);
        assert!(apply(&s, &Action::Arrive { user_id: 8, group_id: 1 }).is_err());
        let out = apply(&s, &Action::Arrive { user_id: 7, group_id: 1 }).unwrap();
        assert_eq!((out.state.status, out.state.arrived), (Status::InProgress, true));
        assert_eq!(out.stamps, vec![Stamp::Arrived, Stamp::FirstResponse, Stamp::InProgress]);
        let err = apply(&out.state, &Action::Arrive { user_id: 7, group_id: 1 }).unwrap_err();
        assert_eq!(err.to_string(), "arrived_at: arrival_recorded");
    }

    #[test]
    fn claiming_someone_elses_ticket_is_refused() {
        let mut s = state(Status::Assigned);
        s.assignee_id = Some(8);
        let err = apply(&s, &Action::Claim { user_id: 7, group_id: 1 }).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "assignee_id"));
    }

    #[test]
    fn resolve_requires_notes_and_names_the_field() {
        let a = Action::Resolve { code: ResolutionCode::Solved, notes: "  ".into(), resolver_id: 1 };
        let err = apply(&state(Status::InProgress), &a).unwrap_err();
        assert!(matches!(err, DomainError::Invalid(e) if e.field == "resolution_notes"));
    }

    #[test]
    fn numbers_are_zero_padded_with_the_type_prefix() {
        assert_eq!(TicketType::Incident.number(123), "INC-000123");
        assert_eq!(TicketType::Request.number(1), "REQ-000001");
        assert_eq!(TicketType::Request.number(1_234_567), "REQ-1234567");
    }

    #[test]
    fn unknown_enum_values_list_the_accepted_ones() {
        let err = Status::parse("status", "open").unwrap_err();
        assert!(err.to_string().contains("new, assigned, in_progress"), "{err}");
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop_oneof![
            (1i64..5, proptest::option::of(1i64..5))
                .prop_map(|(g, a)| Action::Dispatch { group_id: g, assignee_id: a }),
            (1i64..5, 1i64..5).prop_map(|(u, g)| Action::Claim { user_id: u, group_id: g }),
            (1i64..5, 1i64..5).prop_map(|(u, g)| Action::Arrive { user_id: u, group_id: g }),
            (1i64..5, proptest::option::of(1i64..5)).prop_map(|(g, a)| Action::Transfer {
                group_id: g,
                assignee_id: a,
                reason: "r".into()
            }),
            Just(Action::Return { reason: "r".into() }),
            (1u8..4, 1u8..4).prop_map(|(f, t)| Action::Escalate {
                group_id: 9,
                from_tier: Some(f),
                to_tier: t,
                assignee_id: None,
                reason: "r".into()
            }),
            proptest::sample::select(PendingReason::ALL).prop_map(|r| Action::Suspend { reason: r }),
            Just(Action::Resume),
            Just(Action::Resolve { code: ResolutionCode::Solved, notes: "n".into(), resolver_id: 1 }),
            Just(Action::Close),
            Just(Action::Reopen { reason: "r".into() }),
            Just(Action::Cancel { reason: "r".into() }),
            Just(Action::Merge { into_number: "INC-000001".into() }),
        ]
    }

    proptest! {
        /// Walks random action sequences from a new ticket: every refusal is exactly an action
        /// the table forbids (or bad parameters), and every reachable state is consistent.
        #[test]
        fn random_action_sequences_follow_the_table_and_keep_states_consistent(
            actions in proptest::collection::vec(any_action(), 1..40)
        ) {
            let mut s = LifecycleState { status: Status::New, group_id: None, assignee_id: None, pending_reason: None, arrived: false };
            for a in &actions {
                let allowed = allowed_from(a.kind()).contains(&s.status);
                match apply(&s, a) {
                    Err(DomainError::IllegalTransition { .. }) => prop_assert!(!allowed),
                    Err(_) => prop_assert!(allowed),
                    Ok(out) => {
                        prop_assert!(allowed);
                        prop_assert!(!s.status.is_final(), "an action succeeded on a final ticket");
                        let n = &out.state;
                        if matches!(n.status, Status::Assigned | Status::InProgress | Status::Pending) {
                            prop_assert!(n.group_id.is_some(), "{:?} without a group", n.status);
                        }
                        if n.status == Status::InProgress { prop_assert!(n.assignee_id.is_some()); }
                        prop_assert_eq!(n.pending_reason.is_some(), n.status == Status::Pending);
                        if n.status == Status::Resolved { prop_assert!(matches!(out.resolution, Some(Some(_)))); }
                        if a.kind() == ActionKind::Reopen { prop_assert_eq!(&out.resolution, &Some(None)); }
                        s = out.state;
                    }
                }
            }
        }
    }

    #[test]
    fn end_users_may_confirm_or_reopen_their_own_ticket_and_withdraw_it_until_work_starts() {
        let u = Actor {
            user_id: 5,
            role: yunwei_kernel::permission::Role::EndUser,
            tenant_id: 1,
            served_tenants: vec![2, 3],
        };
        assert!(may_act(&u, ActionKind::Close, 5, Status::Resolved).is_ok());
        assert!(may_act(&u, ActionKind::Reopen, 5, Status::Resolved).is_ok());
        assert!(may_act(&u, ActionKind::Cancel, 5, Status::New).is_ok());
        assert!(may_act(&u, ActionKind::Cancel, 5, Status::Assigned).is_ok());
        assert!(may_act(&u, ActionKind::Cancel, 5, Status::InProgress).is_err());
        assert!(may_act(&u, ActionKind::Cancel, 5, Status::Pending).is_err());
        assert!(may_act(&u, ActionKind::Close, 6, Status::Resolved).is_err());
        assert!(may_act(&u, ActionKind::Dispatch, 5, Status::New).is_err());
        assert!(permissions::own_tickets_only(&u));
    }
}
