//! The administration of CI classes (names, active flag, attributes with their kinds, flags,
//! enumeration options and reference classes) and of the relationship rules, for those who
//! may manage classes. The store checks every definition; a refusal is shown beside the row
//! or field it names, with what was typed kept.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use yunwei_db::StoreError;
use yunwei_kernel::permission::Actor;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{self, Errors};
use yunwei_web::ui::i18n;
use yunwei_web::ui::session::{Ctx, FormData, Posted, SignedIn, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use super::cis::kind_label;
use crate::rules::attributes::{AttrKind, AttrSpec, Choice};
use crate::rules::permissions::MANAGE_CLASSES;
use crate::rules::relations::{RelationKind, Rule};
use crate::store::classes::{self as store, Class, ClassInput};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/cmdb/classes", get(list).post(create))
        .route("/admin/cmdb/classes/{id}", get(show).post(update))
        .route("/admin/cmdb/rules", get(rules).post(change_rule))
}

/// Those who may manage classes; others are told they may not (403).
#[allow(clippy::result_large_err)]
fn manager(v: &Viewer, actor: &Actor) -> Result<(), Response> {
    if actor.may(MANAGE_CLASSES) {
        Ok(())
    } else {
        Err(view::problem_page(v, StatusCode::FORBIDDEN, "error.refused_title", "error.forbidden"))
    }
}

// ---------------------------------------------------------------------------------------------
// The classes
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "cmdb_classes.html")]
struct ListPage {
    ui: Ui,
    classes: Vec<Class>,
    code: String,
    name_zh: String,
    name_en: String,
    errors: Errors,
}

async fn list_page(
    s: &AppState,
    v: &Viewer,
    status: StatusCode,
    typed: (String, String, String),
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        store::list(&mut tx).await
    };
    match loaded.await {
        Ok(classes) => {
            let (code, name_zh, name_en) = typed;
            render(v, status, ListPage { ui: Ui::new(v, "cmdb"), classes, code, name_zh, name_en, errors })
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn list(State(s): State<AppState>, Ctx(v, actor): Ctx) -> Response {
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    list_page(&s, &v, StatusCode::OK, Default::default(), Errors::default()).await
}

pub async fn create(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    let typed = (form.get("code").trim().to_string(), form.get("name_zh").to_string(), form.get("name_en").to_string());
    let input = ClassInput {
        code: Some(typed.0.clone()),
        name_zh: Some(typed.1.clone()),
        name_en: Some(typed.2.clone()),
        ..Default::default()
    };
    let created = async {
        let mut tx = s.store.write().await?;
        let class = store::create(&mut tx, &actor, input).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(class.id)
    };
    match created.await {
        Ok(id) => view::redirect_with(&v, &format!("/admin/cmdb/classes/{id}"), "flash.class_saved"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => list_page(&s, &v, status, typed, errors).await,
            Err(page) => page,
        },
    }
}

/// One attribute's row of the class form.
pub struct AttrRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub kind: String,
    pub required: bool,
    pub unique: bool,
    /// `code=中文/English`, one option a line.
    pub options: String,
    pub class: String,
    pub error: Option<String>,
    /// The blank row for a new attribute.
    pub new: bool,
}

#[derive(Template)]
#[template(path = "cmdb_class.html")]
struct ClassPage {
    ui: Ui,
    id: i64,
    code: String,
    name_zh: String,
    name_en: String,
    active: bool,
    version: i64,
    rows: Vec<AttrRow>,
    kinds: Vec<(&'static str, &'static str)>,
    classes: Vec<(String, String)>,
    errors: Errors,
}

impl AttrRow {
    /// Enough lines for the options shown, at least two.
    pub fn option_rows(&self) -> usize {
        self.options.lines().count().clamp(2, 12)
    }
}

fn options_text(options: &[Choice]) -> String {
    options.iter().map(|o| format!("{}={}/{}", o.code, o.name_zh, o.name_en)).collect::<Vec<_>>().join("\n")
}

/// `code=中文/English` lines as options; a line without names names the option by its code.
pub fn parse_options(text: &str) -> Vec<Choice> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (code, names) = line.split_once('=').unwrap_or((line, line));
            let (zh, en) = names.split_once('/').unwrap_or((names, names));
            Choice { code: code.trim().to_string(), name_zh: zh.trim().to_string(), name_en: en.trim().to_string() }
        })
        .collect()
}

fn row_of(spec: &AttrSpec) -> AttrRow {
    AttrRow {
        code: spec.code.clone(),
        name_zh: spec.name_zh.clone(),
        name_en: spec.name_en.clone(),
        kind: spec.kind.as_str().to_string(),
        required: spec.required,
        unique: spec.unique,
        options: options_text(&spec.options),
        class: spec.class.clone().unwrap_or_default(),
        error: None,
        new: false,
    }
}

