//! Who can take a ticket: the active support groups and, in each, the active members who
//! serve the ticket's organisation — the choices a dispatch, transfer or escalation offers.

use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor};

use yunwei_db::Result;
use yunwei_db::Tx;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignableGroup {
    pub id: i64,
    pub name: String,
    pub tier: i64,
    /// Members who may be assigned a ticket of the organisation asked about: (id, name).
    pub members: Vec<(i64, String)>,
}

#[derive(FromRow)]
struct Row {
    group_id: i64,
    group_name: String,
    tier: i64,
    user_id: Option<i64>,
    user_name: Option<String>,
}

/// Active groups by tier and name, each with the members who serve `tenant_id`.
pub async fn assignable(tx: &mut Tx, actor: &Actor, tenant_id: i64) -> Result<Vec<AssignableGroup>> {
    actor.require(permission::READ_DIRECTORY)?;
    let rows = fetch_all!(
        tx,
        Row,
        "SELECT g.id AS group_id, g.name AS group_name, g.tier, u.id AS user_id, u.name AS user_name
         FROM support_groups g
         LEFT JOIN group_members m ON m.group_id = g.id
         LEFT JOIN users u ON u.id = m.user_id AND u.active = TRUE AND u.role NOT IN ('end_user', 'client_it')
              AND (u.role = 'admin' OR EXISTS (SELECT 1 FROM user_tenants ut WHERE ut.user_id = u.id AND ut.tenant_id = $1))
         WHERE g.active = TRUE
         ORDER BY g.tier, g.name, g.id, u.name, u.id",
        tenant_id
    )?;
    let mut out: Vec<AssignableGroup> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|g| g.id != r.group_id) {
            out.push(AssignableGroup { id: r.group_id, name: r.group_name, tier: r.tier, members: Vec::new() });
        }
        if let (Some(id), Some(name), Some(g)) = (r.user_id, r.user_name, out.last_mut()) {
            g.members.push((id, name));
        }
    }
    Ok(out)
}
