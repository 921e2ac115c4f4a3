//! The full-text index of tickets: one document per ticket, rewritten in the same transaction
//! as every change to the text it is made of (title, description, public replies, resolution
//! notes), so a search sees exactly what is committed, on one instance or many. The terms come
//! from [`yunwei_kernel::search`]; SQLite keeps them in FTS5, PostgreSQL in a GIN-indexed
//! tsvector. Internal notes are not indexed: a search must not tell an end user what a note says.

use yunwei_kernel::search;

use yunwei_db::Backend;
use yunwei_db::Result;
use yunwei_db::Tx;
use yunwei_db::db::{Arg, Sql};

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
    let doc = search::document(&texts);
    write_document(tx, ticket_id, &doc).await
}

/// The statement that indexes tickets just created, `(id, title, description)`, from the text
/// in hand. A new ticket has no document yet, so there is none to replace.
pub(crate) fn index_new(backend: Backend, tickets: &[(i64, &str, &str)]) -> Sql {
    let (columns, templates) = bulk_columns(backend);
    let rows = tickets.iter().map(|(id, title, description)| {
        let doc = Arg::Text(search::document(&[title, description]));
        match backend {
            Backend::Sqlite => vec![Arg::Int(*id), Arg::Int(*id), doc],
            Backend::Postgres => vec![Arg::Int(*id), doc],
        }
    });
    let mut sql = Sql::new(&format!("INSERT INTO ticket_search ({}) VALUES ", columns.join(", ")));
    sql.values_as(templates, rows.collect::<Vec<_>>(), backend == Backend::Sqlite);
    sql
}

async fn write_document(tx: &mut Tx, ticket_id: i64, doc: &str) -> Result<()> {
    match tx.backend() {
        Backend::Sqlite => {
            execute!(tx, "DELETE FROM ticket_search WHERE rowid = $1", ticket_id)?;
            execute!(tx, "INSERT INTO ticket_search (rowid, ticket_id, doc) VALUES ($1, $1, $2)", ticket_id, doc)?;
        }
        Backend::Postgres => {
            execute!(
                tx,
                "INSERT INTO ticket_search (ticket_id, doc) VALUES ($1, array_to_tsvector(string_to_array($2, ' ')))
                 ON CONFLICT (ticket_id) DO UPDATE SET doc = excluded.doc",
                ticket_id,
                doc
            )?;
        }
    }
    Ok(())
}

/// The column and value template for loading documents in bulk on this backend: FTS5 takes the
/// terms as text, PostgreSQL builds the tsvector from them.
pub(crate) fn bulk_columns(backend: Backend) -> (&'static [&'static str], &'static [&'static str]) {
    match backend {
        Backend::Sqlite => (&["rowid", "ticket_id", "doc"], &["$", "$", "$"]),
        Backend::Postgres => (&["ticket_id", "doc"], &["$", "array_to_tsvector(string_to_array($, ' '))"]),
    }
}

/// Appends to `sql` (inside a `WHERE`) the condition that ticket `t` matches every term, for
/// ticket ids in `[from, below)` where those are given.
pub(crate) fn push_match(
    sql: &mut Sql,
    backend: Backend,
    terms: &[search::Term],
    from: Option<i64>,
    below: Option<i64>,
) {
    let id = match backend {
        Backend::Sqlite => {
            sql.push("t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ")
                .arg(Arg::Text(search::fts5_expression(terms)));
            "rowid"
        }
        Backend::Postgres => {
            sql.push("t.id IN (SELECT ticket_id FROM ticket_search WHERE doc @@ CAST(")
                .arg(Arg::Text(search::tsquery_expression(terms)))
                .push(" AS tsquery)");
            "ticket_id"
        }
    };
    if let Some(v) = from {
        sql.push(" AND ").push(id).push(" >= ").arg(Arg::Int(v));
    }
    if let Some(v) = below {
        sql.push(" AND ").push(id).push(" < ").arg(Arg::Int(v));
    }
    sql.push(")");
}

/// The lower end (inclusive) of the next chunk of a newest-first search for tickets below
/// `below`, sized by `n`, or `None` when the chunk reaches the oldest ticket.
///
/// On SQLite it is the `n`-th newest match: FTS5 hands matches out newest first, so a common
/// word costs its newest few hundred matches. PostgreSQL's GIN index cannot: asked for the
/// `n`-th newest match, the planner walks the primary key down testing every document, which
/// for a word missing from the newest tickets reads thousands of them (0.7 s, and 14 s under
/// load, at a million tickets). There the chunk is a range of `16 n` ids instead, in which the
/// planner can intersect the word's posting list with the id range, and a chunk costs at most
/// its range whatever the word.
pub(crate) async fn chunk_floor(
    tx: &mut Tx,
    terms: &[search::Term],
    below: Option<i64>,
    n: i64,
) -> Result<Option<i64>> {
    match tx.backend() {
        Backend::Sqlite => {
            let mut sql = Sql::new("SELECT rowid FROM ticket_search WHERE ticket_search MATCH ");
            sql.arg(Arg::Text(search::fts5_expression(terms)));
            if let Some(b) = below {
                sql.push(" AND rowid < ").arg(Arg::Int(b));
            }
            sql.push(" ORDER BY rowid DESC LIMIT 1 OFFSET ").arg(Arg::Int(n - 1));
            Ok(fetch_sql!(tx, (i64,), sql, fetch_optional)?.map(|(id,)| id))
        }
        Backend::Postgres => {
            let top = match below {
                Some(b) => b,
                None => scalar!(tx, Option<i64>, "SELECT MAX(id) FROM tickets")?.map_or(0, |m| m + 1),
            };
            let floor = top - 16 * n;
            Ok((floor > 1).then_some(floor))
        }
    }
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
