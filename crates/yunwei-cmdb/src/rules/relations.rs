//! Relationships between CIs: typed and directed (`source` runs on `target`), and which end
//! is hit when the other fails.

use yunwei_kernel::{DomainError, string_enum};

string_enum!(RelationKind {
    RunsOn = "runs_on",
    DependsOn = "depends_on",
    ConnectsTo = "connects_to",
    Contains = "contains",
    Uses = "uses",
    InstalledOn = "installed_on",
});

impl RelationKind {
    /// `(dependent, dependency)` of `source kind target`: the dependent fails when the
    /// dependency does. An application that runs on a server depends on it; a server that
    /// connects to a switch depends on the switch; what a container holds depends on it.
    pub fn ends(self, source: i64, target: i64) -> (i64, i64) {
        match self {
            RelationKind::Contains => (target, source),
            _ => (source, target),
        }
    }
}

/// A rule allowing `source_class kind target_class`; `*` stands for any class.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rule {
    pub source_class: String,
    pub kind: RelationKind,
    pub target_class: String,
}

/// Whether a relationship of `kind` from a `source` CI to a `target` CI is allowed by `rules`.
pub fn allowed(rules: &[Rule], source_class: &str, kind: RelationKind, target_class: &str) -> bool {
    rules.iter().any(|r| {
        r.kind == kind
            && (r.source_class == "*" || r.source_class == source_class)
            && (r.target_class == "*" || r.target_class == target_class)
    })
}

/// Which tenants two CIs may be joined across: the same tenant, or one end the provider's
/// shared CI (`shared` is the provider's tenant). Two clients' CIs are never joined.
pub fn tenants_may_join(source_tenant: i64, target_tenant: i64, shared: Option<i64>) -> Result<(), DomainError> {
    if source_tenant == target_tenant || shared.is_some_and(|p| p == source_tenant || p == target_tenant) {
        Ok(())
    } else {
        Err(DomainError::invalid("target_id", "relation_across_tenants"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contained_depends_on_its_container_otherwise_the_source_on_the_target() {
        assert_eq!(RelationKind::RunsOn.ends(1, 2), (1, 2));
        assert_eq!(RelationKind::ConnectsTo.ends(1, 2), (1, 2));
        assert_eq!(RelationKind::Contains.ends(1, 2), (2, 1));
    }

    #[test]
    fn rules_match_classes_or_any() {
        let rules = vec![
            Rule { source_class: "application".into(), kind: RelationKind::RunsOn, target_class: "server".into() },
            Rule { source_class: "*".into(), kind: RelationKind::ConnectsTo, target_class: "switch".into() },
        ];
        assert!(allowed(&rules, "application", RelationKind::RunsOn, "server"));
        assert!(!allowed(&rules, "server", RelationKind::RunsOn, "application"));
        assert!(!allowed(&rules, "application", RelationKind::DependsOn, "server"));
        assert!(allowed(&rules, "printer", RelationKind::ConnectsTo, "switch"));
    }

    #[test]
    fn two_clients_cis_are_never_joined_but_either_may_join_the_providers() {
        assert!(tenants_may_join(2, 2, Some(1)).is_ok());
        assert!(tenants_may_join(2, 1, Some(1)).is_ok());
        assert!(tenants_may_join(1, 3, Some(1)).is_ok());
        assert!(tenants_may_join(2, 3, Some(1)).is_err());
        assert!(tenants_may_join(2, 3, None).is_err());
    }
}
