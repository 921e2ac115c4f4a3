//! The asset pages. Every figure comes from the store (`crate::store::assets`), as in the API.

use std::borrow::Borrow;
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yunwei_db::StoreError;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{self, Errors};
use yunwei_web::ui::session::{FormData, Posted, Staff, StaffOnly, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::rules::lifecycle::AssetStatus;
use crate::rules::permissions::MANAGE_ASSETS;
use crate::rules::{money, show_money};
use crate::store::assets::{self, Asset, AssetFilter, AssetInput, Choices, HistoryEntry};

/// Shared by the pages that show prices and pick from lists.
pub fn cost(a: &Asset) -> String {
    a.cost_cents.map(|c| format!("{} {}", show_money(c), a.currency)).unwrap_or_default()
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    tenant_id: Option<String>,
    status: Option<String>,
    location_id: Option<String>,
    missing: Option<String>,
}

#[derive(Template)]
#[template(path = "assets_list.html")]
struct ListPage {
    ui: Ui,
    q: String,
    status: String,
    tenant: Option<i64>,
    location: Option<i64>,
    missing: bool,
    statuses: &'static [AssetStatus],
    rows: Vec<Asset>,
    choices: Choices,
    may_manage: bool,
    /// The filters as the export links carry them (`&q=…&status=…`).
    export_query: String,
}

impl ListPage {
    fn is(&self, a: impl Borrow<Option<i64>>, b: impl Borrow<i64>) -> bool {
        *a.borrow() == Some(*b.borrow())
    }
}

fn id_param(text: Option<&str>) -> Option<i64> {
    text.and_then(|t| t.trim().parse().ok())
}

pub async fn list(State(s): State<AppState>, Staff(v, actor): Staff, Query(q): Query<ListQuery>) -> Response {
    let status = q.status.as_deref().and_then(|t| AssetStatus::parse("status", t).ok());
    let location = id_param(q.location_id.as_deref());
    let tenant = id_param(q.tenant_id.as_deref());
    let missing = q.missing.as_deref() == Some("1");
    let filter = AssetFilter {
        tenant_id: tenant,
        status,
        location_id: location,
        missing: missing.then_some(true),
        q: q.q.clone(),
        limit: Some(200),
        ..Default::default()
    };
    let loaded = async {
        let mut tx = s.store.read().await?;
        let rows = assets::list(&mut tx, &actor, &filter).await?;
        let choices = assets::choices(&mut tx, &actor).await?;
        Ok::<_, StoreError>((rows, choices))
    };
    let (rows, choices) = match loaded.await {
        Ok(r) => r,
        Err(e) => return view::fail(&v, e),
    };
    let export_query = super::import::export_query(&[
        ("q", q.q.clone().unwrap_or_default()),
        ("status", status.map(|s| s.as_str().to_string()).unwrap_or_default()),
        ("tenant_id", tenant.map(|t| t.to_string()).unwrap_or_default()),
        ("location_id", location.map(|l| l.to_string()).unwrap_or_default()),
        ("missing", if missing { "1".into() } else { String::new() }),
    ]);
    let page = ListPage {
        export_query,
        ui: Ui::new(&v, "assets"),
        q: q.q.unwrap_or_default(),
        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        tenant,
        location,
        missing,
        statuses: AssetStatus::ALL,
        rows,
        choices,
        may_manage: actor.may(MANAGE_ASSETS),
    };
    render(&v, StatusCode::OK, page)
}

#[derive(Deserialize, Default)]
pub struct EndingQuery {
    days: Option<String>,
}

#[derive(Template)]
#[template(path = "assets_ending.html")]
struct EndingPage {
    ui: Ui,
    days: i64,
    warranties: Vec<Asset>,
    contracts: Vec<Asset>,
    choices: Choices,
}

/// Warranties and contracts of held assets ending within `days` (default 30).
pub async fn ending(State(s): State<AppState>, Staff(v, actor): Staff, Query(q): Query<EndingQuery>) -> Response {
    let days = q.days.as_deref().and_then(|d| d.trim().parse::<i64>().ok()).filter(|d| (0..=366).contains(d));
    let days = days.unwrap_or(crate::store::reminders::LEAD_DAYS);
    let loaded = async {
        let mut tx = s.store.read().await?;
        let w = AssetFilter { warranty_within_days: Some(days), limit: Some(500), ..Default::default() };
        let c = AssetFilter { contract_within_days: Some(days), limit: Some(500), ..Default::default() };
        let warranties = assets::list(&mut tx, &actor, &w).await?;
        let contracts = assets::list(&mut tx, &actor, &c).await?;
        let choices = assets::choices(&mut tx, &actor).await?;
        Ok::<_, StoreError>((warranties, contracts, choices))
    };
    match loaded.await {
        Ok((warranties, contracts, choices)) => {
            let page = EndingPage { ui: Ui::new(&v, "assets"), days, warranties, contracts, choices };
            render(&v, StatusCode::OK, page)
        }
        Err(e) => view::fail(&v, e),
    }
}

/// The asset form's values as typed, by field name.
#[derive(Default)]
pub struct Values(HashMap<String, String>);

impl Values {
    fn of(a: &Asset) -> Values {
        let mut m = HashMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        put("tenant_id", a.tenant_id.to_string());
        put("tag", a.tag.clone());
        put("name", a.name.clone());
        put("model", a.model.clone());
        put("serial", a.serial.clone());
        put("status", a.status.as_str().into());
        put("ci_id", a.ci_id.map(|c| c.to_string()).unwrap_or_default());
        put("user_id", a.user_id.map(|c| c.to_string()).unwrap_or_default());
        put("location_id", a.location_id.map(|c| c.to_string()).unwrap_or_default());
        put("purchase_date", a.purchase_date.clone().unwrap_or_default());
        put("cost", a.cost_cents.map(show_money).unwrap_or_default());
        put("currency", a.currency.clone());
        put("vendor", a.vendor.clone());
        put("contract_number", a.contract_number.clone());
        put("warranty_end", a.warranty_end.clone().unwrap_or_default());
        put("contract_end", a.contract_end.clone().unwrap_or_default());
        put("version", a.version.to_string());
        Values(m)
    }

    fn posted(form: &FormData) -> Values {
        Values(form.fields.clone())
    }
}

#[derive(Template)]
#[template(path = "asset_form.html")]
struct FormPage {
    ui: Ui,
    values: Values,
    errors: Errors,
    choices: Choices,
    statuses: [AssetStatus; 3],
}

impl FormPage {
    /// Every tenant's locations and people are offered on a new asset.
    fn fits(&self, _tenant: impl Borrow<i64>) -> bool {
        true
    }

    fn val(&self, name: &str) -> &str {
        self.values.0.get(name).map(String::as_str).unwrap_or("")
    }

    fn picked(&self, name: &str, id: impl Borrow<i64>) -> bool {
        self.val(name) == id.borrow().to_string()
    }
}

async fn form_page(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    status: StatusCode,
    values: Values,
    errors: Errors,
) -> Response {
    let choices = async {
        let mut tx = s.store.read().await?;
        assets::choices(&mut tx, actor).await
    };
    match choices.await {
        Ok(choices) => {
            let statuses = [AssetStatus::InStock, AssetStatus::Ordered, AssetStatus::Deployed];
            render(v, status, FormPage { ui: Ui::new(v, "assets"), values, errors, choices, statuses })
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn new_form(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    if !actor.may(MANAGE_ASSETS) {
        return view::problem_page(&v, StatusCode::FORBIDDEN, "error.refused_title", "error.forbidden");
    }
    form_page(&s, &v, &actor, StatusCode::OK, Values::default(), Errors::default()).await
}

fn opt_id(form: &FormData, name: &str) -> Option<i64> {
    form.int(name).filter(|i| *i > 0)
}

fn opt_text(form: &FormData, name: &str) -> Option<String> {
    form.opt(name).map(str::to_string)
}

/// The form's fields as an asset input; a price that is not one is refused naming `cost_cents`.
fn input_of(form: &FormData) -> Result<AssetInput, StoreError> {
    let cost = money("cost_cents", form.get("cost"))?;
    Ok(AssetInput {
        tenant_id: form.int("tenant_id"),
        tag: opt_text(form, "tag"),
        name: Some(form.get("name").to_string()),
        model: Some(form.get("model").to_string()),
        serial: Some(form.get("serial").to_string()),
        status: form.opt("status").map(|t| AssetStatus::parse("status", t)).transpose()?,
        ci_id: Some(opt_id(form, "ci_id")),
        user_id: Some(opt_id(form, "user_id")),
        location_id: Some(opt_id(form, "location_id")),
        purchase_date: Some(opt_text(form, "purchase_date")),
        cost_cents: Some(cost),
        currency: Some(form.opt("currency").unwrap_or("CNY").to_string()),
        vendor: Some(form.get("vendor").to_string()),
        contract_number: Some(form.get("contract_number").to_string()),
        warranty_end: Some(opt_text(form, "warranty_end")),
        contract_end: Some(opt_text(form, "contract_end")),
    })
}

pub async fn create(State(s): State<AppState>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let saved = async {
        let input = input_of(&form)?;
        let mut tx = s.store.write().await?;
        let a = assets::create(&mut tx, &actor, input).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(a)
    };
    match saved.await {
        Ok(a) => view::redirect_with(&v, &format!("/assets/{}", a.id), "flash.asset_saved"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => form_page(&s, &v, &actor, status, Values::posted(&form), errors).await,
            Err(res) => res,
        },
    }
}

#[derive(Template)]
#[template(path = "asset_page.html")]
struct AssetPage {
    ui: Ui,
    a: Asset,
    cost: String,
    moves: &'static [AssetStatus],
    history: Vec<HistoryEntry>,
    choices: Choices,
    values: Values,
    errors: Errors,
    may_manage: bool,
}

impl AssetPage {
    /// Only the asset's own tenant's locations and people are offered.
    fn fits(&self, tenant: impl Borrow<i64>) -> bool {
        *tenant.borrow() == self.a.tenant_id
    }

    fn val(&self, name: &str) -> &str {
        self.values.0.get(name).map(String::as_str).unwrap_or("")
    }

    fn picked(&self, name: &str, id: impl Borrow<i64>) -> bool {
        self.val(name) == id.borrow().to_string()
    }

    /// An entry's details in words: the fields changed, the move, or the stock-take's outcome.
    fn describe(&self, h: &HistoryEntry) -> String {
        let d = &h.data.0;
        match h.kind.as_str() {
            "transition" => {
                let s = |k: &str| self.ui.label("asset_status", d[k].as_str().unwrap_or("")).to_string();
                format!("{} → {}", s("from"), s("to"))
            }
            "updated" => d["changes"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .map(|c| {
                            let show = |v: &serde_json::Value| match v {
                                serde_json::Value::Null => "—".to_string(),
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            let field = c["field"].as_str().unwrap_or("");
                            format!("{}: {} → {}", self.ui.label("asset", field), show(&c["before"]), show(&c["after"]))
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default(),
            "stock_take" => {
                let outcome = d["outcome"].as_str().unwrap_or("");
                format!("#{} · {}", d["stock_take_id"], self.ui.label("stocktake.outcome", outcome))
            }
            _ => d["tag"].as_str().unwrap_or("").to_string(),
        }
    }
}

async fn asset_page(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    id: i64,
    status: StatusCode,
    values: Option<Values>,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let a = assets::get(&mut tx, actor, id).await?;
        let history = assets::history_of(&mut tx, actor, id).await?;
        let choices = assets::choices(&mut tx, actor).await?;
        Ok::<_, StoreError>((a, history, choices))
    };
    match loaded.await {
        Ok((a, history, choices)) => {
            let may_manage = actor.may(MANAGE_ASSETS);
            let page = AssetPage {
                ui: Ui::new(v, "assets"),
                cost: cost(&a),
                moves: if may_manage { a.status.next() } else { &[] },
                values: values.unwrap_or_else(|| Values::of(&a)),
                a,
                history,
                choices,
                errors,
                may_manage,
            };
            render(v, status, page)
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn show(State(s): State<AppState>, Staff(v, actor): Staff, Path(id): Path<i64>) -> Response {
    asset_page(&s, &v, &actor, id, StatusCode::OK, None, Errors::default()).await
}

pub async fn save(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let saved = async {
        let mut input = input_of(&form)?;
        (input.tenant_id, input.tag, input.status) = (None, None, None);
        let mut tx = s.store.write().await?;
        assets::update(&mut tx, &actor, id, version, input).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => view::redirect_with(&v, &format!("/assets/{id}"), "flash.asset_saved"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => asset_page(&s, &v, &actor, id, status, Some(Values::posted(&form)), errors).await,
            Err(res) => res,
        },
    }
}

pub async fn transition(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let moved = async {
        let to = AssetStatus::parse("to", form.get("to"))?;
        let mut tx = s.store.write().await?;
        assets::transition(&mut tx, &actor, id, version, to).await?;
        tx.commit().await
    };
    match moved.await {
        Ok(()) => view::redirect_with(&v, &format!("/assets/{id}"), "flash.asset_moved"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => asset_page(&s, &v, &actor, id, status, None, errors).await,
            Err(res) => res,
        },
    }
}
