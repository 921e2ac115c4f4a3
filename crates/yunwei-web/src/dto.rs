//! What the API sends: store records with times as RFC 3339 UTC strings and JSON fields as
//! JSON, and the request bodies it accepts.

use serde::{Deserialize, Deserializer, Serialize};

/// Parses an RFC 3339 instant from a request, naming the field when it is not one.
pub fn parse_ts(field: &str, text: &str) -> Result<i64, crate::error::ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_microsecond())
        .map_err(|_| crate::error::ApiError::invalid(field, "not_a_time").with("value", text))
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub fn double_option<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A list with an optional cursor for the next page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A whole list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}
