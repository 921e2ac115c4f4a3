//! The CI list (filters and cursor pages), a CI's page (its facts, attributes in the viewer's
//! language, relationships, history, work, the edit form and the relationship form for those
//! who manage CIs) and the new-CI form. Form text goes through `attributes::parse_cell`, so a
//! value is refused beside its field exactly as an import would refuse it, with what was
//! typed kept.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_db::{StoreError, Time, Tx};
use yunwei_kernel::DomainError;
use yunwei_kernel::permission::Actor;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{self, Errors};
use yunwei_web::ui::i18n::{self, Locale};
use yunwei_web::ui::session::{Ctx, FormData, Posted, SignedIn, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use super::{Names, enc};
use crate::rules::CiStatus;
use crate::rules::attributes::{self, AttrKind, AttrSpec};
use crate::rules::permissions::{MANAGE_CIS, MANAGE_CLASSES, READ_CMDB};
use crate::rules::relations::RelationKind;
use crate::store::cis::{self, Ci, CiFilter, CiInput, HistoryEntry};
use crate::store::classes::{self as class_store, Class};
use crate::store::relations::{self, Neighbour};
use crate::store::work::{self, WorkItem};

/// CIs per page of the list.
const PAGE: i64 = 50;

/// Those who may read the CMDB (staff, a client's IT contact); anyone else gets the 404 page.
#[allow(clippy::result_large_err)]
pub(crate) fn reader(v: &Viewer, actor: &Actor) -> Result<(), Response> {
    if actor.may(READ_CMDB) { Ok(()) } else { Err(view::not_found(v)) }
}

fn locale_code(l: Locale) -> &'static str {
    l.as_str()
}

/// A relationship kind's words read from the CI at the `out` (source) or `in` (target) end.
pub(crate) fn kind_label(l: Locale, kind: RelationKind, outgoing: bool) -> &'static str {
    let prefix = if outgoing { "cmdb.kind" } else { "cmdb.kind_in" };
    i18n::t(l, &format!("{prefix}.{}", kind.as_str()))
}

// ---------------------------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    tenant: Option<String>,
    class: Option<String>,
    status: Option<String>,
    q: Option<String>,
    after: Option<String>,
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub class: String,
    pub tenant: String,
    pub status: &'static str,
    pub location: String,
}

#[derive(Template)]
#[template(path = "cmdb_list.html")]
struct ListPage {
    ui: Ui,
    rows: Vec<Row>,
    q: String,
    tenant: i64,
    class: String,
    status: String,
    tenants: Vec<(i64, String)>,
    classes: Vec<(String, String)>,
    statuses: Vec<&'static str>,
    may_manage: bool,
    may_classes: bool,
    base_query: String,
    next: Option<i64>,
    first_page: bool,
}

pub async fn list(State(s): State<AppState>, Ctx(v, actor): Ctx, Query(q): Query<ListQuery>) -> Response {
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    let text = q.q.clone().unwrap_or_default().trim().to_string();
    let tenant = q.tenant.as_deref().and_then(|t| t.trim().parse::<i64>().ok()).filter(|t| *t > 0);
    let class = q.class.clone().unwrap_or_default().trim().to_string();
    let status = CiStatus::parse("status", q.status.as_deref().unwrap_or("")).ok();
    let after = q.after.as_deref().and_then(|a| a.trim().parse::<i64>().ok());
    let filter = CiFilter {
        tenant_id: tenant,
        class: Some(class.clone()).filter(|c| !c.is_empty()),
        status,
        q: Some(text.clone()).filter(|t| !t.is_empty()),
        after,
        limit: Some(PAGE + 1),
        ..Default::default()
    };
    let loaded = async {
        let mut tx = s.store.read().await?;
        let found = cis::list(&mut tx, &actor, &filter).await?;
        let names = Names::load(&mut tx, &actor).await?;
        Ok::<_, StoreError>((found, names))
    };
    let (mut found, names) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let next = if found.len() as i64 > PAGE {
        found.truncate(PAGE as usize);
        found.last().map(|c| c.id)
    } else {
        None
    };
    let l = locale_code(v.locale);
    let rows = found
        .into_iter()
        .map(|c| Row {
            id: c.id,
            class: names.class_name(&c.class_code, l),
            tenant: names.tenant(c.tenant_id),
            status: c.status.as_str(),
            location: names.location(c.location_id),
            name: c.name,
        })
        .collect();
    let mut base = Vec::new();
    if !text.is_empty() {
        base.push(format!("q={}", enc(&text)));
    }
    if let Some(t) = tenant {
        base.push(format!("tenant={t}"));
    }
    if !class.is_empty() {
        base.push(format!("class={}", enc(&class)));
    }
    if let Some(st) = status {
        base.push(format!("status={}", st.as_str()));
    }
    let classes = names.classes.iter().filter(|c| c.active).map(|c| (c.code.clone(), c.name(l).to_string())).collect();
    let page = ListPage {
        ui: Ui::new(&v, "cmdb"),
        rows,
        q: text,
        tenant: tenant.unwrap_or(0),
        class,
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        tenants: names.tenants.clone(),
        classes,
        statuses: CiStatus::ALL.iter().map(|s| s.as_str()).collect(),
        may_manage: actor.may(MANAGE_CIS),
        may_classes: actor.may(MANAGE_CLASSES),
        base_query: base.join("&"),
        next,
        first_page: after.is_none(),
    };
    render(&v, StatusCode::OK, page)
}

