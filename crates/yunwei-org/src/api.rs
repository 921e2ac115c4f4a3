//! The organisation's API: the caller, tenants, users, support groups, locations.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::Serialize;
use yunwei_db::identity::HashedPassword;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option, ts};
use yunwei_web::error::{ApiError, ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

use crate::groups;
use crate::locations;
use crate::tenants;
use crate::users;

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
    let password = match b.password.as_deref() {
        Some(p) => Some(HashedPassword::new(p).await?),
        None => None,
    };
    let new = users::NewUser {
        tenant_id: b.tenant_id,
        login: b.login,
        name: b.name,
        email: b.email,
        phone: b.phone,
        role: b.role,
        password,
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
    let password = HashedPassword::new(&b.password).await?;
    let mut tx = s.store.write().await?;
    users::get(&mut tx, &auth.actor, id).await?;
    users::set_password(&mut tx, Some(&auth.actor), id, &password).await?;
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
        return Err(ApiError::invalid("version", "not_on_create"));
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
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "required"))?;
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
        return Err(ApiError::invalid("version", "not_on_create"));
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
    let version = b.version.ok_or_else(|| ApiError::invalid("version", "required"))?;
    let mut tx = s.store.write().await?;
    let l = locations::update(&mut tx, &auth.actor, id, version, b.input()).await?;
    tx.commit().await?;
    Ok(Json(l.into()))
}

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/tenants", get(list_tenants).post(create_tenant))
        .route("/tenants/{id}", get(get_tenant).patch(update_tenant))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{id}", get(get_user).patch(update_user))
        .route("/users/{id}/password", post(set_password))
        .route("/groups", get(list_groups).post(create_group))
        .route("/groups/{id}", get(get_group).patch(update_group))
        .route("/locations", get(list_locations).post(create_location))
        .route("/locations/{id}", get(get_location).patch(update_location))
}

// What the API sends.
#[derive(Serialize)]
pub struct TenantOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<tenants::Tenant> for TenantOut {
    fn from(t: tenants::Tenant) -> Self {
        TenantOut {
            id: t.id,
            code: t.code,
            name: t.name,
            kind: t.kind,
            active: t.active,
            version: t.version,
            created_at: ts(t.created_at),
            updated_at: ts(t.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct UserOut {
    pub id: i64,
    pub tenant_id: i64,
    pub login: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: String,
    pub active: bool,
    pub locale: String,
    pub time_zone: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub served_tenants: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<i64>>,
}

impl From<yunwei_db::identity::User> for UserOut {
    fn from(u: yunwei_db::identity::User) -> Self {
        UserOut {
            id: u.id,
            tenant_id: u.tenant_id,
            login: u.login,
            name: u.name,
            email: u.email,
            phone: u.phone,
            role: u.role,
            active: u.active,
            locale: u.locale,
            time_zone: u.time_zone,
            version: u.version,
            created_at: ts(u.created_at),
            updated_at: ts(u.updated_at),
            served_tenants: None,
            groups: None,
        }
    }
}

impl From<users::UserView> for UserOut {
    fn from(v: users::UserView) -> Self {
        UserOut { served_tenants: Some(v.served_tenants), groups: Some(v.groups), ..UserOut::from(v.user) }
    }
}

#[derive(Serialize)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub tier: i64,
    pub description: String,
    pub email: Option<String>,
    pub active: bool,
    pub members: Vec<i64>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<groups::GroupView> for GroupOut {
    fn from(v: groups::GroupView) -> Self {
        let g = v.group;
        GroupOut {
            id: g.id,
            name: g.name,
            tier: g.tier,
            description: g.description,
            email: g.email,
            active: g.active,
            members: v.members,
            version: g.version,
            created_at: ts(g.created_at),
            updated_at: ts(g.updated_at),
        }
    }
}

#[derive(Serialize)]
pub struct LocationOut {
    pub id: i64,
    pub tenant_id: i64,
    pub building: String,
    pub floor: String,
    pub room: String,
    pub responsible_group_id: Option<i64>,
    pub active: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<locations::Location> for LocationOut {
    fn from(l: locations::Location) -> Self {
        LocationOut {
            id: l.id,
            tenant_id: l.tenant_id,
            building: l.building,
            floor: l.floor,
            room: l.room,
            responsible_group_id: l.responsible_group_id,
            active: l.active,
            version: l.version,
            created_at: ts(l.created_at),
            updated_at: ts(l.updated_at),
        }
    }
}
