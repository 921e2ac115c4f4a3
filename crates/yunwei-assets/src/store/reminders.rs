//! Reminders before a warranty or contract ends: a daily queued job ([`JOB`]) tells the asset
//! managers who serve the asset's tenant (the administrators when nobody does) once per asset,
//! kind and end date, [`LEAD_DAYS`] ahead. What was sent is kept (`asset_reminders`), so a
//! second run the same day, or the next day, tells nobody again; a new end date is a new
//! reminder.

use std::collections::BTreeMap;

use serde_json::Value;
use yunwei_db::jobs::{self, BoxedRun};
use yunwei_db::notify::{self, Notice, Subject};
use yunwei_db::{Result, Store, Tx, now_micros};

/// The job kind of the daily reminder run.
pub const JOB: &str = "assets.reminders";

/// How many days ahead of an end date the reminder goes out.
pub const LEAD_DAYS: i64 = 30;

/// At most this many reminders of a kind per run (the next run sends the rest).
const BATCH: i64 = 500;

/// The end dates a reminder is sent for: (kind, column, notice kind).
const KINDS: [(&str, &str, &str); 2] =
    [("warranty", "warranty_end", "assets.warranty_ending"), ("contract", "contract_end", "assets.contract_ending")];

/// Sends the reminders due on `today` for end dates up to `lead_days` ahead that were not sent
/// before; returns how many were sent.
pub async fn send_due(tx: &mut Tx, today: jiff::civil::Date, lead_days: i64) -> Result<usize> {
    let until = today.checked_add(jiff::Span::new().days(lead_days.clamp(0, 3660))).unwrap_or(today);
    let (from, until) = (today.to_string(), until.to_string());
    let mut sent = 0;
    for (kind, column, notice_kind) in KINDS {
        let sql = format!(
            "SELECT a.id, a.tenant_id, a.tag, a.name, a.{column} FROM assets a
             WHERE a.{column} >= $1 AND a.{column} <= $2 AND a.status IN ('in_stock', 'deployed', 'in_repair')
               AND NOT EXISTS (SELECT 1 FROM asset_reminders r
                               WHERE r.asset_id = a.id AND r.kind = $3 AND r.end_date = a.{column})
             ORDER BY a.id LIMIT $4"
        );
        let due = fetch_all!(tx, (i64, i64, String, String, String), sql, &from, &until, kind, BATCH)?;
        for (asset, tenant, tag, name, end) in due {
            let inserted = execute!(
                tx,
                "INSERT INTO asset_reminders (asset_id, kind, end_date, sent_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (asset_id, kind, end_date) DO NOTHING",
                asset,
                kind,
                &end,
                now_micros()
            )?;
            if inserted == 0 {
                continue;
            }
            let mut recipients = fetch_all!(
                tx,
                (i64,),
                "SELECT u.id FROM users u JOIN user_tenants t ON t.user_id = u.id
                 WHERE t.tenant_id = $1 AND u.role = 'asset_manager' AND u.active = TRUE ORDER BY u.id",
                tenant
            )?;
            if recipients.is_empty() {
                recipients =
                    fetch_all!(tx, (i64,), "SELECT id FROM users WHERE role = 'admin' AND active = TRUE ORDER BY id")?;
            }
            let args =
                BTreeMap::from([("tag".to_string(), tag), ("name".to_string(), name), ("date".to_string(), end)]);
            let notice = Notice {
                kind: notice_kind.into(),
                tenant_id: Some(tenant),
                subject: Some(Subject { kind: "asset".into(), id: asset }),
                args,
                recipients: recipients.into_iter().map(|(id,)| id).collect(),
            };
            notify::send(tx, &notice).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

fn run_key(day: jiff::civil::Date) -> String {
    format!("{JOB}:{day}")
}

/// Queues the run of `day` (at 01:00 UTC), once however often it is asked.
pub async fn schedule(tx: &mut Tx, day: jiff::civil::Date) -> Result<()> {
    let at = day
        .at(1, 0, 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or_else(|_| now_micros());
    jobs::enqueue_at(tx, JOB, &Value::Null, Some(&run_key(day)), at).await?;
    Ok(())
}

/// The [`JOB`] handler: sends what is due today and queues tomorrow's run.
pub fn job(tx: &mut Tx, _payload: Value) -> BoxedRun<'_> {
    Box::pin(async move {
        let today = super::today();
        send_due(tx, today, LEAD_DAYS).await?;
        if let Ok(tomorrow) = today.tomorrow() {
            schedule(tx, tomorrow).await?;
        }
        Ok(())
    })
}

/// Queues today's run at start-up (nothing if it is queued already); each run queues the next.
pub async fn ensure_scheduled(store: &Store) -> Result<()> {
    let mut tx = store.write().await?;
    let today = super::today();
    jobs::enqueue(&mut tx, JOB, &Value::Null, Some(&run_key(today))).await?;
    tx.commit().await
}
