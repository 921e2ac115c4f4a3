//! Connections, transactions and the macros that run one SQL text on either backend.
//!
//! SQL is written once with `$1, $2, …` placeholders, which both SQLite and PostgreSQL accept;
//! the macros expand the query for each backend so the same code decodes into the same rows.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Postgres, Sqlite};
use tokio::sync::{Mutex, OwnedMutexGuard};

use yunwei_kernel::permission::TenantScope;

use crate::Result;
use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pools {
    /// One writer connection (SQLite allows one writer at a time; queuing in the pool is
    /// cheaper than busy retries) and several readers, which WAL lets run beside it.
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        /// The database file, for a [`DirectWriter`].
        path: PathBuf,
        /// Taken by each write transaction, through sqlx or a [`DirectWriter`], for as long as
        /// it runs: the two connections then write in turn instead of one finding the file
        /// locked by the other and retrying after a sleep.
        write_turn: Arc<Mutex<()>>,
        /// Read-only connections for [`Store::lookup`], kept between lookups.
        lookups: Arc<std::sync::Mutex<Vec<rusqlite::Connection>>>,
        /// Checkpoints the [`Checkpointer`] has run.
        checkpoints: Arc<AtomicU64>,
    },
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
}

/// An open transaction on either backend, or a connection for a lookup ([`Store::lookup`]).
/// Dropped without [`Tx::commit`], a transaction rolls back.
pub enum Tx {
    Sqlite(Held<Sqlite>),
    Postgres(Held<Postgres>),
}

/// What a [`Tx`] holds: a transaction, or a bare connection on which each statement sees the
/// latest commit. Either way the queries run on the connection it dereferences to.
pub enum Held<DB: sqlx::Database> {
    /// A transaction, with its turn to write on SQLite (see `DirectWriter`).
    Transaction(sqlx::Transaction<'static, DB>, Option<OwnedMutexGuard<()>>),
    Connection(PoolConnection<DB>),
}

impl<DB: sqlx::Database> Deref for Held<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Held::Transaction(t, _) => t,
            Held::Connection(c) => c,
        }
    }
}

impl<DB: sqlx::Database> DerefMut for Held<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Held::Transaction(t, _) => t,
            Held::Connection(c) => c,
        }
    }
}

impl<DB: sqlx::Database> Held<DB> {
    async fn commit(self) -> Result<()> {
        if let Held::Transaction(t, _turn) = self {
            t.commit().await?;
        }
        Ok(())
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Runs `$body` with `$c` bound to the transaction's connection, whichever backend it is on.
#[macro_export]
macro_rules! on_conn {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut *$tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Binds a slice of [`Arg`]s to a query in order.
#[macro_export]
macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args.iter() {
            q = match a {
                $crate::db::Arg::Int(v) => q.bind(*v),
                $crate::db::Arg::Text(v) => q.bind(v.clone()),
                $crate::db::Arg::Bool(v) => q.bind(*v),
                $crate::db::Arg::OptInt(v) => q.bind(*v),
                $crate::db::Arg::OptText(v) => q.bind(v.clone()),
            };
        }
        q
    }};
}

/// `fetch_all!(tx, Row, sql, args…)`: every row, decoded as `Row`.
#[macro_export]
macro_rules! fetch_all {
    ($tx:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($tx, c => $crate::sqlx::query_as::<_, $t>($crate::db::safe(&$sql))$(.bind($arg))*.fetch_all(c).await)
    };
}

/// `fetch_opt!(tx, Row, sql, args…)`: at most one row.
#[macro_export]
macro_rules! fetch_opt {
    ($tx:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($tx, c => $crate::sqlx::query_as::<_, $t>($crate::db::safe(&$sql))$(.bind($arg))*.fetch_optional(c).await)
    };
}

/// `fetch_one!(tx, Row, sql, args…)`: exactly one row.
#[macro_export]
macro_rules! fetch_one {
    ($tx:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($tx, c => $crate::sqlx::query_as::<_, $t>($crate::db::safe(&$sql))$(.bind($arg))*.fetch_one(c).await)
    };
}

/// `scalar!(tx, T, sql, args…)`: the first column of the one row.
#[macro_export]
macro_rules! scalar {
    ($tx:expr, $t:ty, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($tx, c => $crate::sqlx::query_scalar::<_, $t>($crate::db::safe(&$sql))$(.bind($arg))*.fetch_one(c).await)
    };
}

/// `sql!("… $1 … $2", a, b)`: a [`Sql`](crate::db::Sql) for a [`Conn`](crate::db::Conn),
/// each argument converted into an [`Arg`](crate::db::Arg).
#[macro_export]
macro_rules! sql {
    ($text:expr $(, $arg:expr)* $(,)?) => {
        $crate::db::Sql { text: ($text).to_string(), args: vec![$($crate::db::Arg::from($arg)),*] }
    };
}

