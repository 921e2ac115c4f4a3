//! The service desk's reference data: the category tree and the priority matrix.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option};
use yunwei_web::error::{ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, Auth};

use super::dto::CategoryOut;
use crate::rules::priority::PriorityMatrix;
use crate::store::{categories, matrix};
use yunwei_db::settings;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// The parent category; none for a top-level one.
    pub parent_id: Option<i64>,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    /// `null` makes it a top-level category.
    #[serde(default, deserialize_with = "double_option")]
    pub parent_id: Option<Option<i64>>,
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

#[utoipa::path(get, path = "/categories", summary = "The category tree, parents first",
    responses((status = 200, description = "Every category", body = Items<CategoryOut>)))]
pub async fn list_categories(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<Items<CategoryOut>>> {
    let mut tx = s.store.read().await?;
    let items = categories::list(&mut tx).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(post, path = "/categories", summary = "Create a category", request_body = NewCategory,
    responses((status = 201, description = "The new category", body = CategoryOut),
        (status = 403, description = "Only administrators create categories"),
        (status = 409, description = "The code is taken")))]
pub async fn create_category(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewCategory>,
) -> Created<CategoryOut> {
    let input = categories::CategoryInput {
        parent_id: Some(b.parent_id),
        code: Some(b.code),
        name_zh: Some(b.name_zh),
        name_en: Some(b.name_en),
        active: b.active,
        sort_order: b.sort_order,
    };
    let mut tx = s.store.write().await?;
    let c = categories::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

#[utoipa::path(patch, path = "/categories/{id}", summary = "Change or move a category",
    params(("id" = i64, Path, description = "The category's id")), request_body = CategoryPatch,
    responses((status = 200, description = "The category after the change", body = CategoryOut),
        (status = 403, description = "Only administrators change categories"),
        (status = 409, description = "Stale version, or the code is taken")))]
pub async fn update_category(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CategoryPatch>,
) -> ApiResult<Json<CategoryOut>> {
    let input = categories::CategoryInput {
        parent_id: b.parent_id,
        code: b.code,
        name_zh: b.name_zh,
        name_en: b.name_en,
        active: b.active,
        sort_order: b.sort_order,
    };
    let mut tx = s.store.write().await?;
    let c = categories::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(c.into()))
}

/// The priority matrix as the API sends it.
#[derive(Serialize, ToSchema)]
#[schema(as = PriorityMatrix)]
pub struct MatrixOut {
    /// `cells[impact - 1][urgency - 1]` = priority, all 1–4.
    #[schema(min_items = 4, max_items = 4)]
    pub cells: [[u8; 4]; 4],
}

impl From<PriorityMatrix> for MatrixOut {
    fn from(m: PriorityMatrix) -> Self {
        MatrixOut { cells: m.cells }
    }
}

#[utoipa::path(get, path = "/priority-matrix", summary = "Impact × urgency → priority",
    responses((status = 200, description = "The matrix", body = MatrixOut)))]
pub async fn get_matrix(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<MatrixOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(matrix::get(&mut tx).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewPriorityMatrix)]
pub struct MatrixBody {
    /// `cells[impact - 1][urgency - 1]` = priority, all 1–4; higher impact or urgency never
    /// gives a lower priority.
    #[schema(min_items = 4, max_items = 4)]
    pub cells: [[u8; 4]; 4],
}

#[utoipa::path(put, path = "/priority-matrix", summary = "Replace the priority matrix", request_body = MatrixBody,
    responses((status = 200, description = "The new matrix", body = MatrixOut),
        (status = 403, description = "Only administrators change the matrix")))]
pub async fn put_matrix(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<MatrixBody>,
) -> ApiResult<Json<MatrixOut>> {
    let m = PriorityMatrix::new(b.cells)?;
    let mut tx = s.store.write().await?;
    settings::put(&mut tx, &auth.actor, matrix::KEY, &m).await?;
    tx.commit().await?;
    Ok(Json(m.into()))
}
