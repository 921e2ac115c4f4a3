//! The asset import page (`/assets/import`, administrators and asset managers): upload a CSV
//! or Excel file, see every row's verdict from a dry run, then apply it; `/assets/export`, the
//! same file the API exports for the list's filters, which doubles as a template; and the
//! stock-take page's file of scans. As on the CMDB's import page, the file travels back with
//! the apply button (a hidden field), so the apply imports exactly the file checked, checked
//! again in its own transaction: all rows or none.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use yunwei_db::StoreError;
use yunwei_kernel::permission::Actor;
use yunwei_sheet::report::{Report, sheet_problem};
use yunwei_web::AppState;
use yunwei_web::ui::i18n;
use yunwei_web::ui::session::{Posted, Staff, StaffOnly, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::rules::lifecycle::AssetStatus;
use crate::rules::permissions::{MANAGE_ASSETS, READ_ASSETS};
use crate::store::assets::{self, AssetFilter};
use crate::store::import;

#[derive(Template)]
#[template(path = "asset_import.html")]
struct ImportPage {
    ui: Ui,
    tenants: Vec<(i64, String)>,
    tenant_id: i64,
    /// Why the file could not be read, in words.
    error: Option<String>,
    report: Option<Report>,
    /// The file checked, for the apply button (empty when there is nothing to apply).
    file_name: String,
    file_data: String,
}

/// The organisations the viewer may import into.
async fn tenants(s: &AppState, actor: &Actor) -> Result<Vec<(i64, String)>, StoreError> {
    let mut tx = s.store.read().await?;
    Ok(assets::choices(&mut tx, actor).await?.tenants)
}

fn empty(v: &Viewer, tenants: Vec<(i64, String)>) -> ImportPage {
    let tenant_id = tenants.first().map(|t| t.0).unwrap_or_default();
    ImportPage {
        ui: Ui::new(v, "assets"),
        tenants,
        tenant_id,
        error: None,
        report: None,
        file_name: String::new(),
        file_data: String::new(),
    }
}

pub async fn page(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    if let Err(e) = actor.require(MANAGE_ASSETS) {
        return view::fail(&v, e.into());
    }
    match tenants(&s, &actor).await {
        Ok(t) => render(&v, StatusCode::OK, empty(&v, t)),
        Err(e) => view::fail(&v, e),
    }
}

pub async fn submit(State(s): State<AppState>, posted: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = posted;
    if let Err(e) = actor.require(MANAGE_ASSETS) {
        return view::fail(&v, e.into());
    }
    let mut page = match tenants(&s, &actor).await {
        Ok(t) => empty(&v, t),
        Err(e) => return view::fail(&v, e),
    };
    page.tenant_id = form.int("tenant_id").unwrap_or(page.tenant_id);
    let apply = form.get("mode") == "apply";
    let file = match (&form.file, form.opt("file_data")) {
        (Some((name, bytes)), _) => Some((name.clone(), bytes.clone())),
        (None, Some(data)) => URL_SAFE_NO_PAD.decode(data).ok().map(|bytes| (form.get("file_name").to_string(), bytes)),
        (None, None) => None,
    };
    let Some((file_name, bytes)) = file else {
        page.error = Some(i18n::t(v.locale, "asset_import.no_file").to_string());
        return render(&v, StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let sheet = match yunwei_sheet::read(&bytes, &file_name) {
        Ok(sheet) => sheet,
        Err(e) => {
            page.error = sheet_problem(&e).problem().map(|p| i18n::problem(v.locale, p));
            return render(&v, StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let result = async {
        let mut tx = s.store.write().await?;
        let report = import::run(&mut tx, &actor, page.tenant_id, &sheet, !apply, |_| {}).await?;
        if report.applied {
            tx.commit().await?;
        }
        Ok::<_, StoreError>(report)
    }
    .await;
    let mut report = match result {
        Ok(r) => r,
        Err(e) => match view::explain(&v, e) {
            Ok((status, message)) => {
                page.error = Some(message);
                return render(&v, status, page);
            }
            Err(refused) => return refused,
        },
    };
    report.word(|p| i18n::problem(v.locale, p), |key, args| i18n::tf(v.locale, key, args));
    if report.dry_run && report.errors == 0 && report.rows > 0 {
        page.file_name = file_name;
        page.file_data = URL_SAFE_NO_PAD.encode(&bytes);
    }
    let status = if report.errors > 0 { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    page.report = Some(report);
    render(&v, status, page)
}

/// `/assets/export?format=csv|xlsx&q=…&status=…&tenant_id=…&location_id=…&missing=1`: the
/// list's assets as a download, for staff who read assets; an unknown value is no filter.
pub async fn export(
    State(s): State<AppState>,
    Staff(v, actor): Staff,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(e) = actor.require(READ_ASSETS) {
        return view::fail(&v, e.into());
    }
    let get = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let filter = AssetFilter {
        tenant_id: get("tenant_id").and_then(|t| t.parse().ok()),
        status: get("status").and_then(|t| AssetStatus::parse("status", t).ok()),
        location_id: get("location_id").and_then(|t| t.parse().ok()),
        missing: (get("missing") == Some("1")).then_some(true),
        q: get("q").map(str::to_string),
        ..Default::default()
    };
    let format = if get("format") == Some("xlsx") { yunwei_sheet::Format::Xlsx } else { yunwei_sheet::Format::Csv };
    let file = async {
        let mut tx = s.store.read().await?;
        crate::api::export_file(&mut tx, &actor, &filter, v.locale, format).await
    };
    match file.await {
        Ok(res) => res,
        Err(e) => view::fail(&v, e),
    }
}

/// A file of scans posted from the stock-take page: the page again with every line's outcome.
pub async fn scans(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let Some((file_name, bytes)) = form.file.clone() else {
        let message = i18n::t(v.locale, "stocktake_import.no_file").to_string();
        return super::stocktakes::with_scans(
            &s,
            &v,
            &actor,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(message),
        )
        .await;
    };
    let sheet = match yunwei_sheet::read(&bytes, &file_name) {
        Ok(sheet) => sheet,
        Err(e) => {
            let message = sheet_problem(&e).problem().map(|p| i18n::problem(v.locale, p));
            return super::stocktakes::with_scans(&s, &v, &actor, id, StatusCode::UNPROCESSABLE_ENTITY, None, message)
                .await;
        }
    };
    let result = async {
        let mut tx = s.store.write().await?;
        let report = import::scan_file(&mut tx, &actor, id, &sheet).await?;
        if report.applied {
            tx.commit().await?;
        }
        Ok::<_, StoreError>(report)
    }
    .await;
    match result {
        Ok(mut report) => {
            report.word(|p| i18n::problem(v.locale, p), |key, args| i18n::tf(v.locale, key, args));
            let status = if report.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            super::stocktakes::with_scans(&s, &v, &actor, id, status, Some(report), None).await
        }
        Err(e) => match view::explain(&v, e) {
            Ok((status, message)) => {
                super::stocktakes::with_scans(&s, &v, &actor, id, status, None, Some(message)).await
            }
            Err(refused) => refused,
        },
    }
}

/// The list's filters as the export link's query (values percent-encoded).
pub fn export_query(pairs: &[(&str, String)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("&{k}={}", encode(v))).collect::<String>()
}
