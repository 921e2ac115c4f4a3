//! Locations of a client organisation (building / floor / room), each with the group
//! responsible for it (区域划片). A ticket logged at a location goes to that group.

use serde::Serialize;
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor};
use yunwei_kernel::validate;

use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::db::{Arg, Sql};
use yunwei_db::now_micros;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Location {
    pub id: i64,
    pub tenant_id: i64,
    pub building: String,
    pub floor: String,
    pub room: String,
    pub responsible_group_id: Option<i64>,
    pub active: bool,
    pub version: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

impl Location {
    /// How people see it, on every page and in every sheet: building, floor and room joined by
    /// ` / ` (the blank ones left out), as an import names it.
    pub fn label(&self) -> String {
        [&self.building, &self.floor, &self.room]
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

#[derive(Debug, Clone, Default)]
pub struct LocationInput {
    pub tenant_id: Option<i64>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    pub responsible_group_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

async fn check_group(tx: &mut Tx, group: Option<i64>) -> Result<()> {
    if let Some(g) = group
        && scalar!(tx, i64, "SELECT COUNT(*) FROM support_groups WHERE id = $1", g)? == 0
    {
        return Err(StoreError::invalid("responsible_group_id", "no_such_group").with("id", g));
    }
    Ok(())
}

pub async fn create(tx: &mut Tx, actor: &Actor, input: LocationInput) -> Result<Location> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let tenant_id = input.tenant_id.ok_or_else(|| StoreError::invalid("tenant_id", "required"))?;
    if scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? == 0 {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    let building = validate::line("building", input.building.as_deref().unwrap_or(""), 100)?;
    let floor = validate::optional("floor", input.floor.as_deref().unwrap_or(""), 50)?;
    let room = validate::optional("room", input.room.as_deref().unwrap_or(""), 50)?;
    let group = input.responsible_group_id.flatten();
    check_group(tx, group).await?;
    let loc = fetch_one!(
        tx,
        Location,
        "INSERT INTO locations (tenant_id, building, floor, room, responsible_group_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
        tenant_id,
        &building,
        &floor,
        &room,
        group,
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("room", "location_taken"))?;
    let change = audit::Change {
        action: "location.create",
        entity: "location",
        entity_id: loc.id,
        tenant_id: Some(tenant_id),
        before: None,
        after: serde_json::to_value(&loc).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(loc)
}

/// A location in the actor's tenant scope.
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Location> {
    match fetch_opt!(tx, Location, "SELECT * FROM locations WHERE id = $1", id)? {
        Some(l) if actor.tenant_scope().contains(l.tenant_id) => Ok(l),
        _ => Err(StoreError::NotFound("location")),
    }
}

/// Locations in the actor's scope, optionally of one tenant.
pub async fn list(tx: &mut Tx, actor: &Actor, tenant_id: Option<i64>) -> Result<Vec<Location>> {
    let mut sql = Sql::new("SELECT * FROM locations WHERE 1 = 1");
    sql.scoped("tenant_id", &actor.tenant_scope());
    if let Some(t) = tenant_id {
        sql.push(" AND tenant_id = ").arg(Arg::Int(t));
    }
    sql.push(" ORDER BY tenant_id, building, floor, room LIMIT 2000");
    Ok(fetch_sql!(tx, Location, sql, fetch_all)?)
}

pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: LocationInput) -> Result<Location> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get(tx, actor, id).await?;
    if before.version != version {
        return Err(StoreError::stale("location"));
    }
    if input.tenant_id.is_some_and(|t| t != before.tenant_id) {
        return Err(StoreError::invalid("tenant_id", "location_tenant_fixed"));
    }
    let building = match &input.building {
        Some(b) => validate::line("building", b, 100)?,
        None => before.building.clone(),
    };
    let floor = match &input.floor {
        Some(f) => validate::optional("floor", f, 50)?,
        None => before.floor.clone(),
    };
    let room = match &input.room {
        Some(r) => validate::optional("room", r, 50)?,
        None => before.room.clone(),
    };
    let group = input.responsible_group_id.unwrap_or(before.responsible_group_id);
    check_group(tx, group).await?;
    let active = input.active.unwrap_or(before.active);
    let after = fetch_opt!(
        tx,
        Location,
        "UPDATE locations SET building = $1, floor = $2, room = $3, responsible_group_id = $4, active = $5,
         version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8 RETURNING *",
        &building,
        &floor,
        &room,
        group,
        active,
        now_micros(),
        id,
        version,
    )
    .map_err(|e| StoreError::from(e).unique("room", "location_taken"))?
    .ok_or_else(|| StoreError::stale("location"))?;
    let change = audit::Change {
        action: "location.update",
        entity: "location",
        entity_id: id,
        tenant_id: Some(after.tenant_id),
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::Location;

    fn at(building: &str, floor: &str, room: &str) -> Location {
        Location {
            id: 1,
            tenant_id: 1,
            building: building.into(),
            floor: floor.into(),
            room: room.into(),
            responsible_group_id: None,
            active: true,
            version: 1,
            created_at: yunwei_db::Time::now(),
            updated_at: yunwei_db::Time::now(),
        }
    }

    #[test]
    fn a_label_names_the_parts_given_as_an_import_does() {
        assert_eq!(at("数据中心 DC", "5", "02").label(), "数据中心 DC / 5 / 02");
        assert_eq!(at(" A座 ", "", "101").label(), "A座 / 101");
        assert_eq!(at("", "", "").label(), "");
    }
}
