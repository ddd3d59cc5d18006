//! Node-to-node replication.
