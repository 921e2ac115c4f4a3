//! Notifications: telling people that something happened, through one outbox.
//!
//! A module says what happened with [`send`], in the transaction of the change that causes it:
//! a kind that names a text in the catalogues (`notice.<kind>`), the arguments for that text's
//! placeholders, the record it is about and the people to tell. That queues one job
//! ([`DELIVER`]) in the same transaction, so a change that rolls back tells nobody. The job
//! runner then delivers it — today to each person's list in Yunwei; mail and chat channels
//! add their deliveries here — with the queue's leases and retries; a delivery and the job's
//! done-mark commit together, so each person is told once, however many instances run.
//!
//! Nothing stored is in one language: a notification keeps its kind and arguments, and the
//! words are chosen when it is shown, in the reader's language.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yunwei_kernel::permission::Actor;

use crate::jobs::{self, BoxedRun};
use crate::{Result, StoreError, Time, Tx, now_micros};

/// The job kind that delivers a [`Notice`].
pub const DELIVER: &str = "notify.deliver";

/// The record a notice is about, e.g. `("ticket", 42)`: the page it links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: String,
    pub id: i64,
}

/// Something to tell people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// What happened, as a catalogue key under `notice.` (`sla.breach` → `notice.sla.breach`).
    pub kind: String,
    /// The tenant whose record it is about, if any.
    pub tenant_id: Option<i64>,
    pub subject: Option<Subject>,
    /// Values for the text's `{placeholders}`. An argument named `…_key` is itself a catalogue
    /// key, translated when shown and filled in for the placeholder without `_key`.
    pub args: BTreeMap<String, String>,
    /// The people to tell; inactive accounts are skipped at delivery.
    pub recipients: Vec<i64>,
}

/// Queues `notice` for delivery in the caller's transaction. Telling nobody is a no-op.
pub async fn send(tx: &mut Tx, notice: &Notice) -> Result<()> {
    if notice.recipients.is_empty() {
        return Ok(());
    }
    let payload = serde_json::to_value(notice).map_err(|e| StoreError::Corrupt(format!("notice: {e}")))?;
    jobs::enqueue(tx, DELIVER, &payload, None).await?;
    Ok(())
}

/// The [`DELIVER`] job: one entry in each active recipient's list.
pub fn deliver(tx: &mut Tx, payload: Value) -> BoxedRun<'_> {
    Box::pin(async move {
        let notice: Notice = serde_json::from_value(payload)
            .map_err(|e| StoreError::Corrupt(format!("a queued notice is unreadable: {e}")))?;
        let args = serde_json::to_string(&notice.args).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let (subject_kind, subject_id) = match &notice.subject {
            Some(s) => (Some(s.kind.as_str()), Some(s.id)),
            None => (None, None),
        };
        let mut recipients = notice.recipients.clone();
        recipients.sort_unstable();
        recipients.dedup();
        let now = now_micros();
        for user in recipients {
            execute!(
                tx,
                "INSERT INTO notifications (user_id, tenant_id, kind, body, args, subject_kind, subject_id, created_at)
                 SELECT id, $2, $3, '', $4, $5, $6, $7 FROM users WHERE id = $1 AND active = TRUE",
                user,
                notice.tenant_id,
                &notice.kind,
                &args,
                subject_kind,
                subject_id,
                now,
            )?;
        }
        Ok(())
    })
}

/// One notification in a person's list.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    pub subject: Option<Subject>,
    pub args: BTreeMap<String, String>,
    /// Text written by a version that stored words (before notices had arguments); empty since.
    pub legacy_body: String,
    pub created_at: Time,
    pub read_at: Option<Time>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    subject_kind: Option<String>,
    subject_id: Option<i64>,
    args: String,
    body: String,
    created_at: Time,
    read_at: Option<Time>,
}

impl Row {
    fn typed(self) -> Result<Notification> {
        let args = serde_json::from_str(&self.args)
            .map_err(|e| StoreError::Corrupt(format!("notification {} has unreadable arguments: {e}", self.id)))?;
        let subject = match (self.subject_kind, self.subject_id) {
            (Some(kind), Some(id)) => Some(Subject { kind, id }),
            (None, None) => None,
            _ => return Err(StoreError::Corrupt(format!("notification {} has half a subject", self.id))),
        };
        Ok(Notification {
            id: self.id,
            kind: self.kind,
            subject,
            args,
            legacy_body: self.body,
            created_at: self.created_at,
            read_at: self.read_at,
        })
    }
}

/// The actor's own notifications, newest first, at most 200.
pub async fn for_actor(tx: &mut Tx, actor: &Actor, unread_only: bool) -> Result<Vec<Notification>> {
    let rows = fetch_all!(
        tx,
        Row,
        "SELECT id, kind, subject_kind, subject_id, args, body, created_at, read_at FROM notifications
         WHERE user_id = $1 AND ($2 = FALSE OR read_at IS NULL) ORDER BY id DESC LIMIT 200",
        actor.user_id,
        unread_only,
    )?;
    rows.into_iter().map(Row::typed).collect()
}

/// Marks one of the actor's notifications read; someone else's is not found.
pub async fn mark_read(tx: &mut Tx, actor: &Actor, id: i64) -> Result<()> {
    let n = execute!(
        tx,
        "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3",
        now_micros(),
        id,
        actor.user_id
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("notification"));
    }
    Ok(())
}
