//! Full-text search for any kind of record: one [`Index`] per kind, written in the same
//! transaction as every change to the text it is made of, so a search sees exactly what is
//! committed, on one instance or many.
//!
//! The terms come from [`yunwei_kernel::search`] (Chinese bigrams and English words, the same
//! on both stores). SQLite keeps them in a contentless FTS5 table whose `rowid` is the record's
//! id; PostgreSQL in a table of `(key, tsvector)` with a GIN index. A kind gets its index with a
//! migration in both folders (copy `0005_search.sql`) and a constant:
//!
//! ```ignore
//! pub const ARTICLES: Index = Index { table: "article_search", key: "article_id", records: "articles" };
//! ARTICLES.write(tx, id, &[&title, &body]).await?;               // on every change of the text
//! ARTICLES.push_match(&mut sql, backend, "a.id", &terms, None, None); // in a WHERE
//! ```
//!
//! What goes into a document (and what must not, such as internal notes an end user may not
//! read) is the module's decision; who may see a match is the query's scope, as for any read.

use yunwei_kernel::search::{self, Term};

use crate::db::{Arg, Sql};
use crate::{Backend, Result, Tx};

/// The full-text index of one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    /// The index table (`ticket_search`).
    pub table: &'static str,
    /// Its column holding the record's id (`ticket_id`); on SQLite also the FTS5 `rowid`.
    pub key: &'static str,
    /// The table of the records themselves (`tickets`), whose `id` the key is.
    pub records: &'static str,
}

impl Index {
    /// Replaces the document of record `id` with the terms of `texts`.
    pub async fn write(&self, tx: &mut Tx, id: i64, texts: &[&str]) -> Result<()> {
        let doc = search::document(texts);
        match tx.backend() {
            Backend::Sqlite => {
                execute!(tx, &format!("DELETE FROM {} WHERE rowid = $1", self.table), id)?;
                let insert = format!("INSERT INTO {} (rowid, {}, doc) VALUES ($1, $1, $2)", self.table, self.key);
                execute!(tx, &insert, id, doc)?;
            }
            Backend::Postgres => {
                let upsert = format!(
                    "INSERT INTO {t} ({k}, doc) VALUES ($1, array_to_tsvector(string_to_array($2, ' ')))
                     ON CONFLICT ({k}) DO UPDATE SET doc = excluded.doc",
                    t = self.table,
                    k = self.key
                );
                execute!(tx, &upsert, id, doc)?;
            }
        }
        Ok(())
    }

    /// Removes the document of record `id` (a deleted record).
    pub async fn remove(&self, tx: &mut Tx, id: i64) -> Result<()> {
        let column = match tx.backend() {
            Backend::Sqlite => "rowid",
            Backend::Postgres => self.key,
        };
        execute!(tx, &format!("DELETE FROM {} WHERE {column} = $1", self.table), id)?;
        Ok(())
    }