/// Declares a struct read from the database by column name, on either backend through sqlx and
/// on SQLite's own connections ([`Returned`](crate::db::Returned)): each field is the column of
/// its name. Fields take doc comments and other derives' attributes (`#[schema(…)]`), never
/// `#[sqlx(…)]`, which would change how sqlx reads a field but not how the SQLite decoder does.
#[macro_export]
macro_rules! stored_row {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_attr:meta])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(sqlx::FromRow)]
        $vis struct $name {
            $( $(#[$field_attr])* $field_vis $field : $ty ),*
        }

        impl $crate::db::Returned for $name {
            fn from_direct(row: &$crate::rusqlite::Row<'_>) -> $crate::rusqlite::Result<Self> {
                let mut position = 0..;
                Ok($name { $( $field: $crate::db::direct_column(row, position.next().unwrap_or_default(), stringify!($field))? ),* })
            }
        }
    };
}

/// Makes closed sets of values (types with `parse(field, text)`, as `string_enum!` declares
/// them) columns a row reads directly, on both backends and SQLite's own connections: text that
/// is none of the values fails the read, naming the type and the text, instead of turning into
/// some default. Invoke it in the crate that declares the types (the orphan rule), outside the
/// pure rules: `stored_enum!(Status, TicketType);` in the module's store.
#[macro_export]
macro_rules! stored_enum {
    ($($t:ty),+ $(,)?) => {$(
        impl $crate::sqlx::Type<$crate::sqlx::Sqlite> for $t {
            fn type_info() -> <$crate::sqlx::Sqlite as $crate::sqlx::Database>::TypeInfo {
                <str as $crate::sqlx::Type<$crate::sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &<$crate::sqlx::Sqlite as $crate::sqlx::Database>::TypeInfo) -> bool {
                <str as $crate::sqlx::Type<$crate::sqlx::Sqlite>>::compatible(ty)
            }
        }
        impl<'r> $crate::sqlx::Decode<'r, $crate::sqlx::Sqlite> for $t {
            fn decode(
                value: <$crate::sqlx::Sqlite as $crate::sqlx::Database>::ValueRef<'r>,
            ) -> ::std::result::Result<Self, $crate::sqlx::error::BoxDynError> {
                let text = <&str as $crate::sqlx::Decode<$crate::sqlx::Sqlite>>::decode(value)?;
                Ok($crate::db::stored_value(<$t>::parse("", text), stringify!($t), text)?)
            }
        }
        impl $crate::sqlx::Type<$crate::sqlx::Postgres> for $t {
            fn type_info() -> <$crate::sqlx::Postgres as $crate::sqlx::Database>::TypeInfo {
                <str as $crate::sqlx::Type<$crate::sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &<$crate::sqlx::Postgres as $crate::sqlx::Database>::TypeInfo) -> bool {
                <str as $crate::sqlx::Type<$crate::sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> $crate::sqlx::Decode<'r, $crate::sqlx::Postgres> for $t {
            fn decode(
                value: <$crate::sqlx::Postgres as $crate::sqlx::Database>::ValueRef<'r>,
            ) -> ::std::result::Result<Self, $crate::sqlx::error::BoxDynError> {
                let text = <&str as $crate::sqlx::Decode<$crate::sqlx::Postgres>>::decode(value)?;
                Ok($crate::db::stored_value(<$t>::parse("", text), stringify!($t), text)?)
            }
        }
        impl $crate::rusqlite::types::FromSql for $t {
            fn column_result(value: $crate::rusqlite::types::ValueRef<'_>) -> $crate::rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                $crate::db::stored_value(<$t>::parse("", text), stringify!($t), text)
                    .map_err(|e| $crate::rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    )+};
}

/// A column holding JSON as text, read as the `T` it describes: text that is not a `T` fails
/// the read (an unreadable pause list is an error, not an empty list). Serialises as `T`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonText<T>(pub T);

impl<T> Deref for JsonText<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::Serialize> serde::Serialize for JsonText<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T: serde::Serialize> JsonText<T> {
    /// The text to store.
    pub fn text(&self) -> String {
        // Serialising plain data (maps, lists, numbers, strings) cannot fail.
        serde_json::to_string(&self.0).unwrap_or_else(|e| unreachable!("plain data serialises: {e}"))
    }
}

fn json_text<T: serde::de::DeserializeOwned>(text: &str) -> std::result::Result<JsonText<T>, UnknownStoredValue> {
    serde_json::from_str(text).map(JsonText).map_err(|e| {
        UnknownStoredValue(format!("unreadable {} in the database ({e}): {text:.80}", std::any::type_name::<T>()))
    })
}

impl<T> sqlx::Type<Sqlite> for JsonText<T> {
    fn type_info() -> <Sqlite as sqlx::Database>::TypeInfo {
        <str as sqlx::Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &<Sqlite as sqlx::Database>::TypeInfo) -> bool {
        <str as sqlx::Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> sqlx::Decode<'r, Sqlite> for JsonText<T> {
    fn decode(value: <Sqlite as sqlx::Database>::ValueRef<'r>) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        Ok(json_text(<&str as sqlx::Decode<Sqlite>>::decode(value)?)?)
    }
}

impl<T> sqlx::Type<Postgres> for JsonText<T> {
    fn type_info() -> <Postgres as sqlx::Database>::TypeInfo {
        <str as sqlx::Type<Postgres>>::type_info()
    }
    fn compatible(ty: &<Postgres as sqlx::Database>::TypeInfo) -> bool {
        <str as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> sqlx::Decode<'r, Postgres> for JsonText<T> {
    fn decode(
        value: <Postgres as sqlx::Database>::ValueRef<'r>,
    ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        Ok(json_text(<&str as sqlx::Decode<Postgres>>::decode(value)?)?)
    }
}

impl<T: serde::de::DeserializeOwned> rusqlite::types::FromSql for JsonText<T> {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        json_text(value.as_str()?).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// A stored value that does not parse, named for the log: `unknown Status "closd" in the database`.
#[derive(Debug)]
pub struct UnknownStoredValue(pub String);

impl std::fmt::Display for UnknownStoredValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnknownStoredValue {}

/// What [`stored_enum!`] reads: the parsed value, or an error naming the type and the text.
pub fn stored_value<T, E>(
    parsed: std::result::Result<T, E>,
    type_name: &str,
    text: &str,
) -> std::result::Result<T, UnknownStoredValue> {
    parsed.map_err(|_| UnknownStoredValue(format!("unknown {type_name} {text:?} in the database")))
}

/// `execute!(tx, sql, args…)`: the number of rows affected.
#[macro_export]
macro_rules! execute {
    ($tx:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        $crate::on_conn!($tx, c => $crate::sqlx::query($crate::db::safe(&$sql))$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()))
    };
}

/// `fetch_sql!(tx, Row, sql_builder, fetch_all|fetch_optional|fetch_one)`: runs a [`Sql`].
#[macro_export]
macro_rules! fetch_sql {
    ($tx:expr, $t:ty, $sql:expr, $fetch:ident) => {
        $crate::on_conn!($tx, c => $crate::bind_args!($crate::sqlx::query_as::<_, $t>($crate::db::safe(&$sql.text)), $sql.args).$fetch(c).await)
    };
}

/// Runs a [`Sql`] built at run time that returns no rows; gives the rows affected.
#[macro_export]
macro_rules! execute_sql {
    ($tx:expr, $sql:expr) => {
        $crate::on_conn!($tx, c => $crate::bind_args!($crate::sqlx::query($crate::db::safe(&$sql.text)), $sql.args).execute(c).await.map(|r| r.rows_affected()))
    };
}

/// Runs statements that return no rows, in order. On SQLite they go as one text, a single
/// round trip to the connection's thread instead of one each; SQLite then binds anonymous
/// placeholders in turn across the statements, so there each must have only those
/// ([`Sql::values`]) or be alone. PostgreSQL takes one statement with arguments at a time.
pub async fn execute_all(tx: &mut Tx, parts: Vec<Sql>) -> Result<()> {
    let parts: Vec<Sql> = parts.into_iter().filter(|p| !p.text.is_empty()).collect();
    if tx.backend() == Backend::Postgres || parts.len() <= 1 {
        for part in parts {
            execute_sql!(tx, part)?;
        }
        return Ok(());
    }
    let mut all = Sql::default();
    for part in parts {
        if has_numbered_placeholder(&part.text) {
            return Err(StoreError::Config(format!(
                "numbered placeholders in a statement run with others: {}",
                part.text
            )));
        }
        if !all.text.is_empty() {
            all.text.push_str(";\n");
        }
        all.text.push_str(&part.text);
        all.args.extend(part.args);
    }
    execute_sql!(tx, all)?;
    Ok(())
}

/// Where statements run: an open transaction ([`Tx`]), a transaction on SQLite's direct
/// connection for new tickets ([`Direct`]), or a connection for lookups ([`Lookup`]). Code
/// written against it runs the same statements on each, so the fast paths on SQLite are not
/// second copies of their queries and writes. Implemented in this crate only; callers outside
/// it pass a `&mut Tx` or a `&mut Lookup`.
#[allow(async_fn_in_trait)]
pub trait Conn {
    fn backend(&self) -> Backend;

    /// Every row of a statement that returns some (a query, `RETURNING …`).
    async fn fetch<T: Returned>(&mut self, sql: Sql) -> Result<Vec<T>>;

    /// The first row of a statement, if it returns any.
    async fn fetch_opt<T: Returned>(&mut self, sql: Sql) -> Result<Option<T>> {
        Ok(self.fetch(sql).await?.into_iter().next())
    }

    /// Statements that return no rows, in order (see [`execute_all`]).
    async fn execute_all(&mut self, parts: Vec<Sql>) -> Result<()>;
}

impl Conn for Tx {
    fn backend(&self) -> Backend {
        Tx::backend(self)
    }

    async fn fetch<T: Returned>(&mut self, sql: Sql) -> Result<Vec<T>> {
        Ok(fetch_sql!(self, T, sql, fetch_all)?)
    }

    async fn execute_all(&mut self, parts: Vec<Sql>) -> Result<()> {
        execute_all(self, parts).await
    }
}

/// A row a [`Conn`] gives back, decoded from either database or from SQLite's own handle.
pub trait Returned: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {
    fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// The column `name` of a row read by [`stored_row!`], which expects it at `position` (where a
/// statement selects the fields in their order): found there without comparing every column's
/// name, which for the thousands of rows of an impact analysis was a tenth of the time.
#[doc(hidden)]
pub fn direct_column<T: rusqlite::types::FromSql>(
    row: &rusqlite::Row<'_>,
    position: usize,
    name: &str,
) -> rusqlite::Result<T> {
    if row.as_ref().column_name(position).is_ok_and(|n| n == name) { row.get(position) } else { row.get(name) }
}

/// [`Returned`] for a tuple of column types, read in order.
macro_rules! returned_tuple {
    ($($t:ty),+) => {
        impl Returned for ($($t,)+) {
            fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut column = 0..;
                Ok(($(row.get::<_, $t>(column.next().unwrap_or_default())?,)+))
            }
        }
    };
}
returned_tuple!(i64);
returned_tuple!(String);
returned_tuple!(i64, bool);
returned_tuple!(i64, Option<i64>);
returned_tuple!(i64, Option<String>);
returned_tuple!(i64, i64, String);
returned_tuple!(i64, String, String, String, Option<String>, Option<String>);

/// SQLite's write path for new tickets: a connection of its own, opened by [`Store::direct`]
/// and used by one thread, on which statements run on that thread one after another, prepared
/// once and kept. Through sqlx every statement is a hand-off to the connection's own thread and
/// back (more than one when rows come back), and at a thousand tickets a second those
/// hand-offs, not SQLite, were what limited the one writer. It writes in turn with the store's
/// other writes: see [`DirectWriter::write`].
pub struct DirectWriter {
    conn: rusqlite::Connection,
    turn: Arc<Mutex<()>>,
    /// Wakes the [`Checkpointer`] after each commit; `None` if it could not start.
    checkpointer: Option<std::sync::mpsc::SyncSender<()>>,
}

impl DirectWriter {
    /// Runs `f` in a write transaction of its own (`BEGIN IMMEDIATE` … `COMMIT`), once the
    /// store's other writes have had their turn; if `f` fails, the transaction is rolled back.
    pub async fn write<R>(&mut self, f: impl AsyncFnOnce(&mut Direct<'_>) -> Result<R>) -> Result<R> {
        let _turn = self.turn.lock().await;
        let mut direct = Direct { conn: &mut self.conn };
        direct.conn.execute_batch("BEGIN IMMEDIATE")?;
        let out = f(&mut direct).await?;
        direct.conn.execute_batch("COMMIT")?;
        if let Some(wake) = &self.checkpointer {
            // Full: it is already due to run.
            let _ = wake.try_send(());
        }
        Ok(out)
    }
}

/// Copies the pages in SQLite's write-ahead log into the database file on a thread of its own,
/// while the [`DirectWriter`] goes on writing. SQLite would otherwise do it on the writer's
/// thread, inside the commit that takes the log past `wal_autocheckpoint` pages: at a few
/// thousand tickets a second that stalled every waiting request for 40 to 80 ms a few times a
/// second. A passive checkpoint takes no lock a writer needs, but while the writer keeps
/// appending it seldom catches up with the end of the log, and only a log copied to its end
/// can start over from the beginning. The writer's own checkpoint, between two of its
/// transactions, does catch up, and now finds little left to copy. This one runs at most every
/// [`Checkpointer::PAUSE`] and only after new commits, so an idle server does not wake, except
/// that a checkpoint which could not reach the end of the log (a reader still needed the older
/// pages) is tried again, at growing intervals, until it does: otherwise the last commits before
/// a quiet spell stayed in the log alone. It ends when its writer is dropped.
struct Checkpointer;

impl Checkpointer {
    /// The least time between two checkpoints: each syncs the log and the database file.
    const PAUSE: Duration = Duration::from_millis(50);
    /// The longest wait before trying again to copy the rest of the log.
    const MOST_PAUSE: Duration = Duration::from_secs(2);

    fn spawn(conn: rusqlite::Connection, runs: Arc<AtomicU64>) -> std::io::Result<std::sync::mpsc::SyncSender<()>> {
        use std::sync::mpsc::RecvTimeoutError;
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new().name("yunwei-checkpoint".into()).spawn(move || {
            // `Some(pause)` while the log has pages not yet copied to the database file.
            let mut behind: Option<Duration> = None;
            loop {
                let woke = match behind {
                    None => woken.recv().map_err(|_| RecvTimeoutError::Disconnected),
                    Some(pause) => woken.recv_timeout(pause),
                };
                if woke == Err(RecvTimeoutError::Disconnected) {
                    break;
                }
                // The columns: 1 when another checkpoint was running and this one did nothing,
                // the pages in the log, the pages copied to the database file.
                let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
                });
                behind = match done {
                    Ok((0, log, copied)) => {
                        runs.fetch_add(1, Ordering::Relaxed);
                        (copied < log).then(|| match (woke, behind) {
                            (Err(_), Some(pause)) => (pause * 2).min(Self::MOST_PAUSE),
                            _ => Self::PAUSE,
                        })
                    }
                    Ok(_) => Some(Self::PAUSE),
                    Err(e) => {
                        tracing::warn!(error = %e, "a background checkpoint of the SQLite log failed");
                        None
                    }
                };
                std::thread::sleep(Self::PAUSE);
            }
        })?;
        Ok(wake)
    }
}

/// A write transaction on a [`DirectWriter`]; dropped before its commit, it rolls back.
pub struct Direct<'c> {
    conn: &'c mut rusqlite::Connection,
}

impl Drop for Direct<'_> {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl Conn for Direct<'_> {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn fetch<T: Returned>(&mut self, sql: Sql) -> Result<Vec<T>> {
        fetch_direct(self.conn, &sql)
    }

    async fn execute_all(&mut self, parts: Vec<Sql>) -> Result<()> {
        execute_direct(self.conn, &parts)
    }
}

/// Runs a statement on a SQLite connection of this thread's own, prepared once and kept.
fn prepare_direct<'c>(conn: &'c rusqlite::Connection, sql: &Sql) -> Result<rusqlite::CachedStatement<'c>> {
    let mut stmt = conn.prepare_cached(&sql.text)?;
    bind_direct(&mut stmt, &sql.args)?;
    Ok(stmt)
}

fn fetch_direct<T: Returned>(conn: &rusqlite::Connection, sql: &Sql) -> Result<Vec<T>> {
    let mut stmt = prepare_direct(conn, sql)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_direct(row)?);
    }
    Ok(out)
}

