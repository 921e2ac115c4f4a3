//! Administration of the organisation: tenants (create, rename, disable), support groups
//! (create, edit name, tier and members, disable) and locations (create, edit, responsible
//! group, disable), through `tenants::*`, `groups::*` and `locations::*` with the version each
//! form was loaded at. Same conventions as `users.rs`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::StoreError;
use yunwei_db::identity::User;
use yunwei_kernel::permission::{Actor, Role};
use yunwei_web::AppState;
use yunwei_web::ui::forms::{Errors, change, ticked};
use yunwei_web::ui::session::{Admin, AdminOnly, Posted, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::groups::{self, GroupInput, GroupView};
use crate::locations::{self, Location, LocationInput};
use crate::tenants::{self, NewTenant, Tenant, TenantPatch};
use crate::users::{self, UserFilter};

// ---------------------------------------------------------------------------------------------
// Tenants
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_tenants.html")]
struct TenantsPage {
    ui: Ui,
    tenants: Vec<Tenant>,
    code: String,
    name: String,
    errors: Errors,
}

async fn tenants_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    code: String,
    name: String,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        tenants::list(&mut tx, actor).await
    };
    match loaded.await {
        Ok(tenants) => render(v, status, TenantsPage { ui: Ui::new(v, "admin"), tenants, code, name, errors }),
        Err(e) => view::fail(v, e),
    }
}

pub async fn tenants_list(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    tenants_page(&s, &v, &actor, StatusCode::OK, String::new(), String::new(), Errors::default()).await
}

pub async fn tenant_create(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let (code, name) = (form.get("code").trim().to_string(), form.get("name").trim().to_string());
    let new = NewTenant { code: code.clone(), name: name.clone(), kind: "client".into() };
    match change(&s, &v, "/admin/tenants", async |tx| tenants::create(tx, Some(&actor), new).await.map(|_| ())).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => tenants_page(&s, &v, &actor, status, code, name, errors).await,
    }
}

pub async fn tenant_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let patch = TenantPatch { name: Some(form.get("name").to_string()), active: Some(form.get("active") == "1") };
    let res =
        change(&s, &v, "/admin/tenants", async |tx| tenants::update(tx, &actor, id, version, patch).await.map(|_| ()));
    match res.await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, mut errors))) => {
            // Shown above the list, naming the row.
            if errors.form.is_none() {
                let text: Vec<String> = errors.fields.drain().map(|(_, m)| m).collect();
                errors.form = Some(format!("#{id}: {}", text.join(" ")));
            }
            tenants_page(&s, &v, &actor, status, String::new(), String::new(), errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Support groups
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_groups.html")]
struct GroupsPage {
    ui: Ui,
    groups: Vec<GroupView>,
    name: String,
    tier: i64,
    errors: Errors,
}

async fn groups_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    name: String,
    tier: i64,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        groups::list(&mut tx, actor).await
    };
    match loaded.await {
        Ok(groups) => render(v, status, GroupsPage { ui: Ui::new(v, "admin"), groups, name, tier, errors }),
        Err(e) => view::fail(v, e),
    }
}

pub async fn groups_list(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    groups_page(&s, &v, &actor, StatusCode::OK, String::new(), 1, Errors::default()).await
}

pub async fn group_create(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let name = form.get("name").trim().to_string();
    let tier = form.int("tier").unwrap_or(0);
    let input = GroupInput { name: Some(name.clone()), tier: Some(tier), ..Default::default() };
    match change(&s, &v, "/admin/groups", async |tx| groups::create(tx, &actor, input).await.map(|_| ())).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => groups_page(&s, &v, &actor, status, name, tier, errors).await,
    }
}

#[derive(Template)]
#[template(path = "admin_group.html")]
struct GroupPage {
    ui: Ui,
    id: i64,
    name: String,
    tier: i64,
    description: String,
    active: bool,
    version: i64,
    members: Vec<i64>,
    staff: Vec<User>,
    errors: Errors,
}

impl GroupPage {
    fn member(&self, id: &i64) -> bool {
        self.members.contains(id)
    }
}