// ---------------------------------------------------------------------------------------------
// The form of a CI's fields (new and edit)
// ---------------------------------------------------------------------------------------------

/// One attribute's input.
pub struct Field {
    pub code: String,
    pub label: String,
    /// `text`, `number`, `date`, `checkbox`, `select`, `ip`, `ips` or `ref`.
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    /// For a select: (code, name in the viewer's language).
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub error: Option<String>,
}

/// The CI form's values, as shown (from the CI or from what was posted).
#[derive(Default)]
pub struct CiForm {
    pub name: String,
    pub status: String,
    pub tenant: i64,
    pub class: String,
    pub location: i64,
    pub group: i64,
    pub fields: Vec<Field>,
}

fn input_of(kind: AttrKind) -> &'static str {
    match kind {
        AttrKind::Text => "text",
        AttrKind::Number => "number",
        AttrKind::Date => "date",
        AttrKind::Boolean => "checkbox",
        AttrKind::Ip => "ip",
        AttrKind::IpList => "ips",
        AttrKind::Enum => "select",
        AttrKind::Reference => "ref",
    }
}

/// The inputs of `class`'s attributes: `raw` gives each one's text and whether it is ticked.
fn fields(class: &Class, l: Locale, errors: &Errors, raw: impl Fn(&AttrSpec) -> (String, bool)) -> Vec<Field> {
    class
        .attributes
        .iter()
        .map(|spec| {
            let (value, checked) = raw(spec);
            Field {
                code: spec.code.clone(),
                label: spec.name(l.as_str()).to_string(),
                input: input_of(spec.kind),
                value,
                checked,
                options: spec.options.iter().map(|o| (o.code.clone(), option_name(o, l))).collect(),
                required: spec.required,
                error: errors.field(&format!("attributes.{}", spec.code)).map(str::to_string),
            }
        })
        .collect()
}

fn option_name(o: &attributes::Choice, l: Locale) -> String {
    if l == Locale::ZhCn { o.name_zh.clone() } else { o.name_en.clone() }
}

/// The form as a stored CI fills it.
fn form_of_ci(ci: &Ci, class: &Class, l: Locale) -> CiForm {
    CiForm {
        name: ci.name.clone(),
        status: ci.status.as_str().to_string(),
        tenant: ci.tenant_id,
        class: ci.class_code.clone(),
        location: ci.location_id.unwrap_or(0),
        group: ci.owner_group_id.unwrap_or(0),
        fields: fields(class, l, &Errors::default(), |spec| match ci.attributes.get(&spec.code) {
            Some(Value::Bool(b)) => (String::new(), *b),
            Some(v) => (attributes::display(v), false),
            None => (String::new(), false),
        }),
    }
}

