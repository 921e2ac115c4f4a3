//! Roles, what each may do, and which tenants' data a user may see.
//!
//! A permission names the roles that have it ([`Permission`]); each module declares its own.

use crate::DomainError;
use crate::string_enum;

// `config_manager` keeps the CMDB (classes, CIs, relationships) and `asset_manager` the assets
// and stock-takes, both for the client organisations they serve; `client_it` is a client
// organisation's own IT contact: the portal like an end user, and read access to their
// organisation's configuration and assets.
string_enum!(Role {
    Admin = "admin",
    Agent = "agent",
    GroupLead = "group_lead",
    ConfigManager = "config_manager",
    AssetManager = "asset_manager",
    ClientIt = "client_it",
    EndUser = "end_user",
});

impl Role {
    /// The provider's people (administrators, leads, agents, configuration and asset
    /// managers): they get the console and serve client organisations. The others belong to
    /// a client and get the portal.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::EndUser | Role::ClientIt)
    }
}

/// Something a role may be allowed to do, with the roles that may. Each crate declares the
/// permissions of its own domain as constants beside its rules (the desk's `WORK_TICKETS`),
/// and lists them in its `Module` (`permissions`); a check is `actor.require(WORK_TICKETS)?`.
/// A new role is a new value in every list that grants it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// Unique across the product (a test checks), e.g. `org.manage`, `desk.work_tickets`.
    pub name: &'static str,
    pub roles: &'static [Role],
}

/// Tenants, users, groups, locations, and each module's settings (categories, the priority
/// matrix, calendars, policies).
pub const MANAGE_ORGANISATION: Permission = Permission { name: "org.manage", roles: &[Role::Admin] };

/// Read users, groups and locations of the tenants served (to dispatch and log calls).
pub const READ_DIRECTORY: Permission = Permission {
    name: "org.read_directory",
    roles: &[Role::Admin, Role::GroupLead, Role::Agent, Role::ConfigManager, Role::AssetManager],
};

/// Read the audit log.
pub const READ_AUDIT: Permission = Permission { name: "audit.read", roles: &[Role::Admin, Role::GroupLead] };

/// The platform's own permissions.
pub const PLATFORM: &[Permission] = &[MANAGE_ORGANISATION, READ_DIRECTORY, READ_AUDIT];

/// Which tenants' data a user may read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    All,
    Only(Vec<i64>),
}

impl TenantScope {
    /// The scope with one more tenant in it (staff also see the people of their own
    /// organisation).
    pub fn and(self, tenant_id: i64) -> Self {
        match self {
            TenantScope::All => TenantScope::All,
            TenantScope::Only(mut ids) => {
                if !ids.contains(&tenant_id) {
                    ids.push(tenant_id);
                }
                TenantScope::Only(ids)
            }
        }
    }

    pub fn contains(&self, tenant_id: i64) -> bool {
        match self {
            TenantScope::All => true,
            TenantScope::Only(ids) => ids.contains(&tenant_id),
        }
    }
}

/// The user behind a request, with everything the checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
    /// The organisation the user belongs to.
    pub tenant_id: i64,
    /// Tenants a provider's agent serves (ignored for administrators and end users).
    pub served_tenants: Vec<i64>,
}

impl Actor {
    pub fn may(&self, p: Permission) -> bool {
        p.roles.contains(&self.role)
    }

    pub fn require(&self, p: Permission) -> Result<(), DomainError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(DomainError::forbidden("role_may_not").with("role_key", format!("role.{}", self.role)))
        }
    }

    /// The provider's people (administrators, group leads, agents), who get the staff pages;
    /// end users get the portal.
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    pub fn tenant_scope(&self) -> TenantScope {
        match self.role {
            Role::Admin => TenantScope::All,
            Role::Agent | Role::GroupLead | Role::ConfigManager | Role::AssetManager => {
                TenantScope::Only(self.served_tenants.clone())
            }
            Role::ClientIt | Role::EndUser => TenantScope::Only(vec![self.tenant_id]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { user_id: 5, role, tenant_id: 1, served_tenants: vec![2, 3] }
    }

    #[test]
    fn administrators_see_every_tenant_agents_only_those_they_serve_end_users_their_own() {
        assert_eq!(actor(Role::Admin).tenant_scope(), TenantScope::All);
        assert_eq!(actor(Role::Agent).tenant_scope(), TenantScope::Only(vec![2, 3]));
        assert_eq!(actor(Role::EndUser).tenant_scope(), TenantScope::Only(vec![1]));
        assert_eq!(actor(Role::ClientIt).tenant_scope(), TenantScope::Only(vec![1]));
        assert_eq!(actor(Role::ConfigManager).tenant_scope(), TenantScope::Only(vec![2, 3]));
        assert!(!actor(Role::Agent).tenant_scope().contains(1));
    }

    #[test]
    fn only_administrators_manage_the_organisation() {
        for role in Role::ALL {
            assert_eq!(actor(*role).may(MANAGE_ORGANISATION), *role == Role::Admin);
            assert_eq!(actor(*role).may(READ_DIRECTORY), role.is_staff());
            assert_eq!(actor(*role).require(READ_AUDIT).is_ok(), matches!(role, Role::Admin | Role::GroupLead));
        }
    }
}
