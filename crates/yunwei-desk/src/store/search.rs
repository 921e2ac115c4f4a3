//! The full-text index of tickets ([`TICKETS`], on the platform's [`yunwei_db::search`]): one
//! document per ticket, rewritten in the same transaction as every change to the text it is
//! made of (title, description, public replies, resolution notes). Internal notes are not
//! indexed: a search must not tell an end user what a note says.

use yunwei_db::Result;
use yunwei_db::Tx;
use yunwei_db::db::Sql;
use yunwei_db::search::Index;

/// The tickets' index (migration 0005).
pub const TICKETS: Index = Index { table: "ticket_search", key: "ticket_id", records: "tickets" };

/// Rewrites the search document of one ticket from what is stored now.
pub(crate) async fn index_ticket(tx: &mut Tx, ticket_id: i64) -> Result<()> {
    let Some((title, description, notes)) = fetch_opt!(
        tx,
        (String, String, Option<String>),
        "SELECT title, description, resolution_notes FROM tickets WHERE id = $1",
        ticket_id
    )?
    else {
        return Ok(());
    };
    let bodies = fetch_all!(
        tx,
        (String,),
        "SELECT body FROM ticket_events WHERE ticket_id = $1 AND public = TRUE AND body <> '' ORDER BY id",
        ticket_id
    )?;
    let mut texts: Vec<&str> = vec![&title, &description, notes.as_deref().unwrap_or("")];
    texts.extend(bodies.iter().map(|(b,)| b.as_str()));
    TICKETS.write(tx, ticket_id, &texts).await
}

/// The statement that indexes tickets just created, `(id, title, description)`.
pub(crate) fn index_new(backend: yunwei_db::Backend, tickets: &[(i64, &str, &str)]) -> Sql {
    TICKETS.insert_new(backend, tickets.iter().map(|(id, title, description)| (*id, vec![*title, *description])))
}

/// Indexes the tickets that existed before the index did (the migration that made it left
/// their highest id in the `search.backfill_to` setting), a batch at a time, and returns how
/// many it indexed. Does nothing (one lookup) once done.
pub async fn backfill(store: &yunwei_db::Store) -> Result<u64> {
    let mut done = 0;
    loop {
        let mut tx = store.write().await?;
        let Some(upto) = yunwei_db::settings::get::<i64>(&mut tx, "search.backfill_to").await? else {
            return Ok(done);
        };
        let ids =
            fetch_all!(&mut tx, (i64,), "SELECT id FROM tickets WHERE id <= $1 ORDER BY id DESC LIMIT 1000", upto)?;
        for (id,) in &ids {
            index_ticket(&mut tx, *id).await?;
        }
        match ids.last() {
            Some((lowest,)) if *lowest > 1 => {
                execute!(
                    &mut tx,
                    "UPDATE settings SET value = $1 WHERE key = 'search.backfill_to'",
                    (lowest - 1).to_string()
                )?;
            }
            _ => {
                execute!(&mut tx, "DELETE FROM settings WHERE key = 'search.backfill_to'")?;
            }
        }
        tx.commit().await?;
        done += ids.len() as u64;
    }
}
