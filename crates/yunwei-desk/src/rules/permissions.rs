//! What each role may do at the service desk (the platform's own permissions are in
//! `yunwei_kernel::permission`). Listed in [`ALL`] for the desk's `Module`.

use yunwei_kernel::permission::{Actor, Permission, Role};

const STAFF: &[Role] = &[Role::Admin, Role::GroupLead, Role::Agent, Role::ConfigManager, Role::AssetManager];

/// See every ticket of the tenants in scope, not only one's own.
pub const SEE_ALL_TICKETS_IN_SCOPE: Permission = Permission { name: "desk.see_all_tickets", roles: STAFF };
/// Log tickets on behalf of another user (phone, walk-in).
pub const CREATE_FOR_OTHERS: Permission = Permission { name: "desk.create_for_others", roles: STAFF };
/// Work tickets: dispatch, claim, transfer, return, escalate, suspend, resolve, merge, link.
pub const WORK_TICKETS: Permission = Permission { name: "desk.work_tickets", roles: STAFF };
/// Write and read internal notes.
pub const INTERNAL_NOTES: Permission = Permission { name: "desk.internal_notes", roles: STAFF };

pub const ALL: &[Permission] = &[SEE_ALL_TICKETS_IN_SCOPE, CREATE_FOR_OTHERS, WORK_TICKETS, INTERNAL_NOTES];

/// End users see only the tickets they requested.
pub fn own_tickets_only(actor: &Actor) -> bool {
    !actor.may(SEE_ALL_TICKETS_IN_SCOPE)
}
