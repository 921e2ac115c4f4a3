//! The organisation's API: the caller, tenants, users, support groups, locations.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yunwei_db::identity::HashedPassword;
use yunwei_web::AppState;
use yunwei_web::dto::{Items, double_option};
use yunwei_web::error::{ApiResult, Created};
use yunwei_web::extract::{ApiJson, ApiPath as Path, ApiQuery, Auth};

use crate::groups;
use crate::locations;
use crate::tenants;
use crate::users;

#[utoipa::path(get, path = "/me", summary = "The caller's own user record",
    responses((status = 200, description = "The caller", body = UserOut)))]
pub async fn me(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<UserOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(users::get(&mut tx, &auth.actor, auth.user.id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTenant)]
pub struct CreateTenant {
    pub code: String,
    pub name: String,
    /// `client` (default) or `provider`.
    #[serde(default = "client")]
    #[schema(default = "client", schema_with = tenant_kind)]
    pub kind: String,
}

fn tenant_kind() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(["client", "provider"])
}

fn client() -> String {
    "client".into()
}

#[utoipa::path(post, path = "/tenants", summary = "Create a tenant (administrators)", request_body = CreateTenant,
    responses((status = 201, description = "The new tenant", body = TenantOut),
        (status = 403, description = "Only administrators create tenants"),
        (status = 409, description = "The code is taken; `field` names it")))]
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

#[utoipa::path(get, path = "/tenants", summary = "Client organisations in the caller's scope",
    responses((status = 200, description = "The tenants", body = Items<TenantOut>)))]
pub async fn list_tenants(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<TenantOut>>> {
    let mut tx = s.store.read().await?;
    let items = tenants::list(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/tenants/{id}", summary = "One tenant", params(("id" = i64, Path, description = "The tenant's id")),
    responses((status = 200, description = "The tenant", body = TenantOut)))]
pub async fn get_tenant(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<TenantOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(tenants::get(&mut tx, &auth.actor, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TenantPatch)]
pub struct UpdateTenant {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[utoipa::path(patch, path = "/tenants/{id}", summary = "Rename or disable a tenant", params(("id" = i64, Path, description = "The tenant's id")),
    request_body = UpdateTenant,
    responses((status = 200, description = "The tenant after the change", body = TenantOut),
        (status = 403, description = "Only administrators change tenants"),
        (status = 409, description = "Stale version")))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewUser)]
pub struct CreateUser {
    pub login: String,
    pub name: String,
    #[schema(schema_with = role)]
    pub role: String,
    /// Required for end users; staff belong to the provider.
    pub tenant_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// At least 8 characters; without one the user cannot sign in until an administrator
    /// sets one.
    #[schema(min_length = 8)]
    pub password: Option<String>,
    /// `zh-CN` or `en`.
    pub locale: Option<String>,
    /// An IANA zone such as `Asia/Shanghai`.
    pub time_zone: Option<String>,
    /// The tenants an agent serves.
    #[serde(default)]
    pub served_tenants: Vec<i64>,
    /// The support groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<i64>,
}

fn role() -> utoipa::openapi::Object {
    yunwei_web::openapi::one_of_texts(yunwei_kernel::permission::Role::ALL.iter().map(|r| r.as_str()))
}

#[utoipa::path(post, path = "/users", summary = "Create a user (administrators)", request_body = CreateUser,
    responses((status = 201, description = "The new user with served tenants and groups", body = UserOut),
        (status = 403, description = "Only administrators create users"),
        (status = 409, description = "The login is taken; `field` names it")))]
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

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Only users of this tenant.
    pub tenant_id: Option<i64>,
    /// Only users with this role.
    #[param(schema_with = role)]
    pub role: Option<String>,
    /// Only members of this support group.
    pub group_id: Option<i64>,
    /// Words in the login, name or e-mail.
    pub q: Option<String>,
    /// Only active (`true`) or disabled (`false`) users.
    pub active: Option<bool>,
}

#[utoipa::path(get, path = "/users", summary = "Users (filters: tenant_id, role, group_id, q, active)", params(UserQuery),
    responses((status = 200, description = "The users", body = Items<UserOut>),
        (status = 403, description = "End users may not list users")))]
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

#[utoipa::path(get, path = "/users/{id}", summary = "One user with served tenants and groups",
    params(("id" = i64, Path, description = "The user's id")),
    responses((status = 200, description = "The user", body = UserOut)))]
