//! The CMDB's pages: the CI list, each CI's page (attributes, relationships, history, work,
//! the edit form), a new CI, the impact picture, and the administration of classes and
//! relationship rules. Handlers parse, call the store with the viewer's `Actor` (the store
//! authorises and scopes) and render; a CI outside the viewer's scope is the 404 page.

pub mod cis;
pub mod classes;
pub mod impact;
pub mod import;
pub mod layout;

use std::collections::HashMap;

use axum::Router;
use axum::routing::{get, post};
use yunwei_db::{Result, Tx};
use yunwei_kernel::permission::{self, Actor};
use yunwei_web::AppState;

use crate::store::classes::{self as class_store, Class};

/// The module's pages. Each area keeps its own routes; add an area with one `.merge(...)`.
pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new().merge(ci_routes()).merge(classes::routes()).merge(import::routes())
}

fn ci_routes() -> Router<AppState> {
    Router::new()
        .route("/cmdb", get(cis::list))
        .route("/cmdb/new", get(cis::new_form).post(cis::create))
        .route("/cmdb/{id}", get(cis::show).post(cis::update))
        .route("/cmdb/{id}/relations", post(cis::relate))
        .route("/cmdb/{id}/relations/{rel}/remove", post(cis::unrelate))
        .route("/cmdb/{id}/impact", get(impact::show))
}

/// Percent-encodes a query value.
pub(crate) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The names a CMDB page shows for ids: organisations, support groups, locations, classes.
#[derive(Default)]
pub(crate) struct Names {
    pub tenants: Vec<(i64, String)>,
    pub groups: Vec<(i64, String)>,
    pub locations: Vec<(i64, i64, String)>,
    pub classes: Vec<Class>,
    tenant: HashMap<i64, String>,
    group: HashMap<i64, String>,
    location: HashMap<i64, String>,
}

impl Names {
    /// What `actor` may see of the organisation (the provider's name always: its CIs are
    /// shared), and every class.
    pub async fn load(tx: &mut Tx, actor: &Actor) -> Result<Names> {
        let mut tenants: Vec<(i64, String)> =
            yunwei_org::tenants::list(tx, actor).await?.into_iter().map(|t| (t.id, t.name)).collect();
        let provider = yunwei_org::tenants::provider(tx).await?;
        if actor.is_staff() && !tenants.iter().any(|(id, _)| *id == provider.id) {
            tenants.insert(0, (provider.id, provider.name));
        }
        let groups = if actor.may(permission::READ_DIRECTORY) {
            yunwei_org::groups::list(tx, actor).await?.into_iter().map(|g| (g.group.id, g.group.name)).collect()
        } else {
            Vec::new()
        };
        let locations: Vec<(i64, i64, String)> = yunwei_org::locations::list(tx, actor, None)
            .await?
            .into_iter()
            .map(|l| (l.id, l.tenant_id, l.label()))
            .collect();
        let classes = class_store::list(tx).await?;
        Ok(Names {
            tenant: tenants.iter().cloned().collect(),
            group: groups.iter().cloned().collect(),
            location: locations.iter().map(|(id, _, l)| (*id, l.clone())).collect(),
            tenants,
            groups,
            locations,
            classes,
        })
    }

    pub fn tenant(&self, id: i64) -> String {
        self.tenant.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    pub fn group(&self, id: Option<i64>) -> String {
        id.map(|g| self.group.get(&g).cloned().unwrap_or_else(|| format!("#{g}"))).unwrap_or_default()
    }

    pub fn location(&self, id: Option<i64>) -> String {
        id.map(|l| self.location.get(&l).cloned().unwrap_or_else(|| format!("#{l}"))).unwrap_or_default()
    }

    pub fn class(&self, code: &str) -> Option<&Class> {
        self.classes.iter().find(|c| c.code == code)
    }

    /// A class's name in `locale`, or its code if unknown.
    pub fn class_name(&self, code: &str, locale: &str) -> String {
        self.class(code).map(|c| c.name(locale).to_string()).unwrap_or_else(|| code.to_string())
    }
}
