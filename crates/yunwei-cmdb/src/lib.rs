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

use yunwei_web::{Module, no_jobs};

/// The CMDB module, for the composition root.
pub const MODULE: Module = Module {
    name: "cmdb",
    api: api::routes,
    pages: ui::routes,
    jobs: no_jobs,
    job_kinds: &[],
    permissions: rules::permissions::ALL,
    nav: &[],
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
}