fn blank_row() -> AttrRow {
    AttrRow {
        code: String::new(),
        name_zh: String::new(),
        name_en: String::new(),
        kind: AttrKind::Text.as_str().to_string(),
        required: false,
        unique: false,
        options: String::new(),
        class: String::new(),
        error: None,
        new: true,
    }
}

/// The rows as posted (`a{i}.code`, …), the last one blank for a new attribute.
fn posted_rows(form: &FormData) -> Vec<(AttrRow, bool)> {
    let n = form.int("rows").unwrap_or(0).clamp(0, 200) as usize;
    (0..n)
        .map(|i| {
            let f = |name: &str| form.get(&format!("a{i}.{name}")).to_string();
            let row = AttrRow {
                code: f("code").trim().to_string(),
                name_zh: f("name_zh"),
                name_en: f("name_en"),
                kind: f("kind"),
                required: !f("required").is_empty(),
                unique: !f("unique").is_empty(),
                options: f("options"),
                class: f("class"),
                error: None,
                new: i + 1 == n && form.get(&format!("a{i}.new")) == "1",
            };
            (row, !f("remove").is_empty())
        })
        .collect()
}

async fn class_page(
    s: &AppState,
    v: &Viewer,
    id: i64,
    status: StatusCode,
    typed: Option<(&FormData, Vec<AttrRow>)>,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let class = store::get(&mut tx, id).await?;
        let all = store::list(&mut tx).await?;
        Ok::<_, StoreError>((class, all))
    };
    let (class, all) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let l = v.locale;
    let (name_zh, name_en, active, rows) = match typed {
        Some((form, rows)) => {
            (form.get("name_zh").to_string(), form.get("name_en").to_string(), form.get("active") == "1", rows)
        }
        None => {
            let mut rows: Vec<AttrRow> = class.attributes.iter().map(row_of).collect();
            rows.push(blank_row());
            (class.name_zh.clone(), class.name_en.clone(), class.active, rows)
        }
    };
    let page = ClassPage {
        ui: Ui::new(v, "cmdb"),
        id,
        code: class.code.clone(),
        name_zh,
        name_en,
        active,
        version: class.version,
        rows,
        kinds: AttrKind::ALL
            .iter()
            .map(|k| (k.as_str(), i18n::t(l, &format!("cmdb.attr_kind.{}", k.as_str()))))
            .collect(),
        classes: all.iter().map(|c| (c.code.clone(), c.name(l.as_str()).to_string())).collect(),
        errors,
    };
    render(v, status, page)
}

pub async fn show(State(s): State<AppState>, Ctx(v, actor): Ctx, Path(id): Path<i64>) -> Response {
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    class_page(&s, &v, id, StatusCode::OK, None, Errors::default()).await
}

/// The attribute row a store field such as `attributes[2].options[0].code` concerns.
fn spec_index(field: &str) -> Option<usize> {
    field.strip_prefix("attributes[")?.split(']').next()?.parse().ok()
}

