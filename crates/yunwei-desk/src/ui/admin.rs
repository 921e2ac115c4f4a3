//! Administration of the service desk's reference data: the impact × urgency priority matrix
//! and the category tree (add, rename, move, disable), with the version each form was loaded
//! at. Same conventions as the organisation's administration pages.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::{StoreError, settings};
use yunwei_kernel::DomainError;
use yunwei_web::AppState;
use yunwei_web::ui::forms::{Errors, change, refusal};
use yunwei_web::ui::session::{Admin, AdminOnly, Posted, Viewer};
use yunwei_web::ui::view::{self, Ui, render};

use super::shared;
use crate::rules::priority::PriorityMatrix;
use crate::store::categories::{self, Category, CategoryInput};
use crate::store::matrix;

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
        let m = matrix::get(&mut tx).await?;
        let version = settings::version(&mut tx, matrix::KEY).await?;
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

pub async fn matrix_show(State(s): State<AppState>, Admin(v, _): Admin) -> Response {
    matrix_page(&s, &v, StatusCode::OK, None, Errors::default(), None).await
}

pub async fn matrix_save(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
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
        settings::put_at(&mut tx, &actor, matrix::KEY, &m, version).await?;
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

// ---------------------------------------------------------------------------------------------
// The category tree
// ---------------------------------------------------------------------------------------------

/// A category with its depth in the tree (0 for the top level) and its full name.
pub struct CategoryRow {
    pub c: Category,
    pub depth: usize,
    pub path: String,
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct CategoriesPage {
    ui: Ui,
    rows: Vec<CategoryRow>,
    /// The create form as typed: parent, code, Chinese name, English name.
    new: (i64, String, String, String),
    errors: Errors,
}

impl CategoriesPage {
    fn indent(&self, depth: &usize) -> String {
        "\u{3000}".repeat(*depth)
    }

    fn is_parent(&self, parent: &Option<i64>, id: &i64) -> bool {
        *parent == Some(*id)
    }
}

async fn categories_page(
    s: &AppState,
    v: &Viewer,
    status: StatusCode,
    new: (i64, String, String, String),
    errors: Errors,
) -> Response {
    let loaded = async {
        let mut tx = s.store.read().await?;
        categories::list(&mut tx).await
    };
    let all = match loaded.await {
        Ok(all) => all,
        Err(e) => return view::fail(v, e),
    };
    let depth_of = |c: &Category| {
        let mut d = 0;
        let mut p = c.parent_id;
        while let Some(id) = p {
            d += 1;
            p = all.iter().find(|x| x.id == id).and_then(|x| x.parent_id);
            if d > 8 {
                break;
            }
        }
        d
    };
    let rows = all
        .iter()
        .map(|c| CategoryRow {
            depth: depth_of(c),
            path: shared::category_path(v.locale, &all, Some(c.id)),
            c: c.clone(),
        })
        .collect();
    render(v, status, CategoriesPage { ui: Ui::new(v, "admin"), rows, new, errors })
}

pub async fn categories_list(State(s): State<AppState>, Admin(v, _): Admin) -> Response {
    categories_page(&s, &v, StatusCode::OK, Default::default(), Errors::default()).await
}

pub async fn category_create(State(s): State<AppState>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let typed = (
        form.int("parent").unwrap_or(0),
        form.get("code").trim().to_string(),
        form.get("name_zh").trim().to_string(),
        form.get("name_en").trim().to_string(),
    );
    let input = CategoryInput {
        parent_id: Some(Some(typed.0).filter(|p| *p > 0)),
        code: Some(typed.1.clone()),
        name_zh: Some(typed.2.clone()),
        name_en: Some(typed.3.clone()),
        ..Default::default()
    };
    match change(&s, &v, "/admin/categories", async |tx| categories::create(tx, &actor, input).await.map(|_| ())).await
    {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, errors))) => categories_page(&s, &v, status, typed, errors).await,
    }
}

pub async fn category_update(State(s): State<AppState>, Path(id): Path<i64>, p: Posted<AdminOnly>) -> Response {
    let Posted { viewer: v, actor, form } = p;
    let version = form.int("version").unwrap_or(0);
    let input = CategoryInput {
        parent_id: Some(form.int("parent").filter(|p| *p > 0)),
        name_zh: Some(form.get("name_zh").trim().to_string()),
        name_en: Some(form.get("name_en").trim().to_string()),
        active: Some(form.get("active") == "1"),
        ..Default::default()
    };
    let res = change(&s, &v, "/admin/categories", async |tx| {
        categories::update(tx, &actor, id, version, input).await.map(|_| ())
    });
    match res.await {
        Ok(res) | Err(Err(res)) => res,
        Err(Ok((status, mut errors))) => {
            if errors.form.is_none() {
                let text: Vec<String> = errors.fields.drain().map(|(_, m)| m).collect();
                errors.form = Some(format!("#{id}: {}", text.join(" ")));
            }
            categories_page(&s, &v, status, Default::default(), errors).await
        }
    }
}