pub async fn get_user(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<UserOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(users::get(&mut tx, &auth.actor, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
pub struct UpdateUser {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub phone: Option<Option<String>>,
    #[schema(schema_with = role)]
    pub role: Option<String>,
    pub active: Option<bool>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub served_tenants: Option<Vec<i64>>,
    pub groups: Option<Vec<i64>>,
}

#[utoipa::path(patch, path = "/users/{id}", summary = "Change role, scope, groups, or disable",
    params(("id" = i64, Path, description = "The user's id")), request_body = UpdateUser,
    responses((status = 200, description = "The user after the change", body = UserOut),
        (status = 403, description = "Only administrators change users"),
        (status = 409, description = "Stale version")))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Password)]
pub struct SetPassword {
    #[schema(min_length = 8)]
    pub password: String,
}

#[utoipa::path(post, path = "/users/{id}/password", summary = "Reset a password",
    params(("id" = i64, Path, description = "The user's id")), request_body = SetPassword,
    responses((status = 204, description = "Done; the user's sessions are ended"),
        (status = 403, description = "Only administrators reset passwords")))]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
    /// 1 (service desk), 2 or 3.
    #[schema(minimum = 1, maximum = 3)]
    pub tier: i64,
    pub description: Option<String>,
    pub email: Option<String>,
    pub active: Option<bool>,
    /// User ids of the members.
    pub members: Option<Vec<i64>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub name: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    pub tier: Option<i64>,
    pub description: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    /// User ids of the members; replaces them all.
    pub members: Option<Vec<i64>>,
}

#[utoipa::path(post, path = "/groups", summary = "Create a support group", request_body = NewGroup,
    responses((status = 201, description = "The new group with its members", body = GroupOut),
        (status = 403, description = "Only administrators create groups"),
        (status = 409, description = "The name is taken; `field` names it")))]
pub async fn create_group(State(s): State<AppState>, auth: Auth, ApiJson(b): ApiJson<NewGroup>) -> Created<GroupOut> {
    let input = groups::GroupInput {
        name: Some(b.name),
        tier: Some(b.tier),
        description: b.description,
        email: b.email.map(Some),
        active: b.active,
        members: b.members,
    };
    let mut tx = s.store.write().await?;
    let g = groups::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(g.into())))
}

#[utoipa::path(get, path = "/groups", summary = "Support groups, L1 first",
    responses((status = 200, description = "The groups with their members", body = Items<GroupOut>),
        (status = 403, description = "End users may not list groups")))]
pub async fn list_groups(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<Items<GroupOut>>> {
    let mut tx = s.store.read().await?;
    let items = groups::list(&mut tx, &auth.actor).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/groups/{id}", summary = "One group with its members",
    params(("id" = i64, Path, description = "The group's id")),
    responses((status = 200, description = "The group", body = GroupOut),
        (status = 403, description = "End users may not read groups")))]
pub async fn get_group(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<GroupOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(groups::get(&mut tx, &auth.actor, id).await?.into()))
}

#[utoipa::path(patch, path = "/groups/{id}", summary = "Change a group or its members",
    params(("id" = i64, Path, description = "The group's id")), request_body = GroupPatch,
    responses((status = 200, description = "The group after the change", body = GroupOut),
        (status = 403, description = "Only administrators change groups"),
        (status = 409, description = "Stale version, or the name is taken")))]
pub async fn update_group(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<GroupPatch>,
) -> ApiResult<Json<GroupOut>> {
    let input = groups::GroupInput {
        name: b.name,
        tier: b.tier,
        description: b.description,
        email: b.email,
        active: b.active,
        members: b.members,
    };
    let mut tx = s.store.write().await?;
    let g = groups::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(g.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    pub tenant_id: i64,
    pub building: String,
    pub floor: Option<String>,
    pub room: Option<String>,
    /// The support group that handles faults here.
    pub responsible_group_id: Option<i64>,
    pub active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPatch {
    /// The version you last read; a stale one gets 409.
    pub version: i64,
    pub tenant_id: Option<i64>,
    pub building: Option<String>,
    pub floor: Option<String>,
    pub room: Option<String>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "double_option")]
    pub responsible_group_id: Option<Option<i64>>,
    pub active: Option<bool>,
}

