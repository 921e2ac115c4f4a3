//! Administration pages (administrators only; anyone else signed in gets 403): users — list,
//! create, edit role, groups and served tenants, disable/enable, reset password — and the
//! impact × urgency priority matrix. Every change goes through the store operation the API
//! uses (`users::create/update/set_password`, `settings::put_at`), so the rules live in one
//! place; a refusal is shown beside the field it concerns, in the viewer's language, and a
//! form carries the version it was loaded at (a stale one shows a conflict).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_domain::DomainError;
use yunwei_domain::permission::{Permission, Role};
use yunwei_domain::priority::PriorityMatrix;
use yunwei_store::groups::GroupView;
use yunwei_store::tenants::Tenant;
use yunwei_store::users::{self, NewUser, User, UserFilter, UserPatch, UserView};
use yunwei_store::{StoreError, groups, settings, tenants};

use super::i18n::{self, Locale};
use super::session::{Ctx, FormData, Posted, Viewer};
use super::view::{self, Ui, render};
use crate::AppState;

/// Administrators only: anyone else signed in is told they may not (403).
pub(super) fn admin_only(v: &Viewer) -> Option<Response> {
    match v.actor() {
        None => Some(super::session::to_login(&v.path)),
        Some(a) if !a.may(Permission::ManageOrganisation) => {
            Some(view::problem_page(v, StatusCode::FORBIDDEN, "error.refused_title", "error.forbidden"))
        }
        Some(_) => None,
    }
}

/// Refusals shown on a form: one message per field, and one for the form as a whole.
#[derive(Default)]
pub struct Errors {
    pub fields: HashMap<String, String>,
    pub form: Option<String>,
}

impl Errors {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub fn any(&self) -> bool {
        self.form.is_some() || !self.fields.is_empty()
    }
}

/// A store message in the viewer's language where we know it; otherwise as written.
pub(super) fn message(locale: Locale, text: &str) -> String {
    let key = match text {
        "must not be empty" | "is required" => "error.required",
        "this login is already taken" => "admin.err.login_taken",
        "must be at least 8 characters" => "admin.err.password_short",
        "you cannot demote or disable your own account" => "admin.err.self",
        "is required for end users" => "admin.err.tenant_required",
        "a lower impact must not give a higher priority than the row above" => "admin.err.matrix_row",
        "a lower urgency must not give a higher priority than the column to its left" => "admin.err.matrix_col",
        "a tenant with this code already exists" => "admin.err.code_taken",
        "a group with this name already exists" => "admin.err.group_taken",
        "a category with this code already exists" => "admin.err.category_taken",
        "a category cannot be placed under itself" => "admin.err.category_cycle",
        "must be 1, 2 or 3 (L1, L2, L3)" => "admin.err.tier",
        t if t.starts_with("must be 1 to 32 characters") => "admin.err.code_format",
        t if t.starts_with("must be 2 to 64 characters") => "admin.err.login_format",
        t if t.starts_with("no such id") => "admin.err.no_such",
        t => {
            if let Some(n) = t.strip_prefix("must be at most ").and_then(|r| r.strip_suffix(" characters")) {
                return i18n::tf(locale, "error.too_long", &[("n", n)]);
            }
            return t.to_string();
        }
    };
    i18n::t(locale, key).to_string()
}

