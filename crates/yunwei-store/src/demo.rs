//! Support for demo data sets: moving a generated ticket back in time so a demo shows a
//! realistic month of history. Never used on a request path.

use crate::{Result, Tx};

/// Moves a ticket's times and its timeline `by` microseconds into the past. The audit log keeps
/// the real times at which the demo was generated.
pub async fn backdate(tx: &mut Tx, ticket_id: i64, by: i64) -> Result<()> {
    execute!(
        tx,
        "UPDATE tickets SET created_at = created_at - $1, updated_at = updated_at - $1,
         assigned_at = assigned_at - $1, first_response_at = first_response_at - $1,
         in_progress_at = in_progress_at - $1, pending_at = pending_at - $1, resolved_at = resolved_at - $1,
         closed_at = closed_at - $1, cancelled_at = cancelled_at - $1 WHERE id = $2",
        by,
        ticket_id
    )?;
    execute!(tx, "UPDATE ticket_events SET created_at = created_at - $1 WHERE ticket_id = $2", by, ticket_id)?;
    Ok(())
}

/// Whether the installation holds any ticket yet.
pub async fn has_tickets(tx: &mut Tx) -> Result<bool> {
    Ok(scalar!(tx, i64, "SELECT COUNT(*) FROM tickets")? > 0)
}
