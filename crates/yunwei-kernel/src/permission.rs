//! Roles, what each may do, and which tenants' data a user may see.
//!
//! A permission check is a lookup in one table ([`grants`]), so a new role is a new row.

use crate::DomainError;
use crate::string_enum;

string_enum!(Role {
    Admin = "admin",
    Agent = "agent",
    GroupLead = "group_lead",
    EndUser = "end_user",
});

/// Things a role may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Tenants, users, groups, locations, categories, the priority matrix.
    ManageOrganisation,
    /// Read users, groups and locations of the tenants served (to dispatch and log calls).
    ReadDirectory,
    /// See every ticket of the tenants in scope, not only one's own.
    SeeAllTicketsInScope,
    /// Log tickets on behalf of another user (phone, walk-in).
    CreateForOthers,
    /// Work tickets: dispatch, claim, transfer, return, escalate, suspend, resolve, merge, link.
    WorkTickets,
    /// Write and read internal notes.
    InternalNotes,
    /// Read the audit log.
    ReadAudit,
}

/// The permission table.
pub fn grants(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Admin => &[
            ManageOrganisation,
            ReadDirectory,
            SeeAllTicketsInScope,
            CreateForOthers,
            WorkTickets,
            InternalNotes,
            ReadAudit,
        ],
        Role::GroupLead => {
            &[ReadDirectory, SeeAllTicketsInScope, CreateForOthers, WorkTickets, InternalNotes, ReadAudit]
        }
        Role::Agent => &[ReadDirectory, SeeAllTicketsInScope, CreateForOthers, WorkTickets, InternalNotes],
        Role::EndUser => &[],
    }
}

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
        grants(self.role).contains(&p)
    }

    pub fn require(&self, p: Permission) -> Result<(), DomainError> {
        if self.may(p) {
            Ok(())
        } else {
            Err(DomainError::forbidden("role_may_not").with("role_key", format!("role.{}", self.role)))
        }
    }

    pub fn tenant_scope(&self) -> TenantScope {
        match self.role {
            Role::Admin => TenantScope::All,
            Role::Agent | Role::GroupLead => TenantScope::Only(self.served_tenants.clone()),
            Role::EndUser => TenantScope::Only(vec![self.tenant_id]),
        }
    }

    /// End users see only the tickets they requested.
    pub fn own_tickets_only(&self) -> bool {
        !self.may(Permission::SeeAllTicketsInScope)
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
        assert!(!actor(Role::Agent).tenant_scope().contains(1));
    }

    #[test]
    fn only_administrators_manage_the_organisation() {
        for role in Role::ALL {
            assert_eq!(actor(*role).may(Permission::ManageOrganisation), *role == Role::Admin);
        }
        assert!(actor(Role::Agent).may(Permission::InternalNotes));
        assert!(!actor(Role::EndUser).may(Permission::InternalNotes));
    }
}