/// The form as it was posted, with the refusals beside the fields.
fn form_of_post(form: &FormData, class: &Class, l: Locale, errors: &Errors) -> CiForm {
    CiForm {
        name: form.get("name").to_string(),
        status: form.get("status").to_string(),
        tenant: form.int("tenant_id").unwrap_or(0),
        class: class.code.clone(),
        location: form.int("location_id").unwrap_or(0),
        group: form.int("owner_group_id").unwrap_or(0),
        fields: fields(class, l, errors, |spec| {
            let text = form.get(&format!("attr.{}", spec.code));
            (text.to_string(), !text.is_empty())
        }),
    }
}

/// Says at the top of a long form that fields below were refused (each says why beside it).
fn summarise(mut errors: Errors, l: Locale) -> Errors {
    if errors.form.is_none() && !errors.fields.is_empty() {
        errors.form = Some(i18n::t(l, "cmdb.ci.fix_fields").to_string());
    }
    errors
}

/// Puts a domain refusal beside its field.
fn refuse(errors: &mut Errors, l: Locale, e: DomainError) {
    match e {
        DomainError::Invalid(f) => {
            errors.fields.insert(f.field, i18n::problem(l, &f.problem));
        }
        DomainError::Forbidden(p) => errors.form = Some(i18n::problem(l, &p)),
        _ => errors.form = Some(i18n::t(l, "error.refused_title").to_string()),
    }
}

/// The attribute values of a posted form, each through `parse_cell`; a box left unticked
/// clears a yes/no value unless it had one or is required (then it is "no").
fn posted_values(
    class: &Class,
    form: &FormData,
    current: Option<&Map<String, Value>>,
    l: Locale,
    errors: &mut Errors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for spec in class.attributes.iter() {
        let text = form.get(&format!("attr.{}", spec.code));
        let value = if spec.kind == AttrKind::Boolean {
            let had = current.is_some_and(|c| c.contains_key(&spec.code));
            if !text.is_empty() {
                Ok(Value::Bool(true))
            } else if had || spec.required {
                Ok(Value::Bool(false))
            } else {
                Ok(Value::Null)
            }
        } else {
            attributes::parse_cell(spec, text)
        };
        match value {
            Ok(v) => {
                out.insert(spec.code.clone(), v);
            }
            Err(e) => refuse(errors, l, e),
        }
    }
    out
}

/// The status, location and group of a posted form.
fn posted_links(form: &FormData, l: Locale, errors: &mut Errors) -> (Option<CiStatus>, Option<i64>, Option<i64>) {
    let status = match CiStatus::parse("status", form.get("status")) {
        Ok(s) => Some(s),
        Err(e) => {
            refuse(errors, l, e);
            None
        }
    };
    (status, form.int("location_id"), form.int("owner_group_id"))
}

// ---------------------------------------------------------------------------------------------
// A CI's page
// ---------------------------------------------------------------------------------------------

/// An attribute as the page shows it.
pub struct Fact {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

pub struct RelView {
    pub id: i64,
    pub label: &'static str,
    pub other_id: i64,
    pub other_name: String,
    pub other_class: String,
    pub other_status: &'static str,
}

pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

pub struct HistView {
    pub at: Time,
    pub who: String,
    pub what: &'static str,
    pub detail: String,
    pub link: Option<i64>,
    pub changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "cmdb_ci.html")]
