//! Satisfaction ratings (满意度): the requester scores a resolved ticket 1–5 with a comment.
//! One rating per ticket; it lands on the ticket's public timeline and in the audit log.

use crate::rules::rating;
use serde::Serialize;
use serde_json::json;
use sqlx::FromRow;
use yunwei_kernel::permission::Actor;

use crate::store::tickets::{self, TicketRef};
use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::now_micros;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Rating {
    pub id: i64,
    pub ticket_id: i64,
    pub rater_id: i64,
    pub score: i64,
    pub comment: String,
    pub created_at: Time,
}

const COLUMNS: &str = "id, ticket_id, rater_id, score, comment, created_at";

/// Rates a ticket the actor requested, once it is resolved or closed.
pub async fn rate(tx: &mut Tx, actor: &Actor, r: &TicketRef, score: i64, comment: &str) -> Result<Rating> {
    let t = tickets::get(tx, actor, r).await?;
    rating::may_rate(actor, t.requester_id, t.status)?;
    let checked = rating::check(score, comment)?;
    let now = now_micros();
    let sql = format!(
        "INSERT INTO ticket_ratings (ticket_id, tenant_id, rater_id, score, comment, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    );
    let row =
        fetch_one!(tx, Rating, &sql, t.id, t.tenant_id, actor.user_id, i64::from(checked.score), &checked.comment, now)
            .map_err(|e| StoreError::from(e).unique("score", "already_rated"))?;
    execute!(
        tx,
        "INSERT INTO ticket_events (ticket_id, tenant_id, kind, actor_id, public, body, data, created_at)
         VALUES ($1, $2, 'rating', $3, TRUE, $4, $5, $6)",
        t.id,
        t.tenant_id,
        actor.user_id,
        &checked.comment,
        json!({ "score": checked.score }).to_string(),
        now,
    )?;
    let change = audit::Change {
        action: "ticket.rate",
        entity: "ticket",
        entity_id: t.id,
        tenant_id: Some(t.tenant_id),
        before: None,
        after: Some(json!({ "rating_id": row.id, "score": row.score, "comment": row.comment })),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(row)
}

/// The rating of a ticket the actor may see, if it has one.
pub async fn for_ticket(tx: &mut Tx, actor: &Actor, r: &TicketRef) -> Result<Option<Rating>> {
    let t = tickets::get(tx, actor, r).await?;
    for_ticket_of(tx, &t).await
}

/// The rating of a ticket already read in scope.
pub async fn for_ticket_of(tx: &mut Tx, t: &tickets::Ticket) -> Result<Option<Rating>> {
    let sql = format!("SELECT {COLUMNS} FROM ticket_ratings WHERE ticket_id = $1");
    Ok(fetch_opt!(tx, Rating, &sql, t.id)?)
}
