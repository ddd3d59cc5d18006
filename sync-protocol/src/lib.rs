//! Node-to-node replication: the project's PKI, the wire frames, the QUIC transport and the sans-IO
//! sync session.

pub mod ca_dir;
pub mod frame;
pub mod message;
pub mod pki;
pub mod transport;