struct CiPage {
    ui: Ui,
    ci: Ci,
    class_name: String,
    tenant: String,
    location: String,
    group: String,
    user: String,
    facts: Vec<Fact>,
    outgoing: Vec<RelView>,
    incoming: Vec<RelView>,
    history: Vec<HistView>,
    open_work: Vec<WorkItem>,
    past_work: Vec<WorkItem>,
    may_manage: bool,
    form: CiForm,
    errors: Errors,
    edit_open: bool,
    kinds: Vec<(String, &'static str)>,
    rel_kind: String,
    rel_target: String,
    rel_errors: Errors,
    statuses: Vec<&'static str>,
    groups: Vec<(i64, String)>,
    locations: Vec<(i64, String)>,
}

/// An attribute value in words: an option's name, yes or no, the rest as stored.
fn value_text(spec: Option<&AttrSpec>, value: &Value, l: Locale) -> String {
    match (spec, value) {
        (_, Value::Null) => "—".to_string(),
        (_, Value::Bool(b)) => i18n::t(l, if *b { "cmdb.yes" } else { "cmdb.no" }).to_string(),
        (Some(spec), Value::String(code)) if spec.kind == AttrKind::Enum => {
            spec.options.iter().find(|o| &o.code == code).map(|o| option_name(o, l)).unwrap_or_else(|| code.clone())
        }
        (_, v) => attributes::display(v),
    }
}

fn field_label(field: &str, class: &Class, l: Locale) -> String {
    if let Some(code) = field.strip_prefix("attributes.") {
        return class.spec(code).map(|s| s.name(l.as_str()).to_string()).unwrap_or_else(|| code.to_string());
    }
    let key = match field {
        "name" => "cmdb.field.name",
        "status" => "field.status",
        "location_id" => "field.location_id",
        "owner_group_id" => "cmdb.field.owner_group",
        "user_id" => "cmdb.field.user",
        _ => return field.to_string(),
    };
    i18n::t(l, key).to_string()
}

fn change_value(field: &str, v: &Value, class: &Class, names: &Names, l: Locale) -> String {
    if v.is_null() {
        return "—".to_string();
    }
    match field {
        "status" => v
            .as_str()
            .map(|s| i18n::t(l, &format!("cmdb.status.{s}")).to_string())
            .unwrap_or_else(|| attributes::display(v)),
        "location_id" => names.location(v.as_i64()),
        "owner_group_id" => names.group(v.as_i64()),
        "user_id" => format!("#{}", attributes::display(v)),
        f => value_text(f.strip_prefix("attributes.").and_then(|c| class.spec(c)), v, l),
    }
}

fn history_view(h: HistoryEntry, class: &Class, names: &Names, l: Locale) -> HistView {
    let data = &h.data.0;
    let what = match h.kind.as_str() {
        "created" => "cmdb.history.created",
        "updated" => "cmdb.history.updated",
        "relation_added" => "cmdb.history.relation_added",
        "relation_removed" => "cmdb.history.relation_removed",
        _ => "common.unknown",
    };
    let mut detail = String::new();
    let mut link = None;
    if h.kind.starts_with("relation_") {
        let kind = data.get("kind").and_then(Value::as_str).and_then(|k| RelationKind::parse("kind", k).ok());
        let outgoing = data.get("direction").and_then(Value::as_str) == Some("out");
        let other = data.get("other_name").and_then(Value::as_str).unwrap_or("");
        if let Some(kind) = kind {
            detail = format!("{} {other}", kind_label(l, kind, outgoing));
        }
        link = data.get("other_id").and_then(Value::as_i64);
    }
    let changes = data
        .get("changes")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|c| {
                    let field = c.get("field").and_then(Value::as_str).unwrap_or("");
                    let before = c.get("before").unwrap_or(&Value::Null);
                    let after = c.get("after").unwrap_or(&Value::Null);
                    Change {
                        field: field_label(field, class, l),
                        before: change_value(field, before, class, names, l),
                        after: change_value(field, after, class, names, l),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    HistView {
        at: h.at,
        who: h.actor_name.unwrap_or_else(|| i18n::t(l, "common.system").to_string()),
        what,
        detail,
        link,
        changes,
    }
}

fn rel_view(n: Neighbour, names: &Names, l: Locale) -> RelView {
    RelView {
        id: n.id,
        label: kind_label(l, n.kind, n.direction == "out"),
        other_id: n.other_id,
        other_class: names.class_name(&n.other_class, l.as_str()),
        other_status: n.other_status.as_str(),
        other_name: n.other_name,
    }
}

/// The relationship kinds offered on a CI's page: each kind read from this CI both ways.
fn kinds(l: Locale) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for k in RelationKind::ALL {
        out.push((format!("out:{}", k.as_str()), kind_label(l, *k, true)));
    }
    for k in RelationKind::ALL {
        out.push((format!("in:{}", k.as_str()), kind_label(l, *k, false)));
    }
    out
}

/// What a CI's page shows besides its form.
struct Loaded {
    ci: Ci,
    class: Class,
    names: Names,
    neighbours: Vec<Neighbour>,
    history: Vec<HistoryEntry>,
    work: Vec<WorkItem>,
    user: String,
    references: HashMap<i64, String>,
}

async fn load(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Loaded, StoreError> {
    let ci = cis::get(tx, actor, id).await?;
    let class = class_store::get(tx, ci.class_id).await?;
    let names = Names::load(tx, actor).await?;
    let neighbours = relations::of(tx, actor, id).await?;
    let history = cis::history_of(tx, actor, id).await?;
    let work = work::for_cis(tx, actor, &[id], false, 200).await?;
    let user = match ci.user_id {
        Some(u) => match yunwei_org::users::get(tx, actor, u).await {
            Ok(view) => view.user.name,
            Err(StoreError::NotFound(_)) => format!("#{u}"),
            Err(e) => return Err(e),
        },
        None => String::new(),
    };
    let ref_ids: Vec<i64> = class
        .attributes
        .iter()
        .filter(|a| a.kind == AttrKind::Reference)
        .filter_map(|a| ci.attributes.get(&a.code).and_then(Value::as_i64))
        .collect();
    let references = cis::visible_among(tx, actor, &ref_ids).await?.into_iter().map(|c| (c.id, c.name)).collect();
    Ok(Loaded { ci, class, names, neighbours, history, work, user, references })
}

/// What was posted to a form of the page and its refusals, to show again.
struct Posting<'a> {
    form: &'a FormData,
    errors: Errors,
}

async fn ci_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    id: i64,
    status: StatusCode,
    edit: Option<Posting<'_>>,
    relate: Option<Posting<'_>>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        load(&mut tx, actor, id).await
    };
    let Loaded { ci, class, names, neighbours, history, work, user, references } = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let l = v.locale;
    let facts = class
        .attributes
        .iter()
        .map(|spec| {
            let value = ci.attributes.get(&spec.code).cloned().unwrap_or(Value::Null);
            let href = (spec.kind == AttrKind::Reference).then(|| value.as_i64()).flatten();
            let text = match href.and_then(|r| references.get(&r)) {
                Some(name) => name.clone(),
                None => value_text(Some(spec), &value, l),
            };
            Fact { label: spec.name(l.as_str()).to_string(), value: text, href: href.map(|r| format!("/cmdb/{r}")) }
        })
        .collect();
    let (mut outgoing, mut incoming) = (Vec::new(), Vec::new());
    for n in neighbours {
        if n.direction == "out" {
            outgoing.push(rel_view(n, &names, l));
        } else {
            incoming.push(rel_view(n, &names, l));
        }
    }
    let (open_work, past_work): (Vec<WorkItem>, Vec<WorkItem>) = work.into_iter().partition(|w| w.open);
    let edit_open = edit.is_some();
    let (form, errors) = match edit {
        Some(p) => (form_of_post(p.form, &class, l, &p.errors), summarise(p.errors, l)),
        None => (form_of_ci(&ci, &class, l), Errors::default()),
    };
    let (rel_kind, rel_target, rel_errors) = match relate {
        Some(p) => (p.form.get("kind").to_string(), p.form.get("target").to_string(), p.errors),
        None => ("out:runs_on".to_string(), String::new(), Errors::default()),
    };
    let tenant_id = ci.tenant_id;
    let page = CiPage {
        ui: Ui::new(v, "cmdb"),
        class_name: class.name(l.as_str()).to_string(),
        tenant: names.tenant(tenant_id),
        location: names.location(ci.location_id),
        group: names.group(ci.owner_group_id),
        user,
        facts,
        outgoing,
        incoming,
        history: history.into_iter().map(|h| history_view(h, &class, &names, l)).collect(),
        open_work,
        past_work,
        may_manage: actor.may(MANAGE_CIS),
        form,
        errors,
        edit_open,
        kinds: kinds(l),
        rel_kind,
        rel_target,
        rel_errors,
        statuses: CiStatus::ALL.iter().map(|s| s.as_str()).collect(),
        groups: names.groups.clone(),
        locations: names
            .locations
            .iter()
            .filter(|(_, t, _)| *t == tenant_id)
            .map(|(id, _, label)| (*id, label.clone()))
            .collect(),
        ci,
    };
    render(v, status, page)
}

