//! Configuration items: create, read, list and search in the caller's scope, change with an
//! optimistic version, and the history of every change.

use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::FromRow;
use std::collections::{HashMap, HashSet};
use yunwei_db::db::{Arg, JsonText, Sql};
use yunwei_db::{Backend, Result, StoreError, Time, Tx, audit, now_micros};
use yunwei_kernel::permission::Actor;
use yunwei_kernel::{DomainError, validate};

use super::classes::{self, Class};
use super::{CIS, tenant_scope, visible};
use crate::rules::CiStatus;
use crate::rules::attributes::{self, AttrKind, AttrSpec};
use crate::rules::permissions::MANAGE_CIS;

/// The columns of a CI with its class's code, from `cis c JOIN ci_classes k`.
pub const CI_COLUMNS: &str = "c.id, c.tenant_id, c.class_id, k.code AS class_code, c.name, c.status, c.location_id,
    c.owner_group_id, c.user_id, c.attributes, c.version, c.created_at, c.updated_at";

/// A CI as stored, with its class's code.
#[derive(Debug, Clone, FromRow, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(as = CiRecord)]
pub struct Ci {
    pub id: i64,
    pub tenant_id: i64,
    pub class_id: i64,
    pub class_code: String,
    pub name: String,
    /// `planned`, `in_service`, `maintenance` or `retired`.
    #[schema(value_type = String)]
    pub status: CiStatus,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    /// The person the CI is assigned to (their device).
    pub user_id: Option<i64>,
    /// Values by attribute code, in the class's types.
    #[schema(value_type = Object)]
    pub attributes: JsonText<Map<String, Value>>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Time,
}

/// What a new CI or a change gives; `None` keeps the current value, `Some(None)` clears.
/// `attributes` lists only the values to set (`null` clears one).
#[derive(Debug, Clone, Default)]
pub struct CiInput {
    pub tenant_id: Option<i64>,
    pub class: Option<String>,
    pub name: Option<String>,
    pub status: Option<CiStatus>,
    pub location_id: Option<Option<i64>>,
    pub owner_group_id: Option<Option<i64>>,
    pub user_id: Option<Option<i64>>,
    pub attributes: Map<String, Value>,
}

/// One entry of a CI's history.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = CiHistoryEntry)]
pub struct HistoryEntry {
    pub id: i64,
    pub ci_id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: Time,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    /// `created`, `updated`, `relation_added`, `relation_removed`.
    pub kind: String,
    /// For `updated`, `{"changes": [{"field", "before", "after"}]}`; for relationships the
    /// kind, direction and the other CI.
    #[schema(value_type = Object)]
    pub data: JsonText<Value>,
}

/// The CI `id` if `actor` may see it.
pub async fn get(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Ci> {
    let mut sql =
        Sql::new(&format!("SELECT {CI_COLUMNS} FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE c.id = "));
    sql.arg(Arg::Int(id));
    visible(&mut sql, "c", actor);
    fetch_sql!(tx, Ci, sql, fetch_optional)?.ok_or(StoreError::NotFound("ci"))
}

/// The CIs among `ids` that `actor` may see (any order).
pub async fn visible_among(tx: &mut Tx, actor: &Actor, ids: &[i64]) -> Result<Vec<Ci>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(&format!("SELECT {CI_COLUMNS} FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE "));
    sql.in_ids(tx.backend(), "c.id", ids);
    visible(&mut sql, "c", actor);
    Ok(fetch_sql!(tx, Ci, sql, fetch_all)?)
}

