//! The service desk's pure rules: no I/O, no clock reads (callers pass `now`).

pub mod category;
pub mod permissions;
pub mod priority;
pub mod rating;
pub mod sla;
pub mod ticket;
