//! Support for demo data sets: giving a generated ticket a realistic history in the past, so
//! a demo shows a month of work with believable response and resolution times. Never used on
//! a request path.

use yunwei_db::Result;
use yunwei_db::Tx;

/// Rewrites the times of a ticket's timeline: event `i` (in timeline order) gets `times[i]`,
/// and the ticket's state timestamps follow from the events that set them. The audit log
/// keeps the real times at which the demo was generated.
pub async fn rewrite_history(tx: &mut Tx, ticket_id: i64, times: &[i64]) -> Result<()> {
    let events = fetch_all!(
        tx,
        (i64, String),
        "SELECT id, kind FROM ticket_events WHERE ticket_id = $1 ORDER BY id",
        ticket_id
    )?;
    let mut first_response = None;
    let (mut assigned, mut in_progress, mut pending, mut resolved, mut closed, mut cancelled, mut arrived) =
        (None, None, None, None, None, None, None);
    let mut has_group = false;
    for ((id, kind), at) in events.iter().zip(times) {
        execute!(tx, "UPDATE ticket_events SET created_at = $1 WHERE id = $2", *at, *id)?;
        match kind.as_str() {
            "created" => {}
            "dispatch" | "transfer" | "escalate" => {
                assigned = Some(*at);
                has_group = true;
            }
            "claim" | "resume" => {
                in_progress = Some(*at);
                if !has_group {
                    assigned = Some(*at);
                    has_group = true;
                }
            }
            "arrive" => arrived = Some(*at),
            "suspend" => pending = Some(*at),
            "resolve" => resolved = Some(*at),
            "close" | "merge" => closed = Some(*at),
            "cancel" => cancelled = Some(*at),
            "reopen" => resolved = None,
            _ => {}
        }
        if matches!(kind.as_str(), "claim" | "arrive" | "reply" | "resolve") && first_response.is_none() {
            first_response = Some(*at);
        }
    }
    let created = times.first().copied().unwrap_or_default();
    let updated = times.iter().take(events.len()).max().copied().unwrap_or(created);
    execute!(
        tx,
        "UPDATE tickets SET created_at = $1, updated_at = $2,
         assigned_at = CASE WHEN assigned_at IS NULL THEN NULL ELSE COALESCE($3, $1) END,
         first_response_at = CASE WHEN first_response_at IS NULL THEN NULL ELSE $4 END,
         in_progress_at = CASE WHEN in_progress_at IS NULL THEN NULL ELSE $5 END,
         pending_at = CASE WHEN pending_at IS NULL THEN NULL ELSE $6 END,
         resolved_at = CASE WHEN resolved_at IS NULL THEN NULL ELSE $7 END,
         closed_at = CASE WHEN closed_at IS NULL THEN NULL ELSE $8 END,
         cancelled_at = CASE WHEN cancelled_at IS NULL THEN NULL ELSE $9 END,
         arrived_at = CASE WHEN arrived_at IS NULL THEN NULL ELSE $10 END
         WHERE id = $11",
        created,
        updated,
        assigned,
        first_response,
        in_progress,
        pending,
        resolved,
        closed,
        cancelled,
        arrived,
        ticket_id
    )?;
    Ok(())
}

/// The number of timeline events of a ticket.
pub async fn event_count(tx: &mut Tx, ticket_id: i64) -> Result<usize> {
    Ok(scalar!(tx, i64, "SELECT COUNT(*) FROM ticket_events WHERE ticket_id = $1", ticket_id)? as usize)
}

/// Whether the installation holds any ticket yet.
pub async fn has_tickets(tx: &mut Tx) -> Result<bool> {
    Ok(scalar!(tx, i64, "SELECT COUNT(*) FROM tickets")? > 0)
}
