//! What the administration forms share: refusals shown beside the field
//! they concern in the viewer's language (their problem's code and arguments worded by the
//! catalogues), ticked checkboxes, and running a change in a write
//! transaction that answers with a redirect or the form again.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use yunwei_db::{StoreError, Tx};
use yunwei_kernel::{DomainError, Problem};

use super::i18n;
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

/// A store refusal as form errors and a status, or a whole page (not found, failure).
#[allow(clippy::result_large_err)]
pub fn refusal(v: &Viewer, e: StoreError) -> Result<(StatusCode, Errors), Response> {
    let l = v.locale;
    let mut errors = Errors::default();
    let status = match e {
        StoreError::Domain(DomainError::Invalid(f)) => {
            errors.fields.insert(f.field, i18n::problem(l, &f.problem));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Duplicate { field, code } => {
            errors.fields.insert(field.to_string(), i18n::problem(l, &Problem::new(code)));
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
