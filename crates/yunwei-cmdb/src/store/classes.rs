//! CI classes and their attributes (installation-wide), and the rules of which classes a
//! relationship may join. The shipped ones come from migration 0011 and stay editable.

use serde::Serialize;
use sqlx::FromRow;
use yunwei_db::db::JsonText;
use yunwei_db::{Result, StoreError, Time, Tx, audit, now_micros};
use yunwei_kernel::permission::Actor;
use yunwei_kernel::validate;

use crate::rules::attributes::{self, AttrKind, AttrSpec};
use crate::rules::permissions::MANAGE_CLASSES;
use crate::rules::relations::{RelationKind, Rule};

/// A class as stored.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
#[schema(as = CiClass)]
pub struct Class {
    pub id: i64,
    /// Stable code (`server`), used by relationship rules and imports.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The attributes: code, names, kind (`text`, `number`, `date`, `boolean`, `ip`,
    /// `ip_list`, `enum`, `reference`), required, unique, options, reference class.
    #[schema(value_type = Vec<Object>)]
    pub attributes: JsonText<Vec<AttrSpec>>,
    /// Unique attributes that identify a CI of the class on import, in order.
    #[schema(value_type = Vec<String>)]
    pub identify_by: JsonText<Vec<String>>,
    /// Shipped with Yunwei (still editable).
    pub builtin: bool,
    pub active: bool,
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Time,
}

impl Class {
    pub fn name(&self, locale: &str) -> &str {
        if locale.starts_with("zh") { &self.name_zh } else { &self.name_en }
    }

    pub fn spec(&self, code: &str) -> Option<&AttrSpec> {
        self.attributes.iter().find(|a| a.code == code)
    }
}

/// What a new class or a change gives; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ClassInput {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub attributes: Option<Vec<AttrSpec>>,
    pub identify_by: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// Every class, active ones first, by English name.