/// A store refusal as form errors and a status, or a whole page (not found, failure).
#[allow(clippy::result_large_err)]
pub(super) fn refusal(v: &Viewer, e: StoreError) -> Result<(StatusCode, Errors), Response> {
    let l = v.locale;
    let mut errors = Errors::default();
    let status = match e {
        StoreError::Domain(DomainError::Invalid(f)) => {
            errors.fields.insert(f.field.clone(), message(l, &f.message));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Duplicate { field, message: m } => {
            errors.fields.insert(field.to_string(), message(l, &m));
            StatusCode::CONFLICT
        }
        StoreError::Conflict(_) => {
            errors.form = Some(i18n::t(l, "admin.conflict").to_string());
            StatusCode::CONFLICT
        }
        other => {
            let (status, text) = view::explain(v, other)?;
            errors.form = Some(text);
            status
        }
    };
    Ok((status, errors))
}

/// Ids ticked in a list of checkboxes named `{prefix}{id}`.
pub(super) fn ticked(form: &FormData, prefix: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = form
        .fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix(prefix)?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

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

async fn users_page(s: &AppState, v: &Viewer, status: StatusCode, form: UserForm, errors: Errors) -> Response {
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let q = v.path.split_once("q=").map(|(_, q)| q.split('&').next().unwrap_or("")).unwrap_or("");
    let q: String =
        form_urlencoded::parse(format!("q={q}").as_bytes()).map(|(_, v)| v.into_owned()).next().unwrap_or_default();
    let loaded = async {
        let mut tx = s.store.read().await?;
        let f = UserFilter { text: Some(q.clone()).filter(|q| !q.trim().is_empty()), ..Default::default() };
        let users = users::list(&mut tx, &actor, &f).await?;
        let tenants = tenants::list(&mut tx, &actor).await?;
        let groups = groups::list(&mut tx, &actor).await?;
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

pub async fn users_list(State(s): State<AppState>, Ctx(v): Ctx) -> Response {
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let form = UserForm { role: "agent".into(), active: true, ..Default::default() };
    users_page(&s, &v, StatusCode::OK, form, Errors::default()).await
}

pub async fn user_create(State(s): State<AppState>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let typed = UserForm::posted(&form);
    let new = NewUser {
        tenant_id: Some(typed.tenant_id).filter(|t| *t > 0),
        login: typed.login.clone(),
        name: typed.name.clone(),
        email: Some(typed.email.clone()).filter(|e| !e.is_empty()),
        phone: Some(typed.phone.clone()).filter(|p| !p.is_empty()),
        role: typed.role.clone(),
        password: Some(form.get("password").to_string()),
        served_tenants: typed.served.clone(),
        groups: typed.groups.clone(),
        ..Default::default()
    };
    let created = async {
        let mut tx = s.store.write().await?;
        let u = users::create(&mut tx, Some(&actor), new).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(u)
    };
    match created.await {
        Ok(u) => view::redirect_with(&v, &format!("/admin/users/{}", u.user.id), "flash.saved"),
        Err(e) => match refusal(&v, e) {
            Ok((status, errors)) => users_page(&s, &v, status, typed, errors).await,
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
    id: i64,
    status: StatusCode,
    typed: Option<UserForm>,
    errors: Errors,
) -> Response {
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let loaded = async {
        let mut tx = s.store.read().await?;
        let user = users::get(&mut tx, &actor, id).await?;
        let tenants = tenants::list(&mut tx, &actor).await?;
        let groups = groups::list(&mut tx, &actor).await?;
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

pub async fn user_show(State(s): State<AppState>, Ctx(v): Ctx, Path(id): Path<i64>) -> Response {
    if let Some(res) = admin_only(&v) {
        return res;
    }
    user_page(&s, &v, id, StatusCode::OK, None, Errors::default()).await
}

/// Runs a user change in a write transaction and answers with a redirect or the form again.
async fn user_change(
    s: &AppState,
    v: &Viewer,
    id: i64,
    typed: Option<UserForm>,
    change: impl AsyncFnOnce(&mut yunwei_store::Tx) -> Result<(), StoreError>,
) -> Response {
    let saved = async {
        let mut tx = s.store.write().await?;
        change(&mut tx).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => view::redirect_with(v, &format!("/admin/users/{id}"), "flash.saved"),
        Err(e) => match refusal(v, e) {
            Ok((status, errors)) => user_page(s, v, id, status, typed, errors).await,
            Err(page) => page,
        },
    }
}

pub async fn user_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
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
    user_change(&s, &v, id, Some(typed), async |tx| users::update(tx, &actor, id, version, patch).await.map(|_| ()))
        .await
}

/// Disables or enables an account (a disabled user's sessions and tokens end at once).
pub async fn user_active(State(s): State<AppState>, Path(id): Path<i64>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let version = form.int("version").unwrap_or(0);
    let patch = UserPatch { active: Some(form.get("active") == "1"), ..Default::default() };
    user_change(&s, &v, id, None, async |tx| users::update(tx, &actor, id, version, patch).await.map(|_| ())).await
}

pub async fn user_password(State(s): State<AppState>, Path(id): Path<i64>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let password = form.get("password").to_string();
    user_change(&s, &v, id, None, async |tx| {
        users::get(tx, &actor, id).await?;
        users::set_password(tx, Some(&actor), id, &password).await
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// The priority matrix
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_matrix.html")]
struct MatrixPage {
    ui: Ui,
    cells: [[u8; 4]; 4],
    version: i64,
    /// The cell a refusal concerns, as `(impact, urgency)` from 1.
    bad: Option<(usize, usize)>,
    errors: Errors,
}

impl MatrixPage {
    fn cell(&self, impact: &usize, urgency: &usize) -> u8 {
        self.cells[impact - 1][urgency - 1]
    }

    fn is_bad(&self, impact: &usize, urgency: &usize) -> bool {
        self.bad == Some((*impact, *urgency))
    }
}

async fn matrix_page(
    s: &AppState,
    v: &Viewer,
    status: StatusCode,
    typed: Option<([[u8; 4]; 4], i64)>,
    errors: Errors,
    bad: Option<(usize, usize)>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let m = settings::priority_matrix(&mut tx).await?;
        let version = settings::version(&mut tx, settings::PRIORITY_MATRIX).await?;
        Ok::<_, StoreError>((m, version))
    };
    let (m, version) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    // A conflict shows what is stored now (and its version); other refusals what was typed.
    let (cells, version) = match typed {
        Some((cells, typed_version)) if errors.form.is_none() => (cells, typed_version),
        _ => (m.cells, version),
    };
    render(v, status, MatrixPage { ui: Ui::new(v, "admin"), cells, version, bad, errors })
}

pub async fn matrix_show(State(s): State<AppState>, Ctx(v): Ctx) -> Response {
    if let Some(res) = admin_only(&v) {
        return res;
    }
    matrix_page(&s, &v, StatusCode::OK, None, Errors::default(), None).await
}

pub async fn matrix_save(State(s): State<AppState>, p: Posted) -> Response {
    let Posted { viewer: v, form } = p;
    if let Some(res) = admin_only(&v) {
        return res;
    }
    let Some(actor) = v.actor().cloned() else { return super::session::to_login(&v.path) };
    let version = form.int("version").unwrap_or(0);
    let mut cells = [[0u8; 4]; 4];
    for (i, row) in cells.iter_mut().enumerate() {
        for (u, cell) in row.iter_mut().enumerate() {
            *cell = form.int(&format!("c{}{}", i + 1, u + 1)).and_then(|n| u8::try_from(n).ok()).unwrap_or(0);
        }
    }
    let saved = async {
        let m = PriorityMatrix::new(cells)?;
        let mut tx = s.store.write().await?;
        settings::put_at(&mut tx, &actor, settings::PRIORITY_MATRIX, &m, version).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => view::redirect_with(&v, "/admin/matrix", "flash.saved"),
        Err(e) => {
            // The domain names the cell as `cells[impact-1][urgency-1]`.
            let bad = match &e {
                StoreError::Domain(DomainError::Invalid(f)) => {
                    let digits: Vec<usize> =
                        f.field.chars().filter_map(|c| c.to_digit(10)).map(|d| d as usize).collect();
                    (digits.len() == 2).then(|| (digits[0] + 1, digits[1] + 1))
                }
                _ => None,
            };
            match refusal(&v, e) {
                Ok((status, mut errors)) => {
                    if bad.is_some() {
                        // Shown beside the grid, which is the field.
                        let text: Vec<String> = errors.fields.drain().map(|(_, m)| m).collect();
                        errors.fields.insert("matrix".into(), text.join(" "));
                    }
                    matrix_page(&s, &v, status, Some((cells, version)), errors, bad).await
                }
                Err(page) => page,
            }
        }
    }
}
