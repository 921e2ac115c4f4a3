//! The organisation: tenants, users, support groups, locations, categories, priority matrix.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use yunwei_domain::priority::PriorityMatrix;
use yunwei_store::{categories, groups, locations, settings, tenants, users};

use super::dto::{CategoryOut, GroupOut, Items, LocationOut, TenantOut, UserOut, double_option};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

pub async fn me(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<UserOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(users::get(&mut tx, &auth.actor, auth.user.id).await?.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    pub code: String,
    pub name: String,
    #[serde(default = "client")]
    pub kind: String,
}

fn client() -> String {
    "client".into()
}

pub async fn create_tenant(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<CreateTenant>,
) -> Created<TenantOut> {
    let mut tx = s.store.write().await?;
    let t =
        tenants::create(&mut tx, Some(&auth.actor), tenants::NewTenant { code: b.code, name: b.name, kind: b.kind })
            .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

pub async fn list_tenants(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<TenantOut>>> {
    let mut tx = s.store.read().await?;
    let items = tenants::list(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

pub async fn get_tenant(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<TenantOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(tenants::get(&mut tx, &auth.actor, id).await?.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    pub version: i64,
    pub name: Option<String>,
    pub active: Option<bool>,
}

pub async fn update_tenant(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateTenant>,
) -> ApiResult<Json<TenantOut>> {
    let mut tx = s.store.write().await?;
    let t =
        tenants::update(&mut tx, &auth.actor, id, b.version, tenants::TenantPatch { name: b.name, active: b.active })
            .await?;
    tx.commit().await?;
    Ok(Json(t.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub login: String,
    pub name: String,
    pub role: String,
    pub tenant_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub password: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub served_tenants: Vec<i64>,
    #[serde(default)]
    pub groups: Vec<i64>,
}

pub async fn create_user(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<CreateUser>) -> Created<UserOut> {
    let new = users::NewUser {
        tenant_id: b.tenant_id,
        login: b.login,
        name: b.name,
        email: b.email,
        phone: b.phone,
        role: b.role,
        password: b.password,
        locale: b.locale,
        time_zone: b.time_zone,
        served_tenants: b.served_tenants,
        groups: b.groups,
    };
    let mut tx = s.store.write().await?;
    let u = users::create(&mut tx, Some(&auth.actor), new).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(u.into())))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub tenant_id: Option<i64>,
    pub role: Option<String>,
    pub group_id: Option<i64>,
    pub q: Option<String>,
    pub active: Option<bool>,
}

pub async fn list_users(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<Items<UserOut>>> {
    let f =
        users::UserFilter { tenant_id: q.tenant_id, role: q.role, group_id: q.group_id, text: q.q, active: q.active };
    let mut tx = s.store.read().await?;
    let items = users::list(&mut tx, &auth.actor, &f).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

pub async fn get_user(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<UserOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(users::get(&mut tx, &auth.actor, id).await?.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub version: i64,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub phone: Option<Option<String>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub served_tenants: Option<Vec<i64>>,
    pub groups: Option<Vec<i64>>,
}

pub async fn update_user(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateUser>,
) -> ApiResult<Json<UserOut>> {
    let patch = users::UserPatch {
        name: b.name,
        email: b.email,
        phone: b.phone,
        role: b.role,
        active: b.active,
        locale: b.locale,
        time_zone: b.time_zone,
        served_tenants: b.served_tenants,
        groups: b.groups,
    };
    let mut tx = s.store.write().await?;
    let u = users::update(&mut tx, &auth.actor, id, b.version, patch).await?;
    tx.commit().await?;
    Ok(Json(u.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
}

pub async fn set_password(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SetPassword>,
) -> ApiResult<StatusCode> {
    let mut tx = s.store.write().await?;
    users::get(&mut tx, &auth.actor, id).await?;
    users::set_password(&mut tx, Some(&auth.actor), id, &b.password).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupBody {
    pub version: Option<i64>,
    pub name: Option<String>,
    pub tier: Option<i64>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub members: Option<Vec<i64>>,
}

impl GroupBody {
    fn input(self) -> groups::GroupInput {
        groups::GroupInput {
            name: self.name,
            tier: self.tier,
            description: self.description,
            email: self.email,
            active: self.active,
            members: self.members,
        }
    }
}

pub async fn create_group(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<GroupBody>) -> Created<GroupOut> {
    if b.version.is_some() {
        return Err(ApiError::invalid("version", "is not accepted when creating"));
    }
    let mut tx = s.store.write().await?;
    let g = groups::create(&mut tx, &auth.actor, b.input()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

pub async fn list_groups(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<GroupOut>>> {
    let mut tx = s.store.read().await?;
    let items = groups::list(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

pub async fn get_group(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<GroupOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(groups::get(&mut tx, &auth.actor, id).await?.into()))
}

pub async fn update_group(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GroupBody>,
) -> ApiResult<Json<GroupOut>> {
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "is required"))?;
    let mut tx = s.store.write().await?;
    let g = groups::update(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    Ok(Json(g.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    pub version: Option<i64>,
    pub tenant_id: Option<i64>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub responsible_group_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

impl LocationBody {
    fn input(self) -> locations::LocationInput {
        locations::LocationInput {
            tenant_id: self.tenant_id,
            building: self.building,
            floor: self.floor,
            room: self.room,
            responsible_group_id: self.responsible_group_id,
            active: self.active,
        }
    }
}

pub async fn create_location(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<LocationBody>,
) -> Created<LocationOut> {
    if b.version.is_some() {
        return Err(ApiError::invalid("version", "is not accepted when creating"));
    }
    let mut tx = s.store.write().await?;
    let l = locations::create(&mut tx, &auth.actor, b.input()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LocationQuery {
    pub tenant_id: Option<i64>,
}

pub async fn list_locations(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<LocationQuery>,
) -> ApiResult<Json<Items<LocationOut>>> {
    let mut tx = s.store.read().await?;
    let items = locations::list(&mut tx, &auth.actor, q.tenant_id).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

pub async fn get_location(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<LocationOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(locations::get(&mut tx, &auth.actor, id).await?.into()))
}

pub async fn update_location(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LocationBody>,
) -> ApiResult<Json<LocationOut>> {
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "is required"))?;
    let mut tx = s.store.write().await?;
    let l = locations::update(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    Ok(Json(l.into()))
}

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
        return Err(ApiError::invalid("version", "is not accepted when creating"));
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
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "is required"))?;
    let mut tx = s.store.write().await?;
    let c = categories::update(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    Ok(Json(c.into()))
}

pub async fn get_matrix(State(s): State<AppState>, _auth: Auth) -> ApiResult<Json<PriorityMatrix>> {
    let mut tx = s.store.read().await?;
    Ok(Json(settings::priority_matrix(&mut tx).await?))
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
    settings::put(&mut tx, &auth.actor, settings::PRIORITY_MATRIX, &m).await?;
    tx.commit().await?;
    Ok(Json(m))
}