async fn group_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    id: i64,
    status: StatusCode,
    typed: Option<GroupPage>,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let g = groups::get(&mut tx, actor, id).await?;
        let staff = users::list(&mut tx, actor, &UserFilter { active: Some(true), ..Default::default() }).await?;
        Ok::<_, StoreError>((g, staff))
    };
    let (g, staff) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let staff: Vec<User> =
        staff.into_iter().filter(|u| Role::parse("role", &u.role).is_ok_and(|r| r.is_staff())).collect();
    let page = match typed.filter(|_| errors.form.is_none()) {
        Some(mut p) => {
            p.staff = staff;
            p.errors = errors;
            p
        }
        None => GroupPage {
            ui: Ui::new(v, "admin"),
            id,
            name: g.group.name,
            tier: g.group.tier,
            description: g.group.description,
            active: g.group.active,
            version: g.group.version,
            members: g.members,
            staff,
            errors,
        },
    };
    render(v, status, page)
}

pub async fn group_show(State(s): State<AppState>, Admin(v, actor): Admin, Path(id): Path<i64>) -> Response {
    group_page(&s, &v, &actor, id, StatusCode::OK, None, Errors::default()).await
}

pub async fn group_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let typed = GroupPage {
        ui: Ui::new(&v, "admin"),
        id,
        name: form.get("name").trim().to_string(),
        tier: form.int("tier").unwrap_or(0),
        description: form.get("description").to_string(),
        active: form.get("active") == "1",
        version: form.int("version").unwrap_or(0),
        members: ticked(&form, "member_"),
        staff: Vec::new(),
        errors: Errors::default(),
    };
    let input = GroupInput {
        name: Some(typed.name.clone()),
        tier: Some(typed.tier),
        description: Some(typed.description.clone()),
        active: Some(typed.active),
        members: Some(typed.members.clone()),
        ..Default::default()
    };
    let version = typed.version;
    let to = format!("/admin/groups/{id}");
    match change(&s, &v, &to, async |tx| groups::update(tx, &actor, id, version, input).await.map(|_| ())).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => group_page(&s, &v, &actor, id, status, Some(typed), errors).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Locations
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_locations.html")]
struct LocationsPage {
    ui: Ui,
    locations: Vec<Location>,
    tenants: Vec<Tenant>,
    groups: Vec<GroupView>,
    /// The create form as typed: tenant, building, floor, room, group.
    new: (i64, String, String, String, i64),
    errors: Errors,
}

impl LocationsPage {
    fn held_by(&self, group: &Option<i64>, id: &i64) -> bool {
        *group == Some(*id)
    }

    fn tenant_name(&self, id: &i64) -> &str {
        self.tenants.iter().find(|t| t.id == *id).map(|t| t.name.as_str()).unwrap_or("")
    }
}

type NewLocation = (i64, String, String, String, i64);

async fn locations_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    new: NewLocation,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let locations = locations::list(&mut tx, actor, None).await?;
        let tenants = tenants::list(&mut tx, actor).await?;
        let groups = groups::list(&mut tx, actor).await?;
        Ok::<_, StoreError>((locations, tenants, groups))
    };
    match loaded.await {
        Ok((locations, tenants, groups)) => {
            let page = LocationsPage { ui: Ui::new(v, "admin"), locations, tenants, groups, new, errors };
            render(v, status, page)
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn locations_list(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    locations_page(&s, &v, &actor, StatusCode::OK, NewLocation::default(), Errors::default()).await
}

fn location_input(form: &yunwei_web::ui::session::FormData) -> LocationInput {
    LocationInput {
        building: Some(form.get("building").trim().to_string()),
        floor: Some(form.get("floor").trim().to_string()),
        room: Some(form.get("room").trim().to_string()),
        responsible_group_id: Some(form.int("group").filter(|g| *g > 0)),
        ..Default::default()
    }
}

pub async fn location_create(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let mut input = location_input(&form);
    input.tenant_id = form.int("tenant_id");
    let typed = (
        form.int("tenant_id").unwrap_or(0),
        form.get("building").to_string(),
        form.get("floor").to_string(),
        form.get("room").to_string(),
        form.int("group").unwrap_or(0),
    );
    match change(&s, &v, "/admin/locations", async |tx| locations::create(tx, &actor, input).await.map(|_| ())).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => locations_page(&s, &v, &actor, status, typed, errors).await,
    }
}

pub async fn location_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let mut input = location_input(&form);
    input.active = Some(form.get("active") == "1");
    let res = change(&s, &v, "/admin/locations", async |tx| {
        locations::update(tx, &actor, id, version, input).await.map(|_| ())
    });
    match res.await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, mut errors))) => {
            if errors.form.is_none() {
                let text: Vec<String> = errors.fields.drain().map(|(f, m)| format!("{f}: {m}")).collect();
                errors.form = Some(format!("#{id}: {}", text.join(" ")));
            }
            locations_page(&s, &v, &actor, status, NewLocation::default(), errors).await
        }
    }
}
