//! HTTP plumbing every face and every web-facing integration shares, and no face owns: the JSON
//! error answer, an operation's `Kind` as a status, the acting user from a session or token, the
//! client's address, and the time budget of the citizens' endpoints. Nothing here is a use case.

pub mod actor;
pub mod budget;
pub mod client;
pub mod error;
pub mod routes;

pub use error::status_of;
