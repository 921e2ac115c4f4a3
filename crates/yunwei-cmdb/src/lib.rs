//! Configuration management (CMDB, 配置管理): CI classes with typed attributes, the CIs of
//! each tenant and the provider's shared ones, typed and directed relationships, impact
//! analysis both ways with a picture, each CI's history, and the work (tickets) that names
//! CIs. `rules` is pure and property-tested; `store` writes it on either database; `api` and
//! `ui` parse, authorise, call the store and render.

#[macro_use]
extern crate yunwei_db;

pub mod api;
pub mod rules;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ui;

use yunwei_web::ui::nav::{Audience, NavLink};
use yunwei_web::{Module, no_jobs};

/// In unit tests, pages need the CMDB's words installed beside the platform's.
#[cfg(test)]
pub(crate) fn install_texts() {
    yunwei_web::ui::i18n::install(MODULE.texts.to_vec());
}

/// The CMDB module, for the composition root.
pub const MODULE: Module = Module {
    name: "cmdb",
    api: api::routes,
    pages: ui::routes,
    jobs: no_jobs,
    job_kinds: &[],
    permissions: rules::permissions::ALL,
    // Whoever may read it: staff, and a client's IT contact for their own organisation.
    nav: &[NavLink::new("cmdb", "/cmdb", "cmdb.nav", "nav-cmdb", Audience::Roles(rules::permissions::READ_CMDB.roles))],
    texts: &[yunwei_web::texts!()],
};

#[cfg(test)]
mod tests {
    use super::MODULE;
    use yunwei_web::ui::i18n::{self, PLATFORM};

    #[test]
    fn the_cmdb_catalogues_have_the_same_keys_in_both_languages_and_repeat_no_other_key() {
        let org = yunwei_org::MODULE.texts[0];
        assert_eq!(i18n::problems(&[PLATFORM, org, MODULE.texts[0]]), Vec::<String>::new());
    }

    #[test]
    fn every_problem_the_cmdb_raises_is_worded_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (used, unknown) =
            i18n::unknown_problems(root, &["src"], &[PLATFORM, yunwei_org::MODULE.texts[0], MODULE.texts[0]]);
        assert!(unknown.is_empty(), "problems without wording: {unknown:#?}");
        assert!(used > 30, "only {used} problem codes found; is the scan broken?");
    }

    #[test]
    fn every_key_used_in_the_cmdb_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let texts = [PLATFORM, yunwei_org::MODULE.texts[0], MODULE.texts[0]];
        let (used, unknown) = i18n::unknown_keys(root, &["templates", "src/ui"], &texts);
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used > 60, "only {used} keys found in use; is the scan broken?");
    }

    #[test]
    fn keys_built_from_domain_values_exist() {
        use crate::rules::CiStatus;
        use crate::rules::attributes::AttrKind;
        use crate::rules::relations::RelationKind;
        let mut needed: Vec<String> = Vec::new();
        needed.extend(CiStatus::ALL.iter().map(|s| format!("cmdb.status.{}", s.as_str())));
        needed.extend(RelationKind::ALL.iter().map(|k| format!("cmdb.kind.{}", k.as_str())));
        needed.extend(RelationKind::ALL.iter().map(|k| format!("cmdb.kind_in.{}", k.as_str())));
        needed.extend(AttrKind::ALL.iter().map(|k| format!("cmdb.attr_kind.{}", k.as_str())));
        for kind in ["created", "updated", "relation_added", "relation_removed"] {
            needed.push(format!("cmdb.history.{kind}"));
        }
        let catalogues = i18n::merge(&[PLATFORM, yunwei_org::MODULE.texts[0], MODULE.texts[0]]).expect("catalogues");
        for (l, c) in i18n::Locale::ALL.iter().zip(&catalogues) {
            for k in &needed {
                assert!(c.contains_key(k), "{} lacks {k}", l.as_str());
            }
        }
    }
}