fn execute_direct(conn: &rusqlite::Connection, parts: &[Sql]) -> Result<()> {
    for part in parts.iter().filter(|p| !p.text.is_empty()) {
        prepare_direct(conn, part)?.raw_execute()?;
    }
    Ok(())
}

/// A connection for lookups whose queries need no common snapshot: each statement sees the
/// latest commit ([`Store::lookup`]). On SQLite it is a read-only connection of the store's
/// own that runs each statement on the calling thread: a lookup by key takes microseconds
/// there, less than the two hand-offs to a sqlx connection's thread and back that it would
/// otherwise cost, and it runs before every API request (the caller behind a token) and
/// before every new ticket (its checks). On PostgreSQL it is a pooled connection.
pub enum Lookup {
    Sqlite(LookupConnection),
    Postgres(Tx),
}

/// A SQLite connection lent by the store for a [`Lookup`]; it goes back when dropped.
pub struct LookupConnection {
    conn: Option<rusqlite::Connection>,
    pool: Arc<std::sync::Mutex<Vec<rusqlite::Connection>>>,
}

/// The most read-only connections the store keeps for lookups; more may be open while busy.
const KEPT_LOOKUP_CONNECTIONS: usize = 8;

impl Drop for LookupConnection {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < KEPT_LOOKUP_CONNECTIONS {
            pool.push(conn);
        }
    }
}

