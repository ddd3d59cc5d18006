//! Node-to-node replication of a real node: the `[sync]` configuration, the sync session's store
//! over the node's SQLite replica, the QUIC links (listener for downstream nodes, dialler for the
//! upstream one) and the link status the health API shows.

pub mod config;
pub mod link;
pub mod purges;
pub mod service;
pub mod sql_store;

pub use config::{ChildNode, SyncConfig};
pub use hotline_operations::links::{LinkInfo, SyncLinks};
pub use service::SyncService;
