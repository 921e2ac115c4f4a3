//! What each role may do in the CMDB. Who sees which CIs is the scope (`store::scope`):
//! staff the tenants they serve and the provider's shared CIs, a client's IT contact their
//! own organisation's, an end user only the CIs assigned to them.

use yunwei_kernel::permission::{Permission, Role};

/// Read CIs, relationships and impact.
pub const READ_CMDB: Permission = Permission {
    name: "cmdb.read",
    roles: &[Role::Admin, Role::GroupLead, Role::Agent, Role::ConfigManager, Role::AssetManager, Role::ClientIt],
};
/// Create and change CIs and relationships, import.
pub const MANAGE_CIS: Permission = Permission { name: "cmdb.manage", roles: &[Role::Admin, Role::ConfigManager] };
/// Define classes, their attributes and which classes may be related.
pub const MANAGE_CLASSES: Permission =
    Permission { name: "cmdb.manage_classes", roles: &[Role::Admin, Role::ConfigManager] };

pub const ALL: &[Permission] = &[READ_CMDB, MANAGE_CIS, MANAGE_CLASSES];
