//! A user's own preferences, which they change themselves: the language of the UI and the
//! time zone dates are shown in. (Everything else about a user is the administrator's.)

use yunwei_kernel::permission::Actor;
use yunwei_kernel::validate;

use crate::Result;
use crate::StoreError;
use crate::Tx;
use crate::audit;
use crate::now_micros;

/// Sets the actor's own language (`zh-CN` or `en`).
pub async fn set_locale(tx: &mut Tx, actor: &Actor, locale: &str) -> Result<()> {
    let locale = validate::locale(locale)?;
    set(tx, actor, "locale", &locale).await
}

/// Sets the actor's own time zone (an IANA name such as `Asia/Shanghai`).
pub async fn set_time_zone(tx: &mut Tx, actor: &Actor, time_zone: &str) -> Result<()> {
    let tz = validate::time_zone(time_zone)?;
    set(tx, actor, "time_zone", &tz).await
}

async fn set(tx: &mut Tx, actor: &Actor, column: &'static str, value: &str) -> Result<()> {
    let select = format!("SELECT {column} FROM users WHERE id = $1");
    let (before,) = fetch_opt!(tx, (String,), &select, actor.user_id)?.ok_or(StoreError::NotFound("user"))?;
    if before == value {
        return Ok(());
    }
    let update = format!("UPDATE users SET {column} = $1, updated_at = $2, version = version + 1 WHERE id = $3");
    execute!(tx, &update, value, now_micros(), actor.user_id)?;
    let change = audit::Change {
        action: "user.preferences",
        entity: "user",
        entity_id: actor.user_id,
        tenant_id: Some(actor.tenant_id),
        before: Some(serde_json::json!({ column: before })),
        after: Some(serde_json::json!({ column: value })),
    };
    audit::record(tx, Some(actor), change).await
}
