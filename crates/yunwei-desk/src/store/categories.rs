//! The category tree (hardware / software / network / human error / system / requests …),
//! seeded with defaults on a new installation and editable by administrators.

use crate::rules::category::DEFAULT_TREE;
use serde::Serialize;
use sqlx::FromRow;
use yunwei_kernel::permission::{self, Actor};
use yunwei_kernel::validate;

use yunwei_db::Result;
use yunwei_db::StoreError;
use yunwei_db::Time;
use yunwei_db::Tx;
use yunwei_db::audit;
use yunwei_db::now_micros;

#[derive(Debug, Clone, FromRow, Serialize, PartialEq)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: bool,
    pub sort_order: i64,
    pub version: i64,
    pub created_at: Time,
    pub updated_at: Time,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub parent_id: Option<Option<i64>>,
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

async fn insert(tx: &mut Tx, parent: Option<i64>, code: &str, zh: &str, en: &str, sort: i64) -> Result<Category> {
    fetch_one!(
        tx,
        Category,
        "INSERT INTO categories (parent_id, code, name_zh, name_en, sort_order, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
        parent,
        code,
        zh,
        en,
        sort,
        now_micros(),
    )
    .map_err(|e| StoreError::from(e).unique("code", "category_code_taken"))
}

/// Seeds the default tree when there are no categories yet. Returns whether it did.
pub async fn seed_defaults(tx: &mut Tx) -> Result<bool> {
    if scalar!(tx, i64, "SELECT COUNT(*) FROM categories")? > 0 {
        return Ok(false);
    }
    for (i, top) in DEFAULT_TREE.iter().enumerate() {
        let parent = insert(tx, None, top.code, top.name_zh, top.name_en, i as i64 * 10).await?;
        for (j, (code, zh, en)) in top.children.iter().enumerate() {
            insert(tx, Some(parent.id), code, zh, en, j as i64 * 10).await?;
        }
    }
    Ok(true)
}

/// Every category, parents before children, in display order. Anyone signed in may read them.
pub async fn list(tx: &mut Tx) -> Result<Vec<Category>> {
    let all = fetch_all!(tx, Category, "SELECT * FROM categories ORDER BY sort_order, id")?;
    // Depth-first order: each top-level category followed by its subtree.
    let mut out = Vec::with_capacity(all.len());
    fn visit(all: &[Category], parent: Option<i64>, out: &mut Vec<Category>) {
        for c in all.iter().filter(|c| c.parent_id == parent) {
            out.push(c.clone());
            visit(all, Some(c.id), out);
        }
    }
    visit(&all, None, &mut out);
    Ok(out)
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Category> {
    fetch_opt!(tx, Category, "SELECT * FROM categories WHERE id = $1", id)?.ok_or(StoreError::NotFound("category"))
}

/// Refuses a parent that does not exist or that would make a cycle.
async fn check_parent(tx: &mut Tx, id: Option<i64>, parent: Option<i64>) -> Result<()> {
    let mut cursor = parent;
    let mut depth = 0;
    while let Some(p) = cursor {
        if Some(p) == id {
            return Err(StoreError::invalid("parent_id", "category_cycle"));
        }
        let row = fetch_opt!(tx, (Option<i64>,), "SELECT parent_id FROM categories WHERE id = $1", p)?;
        let Some((next,)) = row else {
            return Err(StoreError::invalid("parent_id", "no_such_category").with("id", p));
        };
        cursor = next;
        depth += 1;
        if depth > 5 {
            return Err(StoreError::invalid("parent_id", "category_too_deep"));
        }
    }
    Ok(())
}

pub async fn create(tx: &mut Tx, actor: &Actor, input: CategoryInput) -> Result<Category> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let parent = input.parent_id.flatten();
    check_parent(tx, None, parent).await?;
    let code = validate::code("code", input.code.as_deref().unwrap_or(""))?;
    let zh = validate::line("name_zh", input.name_zh.as_deref().unwrap_or(""), 100)?;
    let en = validate::line("name_en", input.name_en.as_deref().unwrap_or(""), 100)?;
    let cat = insert(tx, parent, &code, &zh, &en, input.sort_order.unwrap_or(0)).await?;
    let change = audit::Change {
        action: "category.create",
        entity: "category",
        entity_id: cat.id,
        tenant_id: None,
        before: None,
        after: serde_json::to_value(&cat).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(cat)
}

pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, version: i64, input: CategoryInput) -> Result<Category> {
    actor.require(permission::MANAGE_ORGANISATION)?;
    let before = get(tx, id).await?;
    if before.version != version {
        return Err(StoreError::stale("category"));
    }
    let parent = input.parent_id.unwrap_or(before.parent_id);
    check_parent(tx, Some(id), parent).await?;
    let code = input.code.as_deref().map(|c| validate::code("code", c)).transpose()?.unwrap_or(before.code.clone());
    let zh = input.name_zh.as_deref().map(|n| validate::line("name_zh", n, 100)).transpose()?;
    let en = input.name_en.as_deref().map(|n| validate::line("name_en", n, 100)).transpose()?;
    let after = fetch_opt!(
        tx,
        Category,
        "UPDATE categories SET parent_id = $1, code = $2, name_zh = $3, name_en = $4, active = $5, sort_order = $6,
         version = version + 1, updated_at = $7 WHERE id = $8 AND version = $9 RETURNING *",
        parent,
        &code,
        zh.unwrap_or(before.name_zh.clone()),
        en.unwrap_or(before.name_en.clone()),
        input.active.unwrap_or(before.active),
        input.sort_order.unwrap_or(before.sort_order),
        now_micros(),
        id,
        version,
    )
    .map_err(|e| StoreError::from(e).unique("code", "category_code_taken"))?
    .ok_or_else(|| StoreError::stale("category"))?;
    let change = audit::Change {
        action: "category.update",
        entity: "category",
        entity_id: id,
        tenant_id: None,
        before: serde_json::to_value(&before).ok(),
        after: serde_json::to_value(&after).ok(),
    };
    audit::record(tx, Some(actor), change).await?;
    Ok(after)
}