#[utoipa::path(post, path = "/locations", summary = "Create a location with its responsible group",
    request_body = NewLocation,
    responses((status = 201, description = "The new location", body = LocationOut),
        (status = 403, description = "Only administrators create locations"),
        (status = 409, description = "The location exists already")))]
pub async fn create_location(
    State(s): State<AppState>,
    auth: Auth,
    ApiJson(b): ApiJson<NewLocation>,
) -> Created<LocationOut> {
    let input = locations::LocationInput {
        tenant_id: Some(b.tenant_id),
        building: Some(b.building),
        floor: b.floor,
        room: b.room,
        responsible_group_id: b.responsible_group_id.map(Some),
        active: b.active,
    };
    let mut tx = s.store.write().await?;
    let l = locations::create(&mut tx, &auth.actor, input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(l.into())))
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocationQuery {
    /// Only this tenant's locations.
    pub tenant_id: Option<i64>,
}

#[utoipa::path(get, path = "/locations", summary = "Locations (filter: tenant_id)", params(LocationQuery),
    responses((status = 200, description = "The locations", body = Items<LocationOut>)))]
pub async fn list_locations(
    State(s): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<LocationQuery>,
) -> ApiResult<Json<Items<LocationOut>>> {
    let mut tx = s.store.read().await?;
    let items = locations::list(&mut tx, &auth.actor, q.tenant_id).await?;
    Ok(Json(Items { items: items.into_iter().map(Into::into).collect() }))
}

#[utoipa::path(get, path = "/locations/{id}", summary = "One location",
    params(("id" = i64, Path, description = "The location's id")),
    responses((status = 200, description = "The location", body = LocationOut)))]
pub async fn get_location(State(s): State<AppState>, auth: Auth, Path(id): Path<i64>) -> ApiResult<Json<LocationOut>> {
    let mut tx = s.store.read().await?;
    Ok(Json(locations::get(&mut tx, &auth.actor, id).await?.into()))
}

#[utoipa::path(patch, path = "/locations/{id}", summary = "Change a location",
    params(("id" = i64, Path, description = "The location's id")), request_body = LocationPatch,
    responses((status = 200, description = "The location after the change", body = LocationOut),
        (status = 403, description = "Only administrators change locations"),
        (status = 409, description = "Stale version")))]
pub async fn update_location(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LocationPatch>,
) -> ApiResult<Json<LocationOut>> {
    let input = locations::LocationInput {
        tenant_id: b.tenant_id,
        building: b.building,
        floor: b.floor,
        room: b.room,
        responsible_group_id: b.responsible_group_id,
        active: b.active,
    };
    let mut tx = s.store.write().await?;
    let l = locations::update(&mut tx, &auth.actor, id, b.version, input).await?;
    tx.commit().await?;
    Ok(Json(l.into()))
}

/// The organisation's API; each route documents itself (`#[utoipa::path]`).
pub fn routes(_: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(set_password))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, update_group))
        .routes(routes!(list_locations, create_location))
        .routes(routes!(get_location, update_location))
}

// What the API sends.
#[derive(Serialize, ToSchema)]
#[schema(as = Tenant)]
pub struct TenantOut {
    pub id: i64,
    pub code: String,
    pub name: String,
    #[schema(schema_with = tenant_kind)]
    pub kind: String,
    pub active: bool,
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
            created_at: t.created_at.to_string(),
            updated_at: t.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserOut {
    pub id: i64,
    pub tenant_id: i64,
    pub login: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    #[schema(schema_with = role)]
    pub role: String,
    pub active: bool,
    pub locale: String,
    pub time_zone: String,
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The tenants an agent serves; only on a single user (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub served_tenants: Option<Vec<i64>>,
    /// The user's support groups; only on a single user (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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
            created_at: u.created_at.to_string(),
            updated_at: u.updated_at.to_string(),
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

#[derive(Serialize, ToSchema)]
#[schema(as = Group)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub tier: i64,
    pub description: String,
    pub email: Option<String>,
    pub active: bool,
    /// User ids of the members.
    pub members: Vec<i64>,
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
            created_at: g.created_at.to_string(),
            updated_at: g.updated_at.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Location)]
pub struct LocationOut {
    pub id: i64,
    pub tenant_id: i64,
    pub building: String,
    pub floor: String,
    pub room: String,
    pub responsible_group_id: Option<i64>,
    pub active: bool,
    pub version: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
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
            created_at: l.created_at.to_string(),
            updated_at: l.updated_at.to_string(),
        }
    }
}
