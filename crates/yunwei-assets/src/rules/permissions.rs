//! What each role may do with assets. Who sees which assets is the scope
//! (`store::visible`): staff the tenants they serve and their own organisation, a client's IT
//! contact their own organisation's, an end user only the assets assigned to them.

use yunwei_kernel::permission::{Permission, Role};

/// Read assets and stock-takes in one's scope.
pub const READ_ASSETS: Permission = Permission {
    name: "assets.read",
    roles: &[Role::Admin, Role::GroupLead, Role::Agent, Role::ConfigManager, Role::AssetManager, Role::ClientIt],
};
/// Create and change assets, move them through their lifecycle, run stock-takes.
pub const MANAGE_ASSETS: Permission = Permission { name: "assets.manage", roles: &[Role::Admin, Role::AssetManager] };

pub const ALL: &[Permission] = &[READ_ASSETS, MANAGE_ASSETS];
