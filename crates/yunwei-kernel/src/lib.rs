//! The pure core every Yunwei module shares: ids and closed sets of values
//! ([`string_enum!`]), roles, permissions and the caller's tenant scope
//! ([`permission::Actor`]), errors that name the field and the problem, validation of what
//! people type, business calendars (working hours, holidays, China's make-up days), search
//! terms for Chinese and English text, and attachment naming. No I/O lives here: no database,
//! no HTTP, no clock reads (callers pass `now`). Everything in this crate is tested on its own.

pub mod attachment;
pub mod calendar;
pub mod enums;
pub mod error;
pub mod login;
pub mod permission;
pub mod search;
pub mod validate;

pub use error::{Args, DomainError, FieldError, Problem};
