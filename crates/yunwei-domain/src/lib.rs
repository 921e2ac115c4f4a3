//! Yunwei's pure rules: the ticket lifecycle, the priority matrix, roles and permissions,
//! validation and the default reference data. No I/O lives here: no database, no HTTP, no
//! clock reads (callers pass `now`). Everything in this crate is tested on its own.

pub mod attachment;
pub mod calendar;
pub mod category;
pub mod error;
pub mod login;
pub mod permission;
pub mod priority;
pub mod rating;
pub mod search;
pub mod sla;
pub mod ticket;
pub mod validate;

pub use error::{DomainError, FieldError};