/// Filters of a CI list.
#[derive(Debug, Clone, Default)]
pub struct CiFilter {
    pub tenant_id: Option<i64>,
    pub class: Option<String>,
    pub status: Option<CiStatus>,
    pub location_id: Option<i64>,
    pub owner_group_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Words (Chinese or English) in the name or text attributes, or a unique attribute's
    /// exact value (a serial number, an IP address, a hostname).
    pub q: Option<String>,
    /// The last CI of the previous page (pages go by name, then id).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

pub const MAX_PAGE: i64 = 500;

/// CIs `actor` may see, by name, a page at a time.
pub async fn list(tx: &mut Tx, actor: &Actor, f: &CiFilter) -> Result<Vec<Ci>> {
    let mut sql =
        Sql::new(&format!("SELECT {CI_COLUMNS} FROM cis c JOIN ci_classes k ON k.id = c.class_id WHERE 1 = 1"));
    visible(&mut sql, "c", actor);
    if let Some(t) = f.tenant_id {
        sql.push(" AND c.tenant_id = ").arg(Arg::Int(t));
    }
    if let Some(class) = &f.class {
        sql.push(" AND k.code = ").arg(Arg::Text(class.clone()));
    }
    if let Some(s) = f.status {
        sql.push(" AND c.status = ").arg(Arg::Text(s.as_str().into()));
    }
    if let Some(l) = f.location_id {
        sql.push(" AND c.location_id = ").arg(Arg::Int(l));
    }
    if let Some(g) = f.owner_group_id {
        sql.push(" AND c.owner_group_id = ").arg(Arg::Int(g));
    }
    if let Some(u) = f.user_id {
        sql.push(" AND c.user_id = ").arg(Arg::Int(u));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let terms = yunwei_kernel::search::query(q);
        sql.push(" AND (c.id IN (SELECT ci_id FROM ci_keys WHERE value = ").arg(Arg::Text(q.to_string())).push(")");
        if !terms.is_empty() {
            sql.push(" OR ");
            CIS.push_match(&mut sql, tx.backend(), "c.id", &terms, None, None);
        }
        sql.push(")");
    }
    if let Some(after) = f.after {
        sql.push(" AND (c.name, c.id) > (SELECT name, id FROM cis WHERE id = ").arg(Arg::Int(after)).push(")");
    }
    let limit = f.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    sql.push(" ORDER BY c.name, c.id LIMIT ").arg(Arg::Int(limit));
    Ok(fetch_sql!(tx, Ci, sql, fetch_all)?)
}

async fn check_tenant(tx: &mut Tx, actor: &Actor, tenant_id: i64) -> Result<()> {
    let exists = scalar!(tx, i64, "SELECT COUNT(*) FROM tenants WHERE id = $1", tenant_id)? > 0;
    if !exists || !tenant_scope(actor).contains(tenant_id) {
        return Err(StoreError::invalid("tenant_id", "no_such_tenant").with("id", tenant_id));
    }
    Ok(())
}

/// The provider's tenant, whose CIs are shared with the clients.
pub async fn provider_tenant(tx: &mut Tx) -> Result<Option<i64>> {
    Ok(fetch_opt!(tx, (i64,), "SELECT id FROM tenants WHERE kind = 'provider' ORDER BY id LIMIT 1")?.map(|(id,)| id))
}

/// Checks the location, owner group and user of a CI of `tenant_id`.
async fn check_links(
    tx: &mut Tx,
    tenant_id: i64,
    location: Option<i64>,
    group: Option<i64>,
    user: Option<i64>,
) -> Result<()> {
    if let Some(l) = location
        && scalar!(tx, i64, "SELECT COUNT(*) FROM locations WHERE id = $1 AND tenant_id = $2", l, tenant_id)? == 0
    {
        return Err(StoreError::invalid("location_id", "no_such_location").with("id", l));
    }
    if let Some(g) = group
        && scalar!(tx, i64, "SELECT COUNT(*) FROM support_groups WHERE id = $1", g)? == 0
    {
        return Err(StoreError::invalid("owner_group_id", "no_such_group").with("id", g));
    }
    if let Some(u) = user
        && scalar!(tx, i64, "SELECT COUNT(*) FROM users WHERE id = $1 AND tenant_id = $2", u, tenant_id)? == 0
    {
        return Err(StoreError::invalid("user_id", "no_such_user").with("id", u));
    }
    Ok(())
}

/// Checks reference attributes: each names a CI of the right class that the actor may see,
/// in the same tenant or the provider's.
async fn check_references(
    tx: &mut Tx,
    actor: &Actor,
    class: &Class,
    tenant_id: i64,
    values: &Map<String, Value>,
) -> Result<()> {
    let shared = provider_tenant(tx).await?;
    for spec in class.attributes.iter().filter(|a| a.kind == AttrKind::Reference) {
        let Some(id) = values.get(&spec.code).and_then(Value::as_i64) else { continue };
        let field = format!("attributes.{}", spec.code);
        let target = match get(tx, actor, id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Err(StoreError::invalid(field, "no_such_ci").with("id", id)),
            Err(e) => return Err(e),
        };
        if spec.class.as_deref().is_some_and(|c| c != target.class_code) {
            return Err(StoreError::invalid(field, "wrong_class").with("expected", spec.class.as_deref().unwrap_or("")));
        }
        if target.tenant_id != tenant_id && Some(target.tenant_id) != shared {
            return Err(StoreError::invalid(field, "relation_across_tenants"));
        }
    }
    Ok(())
}

/// Refuses values of unique attributes that another CI of the class in the tenant has.
async fn check_unique(
    tx: &mut Tx,
    class: &Class,
    tenant_id: i64,
    ci: Option<i64>,
    values: &Map<String, Value>,
) -> Result<()> {
    for (code, value) in attributes::unique_keys(&class.attributes, values) {
        let other = fetch_opt!(
            tx,
            (i64,),
            "SELECT ci_id FROM ci_keys WHERE tenant_id = $1 AND class_id = $2 AND attribute = $3 AND value = $4",
            tenant_id,
            class.id,
            &code,
            &value
        )?;
        if let Some((other,)) = other
            && Some(other) != ci
        {
            return Err(StoreError::invalid(format!("attributes.{code}"), "attribute_taken").with("value", value));
        }
    }
    Ok(())
}

async fn write_keys(tx: &mut Tx, class: &Class, tenant_id: i64, ci: i64, values: &Map<String, Value>) -> Result<()> {
    execute!(tx, "DELETE FROM ci_keys WHERE ci_id = $1", ci)?;
    for (code, value) in attributes::unique_keys(&class.attributes, values) {
        execute!(
            tx,
            "INSERT INTO ci_keys (tenant_id, class_id, attribute, value, ci_id) VALUES ($1, $2, $3, $4, $5)",
            tenant_id,
            class.id,
            &code,
            &value,
            ci
        )
        .map_err(|e| StoreError::from(e).unique("attributes", "attribute_taken"))?;
    }
    Ok(())
}

/// Indexes attribute `spec` of every CI of `class` as newly unique: a repeated value within a
/// tenant fails (with a domain error the caller words).
pub(crate) async fn rebuild_keys(tx: &mut Tx, class: &Class, spec: &AttrSpec) -> Result<()> {
    execute!(tx, "DELETE FROM ci_keys WHERE class_id = $1 AND attribute = $2", class.id, &spec.code)?;
    let rows =
        fetch_all!(tx, (i64, i64, String), "SELECT id, tenant_id, attributes FROM cis WHERE class_id = $1", class.id)?;
    let mut seen = std::collections::HashSet::new();
    for (id, tenant, attrs) in rows {
        let values: Map<String, Value> =
            serde_json::from_str(&attrs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let Some(v) = values.get(&spec.code).map(attributes::display).filter(|v| !v.is_empty()) else { continue };
        if !seen.insert((tenant, v.clone())) {
            return Err(StoreError::invalid("attributes", "values_repeated"));
        }
        execute!(
            tx,
            "INSERT INTO ci_keys (tenant_id, class_id, attribute, value, ci_id) VALUES ($1, $2, $3, $4, $5)",
            tenant,
            class.id,
            &spec.code,
            &v,
            id
        )?;
    }
    Ok(())
}

async fn index(tx: &mut Tx, class: &Class, ci: &Ci) -> Result<()> {
    let texts = attributes::texts(&class.attributes, &ci.attributes);
    let mut all: Vec<&str> = vec![&ci.name];
    all.extend(texts.iter().map(String::as_str));
    CIS.write(tx, ci.id, &all).await
}

pub(crate) async fn history(tx: &mut Tx, ci: i64, actor: Option<i64>, kind: &str, data: Value) -> Result<()> {
    execute!(
        tx,
        "INSERT INTO ci_history (ci_id, at, actor_id, kind, data) VALUES ($1, $2, $3, $4, $5)",
        ci,
        now_micros(),
        actor,
        kind,
        data.to_string()
    )?;
    Ok(())
}

/// Creates a CI of a tenant in the actor's scope.
pub async fn create(tx: &mut Tx, actor: &Actor, input: CiInput) -> Result<Ci> {
    actor.require(MANAGE_CIS)?;
    let tenant_id = input.tenant_id.ok_or_else(|| StoreError::invalid("tenant_id", "required"))?;
    match create_many(tx, actor, tenant_id, vec![input]).await?.pop() {
        Some(Ok(ci)) => Ok(ci),
        Some(Err(e)) => Err(StoreError::Domain(e)),
        None => Err(StoreError::NotFound("new ci")),
    }
}

/// The most CIs [`create_many`] writes in one statement (SQLite takes at most 32,766
/// arguments in a statement; a CI takes 9).
const CREATE_CHUNK: usize = 1000;

/// Creates CIs of tenant `tenant_id` (in the actor's scope), each checked exactly as [`create`]
/// checks one, and all written together: one statement per table for up to [`CREATE_CHUNK`] of
/// them, which is what makes an import of 100,000 rows take seconds rather than minutes. Gives
/// each input's outcome in order: the CI, or why it was refused (nothing is written for a
/// refused input; the others are). An input's own `tenant_id`, when given, must be
/// `tenant_id`. Two inputs with the same unique value: the second is refused.
pub async fn create_many(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    inputs: Vec<CiInput>,
) -> Result<Vec<std::result::Result<Ci, DomainError>>> {
    actor.require(MANAGE_CIS)?;
    check_tenant(tx, actor, tenant_id).await?;
    let all_classes = classes::list(tx).await?;
    let shared = provider_tenant(tx).await?;
    // Each input's refusal, once refused; the others are still `checked`.
    let mut out: Vec<Option<DomainError>> = Vec::with_capacity(inputs.len());
    let mut checked: Vec<Option<NewCi>> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (c, e) = match check_new(&all_classes, tenant_id, input) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e)),
        };
        checked.push(c);
        out.push(e);
    }
    let refuse = |out: &mut Vec<Option<DomainError>>, checked: &mut Vec<Option<NewCi>>, i: usize, e: DomainError| {
        checked[i] = None;
        out[i] = Some(e);
    };
    // Locations, groups and users, each looked up once for all.
    let ids = |f: fn(&NewCi) -> Option<i64>, checked: &[Option<NewCi>]| -> Vec<i64> {
        let set: std::collections::BTreeSet<i64> = checked.iter().flatten().filter_map(f).collect();
        set.into_iter().collect()
    };
    let present = async |tx: &mut Tx, table: &str, of_tenant: bool, ids: Vec<i64>| -> Result<HashSet<i64>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE "));
        sql.in_ids(tx.backend(), "id", &ids);
        if of_tenant {
            sql.push(" AND tenant_id = ").arg(Arg::Int(tenant_id));
        }
        let rows: Vec<(i64,)> = fetch_sql!(tx, (i64,), sql, fetch_all)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    };
    let locations = present(tx, "locations", true, ids(|c| c.location, &checked)).await?;
    let groups = present(tx, "support_groups", false, ids(|c| c.group, &checked)).await?;
    let users = present(tx, "users", true, ids(|c| c.user, &checked)).await?;
    let reference_ids: Vec<i64> = {
        let set: std::collections::BTreeSet<i64> =
            checked.iter().flatten().flat_map(|c| c.references(&all_classes)).map(|(_, id)| id).collect();
        set.into_iter().collect()
    };
    let mut referenced = HashMap::new();
    for part in reference_ids.chunks(CREATE_CHUNK) {
        referenced.extend(visible_among(tx, actor, part).await?.into_iter().map(|c| (c.id, c)));
    }
    for i in 0..checked.len() {
        let Some(c) = &checked[i] else { continue };
        let problem = if let Some(l) = c.location.filter(|l| !locations.contains(l)) {
            Some(DomainError::invalid("location_id", "no_such_location").with("id", l))
        } else if let Some(g) = c.group.filter(|g| !groups.contains(g)) {
            Some(DomainError::invalid("owner_group_id", "no_such_group").with("id", g))
        } else if let Some(u) = c.user.filter(|u| !users.contains(u)) {
            Some(DomainError::invalid("user_id", "no_such_user").with("id", u))
        } else {
            c.references(&all_classes).into_iter().find_map(|(spec, id)| {
                let field = format!("attributes.{}", spec.code);
                match referenced.get(&id) {
                    None => Some(DomainError::invalid(field, "no_such_ci").with("id", id)),
                    Some(t) if spec.class.as_deref().is_some_and(|k| k != t.class_code) => Some(
                        DomainError::invalid(field, "wrong_class")
                            .with("expected", spec.class.as_deref().unwrap_or("")),
                    ),
                    Some(t) if t.tenant_id != tenant_id && Some(t.tenant_id) != shared => {
                        Some(DomainError::invalid(field, "relation_across_tenants"))
                    }
                    Some(_) => None,
                }
            })
        };
        if let Some(e) = problem {
            refuse(&mut out, &mut checked, i, e);
        }
    }
    // Unique values: taken by a CI already, or by an earlier input.
    let wanted: Vec<(i64, String, String)> =
        checked.iter().flatten().flat_map(|c| c.keys.iter().map(|(a, v)| (c.class_id, a.clone(), v.clone()))).collect();
    let mut taken: HashSet<(i64, String, String)> = ids_by_keys(tx, tenant_id, &wanted).await?.into_keys().collect();
    for i in 0..checked.len() {
        let Some(c) = &checked[i] else { continue };
        let clash = c.keys.iter().find(|(a, v)| taken.contains(&(c.class_id, a.clone(), v.clone())));
        if let Some((a, v)) = clash {
            let e = DomainError::invalid(format!("attributes.{a}"), "attribute_taken").with("value", v);
            refuse(&mut out, &mut checked, i, e);
        } else {
            taken.extend(c.keys.iter().map(|(a, v)| (c.class_id, a.clone(), v.clone())));
        }
    }
    let todo: Vec<(usize, NewCi)> = checked.into_iter().enumerate().filter_map(|(i, c)| Some((i, c?))).collect();
    let mut stored: HashMap<usize, Ci> = HashMap::new();
    for part in todo.chunks(CREATE_CHUNK) {
        stored.extend(insert_new(tx, actor, tenant_id, &all_classes, part).await?);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, refused)| match refused {
            Some(e) => Ok(Err(e)),
            None => stored.remove(&i).map(Ok).ok_or(StoreError::NotFound("new ci")),
        })
        .collect()
}

