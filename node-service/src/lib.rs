//! What every node serves — hub and edge alike: the replica store, the HTTP JSON API, configuration
//! and start-up. The hub and edge-node binaries are thin shells over this crate.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub use hotline_operations::{Hotline, blobs, citizen, kb, throttle};

pub mod alerts;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod files;
pub mod http;
pub mod http_common;
pub mod inbound;
pub mod node;
pub mod notify;
pub mod open311;
pub mod pages;
pub mod report;
pub mod state;
pub mod stats_export;
pub mod sync;
pub mod telephony;
pub mod tls;

pub use config::{NodeConfig, NodeRole};
pub use node::{RunningNode, start};
pub use state::{AppState, Clock, system_clock};
