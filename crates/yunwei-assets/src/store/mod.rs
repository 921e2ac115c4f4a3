//! Assets on either database: the assets with their history, tags from the installation's
//! rule, stock-takes, and the reminders before a warranty or contract ends. Every read goes
//! through [`visible`]; every write is scoped read → version check → rule → write → history
//! and audit, in the caller's transaction.

pub mod assets;
pub mod import;
pub mod reminders;
pub mod stocktakes;

use yunwei_db::db::{Arg, Sql};
use yunwei_kernel::permission::{Actor, TenantScope};

use crate::rules::lifecycle::AssetStatus;
use crate::rules::permissions::READ_ASSETS;
use crate::rules::stocktake::{Outcome, StockTakeStatus};

stored_enum!(AssetStatus, Outcome, StockTakeStatus);

/// The tenants whose assets `actor` may see: staff those they serve and their own
/// organisation, a client's people their own organisation.
pub fn tenant_scope(actor: &Actor) -> TenantScope {
    if actor.is_staff() { actor.tenant_scope().and(actor.tenant_id) } else { actor.tenant_scope() }
}

/// Appends the condition that the asset aliased `a` is one `actor` may see: in
/// [`tenant_scope`], and for someone without [`READ_ASSETS`] (an end user) assigned to them.
pub fn visible(sql: &mut Sql, a: &str, actor: &Actor) {
    sql.scoped(&format!("{a}.tenant_id"), &tenant_scope(actor));
    if !actor.may(READ_ASSETS) {
        sql.push(&format!(" AND {a}.user_id = ")).arg(Arg::Int(actor.user_id));
    }
}

/// Today's date in UTC, as stored (`2026-12-05`).
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}