    /// The statement that indexes records just created, `(id, texts)`: a new record has no
    /// document yet, so there is none to replace. One statement for many, for bulk intake.
    pub fn insert_new<'a>(&self, backend: Backend, records: impl IntoIterator<Item = (i64, Vec<&'a str>)>) -> Sql {
        let (columns, templates) = self.bulk_columns(backend);
        let rows = records.into_iter().map(|(id, texts)| {
            let doc = Arg::Text(search::document(&texts));
            match backend {
                Backend::Sqlite => vec![Arg::Int(id), Arg::Int(id), doc],
                Backend::Postgres => vec![Arg::Int(id), doc],
            }
        });
        let mut sql = Sql::new(&format!("INSERT INTO {} ({}) VALUES ", self.table, columns.join(", ")));
        sql.values_as(&templates, rows.collect::<Vec<_>>(), backend == Backend::Sqlite);
        sql
    }

    /// The columns and value templates for loading documents in bulk on this backend (the
    /// document as its terms, space-separated): FTS5 takes the terms as text, PostgreSQL
    /// builds the tsvector from them.
    pub fn bulk_columns(&self, backend: Backend) -> (Vec<&'static str>, Vec<&'static str>) {
        match backend {
            Backend::Sqlite => (vec!["rowid", self.key, "doc"], vec!["$", "$", "$"]),
            Backend::Postgres => (vec![self.key, "doc"], vec!["$", "array_to_tsvector(string_to_array($, ' '))"]),
        }
    }

    /// Appends to `sql` (inside a `WHERE`) the condition that the record whose id is `id_column`
    /// matches every term, for ids in `[from, below)` where those are given.
    pub fn push_match(
        &self,
        sql: &mut Sql,
        backend: Backend,
        id_column: &str,
        terms: &[Term],
        from: Option<i64>,
        below: Option<i64>,
    ) {
        sql.push(id_column);
        let id = match backend {
            Backend::Sqlite => {
                sql.push(&format!(" IN (SELECT rowid FROM {t} WHERE {t} MATCH ", t = self.table))
                    .arg(Arg::Text(search::fts5_expression(terms)));
                "rowid"
            }
            Backend::Postgres => {
                sql.push(&format!(" IN (SELECT {} FROM {} WHERE doc @@ CAST(", self.key, self.table))
                    .arg(Arg::Text(search::tsquery_expression(terms)))
                    .push(" AS tsquery)");
                self.key
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

    /// The lower end (inclusive) of the next chunk of a newest-first search for records below
    /// `below`, sized by `n`, or `None` when the chunk reaches the oldest record.
    ///
    /// On SQLite it is the `n`-th newest match: FTS5 hands matches out newest first, so a
    /// common word costs its newest few hundred matches. PostgreSQL's GIN index cannot: asked
    /// for the `n`-th newest match, the planner walks the primary key down testing every
    /// document, which for a word missing from the newest records reads thousands of them
    /// (0.7 s, and 14 s under load, at a million tickets). There the chunk is a range of `16 n`
    /// ids instead, in which the planner can intersect the word's posting list with the id
    /// range, and a chunk costs at most its range whatever the word.
    pub async fn chunk_floor(&self, tx: &mut Tx, terms: &[Term], below: Option<i64>, n: i64) -> Result<Option<i64>> {
        match tx.backend() {
            Backend::Sqlite => {
                let mut sql = Sql::new(&format!("SELECT rowid FROM {t} WHERE {t} MATCH ", t = self.table));
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
                    None => {
                        scalar!(tx, Option<i64>, &format!("SELECT MAX(id) FROM {}", self.records))?.map_or(0, |m| m + 1)
                    }
                };
                let floor = top - 16 * n;
                Ok((floor > 1).then_some(floor))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Index;
    use crate::db::Sql;
    use crate::testing::TestStore;
    use crate::{Backend, Tx};

    /// A kind that is not a ticket: notes, with an index made as a migration would make it.
    const NOTES: Index = Index { table: "note_search", key: "note_id", records: "notes" };

    async fn schema(tx: &mut Tx) {
        execute!(tx, "CREATE TABLE notes (id BIGINT PRIMARY KEY, tenant_id BIGINT NOT NULL)").unwrap();
        match tx.backend() {
            Backend::Sqlite => execute!(
                tx,
                "CREATE VIRTUAL TABLE note_search USING fts5(note_id UNINDEXED, doc, content = '',
                 contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0')"
            ),
            Backend::Postgres => {
                execute!(tx, "CREATE TABLE note_search (note_id BIGINT PRIMARY KEY, doc TSVECTOR NOT NULL)").unwrap();
                execute!(tx, "CREATE INDEX note_search_doc ON note_search USING GIN (doc)")
            }
        }
        .unwrap();
    }

    async fn find(tx: &mut Tx, words: &str, tenants: &[i64]) -> Vec<i64> {
        let terms = yunwei_kernel::search::query(words);
        let mut sql = Sql::new("SELECT n.id FROM notes n WHERE ");
        NOTES.push_match(&mut sql, tx.backend(), "n.id", &terms, None, None);
        sql.scoped("n.tenant_id", &yunwei_kernel::permission::TenantScope::Only(tenants.to_vec()));
        sql.push(" ORDER BY n.id");
        fetch_sql!(tx, (i64,), sql, fetch_all).unwrap().into_iter().map(|(id,)| id).collect()
    }

    /// The index works for any kind on both stores: Chinese and English words, every word
    /// required, a rewrite replaces the old words, a removal forgets them, new records in bulk,
    /// and the caller's scope still applies to what matches.
    #[tokio::test]
    async fn any_kind_of_record_is_searchable_on_both_stores() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let store = TestStore::new(backend).await;
            let mut owned = store.write().await.unwrap();
            let tx = &mut owned;
            schema(tx).await;
            execute!(tx, "INSERT INTO notes VALUES (1, 1), (2, 1), (3, 2), (4, 1), (5, 1)").unwrap();
            NOTES.write(tx, 1, &["核心交换机端口故障", "switch port down"]).await.unwrap();
            NOTES.write(tx, 2, &["打印机卡纸", "printer jam on floor 3"]).await.unwrap();
            NOTES.write(tx, 3, &["交换机更换", "switch replaced"]).await.unwrap();
            let bulk = NOTES.insert_new(backend, [(4, vec!["VPN 无法连接"]), (5, vec!["switch firmware"])]);
            execute_sql!(tx, bulk).unwrap();
            assert_eq!(find(tx, "交换机", &[1, 2]).await, [1, 3], "{backend:?}");
            assert_eq!(find(tx, "switch", &[1]).await, [1, 5], "{backend:?}: tenant 2's note is out of scope");
            assert_eq!(find(tx, "switch port", &[1, 2]).await, [1], "{backend:?}: every word");
            assert_eq!(find(tx, "vpn", &[1]).await, [4], "{backend:?}");
            NOTES.write(tx, 1, &["电源模块告警"]).await.unwrap();
            assert_eq!(find(tx, "交换机", &[1, 2]).await, [3], "{backend:?}: the old words are gone");
            assert_eq!(find(tx, "电源", &[1]).await, [1], "{backend:?}");
            NOTES.remove(tx, 3).await.unwrap();
            assert!(find(tx, "交换机", &[1, 2]).await.is_empty(), "{backend:?}");
        }
    }
}