/// A new CI checked on its own (class, name, values), before the checks against the database.
struct NewCi {
    class_id: i64,
    name: String,
    status: CiStatus,
    location: Option<i64>,
    group: Option<i64>,
    user: Option<i64>,
    values: Map<String, Value>,
    /// Its unique attributes' values, `(code, value)`.
    keys: Vec<(String, String)>,
}

impl NewCi {
    fn class<'a>(&self, classes: &'a [Class]) -> &'a Class {
        classes.iter().find(|k| k.id == self.class_id).expect("the class was found by its code")
    }

    /// The CIs its reference attributes name, with each attribute.
    fn references<'a>(&self, classes: &'a [Class]) -> Vec<(&'a AttrSpec, i64)> {
        self.class(classes)
            .attributes
            .iter()
            .filter(|a| a.kind == AttrKind::Reference)
            .filter_map(|a| self.values.get(&a.code).and_then(Value::as_i64).map(|id| (a, id)))
            .collect()
    }
}

fn check_new(classes: &[Class], tenant_id: i64, input: CiInput) -> std::result::Result<NewCi, DomainError> {
    if input.tenant_id.is_some_and(|t| t != tenant_id) {
        return Err(DomainError::invalid("tenant_id", "ci_tenant_fixed"));
    }
    let code = input.class.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let code = code.ok_or_else(|| DomainError::invalid("class", "required"))?;
    let class = classes
        .iter()
        .find(|k| k.code == code && k.active)
        .ok_or_else(|| DomainError::invalid("class", "no_such_class").with("value", code))?;
    let name = validate::line("name", input.name.as_deref().unwrap_or(""), 200)?;
    let values = attributes::check_values(&class.attributes, &Map::new(), &input.attributes)?;
    Ok(NewCi {
        class_id: class.id,
        name,
        status: input.status.unwrap_or(CiStatus::InService),
        location: input.location_id.flatten(),
        group: input.owner_group_id.flatten(),
        user: input.user_id.flatten(),
        keys: attributes::unique_keys(&class.attributes, &values),
        values,
    })
}

