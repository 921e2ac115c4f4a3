//! Asset management (资产管理): each tenant's assets with a unique tag made by the
//! installation's rule, their lifecycle (ordered → in stock → deployed ⇄ in repair → retired →
//! disposed), who has them and where, cost, vendor, warranty and contract; the history of every
//! change; stock-takes (盘点) that reconcile what should be at a place with what was scanned
//! there; and a daily reminder before a warranty or contract ends. An asset may be the CI it
//! is in the CMDB: assigning the asset assigns the CI. `rules` is pure and property-tested;
//! `store` writes it on either database; `api` and `ui` parse, authorise, call the store and
//! render.

#[macro_use]
extern crate yunwei_db;

pub mod api;
pub mod jobs;
pub mod rules;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ui;

use yunwei_db::jobs::JobKind;
use yunwei_web::Module;
use yunwei_web::ui::nav::{Audience, NavLink};

/// The asset management module, for the composition root.
pub const MODULE: Module = Module {
    name: "assets",
    api: api::routes,
    pages: ui::routes,
    jobs: jobs::spawn,
    job_kinds: &[JobKind { kind: store::reminders::JOB, run: store::reminders::job }],
    permissions: rules::permissions::ALL,
    nav: &[
        NavLink::new("assets", "/assets", "assets.nav", "nav-assets", Audience::Staff),
        NavLink::new("stock_takes", "/stock-takes", "stocktake.nav", "nav-stock-takes", Audience::Staff),
        NavLink::new("my_devices", "/portal/devices", "devices.nav", "nav-my-devices", Audience::Portal),
    ],
    texts: &[yunwei_web::texts!()],
};

#[cfg(test)]
mod tests {
    use super::MODULE;
    use yunwei_web::ui::i18n::{self, Locale, PLATFORM};

    fn catalogues() -> Vec<i18n::Texts> {
        vec![PLATFORM, yunwei_org::MODULE.texts[0], yunwei_cmdb::MODULE.texts[0], MODULE.texts[0]]
    }

    #[test]
    fn the_asset_catalogues_have_the_same_keys_in_both_languages_and_repeat_no_other_key() {
        assert_eq!(i18n::problems(&catalogues()), Vec::<String>::new());
    }

    #[test]
    fn every_problem_the_assets_raise_is_worded_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (used, unknown) = i18n::unknown_problems(root, &["src"], &catalogues());
        assert!(unknown.is_empty(), "problems without wording: {unknown:#?}");
        assert!(used > 15, "only {used} problem codes found; is the scan broken?");
    }

    #[test]
    fn every_key_used_in_the_asset_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (used, unknown) = i18n::unknown_keys(root, &["templates", "src"], &catalogues());
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used > 40, "only {used} keys found in use; is the scan broken?");
    }

    #[test]
    fn keys_built_from_domain_values_exist() {
        use crate::rules::lifecycle::AssetStatus;
        use crate::rules::stocktake::{Outcome, StockTakeStatus};
        let mut needed: Vec<String> = Vec::new();
        needed.extend(AssetStatus::ALL.iter().map(|s| format!("asset_status.{s}")));
        needed.extend(AssetStatus::ALL.iter().map(|s| format!("asset_action.{s}")));
        needed.extend(Outcome::ALL.iter().map(|s| format!("stocktake.outcome.{s}")));
        needed.extend(StockTakeStatus::ALL.iter().map(|s| format!("stocktake.status.{s}")));
        for kind in ["created", "updated", "transition", "stock_take"] {
            needed.push(format!("asset.event.{kind}"));
        }
        for kind in ["assets.warranty_ending", "assets.contract_ending"] {
            needed.push(format!("notice.{kind}"));
        }
        for part in ["building", "floor", "room"] {
            needed.push(format!("asset.{part}"));
        }
        let catalogues = i18n::merge(&catalogues()).expect("catalogues");
        for (l, c) in Locale::ALL.iter().zip(&catalogues) {
            for k in &needed {
                assert!(c.contains_key(k), "{} lacks {k}", l.as_str());
            }
        }
    }

    #[test]
    fn each_permission_name_says_one_thing() {
        let modules = [yunwei_org::MODULE, yunwei_cmdb::MODULE, MODULE];
        assert_eq!(yunwei_web::permission_clashes(&modules), Vec::<&str>::new());
    }
}
