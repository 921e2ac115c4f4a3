//! The impact × urgency priority matrix in force, kept as an installation-wide setting.

use yunwei_db::db::Conn;
use yunwei_db::{Result, settings};

use crate::rules::priority::PriorityMatrix;

/// The settings key of the matrix.
pub const KEY: &str = "priority_matrix";

/// The priority matrix in force (the default until an administrator changes it).
pub async fn get(c: &mut impl Conn) -> Result<PriorityMatrix> {
    Ok(settings::get(c, KEY).await?.unwrap_or_default())
}