/// The CIs of the tenant holding unique values `(class, code, value)`, by value; a statement
/// per [`CREATE_CHUNK`] values.
pub async fn ids_by_keys(
    tx: &mut Tx,
    tenant_id: i64,
    wanted: &[(i64, String, String)],
) -> Result<HashMap<(i64, String, String), i64>> {
    let mut out = HashMap::new();
    for part in wanted.chunks(CREATE_CHUNK) {
        let mut sql = Sql::new(
            "SELECT class_id, attribute, value, ci_id FROM ci_keys WHERE (tenant_id, class_id, attribute, value) IN (VALUES ",
        );
        let rows = part
            .iter()
            .map(|(k, a, v)| vec![Arg::Int(tenant_id), Arg::Int(*k), Arg::Text(a.clone()), Arg::Text(v.clone())])
            .collect();
        sql.values(tx.backend(), rows).push(")");
        let found: Vec<(i64, String, String, i64)> = fetch_sql!(tx, (i64, String, String, i64), sql, fetch_all)?;
        out.extend(found.into_iter().map(|(k, a, v, id)| ((k, a, v), id)));
    }
    Ok(out)
}

/// The CIs of the tenant with each `(class, name)`, for classes that identify CIs by name.
pub async fn ids_by_names(
    tx: &mut Tx,
    tenant_id: i64,
    wanted: &[(i64, String)],
) -> Result<HashMap<(i64, String), Vec<i64>>> {
    let mut out: HashMap<(i64, String), Vec<i64>> = HashMap::new();
    for part in wanted.chunks(CREATE_CHUNK) {
        let mut sql = Sql::new("SELECT class_id, name, id FROM cis WHERE (tenant_id, class_id, name) IN (VALUES ");
        let rows = part.iter().map(|(k, n)| vec![Arg::Int(tenant_id), Arg::Int(*k), Arg::Text(n.clone())]).collect();
        sql.values(tx.backend(), rows).push(") ORDER BY id");
        let found: Vec<(i64, String, i64)> = fetch_sql!(tx, (i64, String, i64), sql, fetch_all)?;
        for (k, n, id) in found {
            out.entry((k, n)).or_default().push(id);
        }
    }
    Ok(out)
}

