//! What the administration forms share: refusals shown beside the field
//! they concern in the viewer's language, ticked checkboxes, and running a change in a write
//! transaction that answers with a redirect or the form again.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::{StoreError, Tx};
use yunwei_kernel::DomainError;

use super::i18n::{self, Locale};
use super::session::{FormData, Viewer};
use super::view;
use crate::AppState;

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
pub fn message(locale: Locale, text: &str) -> String {
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
pub fn refusal(v: &Viewer, e: StoreError) -> Result<(StatusCode, Errors), Response> {
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
pub fn ticked(form: &FormData, prefix: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = form
        .fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(k, _)| k.strip_prefix(prefix)?.parse().ok())
        .collect();
    ids.sort_unstable();
    ids
}

/// Runs a change in a write transaction; on success redirects to `to`.
pub async fn change(
    s: &AppState,
    v: &Viewer,
    to: &str,
    f: impl AsyncFnOnce(&mut Tx) -> Result<(), StoreError>,
) -> Result<Response, Result<(StatusCode, Errors), Response>> {
    let saved = async {
        let mut tx = s.store.write().await?;
        f(&mut tx).await?;
        tx.commit().await
    };
    match saved.await {
        Ok(()) => Ok(view::redirect_with(v, to, "flash.saved")),
        Err(e) => Err(refusal(v, e)),
    }
}
