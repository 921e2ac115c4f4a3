//! The stock-take pages: the list with a form to start one, and a stock-take's page — a
//! phone-width form to scan by typing or pasting a tag (or serial number), the running counts,
//! each line's outcome, and the button that applies it.

use std::borrow::Borrow;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::StoreError;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{self, Errors};
use yunwei_web::ui::session::{Posted, Staff, StaffOnly, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::rules::permissions::MANAGE_ASSETS;
use crate::rules::stocktake::{Outcome, StockTakeStatus};
use crate::store::assets::{self, Choices};
use crate::store::import::ScanReport;
use crate::store::stocktakes::{self, Detail, StockTake};

#[derive(Template)]
#[template(path = "stocktakes_list.html")]
struct ListPage {
    ui: Ui,
    rows: Vec<StockTake>,
    choices: Choices,
    errors: Errors,
    may_manage: bool,
}

async fn list_page(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    status: StatusCode,
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let rows = stocktakes::list(&mut tx, actor, 200).await?;
        let choices = assets::choices(&mut tx, actor).await?;
        Ok::<_, StoreError>((rows, choices))
    };
    match loaded.await {
        Ok((rows, choices)) => {
            let page =
                ListPage { ui: Ui::new(v, "stock_takes"), rows, choices, errors, may_manage: actor.may(MANAGE_ASSETS) };
            render(v, status, page)
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn list(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    list_page(&s, &v, &actor, StatusCode::OK, Errors::default()).await
}

pub async fn start(State(s): State<AppState>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let started = async {
        let tenant = form.int("tenant_id").ok_or_else(|| StoreError::invalid("tenant_id", "required"))?;
        let mut tx = s.store.write().await?;
        let d = stocktakes::start(&mut tx, &actor, tenant, form.int("location_id").filter(|l| *l > 0)).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(d.stock_take.id)
    };
    match started.await {
        Ok(id) => view::redirect_with(&v, &format!("/stock-takes/{id}"), "flash.stock_take_started"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => list_page(&s, &v, &actor, status, errors).await,
            Err(res) => res,
        },
    }
}

#[derive(Template)]
#[template(path = "stocktake_page.html")]
struct StockTakePage {
    ui: Ui,
    d: Detail,
    choices: Choices,
    errors: Errors,
    /// What was typed, shown again after a refusal.
    code: String,
    open: bool,
    may_manage: bool,
    /// What a file of scans did, when one was just sent.
    scans: Option<ScanReport>,
    /// Why the file of scans was refused, in words.
    scan_error: Option<String>,
}

impl StockTakePage {
    fn outcome(&self, o: impl Borrow<Outcome>) -> &'static str {
        self.ui.label("stocktake.outcome", o.borrow().as_str())
    }
}

async fn page(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    id: i64,
    status: StatusCode,
    code: String,
    errors: Errors,
) -> Response {
    full_page(s, v, actor, id, status, code, errors, None, None).await
}

/// The stock-take's page after a file of scans: its report, or why the file was refused.
pub(crate) async fn with_scans(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    id: i64,
    status: StatusCode,
    scans: Option<ScanReport>,
    scan_error: Option<String>,
) -> Response {
    full_page(s, v, actor, id, status, String::new(), Errors::default(), scans, scan_error).await
}

#[allow(clippy::too_many_arguments)]
async fn full_page(
    s: &AppState,
    v: &Viewer,
    actor: &yunwei_kernel::permission::Actor,
    id: i64,
    status: StatusCode,
    code: String,
    errors: Errors,
    scans: Option<ScanReport>,
    scan_error: Option<String>,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        let d = stocktakes::detail(&mut tx, actor, id).await?;
        let choices = assets::choices(&mut tx, actor).await?;
        Ok::<_, StoreError>((d, choices))
    };
    match loaded.await {
        Ok((d, choices)) => {
            let open = d.stock_take.status == StockTakeStatus::Open;
            let may_manage = actor.may(MANAGE_ASSETS);
            render(
                v,
                status,
                StockTakePage {
                    ui: Ui::new(v, "stock_takes"),
                    d,
                    choices,
                    errors,
                    code,
                    open,
                    may_manage,
                    scans,
                    scan_error,
                },
            )
        }
        Err(e) => view::fail(v, e),
    }
}

pub async fn show(State(s): State<AppState>, Staff(v, actor): Staff, Path(id): Path<i64>) -> Response {
    page(&s, &v, &actor, id, StatusCode::OK, String::new(), Errors::default()).await
}

pub async fn scan(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let code = form.get("tag_or_serial").to_string();
    let scanned = async {
        let mut tx = s.store.write().await?;
        let r = stocktakes::scan(&mut tx, &actor, id, &code, form.int("location_id").filter(|l| *l > 0)).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(r)
    };
    match scanned.await {
        Ok(r) => {
            let to = format!("/stock-takes/{id}");
            // A tag twice or one that should not be here is taken, but asks for a look.
            match (r.repeat, r.item.outcome) {
                (true, _) => view::redirect_with_warning(&v, &to, "flash.scan_repeat"),
                (false, Outcome::Unexpected) => view::redirect_with_warning(&v, &to, "flash.scan_unexpected"),
                (false, Outcome::Moved) => view::redirect_with(&v, &to, "flash.scan_moved"),
                _ => view::redirect_with(&v, &to, "flash.scan_found"),
            }
        }
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => page(&s, &v, &actor, id, status, code, errors).await,
            Err(res) => res,
        },
    }
}

pub async fn apply(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, .. } = p;
    let applied = async {
        let mut tx = s.store.write().await?;
        stocktakes::apply(&mut tx, &actor, id).await?;
        tx.commit().await
    };
    match applied.await {
        Ok(()) => view::redirect_with(&v, &format!("/stock-takes/{id}"), "flash.stock_take_applied"),
        Err(e) => match forms::refusal(&v, e) {
            Ok((status, errors)) => page(&s, &v, &actor, id, status, String::new(), errors).await,
            Err(res) => res,
        },
    }
}