pub async fn show(State(s): State<AppState>, Ctx(v, actor): Ctx, Path(id): Path<i64>) -> Response {
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    ci_page(&s, &v, &actor, id, StatusCode::OK, None, None).await
}

pub async fn update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    let l = v.locale;
    let loaded = async {
        let mut tx = s.store.read().await?;
        let ci = cis::get(&mut tx, &actor, id).await?;
        let class = class_store::get(&mut tx, ci.class_id).await?;
        Ok::<_, StoreError>((ci, class))
    };
    let (ci, class) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(&v, e),
    };
    let mut errors = Errors::default();
    let values = posted_values(&class, &form, Some(&ci.attributes), l, &mut errors);
    let (status, location, group) = posted_links(&form, l, &mut errors);
    if errors.any() {
        let posting = Posting { form: &form, errors };
        return ci_page(&s, &v, &actor, id, StatusCode::UNPROCESSABLE_ENTITY, Some(posting), None).await;
    }
    let input = CiInput {
        name: Some(form.get("name").to_string()),
        status,
        location_id: Some(location),
        owner_group_id: Some(group),
        attributes: values,
        ..Default::default()
    };
    let version = form.int("version").unwrap_or(0);
    let to = format!("/cmdb/{id}");
    match forms::change(&s, &v, &to, async |tx| cis::update(tx, &actor, id, version, input).await.map(|_| ())).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => {
            let posting = Posting { form: &form, errors };
            ci_page(&s, &v, &actor, id, status, Some(posting), None).await
        }
    }
}