impl LookupConnection {
    fn conn(&self) -> Result<&rusqlite::Connection> {
        self.conn.as_ref().ok_or_else(|| StoreError::Config("a lookup connection used after it was returned".into()))
    }
}

impl Conn for Lookup {
    fn backend(&self) -> Backend {
        match self {
            Lookup::Sqlite(_) => Backend::Sqlite,
            Lookup::Postgres(_) => Backend::Postgres,
        }
    }

    async fn fetch<T: Returned>(&mut self, sql: Sql) -> Result<Vec<T>> {
        match self {
            Lookup::Sqlite(c) => fetch_direct(c.conn()?, &sql),
            Lookup::Postgres(tx) => tx.fetch(sql).await,
        }
    }

    /// Refused on SQLite, whose lookup connections are read-only.
    async fn execute_all(&mut self, parts: Vec<Sql>) -> Result<()> {
        match self {
            Lookup::Sqlite(c) => execute_direct(c.conn()?, &parts),
            Lookup::Postgres(tx) => tx.execute_all(parts).await,
        }
    }
}

/// Binds `args` to a statement as sqlx would: `$n` takes the n-th argument wherever it stands,
/// and anonymous `?` placeholders take the arguments in turn.
fn bind_direct(stmt: &mut rusqlite::Statement<'_>, args: &[Arg]) -> Result<()> {
    let mut next = 0;
    for index in 1..=stmt.parameter_count() {
        let at = match stmt.parameter_name(index) {
            None => {
                next += 1;
                next - 1
            }
            Some(name) => name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
                .ok_or_else(|| StoreError::Config(format!("unsupported placeholder {name}")))?,
        };
        let arg = args.get(at).ok_or_else(|| StoreError::Config(format!("no argument for placeholder {index}")))?;
        match arg {
            Arg::Int(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Text(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::Bool(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::OptInt(v) => stmt.raw_bind_parameter(index, v)?,
            Arg::OptText(v) => stmt.raw_bind_parameter(index, v)?,
        }
    }
    Ok(())
}

/// Whether `text` has a placeholder `$n` outside quotes and quoted names.
fn has_numbered_placeholder(text: &str) -> bool {
    let mut quote = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => return true,
            None => {}
        }
    }
    false
}

/// Marks SQL text as safe to run. Every SQL text in this crate is made of constant fragments;
/// values always travel as bind parameters, never inside the text.
pub fn safe(sql: &impl AsRef<str>) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql.as_ref().to_string())
}

