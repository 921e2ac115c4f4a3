//! Administration of users (administrators only; anyone else signed in gets 403): list,
//! create, edit role, groups and served tenants, disable/enable, reset password. Every change
//! goes through the store operation the API uses (`users::create/update/set_password`), so the
//! rules live in one place; a refusal is shown beside the field it concerns, in the viewer's
//! language, and a form carries the version it was loaded at (a stale one shows a conflict).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::StoreError;
use yunwei_db::identity::{HashedPassword, User};
use yunwei_kernel::permission::Actor;
use yunwei_kernel::permission::Role;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{Errors, refusal, ticked};
use yunwei_web::ui::session::{Admin, AdminOnly, FormData, Posted, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::groups::{self, GroupView};
use crate::tenants::{self, Tenant};
use crate::users::{self, NewUser, UserFilter, UserPatch, UserView};

// ---------------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------------

/// What the user form shows: the stored user, or what was just typed.
#[derive(Default)]
pub struct UserForm {
    pub login: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub role: String,
    pub tenant_id: i64,
    pub active: bool,
    pub version: i64,
    pub groups: Vec<i64>,
    pub served: Vec<i64>,
}

impl UserForm {
    fn of(u: &UserView) -> UserForm {
        UserForm {
            login: u.user.login.clone(),
            name: u.user.name.clone(),
            email: u.user.email.clone().unwrap_or_default(),
            phone: u.user.phone.clone().unwrap_or_default(),
            role: u.user.role.clone(),
            tenant_id: u.user.tenant_id,
            active: u.user.active,
            version: u.user.version,
            groups: u.groups.clone(),
            served: u.served_tenants.clone(),
        }
    }

    fn posted(form: &FormData) -> UserForm {
        UserForm {
            login: form.get("login").trim().to_string(),
            name: form.get("name").trim().to_string(),
            email: form.get("email").trim().to_string(),
            phone: form.get("phone").trim().to_string(),
            role: form.get("role").to_string(),
            tenant_id: form.int("tenant_id").unwrap_or(0),
            active: true,
            version: form.int("version").unwrap_or(0),
            groups: ticked(form, "group_"),
            served: ticked(form, "serve_"),
        }
    }

    pub fn in_group(&self, id: &i64) -> bool {
        self.groups.contains(id)
    }

    pub fn serves(&self, id: &i64) -> bool {
        self.served.contains(id)
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    ui: Ui,
    users: Vec<User>,
    tenant_names: HashMap<i64, String>,
    roles: Vec<&'static str>,
    tenants: Vec<Tenant>,
    groups: Vec<GroupView>,
    form: UserForm,
    errors: Errors,
    q: String,
}

impl UsersPage {
    fn tenant_name(&self, id: &i64) -> &str {
        self.tenant_names.get(id).map(String::as_str).unwrap_or("")
    }
}

async fn users_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    form: UserForm,
    errors: Errors,
) -> Response {
    let q = v.path.split_once("q=").map(|(_, q)| q.split('&').next().unwrap_or("")).unwrap_or("");
    let q: String =
        form_urlencoded::parse(format!("q={q}").as_bytes()).map(|(_, v)| v.into_owned()).next().unwrap_or_default();
    let loaded = async {
        let mut tx = s.store.read().await?;
        let f = UserFilter { text: Some(q.clone()).filter(|q| !q.trim().is_empty()), ..Default::default() };
        let users = users::list(&mut tx, actor, &f).await?;
        let tenants = tenants::list(&mut tx, actor).await?;
        let groups = groups::list(&mut tx, actor).await?;
        Ok::<_, StoreError>((users, tenants, groups))
    };
    let (users, tenants, groups) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let page = UsersPage {
        ui: Ui::new(v, "admin"),
        users,
        tenant_names: tenants.iter().map(|t| (t.id, t.name.clone())).collect(),
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        tenants,
        groups,
        form,
        errors,
        q,
    };
    render(v, status, page)
}

pub async fn users_list(State(s): State<AppState>, Admin(v, actor): Admin) -> Response {
    let form = UserForm { role: "agent".into(), active: true, ..Default::default() };
    users_page(&s, &v, &actor, StatusCode::OK, form, Errors::default()).await
}

pub async fn user_create(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let typed = UserForm::posted(&form);
    let new = NewUser {
        tenant_id: Some(typed.tenant_id).filter(|t| *t > 0),
        login: typed.login.clone(),
        name: typed.name.clone(),
        email: Some(typed.email.clone()).filter(|e| !e.is_empty()),
        phone: Some(typed.phone.clone()).filter(|p| !p.is_empty()),
        role: typed.role.clone(),
        served_tenants: typed.served.clone(),
        groups: typed.groups.clone(),
        ..Default::default()
    };
    let created = async {
        let new = NewUser { password: Some(HashedPassword::new(form.get("password")).await?), ..new };
        let mut tx = s.store.write().await?;
        let u = users::create(&mut tx, Some(&actor), new).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(u)
    };
    match created.await {
        Ok(u) => view::redirect_with(&v, &format!("/admin/users/{}", u.user.id), "flash.saved"),
        Err(e) => match refusal(&v, e) {
            Ok((status, errors)) => users_page(&s, &v, &actor, status, typed, errors).await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    ui: Ui,
    id: i64,
    roles: Vec<&'static str>,
    tenants: Vec<Tenant>,
    groups: Vec<GroupView>,
    form: UserForm,
    /// The stored version, for the small forms (disable, password) beside the main one.
    version: i64,
    active: bool,
    tenant_name: String,
    errors: Errors,
}

async fn user_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    id: i64,
    status: StatusCode,
    typed: Option<UserForm>,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let user = users::get(&mut tx, actor, id).await?;
        let tenants = tenants::list(&mut tx, actor).await?;
        let groups = groups::list(&mut tx, actor).await?;
        Ok::<_, StoreError>((user, tenants, groups))
    };
    let (user, tenants, groups) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let stored = UserForm::of(&user);
    // A conflict shows what is stored now (and its version); other refusals what was typed.
    let mut form = typed.filter(|_| errors.form.is_none()).unwrap_or_else(|| UserForm::of(&user));
    form.login = stored.login.clone();
    form.tenant_id = stored.tenant_id;
    let page = UserPage {
        ui: Ui::new(v, "admin"),
        id,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
        tenant_name: tenants.iter().find(|t| t.id == user.user.tenant_id).map(|t| t.name.clone()).unwrap_or_default(),
        tenants,
        groups,
        version: stored.version,
        active: stored.active,
        form,
        errors,
    };
    render(v, status, page)
}

pub async fn user_show(State(s): State<AppState>, Admin(v, actor): Admin, Path(id): Path<i64>) -> Response {
    user_page(&s, &v, &actor, id, StatusCode::OK, None, Errors::default()).await
}

/// Runs a user change in a write transaction and answers with a redirect or the form again.
async fn user_change(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    id: i64,
    typed: Option<UserForm>,
    change: impl AsyncFnOnce(&mut yunwei_db::Tx) -> Result<(), StoreError>,
) -> Response {
    let saved = async {
        let mut tx = s.store.write().await?;
        change(&mut tx).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => view::redirect_with(v, &format!("/admin/users/{id}"), "flash.saved"),
        Err(e) => match refusal(v, e) {
            Ok((status, errors)) => user_page(s, v, actor, id, status, typed, errors).await,
            Err(page) => page,
        },
    }
}

pub async fn user_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let typed = UserForm::posted(&form);
    let version = typed.version;
    let patch = UserPatch {
        name: Some(typed.name.clone()),
        email: Some(Some(typed.email.clone()).filter(|e| !e.is_empty())),
        phone: Some(Some(typed.phone.clone()).filter(|p| !p.is_empty())),
        role: Some(typed.role.clone()),
        groups: Some(typed.groups.clone()),
        served_tenants: Some(typed.served.clone()),
        ..Default::default()
    };
    user_change(&s, &v, &actor, id, Some(typed), async |tx| {
        users::update(tx, &actor, id, version, patch).await.map(|_| ())
    })
    .await
}

/// Disables or enables an account (a disabled user's sessions and tokens end at once).
pub async fn user_active(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let patch = UserPatch { active: Some(form.get("active") == "1"), ..Default::default() };
    user_change(&s, &v, &actor, id, None, async |tx| users::update(tx, &actor, id, version, patch).await.map(|_| ()))
        .await
}

pub async fn user_password(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let password = match HashedPassword::new(form.get("password")).await {
        Ok(p) => p,
        Err(e) => {
            return match refusal(&v, e) {
                Ok((status, errors)) => user_page(&s, &v, &actor, id, status, None, errors).await,
                Err(page) => page,
            };
        }
    };
    user_change(&s, &v, &actor, id, None, async |tx| {
        users::get(tx, &actor, id).await?;
        users::set_password(tx, Some(&actor), id, &password).await
    })
    .await
}
