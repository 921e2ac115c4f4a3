//! The agent console's queues — my tickets, my groups' tickets, unassigned, all open, recently
//! updated — as ticket filters, and how many tickets each holds for an actor.

use yunwei_kernel::permission::Actor;

use crate::store::tickets::{self, TicketFilter};
use yunwei_db::Result;
use yunwei_db::Tx;
use yunwei_db::db::{Arg, Sql};
use yunwei_db::now_micros;

/// "Recently updated" looks back this far.
pub const RECENT_MICROS: i64 = 7 * 24 * 60 * 60 * 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Open tickets assigned to me.
    Mine,
    /// Open tickets held by the groups I belong to.
    Groups,
    /// Open tickets nobody has taken yet.
    Unassigned,
    /// Every open ticket in my scope.
    Open,
    /// Tickets changed in the last week, any status.
    Recent,
}

impl Queue {
    pub const ALL: [Queue; 5] = [Queue::Mine, Queue::Groups, Queue::Unassigned, Queue::Open, Queue::Recent];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Mine => "mine",
            Queue::Groups => "groups",
            Queue::Unassigned => "unassigned",
            Queue::Open => "open",
            Queue::Recent => "recent",
        }
    }

    pub fn parse(text: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == text)
    }

    /// The filter that selects this queue's tickets; callers add their own filters on top.
    pub fn filter(self, actor: &Actor, my_groups: &[i64], now: i64) -> TicketFilter {
        let mut f = TicketFilter { open_only: self != Queue::Recent, limit: 50, ..Default::default() };
        match self {
            Queue::Mine => f.assignee_id = Some(actor.user_id),
            Queue::Groups => f.group_in = Some(my_groups.to_vec()),
            Queue::Unassigned => f.unassigned = true,
            Queue::Open => {}
            Queue::Recent => f.updated_from = Some(now - RECENT_MICROS),
        }
        f
    }
}

/// The active groups the actor belongs to.
pub async fn my_groups(tx: &mut Tx, actor: &Actor) -> Result<Vec<i64>> {
    let rows = fetch_all!(
        tx,
        (i64,),
        "SELECT g.id FROM support_groups g JOIN group_members m ON m.group_id = g.id
         WHERE m.user_id = $1 AND g.active = TRUE ORDER BY g.tier, g.id",
        actor.user_id
    )?;
    Ok(rows.into_iter().map(|(g,)| g).collect())
}

/// How many tickets each queue holds for the actor, in [`Queue::ALL`] order.
pub async fn counts(tx: &mut Tx, actor: &Actor) -> Result<Vec<(Queue, i64)>> {
    let groups = my_groups(tx, actor).await?;
    let now = now_micros();
    let mut out = Vec::with_capacity(Queue::ALL.len());
    for q in Queue::ALL {
        let f = q.filter(actor, &groups, now);
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM tickets t WHERE 1 = 1");
        tickets::scope(&mut sql, actor);
        if f.open_only {
            tickets::push_open(&mut sql);
        }
        if let Some(a) = f.assignee_id {
            sql.push(" AND t.assignee_id = ").arg(Arg::Int(a));
        }
        if f.unassigned {
            sql.push(" AND t.assignee_id IS NULL");
        }
        if let Some(g) = &f.group_in {
            sql.push(" AND ");
            sql.in_list("t.group_id", g);
        }
        if let Some(from) = f.updated_from {
            sql.push(" AND t.updated_at >= ").arg(Arg::Int(from));
        }
        let (n,) = fetch_sql!(tx, (i64,), sql, fetch_one)?;
        out.push((q, n));
    }
    Ok(out)
}