/// Writes checked new CIs, `(index, ci)`: the rows, their keys, search documents, history and
/// audit entries, a statement each. Gives each index its stored CI.
async fn insert_new(
    tx: &mut Tx,
    actor: &Actor,
    tenant_id: i64,
    classes: &[Class],
    new: &[(usize, NewCi)],
) -> Result<Vec<(usize, Ci)>> {
    let backend = tx.backend();
    let now = now_micros();
    let texts: Vec<String> = new.iter().map(|(_, c)| JsonText(c.values.clone()).text()).collect();
    let rows = new
        .iter()
        .zip(&texts)
        .map(|((_, c), attrs)| {
            vec![
                Arg::Int(tenant_id),
                Arg::Int(c.class_id),
                Arg::Text(c.name.clone()),
                Arg::Text(c.status.as_str().into()),
                Arg::OptInt(c.location),
                Arg::OptInt(c.group),
                Arg::OptInt(c.user),
                Arg::Text(attrs.clone()),
                Arg::Int(now),
                Arg::Int(now),
            ]
        })
        .collect();
    let mut sql = Sql::new(
        "INSERT INTO cis (tenant_id, class_id, name, status, location_id, owner_group_id, user_id, attributes, created_at, updated_at) VALUES ",
    );
    sql.values(backend, rows).push(" RETURNING id, class_id, name, attributes");
    let returned: Vec<(i64, i64, String, String)> = fetch_sql!(tx, (i64, i64, String, String), sql, fetch_all)?;
    // The keys, documents and history written next check their foreign key to `cis` by a
    // plan made from its statistics; made while the table was nearly empty (a first import
    // into a new installation) it scans the table for every row. See `bulk::insert_relations`.
    if backend == Backend::Postgres && new.len() >= 100 {
        let counted = scalar!(tx, f32, "SELECT reltuples FROM pg_class WHERE oid = 'cis'::regclass")?;
        if counted < 1000.0 {
            execute!(tx, "ANALYZE cis")?;
        }
    }
    // Rows come back in no set order; each is found by what it holds. Two inputs alike in
    // class, name and every value are alike in all, so either id may go to either.
    let mut ids: HashMap<(i64, &str, &str), Vec<i64>> = HashMap::new();
    for (id, class_id, name, attrs) in &returned {
        ids.entry((*class_id, name.as_str(), attrs.as_str())).or_default().push(*id);
    }
    let mut order = Vec::with_capacity(new.len());
    for ((_, c), attrs) in new.iter().zip(&texts) {
        let id = ids.get_mut(&(c.class_id, c.name.as_str(), attrs.as_str())).and_then(Vec::pop);
        order.push(id.ok_or(StoreError::NotFound("new ci"))?);
    }
    let mut parts = Vec::new();
    let keys: Vec<Vec<Arg>> = new
        .iter()
        .zip(&order)
        .flat_map(|((_, c), id)| {
            c.keys.iter().map(move |(a, v)| {
                vec![
                    Arg::Int(tenant_id),
                    Arg::Int(c.class_id),
                    Arg::Text(a.clone()),
                    Arg::Text(v.clone()),
                    Arg::Int(*id),
                ]
            })
        })
        .collect();
    if !keys.is_empty() {
        let mut sql = Sql::new("INSERT INTO ci_keys (tenant_id, class_id, attribute, value, ci_id) VALUES ");
        sql.values(backend, keys);
        parts.push(sql);
    }
    let documents: Vec<Vec<String>> = new
        .iter()
        .map(|(_, c)| {
            let mut all = vec![c.name.clone()];
            all.extend(attributes::texts(&c.class(classes).attributes, &c.values));
            all
        })
        .collect();
    parts.push(CIS.insert_new(
        backend,
        order.iter().zip(&documents).map(|(id, d)| (*id, d.iter().map(String::as_str).collect())),
    ));
    let mut history = Sql::new("INSERT INTO ci_history (ci_id, at, actor_id, kind, data) VALUES ");
    history.values(
        backend,
        new.iter()
            .zip(&order)
            .map(|((_, c), id)| {
                let data = serde_json::json!({ "name": c.name, "status": c.status });
                vec![
                    Arg::Int(*id),
                    Arg::Int(now),
                    Arg::Int(actor.user_id),
                    Arg::Text("created".into()),
                    Arg::Text(data.to_string()),
                ]
            })
            .collect(),
    );
    parts.push(history);
    yunwei_db::db::execute_all(tx, parts).await?;
    let mut stored: HashMap<i64, Ci> = visible_among(tx, actor, &order).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut done = Vec::with_capacity(new.len());
    for ((i, _), id) in new.iter().zip(&order) {
        done.push((*i, stored.remove(id).ok_or(StoreError::NotFound("ci"))?));
    }
    let changes = done
        .iter()
        .map(|(_, ci)| {
            let change = audit::Change {
                action: "ci.create",
                entity: "ci",
                entity_id: ci.id,
                tenant_id: Some(tenant_id),
                before: None,
                after: serde_json::to_value(ci).ok(),
            };
            (Some(actor.user_id), change)
        })
        .collect();
    audit::record_all(tx, changes).await?;
    Ok(done)
}

