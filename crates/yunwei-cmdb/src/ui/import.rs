//! The import page (`/cmdb/import`, staff who manage CIs): upload a CSV or Excel file, see
//! every row's verdict from a dry run, then apply it; and `/cmdb/export`, the same file the
//! API exports (CIs or relationships, CSV or xlsx), which doubles as a template. The file travels back with the apply
//! button in the page (a hidden field), so the apply imports exactly the file checked, and is
//! checked again in its own transaction: all rows or none.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use yunwei_db::StoreError;
use yunwei_kernel::permission::Actor;
use yunwei_org::tenants;
use yunwei_web::AppState;
use yunwei_web::ui::i18n;
use yunwei_web::ui::session::{Posted, Staff, StaffOnly, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use crate::rules::import::ImportKind;
use crate::rules::permissions::{MANAGE_CIS, READ_CMDB};
use crate::store::cis::CiFilter;
use crate::store::classes;
use crate::store::import::{self, Report};

#[derive(Template)]
#[template(path = "cmdb_import.html")]
struct ImportPage {
    ui: Ui,
    tenants: Vec<(i64, String)>,
    tenant_id: i64,
    /// Active classes (code, name) for the export's choice.
    classes: Vec<(String, String)>,
    kind: String,
    /// Why the file could not be read, in words.
    error: Option<String>,
    report: Option<Report>,
    /// The file checked, for the apply button (empty when there is nothing to apply).
    file_name: String,
    file_data: String,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/cmdb/import", get(page).post(submit)).route("/cmdb/export", get(export))
}

type Choices = (Vec<(i64, String)>, Vec<(String, String)>);

/// The organisations the viewer may import into, and the active classes.
async fn choices(s: &AppState, actor: &Actor, v: &Viewer) -> Result<Choices, StoreError> {
    let mut tx = s.store.read().await?;
    let all = tenants::list(&mut tx, actor).await?;
    let scope = crate::store::tenant_scope(actor);
    let tenants =
        all.into_iter().filter(|t| scope.contains(t.id)).map(|t| (t.id, format!("{} {}", t.code, t.name))).collect();
    let locale = v.locale.as_str();
    let classes = classes::list(&mut tx)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| (c.code.clone(), c.name(locale).to_string()))
        .collect();
    Ok((tenants, classes))
}

fn empty(v: &Viewer, (tenants, classes): Choices) -> ImportPage {
    let tenant_id = tenants.first().map(|t| t.0).unwrap_or_default();
    ImportPage {
        ui: Ui::new(v, "cmdb"),
        tenants,
        tenant_id,
        classes,
        kind: ImportKind::Cis.as_str().into(),
        error: None,
        report: None,
        file_name: String::new(),
        file_data: String::new(),
    }
}

async fn page(State(s): State<AppState>, Staff(v, actor): Staff) -> Response {
    if let Err(e) = actor.require(MANAGE_CIS) {
        return view::fail(&v, e.into());
    }
    match choices(&s, &actor, &v).await {
        Ok(c) => render(&v, StatusCode::OK, empty(&v, c)),
        Err(e) => view::fail(&v, e),
    }
}

async fn submit(State(s): State<AppState>, posted: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = posted;
    if let Err(e) = actor.require(MANAGE_CIS) {
        return view::fail(&v, e.into());
    }
    let c = match choices(&s, &actor, &v).await {
        Ok(c) => c,
        Err(e) => return view::fail(&v, e),
    };
    let mut page = empty(&v, c);
    page.tenant_id = form.int("tenant_id").unwrap_or(page.tenant_id);
    let kind = ImportKind::parse("kind", form.get("kind")).unwrap_or(ImportKind::Cis);
    page.kind = kind.as_str().into();
    let apply = form.get("mode") == "apply";
    let file = match (&form.file, form.opt("file_data")) {
        (Some((name, bytes)), _) => Some((name.clone(), bytes.clone())),
        (None, Some(data)) => URL_SAFE_NO_PAD.decode(data).ok().map(|bytes| (form.get("file_name").to_string(), bytes)),
        (None, None) => None,
    };
    let Some((file_name, bytes)) = file else {
        page.error = Some(i18n::t(v.locale, "cmdb_import.no_file").to_string());
        return render(&v, StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    let sheet = match yunwei_sheet::read(&bytes, &file_name) {
        Ok(sheet) => sheet,
        Err(e) => {
            let problem = import::sheet_problem(&e);
            page.error = problem.problem().map(|p| i18n::problem(v.locale, p));
            return render(&v, StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let result = async {
        let mut tx = s.store.write().await?;
        let report = import::run(&mut tx, &actor, page.tenant_id, kind, &sheet, !apply, |_| {}).await?;
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

/// `/cmdb/export?kind=cis|relationships&format=csv|xlsx&tenant_id=…&class=…`: the export as a
/// download, for staff who read the CMDB; an unknown value falls back to the default.
async fn export(
    State(s): State<AppState>,
    Staff(v, actor): Staff,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(e) = actor.require(READ_CMDB) {
        return view::fail(&v, e.into());
    }
    let get = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let kind = get("kind").and_then(|k| ImportKind::parse("kind", k).ok()).unwrap_or(ImportKind::Cis);
    let filter = CiFilter {
        tenant_id: get("tenant_id").and_then(|t| t.parse().ok()),
        class: get("class").map(str::to_string),
        ..Default::default()
    };
    let format = if get("format") == Some("xlsx") { yunwei_sheet::Format::Xlsx } else { yunwei_sheet::Format::Csv };
    let file = async {
        let mut tx = s.store.read().await?;
        crate::api::export_file(&mut tx, &actor, kind, &filter, v.locale, format).await
    };
    match file.await {
        Ok(res) => res,
        Err(e) => view::fail(&v, e),
    }
}

#[cfg(test)]
mod tests {
    use yunwei_web::ui::i18n::{self, PLATFORM};

    #[test]
    fn every_text_the_import_page_and_its_template_use_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let texts = [PLATFORM, yunwei_org::MODULE.texts[0], crate::MODULE.texts[0]];
        let (used, unknown) = i18n::unknown_keys(root, &["src/ui", "templates"], &texts);
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used >= 10, "only {used} keys found; is the scan broken?");
        let [zh, en] = i18n::merge(&texts).expect("catalogues merge");
        for v in crate::rules::import::Verdict::ALL {
            let key = format!("import.verdicts.{}", v.as_str());
            assert!(zh.contains_key(&key) && en.contains_key(&key), "{key}");
        }
    }
}
