//! The service desk's reference data: the category tree and the priority matrix.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option};
use yunwei_web::error::{ApiError, ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, Auth};

use super::dto::CategoryOut;
use crate::rules::priority::PriorityMatrix;
use crate::store::{categories, matrix};
use yunwei_db::settings;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub version: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub parent_id: Option<Option<i64>>,
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub active: Option<bool>,
    pub sort_order: Option<i64>,
}

impl CategoryBody {
    fn input(self) -> categories::CategoryInput {
        categories::CategoryInput {
            parent_id: self.parent_id,
            code: self.code,
            name_zh: self.name_zh,
            name_en: self.name_en,
            active: self.active,
            sort_order: self.sort_order,
        }
    }
}

pub async fn list_categories(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<Items<CategoryOut>>> {
    let mut tx = s.store.read().await?;
    let items = categories::list(&mut tx).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

pub async fn create_category(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Created<CategoryOut> {
    if b.version.is_some() {
        return Err(ApiError::invalid("version", "not_on_create"));
    }
    let mut tx = s.store.write().await?;
    let c = categories::create(&mut tx, &auth.actor, b.input()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

pub async fn update_category(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> ApiResult<Json<CategoryOut>> {
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "required"))?;
    let mut tx = s.store.write().await?;
    let c = categories::update(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    Ok(Json(c.into()))
}

pub async fn get_matrix(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<PriorityMatrix>> {
    let mut tx = s.store.read().await?;
    Ok(Json(matrix::get(&mut tx).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixBody {
    /// `cells[impact - 1][urgency - 1]` = priority, all 1–4.
    pub cells: [[u8; 4]; 4],
}

pub async fn put_matrix(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<MatrixBody>,
) -> ApiResult<Json<PriorityMatrix>> {
    let m = PriorityMatrix::new(b.cells)?;
    let mut tx = s.store.write().await?;
    settings::put(&mut tx, &auth.actor, matrix::KEY, &m).await?;
    tx.commit().await?;
    Ok(Json(m))
}