/// The fields that differ between two versions of a CI, as `{field, before, after}`.
fn differences(before: &Ci, after: &Ci) -> Vec<Value> {
    let mut out = Vec::new();
    let mut field = |name: String, b: Value, a: Value| {
        if b != a {
            out.push(serde_json::json!({ "field": name, "before": b, "after": a }));
        }
    };
    field("name".into(), Value::from(before.name.clone()), Value::from(after.name.clone()));
    field("status".into(), Value::from(before.status.as_str()), Value::from(after.status.as_str()));
    field("location_id".into(), Value::from(before.location_id), Value::from(after.location_id));
    field("owner_group_id".into(), Value::from(before.owner_group_id), Value::from(after.owner_group_id));
    field("user_id".into(), Value::from(before.user_id), Value::from(after.user_id));
    let codes: std::collections::BTreeSet<&String> = before.attributes.keys().chain(after.attributes.keys()).collect();
    for code in codes {
        let b = before.attributes.get(code).cloned().unwrap_or(Value::Null);
        let a = after.attributes.get(code).cloned().unwrap_or(Value::Null);
        field(format!("attributes.{code}"), b, a);
    }
    out
}

/// The CI `before` (of `class`) with `input`'s changes, checked on their own: what [`update`]
/// stores once the checks against the database pass. Pure.
pub fn apply(class: &Class, before: &Ci, input: &CiInput) -> std::result::Result<Ci, DomainError> {
    let mut next = before.clone();
    if let Some(n) = &input.name {
        next.name = validate::line("name", n, 200)?;
    }
    next.attributes = JsonText(attributes::check_values(&class.attributes, &before.attributes, &input.attributes)?);
    next.location_id = input.location_id.unwrap_or(before.location_id);
    next.owner_group_id = input.owner_group_id.unwrap_or(before.owner_group_id);
    next.user_id = input.user_id.unwrap_or(before.user_id);
    next.status = input.status.unwrap_or(before.status);
    Ok(next)
}