/// The CI named on the relationship form: an id, or words that find exactly one CI.
async fn target_of(tx: &mut Tx, actor: &Actor, this: i64, text: &str) -> Result<i64, StoreError> {
    let text = text.trim().trim_start_matches('#');
    if text.is_empty() {
        return Err(StoreError::invalid("target_id", "required"));
    }
    if let Ok(id) = text.parse::<i64>() {
        // Named as the form's field whichever end of the relationship it becomes.
        return match cis::get(tx, actor, id).await {
            Ok(c) => Ok(c.id),
            Err(StoreError::NotFound(_)) => Err(StoreError::invalid("target_id", "no_such_ci").with("id", id)),
            Err(e) => Err(e),
        };
    }
    let filter = CiFilter { q: Some(text.to_string()), limit: Some(3), ..Default::default() };
    let found: Vec<Ci> = cis::list(tx, actor, &filter).await?.into_iter().filter(|c| c.id != this).collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(StoreError::invalid("target_id", "no_ci_matches").with("value", text)),
        _ => Err(StoreError::invalid("target_id", "ci_ambiguous").with("value", text)),
    }
}

pub async fn relate(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    let (dir, kind) = form.get("kind").split_once(':').unwrap_or(("", ""));
    let outgoing = dir != "in";
    let kind = match RelationKind::parse("kind", kind) {
        Ok(k) => k,
        Err(e) => {
            let mut errors = Errors::default();
            refuse(&mut errors, v.locale, e);
            let posting = Posting { form: &form, errors };
            return ci_page(&s, &v, &actor, id, StatusCode::UNPROCESSABLE_ENTITY, None, Some(posting)).await;
        }
    };
    let target = form.get("target").to_string();
    let to = format!("/cmdb/{id}");
    let res = forms::change(&s, &v, &to, async |tx| {
        let other = target_of(tx, &actor, id, &target).await?;
        let (source, target) = if outgoing { (id, other) } else { (other, id) };
        relations::add(tx, &actor, source, kind, target).await.map(|_| ())
    });
    match res.await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, mut errors))) => {
            // The form names the other CI `target`, whichever end it is.
            if let Some(e) = errors.fields.remove("source_id") {
                errors.fields.insert("target_id".into(), e);
            }
            let posting = Posting { form: &form, errors };
            ci_page(&s, &v, &actor, id, status, None, Some(posting)).await
        }
    }
}

