//! Installation-wide settings stored as JSON (each module names its own keys).

use serde::{Serialize, de::DeserializeOwned};
use yunwei_kernel::permission::{self, Actor};

use crate::Result;
use crate::StoreError;
use crate::Tx;
use crate::audit;
use crate::db::{Arg, Conn, Sql};
use crate::now_micros;

/// Reads a setting, or `None` when it was never set.
pub async fn get<T: DeserializeOwned>(c: &mut impl Conn, key: &str) -> Result<Option<T>> {
    let mut sql = Sql::new("SELECT value FROM settings WHERE key = ");
    sql.arg(Arg::Text(key.to_string()));
    let value: Option<(String,)> = c.fetch(sql).await?.pop();
    match value {
        None => Ok(None),
        Some((text,)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| StoreError::Config(format!("setting {key} is unreadable: {e}"))),
    }
}

/// Writes a setting (administrators only), with an audit entry.
pub async fn put<T: Serialize>(tx: &mut Tx, actor: &Actor, key: &str, value: &T) -> Result<()> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let text = serde_json::to_string(value).map_err(|e| StoreError::Config(e.to_string()))?;
    let before = fetch_opt!(tx, (String,), "SELECT value FROM settings WHERE key = $1", key)?;
    execute!(
        tx,
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = settings.version + 1,
         updated_at = excluded.updated_at",
        key,
        &text,
        now_micros(),
    )?;
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    let change = audit::Change {
        action: "settings.update",
        entity: "setting",
        entity_id: 0,
        tenant_id: None,
        before: before.and_then(|(t,)| parse(&t)).map(|v| serde_json::json!({ key: v })),
        after: parse(&text).map(|v| serde_json::json!({ key: v })),
    };
    audit::record(tx, Some(actor), change).await
}

/// A setting's version: 0 when it was never set, then 1, 2, … with every [`put`].
pub async fn version(tx: &mut Tx, key: &str) -> Result<i64> {
    Ok(fetch_opt!(tx, (i64,), "SELECT version FROM settings WHERE key = $1", key)?.map(|(v,)| v).unwrap_or(0))
}

/// [`put`] for a form that loaded the setting at `version`: refused as stale (and nothing
/// kept, once the caller drops the transaction) when someone else wrote it in between.
pub async fn put_at<T: Serialize>(tx: &mut Tx, actor: &Actor, key: &str, value: &T, version: i64) -> Result<()> {
    put(tx, actor, key, value).await?;
    // The upsert waits for a concurrent writer's row lock, so the version it leaves is the
    // one we read plus one only when nobody wrote in between.
    if self::version(tx, key).await? != version + 1 {
        return Err(StoreError::stale("setting"));
    }
    Ok(())
}