/// Whether `input` would change CI `before` (of `class`): an input that would be refused
/// counts as a change, for [`update`] to refuse it.
pub fn changes_anything(class: &Class, before: &Ci, input: &CiInput) -> bool {
    apply(class, before, input).map_or(true, |next| !differences(before, &next).is_empty())
}

/// Changes a CI; `version` is the one the caller read (stale → conflict). A change that
/// changes nothing writes nothing.
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: CiInput) -> Result<Ci> {
    let before = get(tx, actor, id).await?;
    actor.require(MANAGE_CIS)?;
    if before.version != version {
        return Err(StoreError::stale("ci"));
    }
    if input.tenant_id.is_some_and(|t| t != before.tenant_id) {
        return Err(StoreError::invalid("tenant_id", "ci_tenant_fixed"));
    }
    if input.class.as_deref().is_some_and(|c| c.trim() != before.class_code) {
        return Err(StoreError::invalid("class", "ci_class_fixed"));
    }
    let class = classes::get(tx, before.class_id).await?;
    let next = apply(&class, &before, &input)?;
    let (location, group, user, status) = (next.location_id, next.owner_group_id, next.user_id, next.status);
    check_links(tx, before.tenant_id, location, group, user).await?;
    check_references(tx, actor, &class, before.tenant_id, &next.attributes).await?;
    check_unique(tx, &class, before.tenant_id, Some(id), &next.attributes).await?;
    let changes = differences(&before, &next);
    if changes.is_empty() {
        return Ok(before);
    }
    let done = execute!(
        tx,
        "UPDATE cis SET name = $1, status = $2, location_id = $3, owner_group_id = $4, user_id = $5, attributes = $6,
         version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9",
        &next.name,
        status.as_str(),
        location,
        group,
        user,
        next.attributes.text(),
        now_micros(),
        id,
        version,
    )?;
    if done == 0 {
        return Err(StoreError::stale("ci"));
    }
    write_keys(tx, &class, before.tenant_id, id, &next.attributes).await?;
    let after = get(tx, actor, id).await?;
    index(tx, &class, &after).await?;
    record_update(tx, actor, &before, &after, changes).await?;
    Ok(after)
}

