//! The CMDB's pure rules: attribute types and values, relationship kinds and which end
//! depends on which, the impact walk, and who may do what. No I/O.

pub mod attributes;
pub mod impact;
pub mod import;
pub mod permissions;
pub mod relations;

use yunwei_kernel::string_enum;

string_enum!(CiStatus {
    Planned = "planned",
    InService = "in_service",
    Maintenance = "maintenance",
    Retired = "retired",
});

/// Class codes: `[a-z][a-z0-9_]*`, at most 40 characters (they key relationship rules and
/// imports, so they never change once made).
pub fn class_code(value: &str) -> Result<String, yunwei_kernel::DomainError> {
    let v = value.trim();
    let mut chars = v.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && v.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok { Ok(v.to_string()) } else { Err(yunwei_kernel::DomainError::invalid("code", "attribute_code_format")) }
}
