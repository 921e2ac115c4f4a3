//! The service desk's pages: the self-service portal for end users, the agent console (queues,
//! the ticket page, logging a call), the group lead's dashboard, the SLA pages, and the
//! administration of categories and the priority matrix.

pub mod admin;
pub mod console;
pub mod dashboard;
pub mod portal;
pub mod shared;
pub mod sla;

use axum::Router;
use axum::routing::{get, post};
use yunwei_web::AppState;

pub fn routes(_: &AppState) -> Router<AppState> {
    Router::new()
        .route("/portal", get(portal::my_tickets))
        .route("/portal/new", get(portal::new_form).post(portal::create))
        .route("/portal/tickets/{ticket}", get(portal::ticket))
        .route("/portal/tickets/{ticket}/reply", post(portal::reply))
        .route("/portal/tickets/{ticket}/rate", post(portal::rate))
        .route("/portal/tickets/{ticket}/act/{action}", post(portal::act))
        .route("/portal/tickets/{ticket}/files/{id}", get(portal::download))
        .route("/console", get(console::queue))
        .route("/console/dashboard", get(dashboard::show))
        .route("/console/new", get(console::new_form).post(console::create))
        .route("/console/tickets/{ticket}", get(console::ticket))
        .route("/console/tickets/{ticket}/comment", post(console::comment))
        .route("/console/tickets/{ticket}/act/{action}", post(console::act))
        .route("/console/tickets/{ticket}/link", post(console::link))
        .route("/console/tickets/{ticket}/cis", post(console::set_cis))
        .route("/console/tickets/{ticket}/edit", post(console::edit))
        .route("/console/tickets/{ticket}/files/{id}", get(console::download))
        .route("/console/sla/soon", get(sla::soon))
        .route("/console/sla/report", get(sla::report))
        .route("/admin/matrix", get(admin::matrix_show).post(admin::matrix_save))
        .route("/admin/categories", get(admin::categories_list).post(admin::category_create))
        .route("/admin/categories/{id}", post(admin::category_update))
        .route("/admin/sla", get(sla::admin))
        .route("/admin/sla/calendars/new", get(sla::new_calendar).post(sla::create_calendar))
        .route("/admin/sla/calendars/{id}", get(sla::edit_calendar).post(sla::update_calendar))
        .route("/admin/sla/policies/new", get(sla::new_policy).post(sla::create_policy))
        .route("/admin/sla/policies/{id}", get(sla::edit_policy).post(sla::update_policy))
}

#[cfg(test)]
mod tests {
    use yunwei_web::ui::i18n::{self, Locale, PLATFORM};

    use crate::MODULE;

    #[test]
    fn each_permission_name_says_one_thing_across_the_platform_and_the_modules() {
        let modules = [yunwei_org::MODULE, MODULE];
        assert_eq!(yunwei_web::permission_clashes(&modules), Vec::<&str>::new());
        assert_eq!(MODULE.permissions.len(), 4);
        // The check can fail: a module that repeats a name is reported.
        let mut copy = yunwei_org::MODULE;
        copy.permissions = &[yunwei_kernel::permission::READ_AUDIT];
        assert_eq!(yunwei_web::permission_clashes(&[copy, MODULE]), vec!["audit.read"]);
    }

    #[test]
    fn the_desk_catalogues_have_the_same_keys_in_both_languages_and_repeat_no_platform_key() {
        assert_eq!(i18n::problems(&[PLATFORM, MODULE.texts[0]]), Vec::<String>::new());
    }

    #[test]
    fn every_key_used_in_the_desk_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (used, unknown) = i18n::unknown_keys(root, &["templates", "src/ui"], &[PLATFORM, MODULE.texts[0]]);
        assert!(unknown.is_empty(), "unknown keys: {unknown:#?}");
        assert!(used > 100, "only {used} keys found in use; is the scan broken?");
    }

    #[test]
    fn every_problem_the_desk_and_the_organisation_raise_is_worded_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let (desk, org) = (MODULE.texts[0], yunwei_org::MODULE.texts[0]);
        assert_eq!(i18n::problems(&[PLATFORM, org, desk]), Vec::<String>::new());
        // The desk also words the CMDB's problems about the CIs a ticket names.
        let cmdb = yunwei_cmdb::MODULE.texts[0];
        let (used, unknown) = i18n::unknown_problems(root, &["src"], &[PLATFORM, cmdb, desk]);
        assert!(unknown.is_empty(), "problems without wording: {unknown:#?}");
        assert!(used > 60, "only {used} problem codes found in the desk; is the scan broken?");
        let (used, unknown) = i18n::unknown_problems(&root.join("../yunwei-org"), &["src"], &[PLATFORM, org]);
        assert!(unknown.is_empty(), "problems without wording: {unknown:#?}");
        assert!(used > 15, "only {used} problem codes found in the organisation; is the scan broken?");
    }

    #[test]
    fn keys_built_from_domain_values_exist() {
        use crate::rules::ticket::{ActionKind, Channel, PendingReason, ResolutionCode, Status, TicketType};
        let mut needed: Vec<String> = Vec::new();
        needed.extend(Status::ALL.iter().map(|s| format!("status.{s}")));
        needed.extend(ActionKind::ALL.iter().map(|a| format!("action.{a}")));
        needed.extend(ActionKind::ALL.iter().map(|a| format!("event.{a}")));
        needed.extend(Channel::ALL.iter().map(|c| format!("channel.{c}")));
        needed.extend(PendingReason::ALL.iter().map(|p| format!("pending.{p}")));
        needed.extend(ResolutionCode::ALL.iter().map(|r| format!("resolution.{r}")));
        needed.extend(TicketType::ALL.iter().map(|t| format!("type.{t}")));
        needed.extend((1..=4).map(|p| format!("priority.{p}")));
        needed.extend((1..=4).map(|p| format!("impact.{p}")));
        needed.extend((1..=4).map(|p| format!("urgency.{p}")));
        needed.extend((1..=5).map(|p| format!("rating.score_{p}")));
        needed.extend(crate::store::queues::Queue::ALL.iter().map(|q| format!("queue.{}", q.as_str())));
        for kind in ["created", "reply", "note", "link", "unlink", "attachment", "update", "merged", "rating"] {
            needed.push(format!("event.{kind}"));
        }
        for kind in ["parent", "child", "related", "duplicate_of"] {
            needed.push(format!("link.{kind}"));
        }
        let catalogues = i18n::merge(&[PLATFORM, MODULE.texts[0]]).expect("catalogues");
        for (l, c) in Locale::ALL.iter().zip(&catalogues) {
            for k in &needed {
                assert!(c.contains_key(k), "{} lacks {k}", l.as_str());
            }
        }
    }
}