pub async fn list(tx: &mut Tx) -> Result<Vec<Class>> {
    Ok(fetch_all!(tx, Class, "SELECT * FROM ci_classes ORDER BY active DESC, code")?)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Class> {
    fetch_opt!(tx, Class, "SELECT * FROM ci_classes WHERE id = $1", id)?.ok_or(StoreError::NotFound("class"))
}

pub async fn by_code(tx: &mut Tx, code: &str) -> Result<Option<Class>> {
    Ok(fetch_opt!(tx, Class, "SELECT * FROM ci_classes WHERE code = $1", code)?)
}

/// The class named by `code` for a new CI, which must exist and be active.
pub async fn active_by_code(tx: &mut Tx, field: &str, code: &str) -> Result<Class> {
    match by_code(tx, code).await? {
        Some(c) if c.active => Ok(c),
        _ => Err(StoreError::invalid(field, "no_such_class").with("value", code)),
    }
}

/// Checks the definition: attributes, identification by unique attributes of the class,
/// references to classes that exist.
async fn check(tx: &mut Tx, attrs: &[AttrSpec], identify_by: &[String]) -> Result<()> {
    attributes::check_specs(attrs)?;
    for (i, code) in identify_by.iter().enumerate() {
        if !attrs.iter().any(|a| &a.code == code && a.unique) {
            return Err(StoreError::invalid(format!("identify_by[{i}]"), "identify_by_unique").with("code", code));
        }
    }
    for (i, a) in attrs.iter().enumerate() {
        if a.kind == AttrKind::Reference
            && let Some(target) = &a.class
            && by_code(tx, target).await?.is_none()
        {
            return Err(StoreError::invalid(format!("attributes[{i}].class"), "no_such_class").with("value", target));
        }
    }
    Ok(())
}

pub async fn create(tx: &mut Tx, actor: &Actor, input: ClassInput) -> Result<Class> {
    actor.require(MANAGE_CLASSES)?;
    let code = crate::rules::class_code(input.code.as_deref().unwrap_or(""))?;
    let name_zh = validate::line("name_zh", input.name_zh.as_deref().unwrap_or(""), 100)?;
    let name_en = validate::line("name_en", input.name_en.as_deref().unwrap_or(""), 100)?;
    let attrs = JsonText(input.attributes.unwrap_or_default());
    let identify = JsonText(input.identify_by.unwrap_or_default());
    check(tx, &attrs, &identify).await?;
    let class = fetch_one!(
        tx,
        Class,
        "INSERT INTO ci_classes (code, name_zh, name_en, attributes, identify_by, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        &code,
        &name_zh,
        &name_en,
        attrs.text(),
        identify.text(),
        input.active.unwrap_or(true),
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("code", "class_code_taken"))?;
    let change = audit::Change {
        action: "ci_class.create",
        entity: "ci_class",
        entity_id: class.id,
        tenant_id: None,
        before: None,
        after: serde_json::to_value(&class).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(class)
}

/// Changes a class. The code never changes; an attribute that becomes unique must not hold
/// repeated values already (those CIs are named).
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: ClassInput) -> Result<Class> {
    actor.require(MANAGE_CLASSES)?;
    let before = get(tx, id).await?;
    if before.version != version {
        return Err(StoreError::stale("class"));
    }
    if input.code.as_deref().is_some_and(|c| c.trim() != before.code) {
        return Err(StoreError::invalid("code", "class_code_fixed"));
    }
    let name_zh = match &input.name_zh {
        Some(n) => validate::line("name_zh", n, 100)?,
        None => before.name_zh.clone(),
    };
    let name_en = match &input.name_en {
        Some(n) => validate::line("name_en", n, 100)?,
        None => before.name_en.clone(),
    };
    let attrs = JsonText(input.attributes.unwrap_or_else(|| before.attributes.0.clone()));
    let identify = JsonText(input.identify_by.unwrap_or_else(|| before.identify_by.0.clone()));
    check(tx, &attrs, &identify).await?;
    for (i, a) in attrs.iter().enumerate() {
        let was_unique = before.spec(&a.code).is_some_and(|b| b.unique && b.kind == a.kind);
        if a.unique && !was_unique {
            super::cis::rebuild_keys(tx, &before, a).await.map_err(|e| match e {
                StoreError::Domain(_) => {
                    StoreError::invalid(format!("attributes[{i}].unique"), "values_repeated").with("code", &a.code)
                }
                other => other,
            })?;
        }
    }
    for b in before.attributes.iter() {
        if !attrs.iter().any(|a| a.code == b.code && a.unique && a.kind == b.kind) && b.unique {
            execute!(tx, "DELETE FROM ci_keys WHERE class_id = $1 AND attribute = $2", id, &b.code)?;
        }
    }
    let after = fetch_opt!(
        tx,
        Class,
        "UPDATE ci_classes SET name_zh = $1, name_en = $2, attributes = $3, identify_by = $4, active = $5,
         version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8 RETURNING *",
        &name_zh,
        &name_en,
        attrs.text(),
        identify.text(),
        input.active.unwrap_or(before.active),
        now_micros(),
        id,
        version,
    )?
    .ok_or_else(|| StoreError::stale("class"))?;
    let change = audit::Change {
        action: "ci_class.update",
        entity: "ci_class",
        entity_id: id,
        tenant_id: None,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(after)
}

#[derive(FromRow)]
struct RuleRow {
    source_class: String,
    kind: RelationKind,
    target_class: String,
}

/// Which classes each kind of relationship may join.
pub async fn rules(tx: &mut Tx) -> Result<Vec<Rule>> {
    let rows = fetch_all!(tx, RuleRow, "SELECT * FROM ci_relation_rules ORDER BY kind, source_class, target_class")?;
    Ok(rows
        .into_iter()
        .map(|r| Rule { source_class: r.source_class, kind: r.kind, target_class: r.target_class })
        .collect())
}

/// Allows (`allow`) or forbids a relationship of `kind` between two classes (`*` for any).
/// Existing relationships stay.
pub async fn set_rule(tx: &mut Tx, actor: &Actor, rule: &Rule, allow: bool) -> Result<()> {
    actor.require(MANAGE_CLASSES)?;
    for (field, code) in [("source_class", &rule.source_class), ("target_class", &rule.target_class)] {
        if code != "*" && by_code(tx, code).await?.is_none() {
            return Err(StoreError::invalid(field, "no_such_class").with("value", code));
        }
    }
    let kind = rule.kind.as_str();
    let (src, dst) = (rule.source_class.as_str(), rule.target_class.as_str());
    execute!(
        tx,
        "DELETE FROM ci_relation_rules WHERE source_class = $1 AND kind = $2 AND target_class = $3",
        src,
        kind,
        dst
    )?;
    if allow {
        execute!(
            tx,
            "INSERT INTO ci_relation_rules (source_class, kind, target_class) VALUES ($1, $2, $3)",
            src,
            kind,
            dst
        )?;
    }
    let change = audit::Change {
        action: if allow { "ci_relation_rule.allow" } else { "ci_relation_rule.forbid" },
        entity: "ci_relation_rule",
        entity_id: 0,
        tenant_id: None,
        before: None,
        after: serde_json::to_value(rule).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(())
}