pub async fn update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    let l = v.locale;
    let posted = posted_rows(&form);
    let mut errors = Errors::default();
    // The specs sent to the store, and which row each came from.
    let mut specs = Vec::new();
    let mut row_of_spec = Vec::new();
    for (i, (row, removed)) in posted.iter().enumerate() {
        if *removed || (row.new && row.code.is_empty()) {
            continue;
        }
        let kind = match AttrKind::parse("kind", &row.kind) {
            Ok(k) => k,
            Err(_) => {
                errors.fields.insert(format!("row{i}"), i18n::problem(l, &yunwei_kernel::Problem::new("required")));
                continue;
            }
        };
        specs.push(AttrSpec {
            code: row.code.clone(),
            name_zh: row.name_zh.trim().to_string(),
            name_en: row.name_en.trim().to_string(),
            kind,
            required: row.required,
            unique: row.unique,
            options: if kind == AttrKind::Enum { parse_options(&row.options) } else { Vec::new() },
            class: Some(row.class.trim().to_string()).filter(|c| kind == AttrKind::Reference && !c.is_empty()),
        });
        row_of_spec.push(i);
    }
    let version = form.int("version").unwrap_or(0);
    let to = format!("/admin/cmdb/classes/{id}");
    let result = if errors.any() {
        Err(Ok((StatusCode::UNPROCESSABLE_ENTITY, errors)))
    } else {
        let input_specs = specs.clone();
        forms::change(&s, &v, &to, async |tx| {
            let before = store::get(tx, id).await?;
            // Identification keeps the attributes that are still unique.
            let identify: Vec<String> = before
                .identify_by
                .iter()
                .filter(|c| input_specs.iter().any(|a| &a.code == *c && a.unique))
                .cloned()
                .collect();
            let input = ClassInput {
                name_zh: Some(form.get("name_zh").to_string()),
                name_en: Some(form.get("name_en").to_string()),
                active: Some(form.get("active") == "1"),
                attributes: Some(input_specs),
                identify_by: Some(identify),
                ..Default::default()
            };
            store::update(tx, &actor, id, version, input).await.map(|_| ())
        })
        .await
    };
    match result {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, mut errors))) => {
            // Beside the row each refusal names (posted rows, removed ones left out).
            let mut shown = posted_rows(&form);
            for (field, text) in errors.fields.clone() {
                let row = match field.strip_prefix("row").and_then(|r| r.parse::<usize>().ok()) {
                    Some(r) => Some(r),
                    None => spec_index(&field).and_then(|i| row_of_spec.get(i).copied()),
                };
                if let Some(r) = row.filter(|r| *r < shown.len()) {
                    shown[r].0.error = Some(text);
                    errors.fields.remove(&field);
                }
            }
            let rows: Vec<AttrRow> = shown.into_iter().filter(|(_, removed)| !removed).map(|(r, _)| r).collect();
            class_page(&s, &v, id, status, Some((&form, rows)), errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Relationship rules
// ---------------------------------------------------------------------------------------------

pub struct RuleRow {
    pub source: String,
    pub source_name: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub target: String,
    pub target_name: String,
}

#[derive(Template)]
#[template(path = "cmdb_rules.html")]
struct RulesPage {
    ui: Ui,
    rules: Vec<RuleRow>,
    classes: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    source: String,
    kind: String,
    target: String,
    errors: Errors,
}

async fn rules_page(
    s: &AppState,
    v: &Viewer,
    status: StatusCode,
    typed: (String, String, String),
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        Ok::<_, StoreError>((store::rules(&mut tx).await?, store::list(&mut tx).await?))
    };
    let (rules, classes) = match loaded.await {
        Ok(x) => x,
        Err(e) => return view::fail(v, e),
    };
    let l = v.locale;
    let name = |code: &str| -> String {
        if code == "*" {
            return i18n::t(l, "cmdb.rules.any").to_string();
        }
        classes.iter().find(|c| c.code == code).map(|c| c.name(l.as_str()).to_string()).unwrap_or(code.to_string())
    };
    let rows = rules
        .iter()
        .map(|r| RuleRow {
            source_name: name(&r.source_class),
            source: r.source_class.clone(),
            kind: r.kind.as_str(),
            kind_label: kind_label(l, r.kind, true),
            target_name: name(&r.target_class),
            target: r.target_class.clone(),
        })
        .collect();
    let (source, kind, target) = typed;
    let page = RulesPage {
        ui: Ui::new(v, "cmdb"),
        rules: rows,
        classes: classes.iter().map(|c| (c.code.clone(), c.name(l.as_str()).to_string())).collect(),
        kinds: RelationKind::ALL.iter().map(|k| (k.as_str(), kind_label(l, *k, true))).collect(),
        source,
        kind,
        target,
        errors,
    };
    render(v, status, page)
}

pub async fn rules(State(s): State<AppState>, Ctx(v, actor): Ctx) -> Response {
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    rules_page(&s, &v, StatusCode::OK, Default::default(), Errors::default()).await
}

pub async fn change_rule(State(s): State<AppState>, p: Posted<SignedIn>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    if let Err(page) = manager(&v, &actor) {
        return page;
    }
    let typed = (form.get("source").to_string(), form.get("kind").to_string(), form.get("target").to_string());
    let allow = form.get("allow") == "1";
    let kind = match RelationKind::parse("kind", &typed.1) {
        Ok(k) => k,
        Err(e) => {
            let (status, errors) = match forms::refusal(&v, StoreError::Domain(e)) {
                Ok(x) => x,
                Err(page) => return page,
            };
            return rules_page(&s, &v, status, typed, errors).await;
        }
    };
    let rule = Rule { source_class: typed.0.trim().to_string(), kind, target_class: typed.2.trim().to_string() };
    match forms::change(&s, &v, "/admin/cmdb/rules", async |tx| store::set_rule(tx, &actor, &rule, allow).await).await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => rules_page(&s, &v, status, typed, errors).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_from_lines_of_code_and_both_names() {
        let got = parse_options("linux=Linux/Linux\n kylin = 麒麟 / Kylin \n\nother");
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[1].code.as_str(), got[1].name_zh.as_str(), got[1].name_en.as_str()),
            ("kylin", "麒麟", "Kylin")
        );
        assert_eq!((got[2].code.as_str(), got[2].name_zh.as_str()), ("other", "other"));
        assert_eq!(parse_options(&options_text(&got)), got, "what the form shows reads back the same");
        assert_eq!(spec_index("attributes[12].options[0].code"), Some(12));
        assert_eq!(spec_index("name_zh"), None);
    }
}
