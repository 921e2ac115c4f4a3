//! Support groups with their tier (L1/L2/L3) and members.

use serde::Serialize;
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor, Role};
use yunwei_kernel::validate;

use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::now_micros;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    /// 1 = L1 service desk, 2 = L2, 3 = L3.
    pub tier: i64,
    pub description: String,
    pub email: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupView {
    #[serde(flatten)]
    pub group: Group,
    pub members: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupInput {
    pub name: Option<String>,
    pub tier: Option<i64>,
    pub description: Option<String>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub members: Option<Vec<i64>>,
}

fn check_tier(tier: i64) -> Result<i64> {
    if (1..=3).contains(&tier) { Ok(tier) } else { Err(StoreError::invalid("tier", "not_a_tier")) }
}

async fn view(tx: &mut Tx, group: Group) -> Result<GroupView> {
    let members =
        fetch_all!(tx, (i64,), "SELECT user_id FROM group_members WHERE group_id = $1 ORDER BY user_id", group.id)?;
    Ok(GroupView { group, members: members.into_iter().map(|(m,)| m).collect() })
}

async fn set_members(tx: &mut Tx, group_id: i64, members: &[i64]) -> Result<()> {
    for m in members {
        let role = fetch_opt!(tx, (String,), "SELECT role FROM users WHERE id = $1", *m)?;
        match role {
            None => return Err(StoreError::invalid("members", "no_such_user").with("id", m)),
            Some((r,)) if !Role::parse("role", &r).is_ok_and(|r| r.is_staff()) => {
                return Err(StoreError::invalid("members", "end_user_not_staff").with("id", m));
            }
            _ => {}
        }
    }
    execute!(tx, "DELETE FROM group_members WHERE group_id = $1", group_id)?;
    for m in members {
        execute!(tx, "INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)", group_id, *m)?;
    }
    Ok(())
}

pub async fn create(tx: &mut Tx, actor: &Actor, input: GroupInput) -> Result<GroupView> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let name = validate::line("name", input.name.as_deref().unwrap_or(""), 100)?;
    let tier = check_tier(input.tier.ok_or_else(|| StoreError::invalid("tier", "required"))?)?;
    let description = validate::optional("description", input.description.as_deref().unwrap_or(""), 2000)?;
    let email = match input.email.flatten() {
        Some(e) if !e.trim().is_empty() => Some(validate::email("email", &e)?),
        _ => None,
    };
    let group = fetch_one!(
        tx,
        Group,
        "INSERT INTO support_groups (name, tier, description, email, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
        &name,
        tier,
        &description,
        email,
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("name", "group_name_taken"))?;
    set_members(tx, group.id, input.members.as_deref().unwrap_or(&[])).await?;
    let v = view(tx, group).await?;
    let change = audit::Change {
        action: "group.create",
        entity: "group",
        entity_id: v.group.id,
        tenant_id: None,
        before: None,
        after: serde_json::to_value(&v).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(v)
}

pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<GroupView> {
    actor.require(permission::READ_DIRECTORY)?;
    let group = fetch_opt!(tx, Group, "SELECT * FROM support_groups WHERE id = $1", id)?
        .ok_or(StoreError::NotFound("group"))?;
    view(tx, group).await
}

/// Every group, L1 first.
pub async fn list(tx: &mut Tx, actor: &Actor) -> Result<Vec<GroupView>> {
    actor.require(permission::READ_DIRECTORY)?;
    let groups = fetch_all!(tx, Group, "SELECT * FROM support_groups ORDER BY tier, name")?;
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        out.push(view(tx, g).await?);
    }
    Ok(out)
}

pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: GroupInput) -> Result<GroupView> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get(tx, actor, id).await?;
    if before.group.version != version {
        return Err(StoreError::stale("group"));
    }
    let g = &before.group;
    let name = input.name.as_deref().map(|n| validate::line("name", n, 100)).transpose()?.unwrap_or(g.name.clone());
    let tier = input.tier.map(check_tier).transpose()?.unwrap_or(g.tier);
    let description = input
        .description
        .as_deref()
        .map(|d| validate::optional("description", d, 2000))
        .transpose()?
        .unwrap_or(g.description.clone());
    let email = match &input.email {
        Some(Some(e)) if !e.trim().is_empty() => Some(validate::email("email", e)?),
        Some(_) => None,
        None => g.email.clone(),
    };
    let active = input.active.unwrap_or(g.active);
    let group = fetch_opt!(
        tx,
        Group,
        "UPDATE support_groups SET name = $1, tier = $2, description = $3, email = $4, active = $5,
         version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8 RETURNING *",
        &name,
        tier,
        &description,
        email,
        active,
        now_micros(),
        id,
        version,
    )
    .map_err(|e| StoreError::from(e).unique("name", "group_name_taken"))?
    .ok_or_else(|| StoreError::stale("group"))?;
    if let Some(members) = &input.members {
        set_members(tx, id, members).await?;
    }
    let after = view(tx, group).await?;
    let change = audit::Change {
        action: "group.update",
        entity: "group",
        entity_id: id,
        tenant_id: None,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(after)
}
