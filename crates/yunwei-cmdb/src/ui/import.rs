//! The import page (`/cmdb/import`, staff who manage CIs): upload a CSV or Excel file, see
//! every row's verdict from a dry run, then apply it. The file travels back with the apply
//! button in the page (a hidden field), so the apply imports exactly the file checked, and is
//! checked again in its own transaction: all rows or none.

use askama::Template;
use axum::Router;
use axum::extract::State;
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
use crate::rules::permissions::MANAGE_CIS;
use crate::store::import::{self, Report};

#[derive(Template)]
#[template(path = "cmdb_import.html")]
struct ImportPage {
    ui: Ui,
    tenants: Vec<(i64, String)>,
    tenant_id: i64,
    kind: String,
    /// Why the file could not be read, in words.
    error: Option<String>,
    report: Option<Report>,
    /// The file checked, for the apply button (empty when there is nothing to apply).
    file_name: String,
    file_data: String,
}

impl ImportPage {
    fn verdict(&self, v: &str) -> &'static str {
        self.ui.label("cmdb_import.verdicts", v)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/cmdb/import", get(page).post(submit))
}

async fn tenant_choices(s: &AppState, actor: &Actor) -> Result<Vec<(i64, String)>, StoreError> {
    let mut tx = s.store.read().await?;
    let all = tenants::list(&mut tx, actor).await?;
    let scope = crate::store::tenant_scope(actor);
    Ok(all.into_iter().filter(|t| scope.contains(t.id)).map(|t| (t.id, format!("{} {}", t.code, t.name))).collect())
}

fn empty(v: &Viewer, tenants: Vec<(i64, String)>) -> ImportPage {
    let tenant_id = tenants.first().map(|t| t.0).unwrap_or_default();
    ImportPage {
        ui: Ui::new(v, "cmdb"),
        tenants,
        tenant_id,
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
    match tenant_choices(&s, &actor).await {
        Ok(tenants) => render(&v, StatusCode::OK, empty(&v, tenants)),
        Err(e) => view::fail(&v, e),
    }
}

async fn submit(State(s): State<AppState>, posted: Posted<StaffOnly>) -> Response {
    let Posted { viewer: v, actor, form } = posted;
    if let Err(e) = actor.require(MANAGE_CIS) {
        return view::fail(&v, e.into());
    }
    let tenants = match tenant_choices(&s, &actor).await {
        Ok(t) => t,
        Err(e) => return view::fail(&v, e),
    };
    let mut page = empty(&v, tenants);
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
            let key = format!("cmdb_import.verdicts.{}", v.as_str());
            assert!(zh.contains_key(&key) && en.contains_key(&key), "{key}");
        }
    }
}