/// A bind value for queries built at run time (filters).
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    Bool(bool),
    /// A value that may be NULL, typed so PostgreSQL knows the column type of a NULL.
    OptInt(Option<i64>),
    OptText(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// SQL text and its arguments, built up clause by clause with numbered placeholders.
#[derive(Debug, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), args: Vec::new() }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(… IN ($n, $m, …))` for a non-empty list; `FALSE` for an empty one.
    pub fn in_list(&mut self, column: &str, ids: &[i64]) -> &mut Self {
        if ids.is_empty() {
            return self.push("1 = 0");
        }
        self.push(column).push(" IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(Arg::Int(*id));
        }
        self.push(")")
    }

    /// Appends a condition that `column` is one of `ids` (`FALSE` for none), for long lists of
    /// record ids (a walk's frontier, the CIs of a result): the list travels as one text
    /// argument, so the statement's text is the same whatever its length and the database
    /// prepares it once. [`Sql::in_list`] gives a placeholder per id, which suits a few (a
    /// scope's tenants) but costs sqlx on SQLite the square of their number to bind: a
    /// thousand ids took it about 4 ms a statement. On PostgreSQL the list is read in a
    /// subquery the planner does not look into: given the list itself, it estimated each of
    /// 5,000 ids apart, which took 5 ms before the statement ran.
    pub fn in_ids(&mut self, backend: Backend, column: &str, ids: &[i64]) -> &mut Self {
        if ids.is_empty() {
            return self.push("1 = 0");
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        match backend {
            Backend::Sqlite => {
                self.push(column).push(" IN (SELECT value FROM json_each(").arg(Arg::Text(format!("[{list}]")));
                self.push("))")
            }
            Backend::Postgres => {
                self.push(column).push(" = ANY((SELECT string_to_array(").arg(Arg::Text(list));
                self.push(", ',')::bigint[])::bigint[])")
            }
        }
    }

    /// Appends ` AND <column> IN (…)` limiting rows to the tenants in `scope`, nothing for an
    /// actor who sees every tenant. The one way a query is limited to the caller's tenants:
    /// `sql.scoped("t.tenant_id", &actor.tenant_scope())`.
    pub fn scoped(&mut self, column: &str, scope: &TenantScope) -> &mut Self {
        if let TenantScope::Only(ids) = scope {
            self.push(" AND ");
            self.in_list(column, ids);
        }
        self
    }

    /// [`Sql::scoped`] for a table whose rows may belong to no tenant (installation-wide SLA
    /// policies, audit entries of installation settings): those are in every scope.
    pub fn scoped_or_shared(&mut self, column: &str, scope: &TenantScope) -> &mut Self {
        if let TenantScope::Only(ids) = scope {
            self.push(" AND (").push(column).push(" IS NULL OR ");
            self.in_list(column, ids);
            self.push(")");
        }
        self
    }

    /// Appends the rows of a multi-row `VALUES` list, `(…), (…)`, one placeholder per value:
    /// anonymous ones on SQLite (see [`Sql::values_as`]), so the statement may have no other.
    pub fn values(&mut self, backend: Backend, rows: Vec<Vec<Arg>>) -> &mut Self {
        let width = rows.first().map_or(0, Vec::len);
        self.values_as(&vec!["$"; width], rows, backend == Backend::Sqlite)
    }

    /// [`Sql::values`] with an SQL template per column, `$` standing for its placeholder.
    /// `anonymous` gives `?` placeholders instead of numbered ones, for a long SQLite statement:
    /// sqlx looks each numbered one up by name, a scan of all the statement's names, which makes
    /// a long statement cost the square of its length. It must then be all the text has.
    pub fn values_as(
        &mut self,
        templates: &[&str],
        rows: impl IntoIterator<Item = Vec<Arg>>,
        anonymous: bool,
    ) -> &mut Self {
        for (i, row) in rows.into_iter().enumerate() {
            debug_assert_eq!(row.len(), templates.len());
            self.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    self.push(", ");
                }
                let (before, after) = templates[j].split_once('$').unwrap_or(("", ""));
                self.push(before);
                if anonymous {
                    self.args.push(value);
                    self.push("?");
                } else {
                    self.arg(value);
                }
                self.push(after);
            }
            self.push(")");
        }
        self
    }
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere, case-folded, with `%`, `_` and `\`
/// in it taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The current instant as microseconds since the Unix epoch, the form times are stored in.
pub fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// How long a SQLite connection waits for another process's write to finish.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The settings of every SQLite connection.
const SQLITE_PRAGMAS: &[(&str, &str)] = &[
    ("journal_mode", "WAL"),
    ("synchronous", "NORMAL"),
    ("foreign_keys", "ON"),
    ("cache_size", "-16000"),
    // Read pages straight from the mapped file instead of copying each one out of the OS cache
    // with a system call: at a million tickets (1.8 GB) a ticket write touches a few dozen
    // index pages all over the file. 2 GiB is SQLite's largest map; it reserves address space,
    // not memory, though mapped pages that were read count as resident memory of the process.
    ("mmap_size", "2147418112"),
    ("temp_store", "memory"),
    ("wal_autocheckpoint", "10000"),
];

impl Store {
    /// Connects to `url`: `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store { pools: Pools::Postgres(pool) })
        } else if url.starts_with("sqlite:") {
            let mut base =
                SqliteConnectOptions::from_str(url)?.create_if_missing(true).busy_timeout(SQLITE_BUSY_TIMEOUT);
            for (name, value) in SQLITE_PRAGMAS {
                base = base.pragma(*name, *value);
            }
            // No ping before handing out a connection: a local file does not drop connections,
            // and each ping is one more round trip to the connection's worker thread.
            let path = base.get_filename().to_path_buf();
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.clone())
                .await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(base.read_only(true))
                .await?;
            Ok(Store {
                pools: Pools::Sqlite {
                    writer,
                    reader,
                    path,
                    write_turn: Arc::default(),
                    lookups: Arc::default(),
                    checkpoints: Arc::default(),
                },
            })
        } else {
            Err(StoreError::Config(format!(
                "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST/DB"
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. Safe to run from several instances at once: the migrator
    /// takes a database lock on PostgreSQL, and SQLite has one writer.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Begins a transaction that may write.
    pub async fn write(&self) -> Result<Tx> {
        Ok(match &self.pools {
            // IMMEDIATE takes the write lock up front, so another process writing the same file
            // (a CLI command beside a running server) waits instead of failing mid-transaction.
            Pools::Sqlite { writer, write_turn, .. } => {
                let turn = write_turn.clone().lock_owned().await;
                Tx::Sqlite(Held::Transaction(writer.begin_with("BEGIN IMMEDIATE").await?, Some(turn)))
            }
            Pools::Postgres(pool) => Tx::Postgres(Held::Transaction(pool.begin().await?, None)),
        })
    }

    /// A [`DirectWriter`] on this store's SQLite file, for one thread to keep; `None` on
    /// PostgreSQL.
    pub fn direct(&self) -> Result<Option<DirectWriter>> {
        let Pools::Sqlite { path, write_turn, checkpoints, .. } = &self.pools else { return Ok(None) };
        let conn = Self::open_sqlite(path, rusqlite::OpenFlags::default())?;
        // The statements of a batch differ by its size only: room for every size of each.
        conn.set_prepared_statement_cache_capacity(512);
        let checkpointer = Self::open_sqlite(path, rusqlite::OpenFlags::default())
            .and_then(|c| {
                Checkpointer::spawn(c, checkpoints.clone())
                    .map_err(|e| StoreError::Config(format!("the checkpoint thread: {e}")))
            })
            .inspect_err(|e| tracing::warn!(error = %e, "the SQLite log is checkpointed by its writers alone"))
            .ok();
        Ok(Some(DirectWriter { conn, turn: write_turn.clone(), checkpointer }))
    }

    fn open_sqlite(path: &std::path::Path, flags: rusqlite::OpenFlags) -> Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        for (name, value) in SQLITE_PRAGMAS {
            conn.pragma_update(None, name, value)?;
        }
        Ok(conn)
    }

    /// Begins a read-only transaction: one consistent snapshot for several queries (on
    /// PostgreSQL that takes REPEATABLE READ; its default gives each statement a new one).
    pub async fn read(&self) -> Result<Tx> {
        Ok(match &self.pools {
            Pools::Sqlite { reader, .. } => Tx::Sqlite(Held::Transaction(reader.begin().await?, None)),
            Pools::Postgres(pool) => Tx::Postgres(Held::Transaction(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
                None,
            )),
        })
    }

    /// A read connection without a transaction, for lookups whose queries need no common
    /// snapshot (each sees the latest commit); see [`Lookup`].
    pub async fn lookup(&self) -> Result<Lookup> {
        Ok(match &self.pools {
            Pools::Sqlite { path, lookups, .. } => {
                let kept = lookups.lock().unwrap_or_else(PoisonError::into_inner).pop();
                let conn = match kept {
                    Some(conn) => conn,
                    None => {
                        let flags =
                            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                        Self::open_sqlite(path, flags)?
                    }
                };
                Lookup::Sqlite(LookupConnection { conn: Some(conn), pool: lookups.clone() })
            }
            Pools::Postgres(pool) => Lookup::Postgres(Tx::Postgres(Held::Connection(pool.acquire().await?))),
        })
    }

    /// How many background checkpoints of SQLite's log have run (see `Checkpointer`); `None`
    /// on PostgreSQL.
    pub fn background_checkpoints(&self) -> Option<u64> {
        match &self.pools {
            Pools::Sqlite { checkpoints, .. } => Some(checkpoints.load(Ordering::Relaxed)),
            Pools::Postgres(_) => None,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut tx = self.read().await?;
        scalar!(&mut tx, i32, "SELECT 1")?;
        Ok(())
    }

    /// Waits for connections in use to finish, then closes every pool and the kept lookup
    /// connections (one lent out closes when it is dropped after this). The new-ticket writer
    /// and its checkpoint thread close when the intake that holds them ends.
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader, lookups, .. } => {
                lookups.lock().unwrap_or_else(PoisonError::into_inner).clear();
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Arg, Backend, Conn, Lookup, Pools, Sql, bind_direct, has_numbered_placeholder};
    use crate::testing::TestStore;
    use yunwei_kernel::permission::TenantScope;

    /// The scope clause on both stores: an administrator's query is unchanged, an empty scope
    /// matches nothing, and rows of no tenant are in every scope only where asked.
    #[tokio::test]
    async fn the_scope_clause_limits_rows_to_the_tenants_in_scope() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let store = TestStore::new(backend).await;
            let mut owned = store.write().await.unwrap();
            let tx = &mut owned;
            execute!(tx, "CREATE TEMPORARY TABLE scoped_rows (id BIGINT, tenant_id BIGINT)").unwrap();
            execute!(tx, "INSERT INTO scoped_rows VALUES (1, 1), (2, 2), (3, 3), (4, NULL)").unwrap();
            let cases: [(TenantScope, bool, &[i64]); 6] = [
                (TenantScope::All, false, &[1, 2, 3, 4]),
                (TenantScope::Only(vec![1, 3]), false, &[1, 3]),
                (TenantScope::Only(vec![]), false, &[]),
                (TenantScope::All, true, &[1, 2, 3, 4]),
                (TenantScope::Only(vec![2]), true, &[2, 4]),
                (TenantScope::Only(vec![]), true, &[4]),
            ];
            for (scope, shared, want) in cases {
                let mut sql = Sql::new("SELECT id FROM scoped_rows WHERE 1 = 1");
                if shared {
                    sql.scoped_or_shared("tenant_id", &scope);
                } else {
                    sql.scoped("tenant_id", &scope);
                }
                sql.push(" ORDER BY id");
                let got: Vec<i64> = fetch_sql!(tx, (i64,), sql, fetch_all).unwrap().into_iter().map(|(i,)| i).collect();
                assert_eq!(got, want, "{backend:?} {scope:?} shared={shared}");
            }
        }
    }

    #[tokio::test]
    async fn a_sqlite_lookup_sees_each_commit_cannot_write_and_goes_back_to_the_store() {
        let store = TestStore::new(Backend::Sqlite).await;
        let probe = || sql!("SELECT value FROM settings WHERE key = $1", "probe");
        let mut lookup = store.lookup().await.unwrap();
        assert!(matches!(lookup, Lookup::Sqlite(_)));
        assert_eq!(lookup.fetch_opt::<(String,)>(probe()).await.unwrap(), None);

        let mut tx = store.write().await.unwrap();
        let insert = sql!("INSERT INTO settings (key, value, version, updated_at) VALUES ($1, '1', 1, 0)", "probe");
        tx.execute_all(vec![insert]).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(lookup.fetch_opt(probe()).await.unwrap(), Some(("1".to_string(),)), "the lookup saw the commit");

        let delete = sql!("DELETE FROM settings WHERE key = $1", "probe");
        assert!(lookup.execute_all(vec![delete]).await.is_err(), "a lookup connection is read-only");
        drop(lookup);
        let Pools::Sqlite { lookups, .. } = &store.store.pools else { unreachable!() };
        assert_eq!(lookups.lock().unwrap().len(), 1, "the connection went back to the store");
        let mut again = store.lookup().await.unwrap();
        assert_eq!(lookups.lock().unwrap().len(), 0, "and was lent again");
        assert_eq!(again.fetch_opt(probe()).await.unwrap(), Some(("1".to_string(),)));
    }

    #[test]
    fn direct_statements_bind_numbered_placeholders_by_number_and_anonymous_ones_in_turn() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let row = |text: &str, args: &[Arg]| {
            let mut stmt = conn.prepare(text).unwrap();
            bind_direct(&mut stmt, args).unwrap();
            let mut rows = stmt.raw_query();
            let row = rows.next().unwrap().unwrap();
            (0..3).map(|i| row.get::<_, Option<String>>(i).unwrap()).collect::<Vec<_>>()
        };
        let args = [Arg::Text("a".into()), Arg::Text("b".into()), Arg::OptText(None)];
        assert_eq!(row("SELECT $2, $1, $2", &args[..2]), [Some("b".into()), Some("a".into()), Some("b".into())]);
        assert_eq!(row("SELECT ?, ?, ?", &args), [Some("a".into()), Some("b".into()), None]);
        let mut stmt = conn.prepare("SELECT $1, $2").unwrap();
        assert!(bind_direct(&mut stmt, &args[..1]).is_err(), "a placeholder without its argument");
    }

    #[test]
    fn numbered_placeholders_are_found_outside_quotes_only() {
        assert!(has_numbered_placeholder("INSERT INTO t VALUES (?, $2)"));
        assert!(has_numbered_placeholder("SELECT $1"));
        assert!(!has_numbered_placeholder("INSERT INTO t VALUES (?, ?), (?, ?)"));
        assert!(!has_numbered_placeholder("SELECT '$1', \"$2\", json_extract(x, '$.a'), ?"));
    }
}
