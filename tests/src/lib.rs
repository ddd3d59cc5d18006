//! Integration tests across nodes and the benchmark scenarios.

pub mod bench;
pub mod fixtures;
pub mod outbox_node;
pub mod wait;
