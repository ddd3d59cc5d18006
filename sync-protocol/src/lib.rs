//! Node-to-node replication: the project's PKI, the wire frames, the QUIC transport and the sans-IO
//! sync session.

pub mod ca_dir;
pub mod digest;
pub mod driver;
pub mod frame;
pub mod memory;
pub mod message;
pub mod pki;
pub mod scope;
pub mod session;
pub mod store;
pub mod transport;
