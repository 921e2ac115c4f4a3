//! The CMDB on either database: classes, CIs with their history and search index,
//! relationships, impact analysis, and the work that names CIs. Every read goes through
//! [`visible`]; every write is scoped read → version check → rule → write → history and
//! audit, in the caller's transaction.

pub mod bulk;
pub mod cis;
pub mod classes;
pub mod impact;
pub mod import;
pub mod relations;
pub mod work;

use yunwei_db::db::{Arg, Sql};
use yunwei_db::search::Index;
use yunwei_kernel::permission::{Actor, TenantScope};

use crate::rules::CiStatus;
use crate::rules::attributes::AttrKind;
use crate::rules::impact::Direction;
use crate::rules::permissions::READ_CMDB;
use crate::rules::relations::RelationKind;

stored_enum!(CiStatus, RelationKind, AttrKind, Direction);

/// The CIs' full-text index (migration 0011): name and text attributes.
pub const CIS: Index = Index { table: "ci_search", key: "ci_id", records: "cis" };

/// The tenants whose CIs `actor` may see: staff those they serve and their own organisation
/// (the provider's shared CIs), a client's people their own organisation.
pub fn tenant_scope(actor: &Actor) -> TenantScope {
    if actor.is_staff() { actor.tenant_scope().and(actor.tenant_id) } else { actor.tenant_scope() }
}

/// Appends the condition that the CI aliased `c` is one `actor` may see: in [`tenant_scope`],
/// and for someone without [`READ_CMDB`] (an end user) assigned to them.
pub fn visible(sql: &mut Sql, c: &str, actor: &Actor) {
    sql.scoped(&format!("{c}.tenant_id"), &tenant_scope(actor));
    if !actor.may(READ_CMDB) {
        sql.push(&format!(" AND {c}.user_id = ")).arg(Arg::Int(actor.user_id));
    }
}
