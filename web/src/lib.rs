//! The staff pages and the citizens' website: askama templates over plain view structs, and the static files they use.
//!
//! Nothing here knows the domain: node-service's page handlers call the same operations as the
//! JSON API and fill these structs with what the user may see, already in Chinese. A template
//! error fails the build; a template edit recompiles this crate only.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod assets;
pub mod portal;
pub mod views;

pub use askama::Template;
pub use views::*;