pub async fn unrelate(State(s): State<AppState>, Path((id, rel)): Path<(i64, i64)>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = reader(&v, &actor) {
        return page;
    }
    let to = format!("/cmdb/{id}");
    match forms::change(&s, &v, &to, async |tx| relations::remove(tx, &actor, rel).await).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => {
            let posting = Posting { form: &form, errors };
            ci_page(&s, &v, &actor, id, status, None, Some(posting)).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A new CI
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct NewQuery {
    class: Option<String>,
    tenant: Option<String>,
}

#[derive(Template)]
#[template(path = "cmdb_new.html")]
struct NewPage {
    ui: Ui,
    /// The class chosen, if any (else the page offers the classes).
    class: Option<(String, String)>,
    classes: Vec<(String, String)>,
    form: CiForm,
    errors: Errors,
    tenants: Vec<(i64, String)>,
    statuses: Vec<&'static str>,
    groups: Vec<(i64, String)>,
    locations: Vec<(i64, String)>,
}

async fn new_page(
    s: &AppState,
    v: &Viewer,
    actor: &Actor,
    status: StatusCode,
    class_code: &str,
    posted: Option<Posting<'_>>,
    tenant: Option<i64>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        Names::load(&mut tx, actor).await
    };
    let names = match loaded.await {
        Ok(n) => n,
        Err(e) => return view::fail(v, e),
    };
    let l = v.locale;
    let class = names.class(class_code).filter(|c| c.active).cloned();
    let (form, errors) = match (&class, posted) {
        (Some(c), Some(p)) => (form_of_post(p.form, c, l, &p.errors), summarise(p.errors, l)),
        (Some(c), None) => {
            let form = CiForm {
                status: CiStatus::InService.as_str().to_string(),
                tenant: tenant.unwrap_or(0),
                class: c.code.clone(),
                fields: fields(c, l, &Errors::default(), |_| (String::new(), false)),
                ..Default::default()
            };
            (form, Errors::default())
        }
        (None, p) => (CiForm::default(), p.map(|p| p.errors).unwrap_or_default()),
    };
    let page = NewPage {
        ui: Ui::new(v, "cmdb"),
        class: class.as_ref().map(|c| (c.code.clone(), c.name(l.as_str()).to_string())),
        classes: names
            .classes
            .iter()
            .filter(|c| c.active)
            .map(|c| (c.code.clone(), c.name(l.as_str()).to_string()))
            .collect(),
        form,
        errors,
        tenants: names.tenants.clone(),
        statuses: CiStatus::ALL.iter().map(|s| s.as_str()).collect(),
        groups: names.groups.clone(),
        locations: names
            .locations
            .iter()
            .map(|(id, t, label)| (*id, format!("{} · {label}", names.tenant(*t))))
            .collect(),
    };
    render(v, status, page)
}

pub async fn new_form(State(s): State<AppState>, Ctx(v, actor): Ctx, Query(q): Query<NewQuery>) -> Response {
    if !actor.may(MANAGE_CIS) {
        return view::not_found(&v);
    }
    let tenant = q.tenant.as_deref().and_then(|t| t.parse().ok());
    new_page(&s, &v, &actor, StatusCode::OK, q.class.as_deref().unwrap_or("").trim(), None, tenant).await
}

pub async fn create(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if !actor.may(MANAGE_CIS) {
        return view::not_found(&v);
    }
    let l = v.locale;
    let code = form.get("class").trim().to_string();
    let class = async {
        let mut tx = s.store.read().await?;
        class_store::active_by_code(&mut tx, "class", &code).await
    };
    let class = match class.await {
        Ok(c) => c,
        Err(e) => {
            return match forms::refusal(&v, e) {
                Ok((status, errors)) => {
                    new_page(&s, &v, &actor, status, "", Some(Posting { form: &form, errors }), None).await
                }
                Err(page) => page,
            };
        }
    };
    let mut errors = Errors::default();
    let values = posted_values(&class, &form, None, l, &mut errors);
    let (status, location, group) = posted_links(&form, l, &mut errors);
    if errors.any() {
        let posting = Posting { form: &form, errors };
        return new_page(&s, &v, &actor, StatusCode::UNPROCESSABLE_ENTITY, &code, Some(posting), None).await;
    }
    let input = CiInput {
        tenant_id: form.int("tenant_id"),
        class: Some(code.clone()),
        name: Some(form.get("name").to_string()),
        status,
        location_id: Some(location),
        owner_group_id: Some(group),
        attributes: values.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        ..Default::default()
    };
    let created = async {
        let mut tx = s.store.write().await?;
        let ci = cis::create(&mut tx, &actor, input).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(ci.id)
    };
    match created.await {
        Ok(id) => view::redirect_with(&v, &format!("/cmdb/{id}"), "flash.ci_saved"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => {
                new_page(&s, &v, &actor, status, &code, Some(Posting { form: &form, errors }), None).await
            }
            Err(page) => page,
        },
    }
}
