//! The platform's operations: every use case as a plain function over the store, the reference
//! data, the clock and the acting user, returning typed results and an [`OpError`] with its
//! Chinese message and a [`Kind`] that each face maps to its own answer (an HTTP status, an Open311
//! error, a page). It knows no HTTP: axum, hyper, askama and tower are not among its dependencies
//! (`scripts/check-layers` checks it). The rules stay in `hotline-model`; durability stays in
//! `replica-store`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod alerts;
pub mod articles;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod callbacks;
pub mod calls;
pub mod citizen;
pub mod clock;
pub mod drafts;
pub mod error;
pub mod files;
pub mod hotline;
pub mod inbound;
pub mod kb;
pub mod links;
pub mod messages;
pub mod operators;
pub mod outbox;
pub mod quality;
pub mod reference;
pub mod seed;
pub mod settings;
pub mod stats;
pub mod throttle;
pub mod tickets;
pub mod topics;
pub mod wording;

pub use clock::{Clock, system_clock};
pub use error::{Kind, OpError};
pub use hotline::Hotline;
pub use settings::{NodeRole, Settings};