/// The history entry and the audit entry of a change from `before` to `after`.
async fn record_update(tx: &mut Tx, actor: &Actor, before: &Ci, after: &Ci, changes: Vec<Value>) -> Result<()> {
    history(tx, after.id, Some(actor.user_id), "updated", serde_json::json!({ "changes": changes })).await?;
    let change = audit::Change {
        action: "ci.update",
        entity: "ci",
        entity_id: after.id,
        tenant_id: Some(after.tenant_id),
        before: serde_json::to_value(before).ok(),
        after: serde_json::to_value(after).ok(),
    };
    audit::record(tx, Some(actor), change).await
}

/// Assigns the CI to `user_id` (or to no one) for another module's change that its caller was
/// allowed to make (an asset handed to someone, `assets.manage`): the CI must be visible to
/// `actor` and the user one of its tenant's people. The change is in the CI's history and the
/// audit log like any other; assigning it to whom it is assigned already writes nothing.
pub async fn assign_user(tx: &mut Tx, actor: &Actor, id: i64, user_id: Option<i64>) -> Result<Ci> {
    let before = get(tx, actor, id).await?;
    if before.user_id == user_id {
        return Ok(before);
    }
    check_links(tx, before.tenant_id, None, None, user_id).await?;
    let done = execute!(
        tx,
        "UPDATE cis SET user_id = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
        user_id,
        now_micros(),
        id,
        before.version,
    )?;
    if done == 0 {
        return Err(StoreError::stale("ci"));
    }
    let after = get(tx, actor, id).await?;
    record_update(tx, actor, &before, &after, differences(&before, &after)).await?;
    Ok(after)
}

/// A CI's history, newest first (the CI must be visible to `actor`).
pub async fn history_of(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Vec<HistoryEntry>> {
    get(tx, actor, id).await?;
    Ok(fetch_all!(
        tx,
        HistoryEntry,
        "SELECT h.id, h.ci_id, h.at, h.actor_id, u.name AS actor_name, h.kind, h.data
         FROM ci_history h LEFT JOIN users u ON u.id = h.actor_id
         WHERE h.ci_id = $1 ORDER BY h.id DESC LIMIT 500",
        id
    )?)
}

/// The CI with a unique attribute's value in a tenant and class (import's identification).
pub async fn by_key(tx: &mut Tx, tenant_id: i64, class_id: i64, attribute: &str, value: &str) -> Result<Option<i64>> {
    Ok(fetch_opt!(
        tx,
        (i64,),
        "SELECT ci_id FROM ci_keys WHERE tenant_id = $1 AND class_id = $2 AND attribute = $3 AND value = $4",
        tenant_id,
        class_id,
        attribute,
        value
    )?
    .map(|(id,)| id))
}
