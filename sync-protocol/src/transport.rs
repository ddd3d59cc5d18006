//! QUIC transport between nodes (quinn 0.11, rustls 0.23 with the ring provider): mutual TLS that
//! trusts only the project CA, ALPN `hotline-sync/1`, a protocol version exchanged in the first frame,
//! keep-alive and idle timeout set explicitly, the peer's identity read from its verified certificate,
//! a deny-list checked at accept plus a way to drop live connections of a revoked node, and dialling
//! with exponential backoff and jitter.
//!
//! One connection carries one bidirectional stream of frames ([`crate::frame`]): the client opens
//! it and sends `Hello`; the server answers `Hello`; then both sides send session messages.
//!
//! Why one file of this length: the QUIC endpoint, its TLS configuration and the reconnecting dialer are one unit of IO.

use crate::frame::{self, FrameError, LEN_BYTES};
use crate::message::{MIN_PROTOCOL_VERSION, Message, MessageError, PROTOCOL_VERSION, refusal};
use crate::pki::{DenyList, PeerIdentity, PkiError, read_peer_identity, server_name_for};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{Connection, Endpoint, RecvStream, SendStream, VarInt};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;
use tracing::{info, warn};

/// ALPN protocol id.
pub const ALPN: &[u8] = b"hotline-sync/1";

/// Connection close codes.
pub mod close_code {
    pub const NORMAL: u32 = 0;
    pub const PROTOCOL: u32 = 1;
    pub const REVOKED: u32 = 2;
    pub const VERSION: u32 = 3;
}

/// Errors of the transport.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    #[error("QUIC crypto configuration: {0}")]
    QuicCrypto(String),
    #[error("idle timeout out of range")]
    IdleTimeout,
    #[error(transparent)]
    Pki(#[from] PkiError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("connect: {0}")]
    Connect(#[from] quinn::ConnectError),
    #[error("connection: {0}")]
    Connection(#[from] quinn::ConnectionError),
    #[error("write: {0}")]
    Write(#[from] quinn::WriteError),
    #[error("read: {0}")]
    Read(String),
    #[error("stream closed by peer")]
    Closed,
    #[error("frame: {0}")]
    Frame(#[from] FrameError),
    #[error("message: {0}")]
    Message(#[from] MessageError),
    #[error("peer presented no certificate")]
    NoPeerCertificate,
    #[error("peer {node} (serial {serial}) is revoked")]
    Revoked { node: String, serial: String },
    #[error("first message was {0}, not Hello")]
    NoHello(&'static str),
    #[error(
        "no common protocol version: peer speaks {peer_version} (min {peer_min}), we speak {ours} (min {our_min})"
    )]
    Version {
        peer_version: u32,
        peer_min: u32,
        ours: u32,
        our_min: u32,
    },
    #[error("peer refused: code {code}: {reason}")]
    Refused { code: u16, reason: String },
    #[error("peer is {got}, expected {expected}")]
    WrongPeer { expected: String, got: String },
}

/// This node's TLS material: the trusted CA certificates, its own chain and key, and the CRLs.
#[derive(Debug)]
pub struct NodeTls {
    pub ca_certs: Vec<CertificateDer<'static>>,
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub crls: Vec<CertificateRevocationListDer<'static>>,
}

impl Clone for NodeTls {
    fn clone(&self) -> Self {
        Self {
            ca_certs: self.ca_certs.clone(),
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            crls: self.crls.clone(),
        }
    }
}

impl NodeTls {
    /// From PEM texts: CA bundle (several CAs during a rotation), node chain, node key, CRLs (may be empty).
    pub fn from_pem(
        ca_pem: &str,
        cert_pem: &str,
        key_pem: &str,
        crl_pem: &str,
    ) -> Result<Self, TransportError> {
        Ok(Self {
            ca_certs: crate::pki::pem_to_cert_chain(ca_pem)?,
            chain: crate::pki::pem_to_cert_chain(cert_pem)?,
            key: crate::pki::pem_to_key_der(key_pem)?,
            crls: crate::pki::pem_to_crls(crl_pem)?,
        })
    }

    /// This node's own identity, read from its certificate.
    pub fn identity(&self) -> Result<PeerIdentity, TransportError> {
        let first = self
            .chain
            .first()
            .ok_or(TransportError::NoPeerCertificate)?;
        Ok(read_peer_identity(first)?)
    }

    fn roots(&self) -> Result<Arc<RootCertStore>, TransportError> {
        let mut roots = RootCertStore::empty();
        for ca in &self.ca_certs {
            roots.add(ca.clone())?;
        }
        Ok(Arc::new(roots))
    }
}

/// Timing and size settings of the transport.
#[derive(Debug, Clone)]
pub struct TransportSettings {
    pub keep_alive: Duration,
    pub idle_timeout: Duration,
    pub max_frame: u32,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            keep_alive: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(20),
            max_frame: frame::DEFAULT_MAX_FRAME,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn quic_transport(s: &TransportSettings) -> Result<Arc<quinn::TransportConfig>, TransportError> {
    let mut t = quinn::TransportConfig::default();
    t.keep_alive_interval(Some(s.keep_alive));
    t.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(s.idle_timeout).map_err(|_| TransportError::IdleTimeout)?,
    ));
    // Links are long-lived and carry small messages when in sync: path-MTU probes (padded packets
    // up to the interface MTU) would cost more bytes than a reconnect needs.
    t.mtu_discovery_config(None);
    // One sync stream per connection; a few spare.
    t.max_concurrent_bidi_streams(VarInt::from_u32(4));
    t.max_concurrent_uni_streams(VarInt::from_u32(0));
    Ok(Arc::new(t))
}

/// QUIC server configuration: requires a client certificate from the project CA, checked against the CRLs.
pub fn server_config(
    tls: &NodeTls,
    s: &TransportSettings,
) -> Result<quinn::ServerConfig, TransportError> {
    let verifier = WebPkiClientVerifier::builder_with_provider(tls.roots()?, provider())
        .with_crls(tls.crls.clone())
        .build()?;
    let mut crypto = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(tls.chain.clone(), tls.key.clone_key())?;
    crypto.alpn_protocols = vec![ALPN.to_vec()];
    let quic = QuicServerConfig::try_from(crypto)
        .map_err(|e| TransportError::QuicCrypto(e.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(quic_transport(s)?);
    Ok(config)
}

/// QUIC client configuration: presents this node's certificate, trusts only the project CA (no
/// system roots), checks the server against the CRLs.
pub fn client_config(
    tls: &NodeTls,
    s: &TransportSettings,
) -> Result<quinn::ClientConfig, TransportError> {
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(tls.roots()?, provider())
            .with_crls(tls.crls.clone())
            .build()?;
    let mut crypto = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(tls.chain.clone(), tls.key.clone_key())?;
    crypto.alpn_protocols = vec![ALPN.to_vec()];
    let quic = QuicClientConfig::try_from(crypto)
        .map_err(|e| TransportError::QuicCrypto(e.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    config.transport_config(quic_transport(s)?);
    Ok(config)
}

/// A server endpoint bound to `addr` (use port 0 in tests, then [`Endpoint::local_addr`]).
pub fn server_endpoint(
    tls: &NodeTls,
    s: &TransportSettings,
    addr: SocketAddr,
) -> Result<Endpoint, TransportError> {
    Ok(Endpoint::server(server_config(tls, s)?, addr)?)
}

/// Puts new TLS material (a fresh CRL, a renewed certificate, an extra CA during rotation) into a
/// running server endpoint: new connections use it. Pair with [`Revocations::replace`] to drop live
/// connections of newly revoked certificates.
pub fn reload_server(
    endpoint: &Endpoint,
    tls: &NodeTls,
    s: &TransportSettings,
) -> Result<(), TransportError> {
    endpoint.set_server_config(Some(server_config(tls, s)?));
    Ok(())
}

/// A client-only endpoint bound to `addr` with this node's client configuration as default.
pub fn client_endpoint(
    tls: &NodeTls,
    s: &TransportSettings,
    addr: SocketAddr,
) -> Result<Endpoint, TransportError> {
    let mut ep = Endpoint::client(addr)?;
    ep.set_default_client_config(client_config(tls, s)?);
    Ok(ep)
}

/// The deny-list and the live connections, so a revocation refuses new connections and drops
/// existing ones. Share one per node (it is cheap to clone).
#[derive(Clone, Default)]
pub struct Revocations {
    inner: Arc<RevocationsInner>,
}

#[derive(Default)]
struct RevocationsInner {
    deny: RwLock<DenyList>,
    live: Mutex<HashMap<String, Vec<Connection>>>,
}

impl Revocations {
    pub fn new(deny: DenyList) -> Self {
        Self {
            inner: Arc::new(RevocationsInner {
                deny: RwLock::new(deny),
                live: Mutex::default(),
            }),
        }
    }

    pub fn is_denied(&self, serial: &str) -> bool {
        self.inner
            .deny
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(serial)
    }

    /// Adds `serial` to the deny-list and closes every live connection of that certificate.
    /// Returns how many connections were dropped.
    pub fn revoke(&self, serial: &str) -> usize {
        self.inner
            .deny
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(serial);
        let conns = self
            .inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(serial)
            .unwrap_or_default();
        for c in &conns {
            warn!(serial, peer = %c.remote_address(), "dropping live connection of revoked certificate");
            c.close(
                VarInt::from_u32(close_code::REVOKED),
                b"certificate revoked",
            );
        }
        conns.len()
    }

    /// Replaces the deny-list (e.g. after reading a new `deny.txt`), dropping newly denied connections.
    pub fn replace(&self, deny: DenyList) -> usize {
        let serials: Vec<String> = deny.iter().map(str::to_owned).collect();
        *self
            .inner
            .deny
            .write()
            .unwrap_or_else(PoisonError::into_inner) = deny;
        serials.iter().map(|s| self.revoke(s)).sum()
    }

    fn register(&self, serial: &str, conn: &Connection) {
        let mut live = self
            .inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let list = live.entry(serial.to_owned()).or_default();
        list.retain(|c| c.close_reason().is_none());
        list.push(conn.clone());
    }
}

/// Reads the identity of the peer of an established connection from its verified certificate.
pub fn peer_identity(conn: &Connection) -> Result<PeerIdentity, TransportError> {
    let any = conn
        .peer_identity()
        .ok_or(TransportError::NoPeerCertificate)?;
    let chain = any
        .downcast::<Vec<CertificateDer<'static>>>()
        .map_err(|_| TransportError::NoPeerCertificate)?;
    let first = chain.first().ok_or(TransportError::NoPeerCertificate)?;
    Ok(read_peer_identity(first)?)
}

/// An established, authenticated link to a peer: one framed bidirectional stream.
pub struct Link {
    conn: Connection,
    peer: PeerIdentity,
    send: SendStream,
    recv: RecvStream,
    max_frame: u32,
    peer_version: u32,
}

impl Link {
    /// The peer, as its certificate says.
    pub fn peer(&self) -> &PeerIdentity {
        &self.peer
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Protocol version the peer announced.
    pub fn peer_version(&self) -> u32 {
        self.peer_version
    }

    /// Sends one message.
    pub async fn send(&mut self, m: &Message) -> Result<(), TransportError> {
        let bytes = frame::encode(m)?;
        self.send.write_all(&bytes).await?;
        Ok(())
    }

    /// Sends raw bytes (tools and tests of hostile peers only).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.send.write_all(bytes).await?;
        Ok(())
    }

    /// Receives one message. A malformed or oversized frame closes the connection and is logged.
    pub async fn recv(&mut self) -> Result<Message, TransportError> {
        match read_frame(&mut self.recv, self.max_frame).await {
            Ok(m) => Ok(m),
            Err(e) => {
                if matches!(e, TransportError::Frame(_) | TransportError::Message(_)) {
                    warn!(peer = %self.peer.node_code, error = %e, "refused malformed frame; closing connection");
                    self.conn
                        .close(VarInt::from_u32(close_code::PROTOCOL), b"malformed frame");
                }
                Err(e)
            }
        }
    }

    /// Closes the link.
    pub fn close(&self, code: u32, reason: &str) {
        self.conn.close(VarInt::from_u32(code), reason.as_bytes());
    }

    /// Splits into the connection, the peer identity and the two halves, for a reader task and a writer task.
    pub fn into_parts(self) -> (Connection, PeerIdentity, FrameWriter, FrameReader) {
        let peer = self.peer.node_code.clone();
        (
            self.conn,
            self.peer,
            FrameWriter { send: self.send },
            FrameReader {
                recv: self.recv,
                max_frame: self.max_frame,
                peer,
            },
        )
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("peer", &self.peer)
            .field("remote", &self.conn.remote_address())
            .finish()
    }
}

/// Writing half of a [`Link`].
pub struct FrameWriter {
    send: SendStream,
}

impl FrameWriter {
    pub async fn send(&mut self, m: &Message) -> Result<(), TransportError> {
        let bytes = frame::encode(m)?;
        self.send.write_all(&bytes).await?;
        Ok(())
    }
}

/// Reading half of a [`Link`].
pub struct FrameReader {
    recv: RecvStream,
    max_frame: u32,
    peer: String,
}

impl FrameReader {
    pub async fn recv(&mut self) -> Result<Message, TransportError> {
        let r = read_frame(&mut self.recv, self.max_frame).await;
        if let Err(e @ (TransportError::Frame(_) | TransportError::Message(_))) = &r {
            warn!(peer = %self.peer, error = %e, "refused malformed frame");
        }
        r
    }
}

async fn read_exact(recv: &mut RecvStream, buf: &mut [u8]) -> Result<(), TransportError> {
    recv.read_exact(buf).await.map_err(|e| match e {
        quinn::ReadExactError::FinishedEarly(_) => TransportError::Closed,
        quinn::ReadExactError::ReadError(e) => TransportError::Read(e.to_string()),
    })
}

/// Reads one frame: the length is checked against `max_frame` before the body is allocated.
async fn read_frame(recv: &mut RecvStream, max_frame: u32) -> Result<Message, TransportError> {
    let mut header = [0u8; LEN_BYTES];
    read_exact(recv, &mut header).await?;
    let len = frame::check_len(header, max_frame)?;
    let mut body = vec![0u8; len as usize];
    read_exact(recv, &mut body).await?;
    Ok(frame::decode_body(&body)?)
}

fn check_hello(m: &Message) -> Result<u32, TransportError> {
    match *m {
        Message::Hello {
            version,
            min_version,
        } => {
            // The highest version both speak.
            let common = version.min(PROTOCOL_VERSION);
            if common < min_version.max(MIN_PROTOCOL_VERSION) {
                return Err(TransportError::Version {
                    peer_version: version,
                    peer_min: min_version,
                    ours: PROTOCOL_VERSION,
                    our_min: MIN_PROTOCOL_VERSION,
                });
            }
            Ok(version)
        }
        Message::Refused { code, ref reason } => Err(TransportError::Refused {
            code,
            reason: reason.clone(),
        }),
        ref other => Err(TransportError::NoHello(other.kind())),
    }
}

fn hello() -> Message {
    Message::Hello {
        version: PROTOCOL_VERSION,
        min_version: MIN_PROTOCOL_VERSION,
    }
}

/// Completes an incoming connection: TLS handshake (CA, CRLs, expiry checked by rustls), identity
/// from the certificate, deny-list check, `Hello` exchange. Every refusal is logged.
pub async fn accept(
    incoming: quinn::Incoming,
    revocations: &Revocations,
    settings: &TransportSettings,
) -> Result<Link, TransportError> {
    let remote = incoming.remote_address();
    let conn = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            warn!(%remote, error = %e, "refused incoming connection: handshake failed");
            return Err(e.into());
        }
    };
    let peer = match peer_identity(&conn) {
        Ok(p) => p,
        Err(e) => {
            warn!(%remote, error = %e, "refused incoming connection: no usable identity");
            conn.close(VarInt::from_u32(close_code::PROTOCOL), b"no identity");
            return Err(e);
        }
    };
    if revocations.is_denied(&peer.serial) {
        warn!(%remote, node = %peer.node_code, serial = %peer.serial, "refused incoming connection: certificate revoked");
        conn.close(
            VarInt::from_u32(close_code::REVOKED),
            b"certificate revoked",
        );
        return Err(TransportError::Revoked {
            node: peer.node_code,
            serial: peer.serial,
        });
    }
    revocations.register(&peer.serial, &conn);
    let (mut send, mut recv) = conn.accept_bi().await.inspect_err(|e| {
        warn!(%remote, node = %peer.node_code, error = %e, "connection ended before its stream opened");
    })?;
    let first = match read_frame(&mut recv, settings.max_frame).await {
        Ok(m) => m,
        Err(e) => {
            warn!(%remote, node = %peer.node_code, error = %e, "refused connection: bad first frame");
            conn.close(VarInt::from_u32(close_code::PROTOCOL), b"bad first frame");
            return Err(e);
        }
    };
    let peer_version = match check_hello(&first) {
        Ok(v) => v,
        Err(e) => {
            warn!(%remote, node = %peer.node_code, error = %e, "refused connection: handshake message");
            let (code, close) = match e {
                TransportError::Version { .. } => (refusal::VERSION, close_code::VERSION),
                _ => (refusal::NO_HELLO, close_code::PROTOCOL),
            };
            if let Ok(bytes) = frame::encode(&Message::Refused {
                code,
                reason: e.to_string(),
            }) {
                let _ = send.write_all(&bytes).await;
                let _ = send.finish();
            }
            conn.close(VarInt::from_u32(close), b"handshake refused");
            return Err(e);
        }
    };
    send.write_all(&frame::encode(&hello())?).await?;
    info!(%remote, node = %peer.node_code, scope = %peer.scope_unit, "accepted sync link");
    Ok(Link {
        conn,
        peer,
        send,
        recv,
        max_frame: settings.max_frame,
        peer_version,
    })
}

/// Dials the node `node_code` at `addr`: TLS (server name from the node code), identity check,
/// deny-list check, `Hello` exchange.
pub async fn connect(
    endpoint: &Endpoint,
    addr: SocketAddr,
    node_code: &str,
    revocations: &Revocations,
    settings: &TransportSettings,
) -> Result<Link, TransportError> {
    let conn = endpoint
        .connect(addr, &server_name_for(node_code))?
        .await
        .inspect_err(|e| {
            warn!(%addr, node = node_code, error = %e, "connection refused: handshake failed");
        })?;
    let peer = peer_identity(&conn)?;
    if peer.node_code != node_code {
        warn!(%addr, expected = node_code, got = %peer.node_code, "connection refused: wrong peer");
        conn.close(VarInt::from_u32(close_code::PROTOCOL), b"wrong peer");
        return Err(TransportError::WrongPeer {
            expected: node_code.to_owned(),
            got: peer.node_code,
        });
    }
    if revocations.is_denied(&peer.serial) {
        warn!(%addr, node = node_code, serial = %peer.serial, "connection refused: server certificate revoked");
        conn.close(
            VarInt::from_u32(close_code::REVOKED),
            b"certificate revoked",
        );
        return Err(TransportError::Revoked {
            node: peer.node_code,
            serial: peer.serial,
        });
    }
    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(&frame::encode(&hello())?).await?;
    // A server that refuses our certificate shows it here, on the first read.
    let first = read_frame(&mut recv, settings.max_frame)
        .await
        .inspect_err(|e| {
            warn!(%addr, node = node_code, error = %e, "connection refused by server");
        })?;
    let peer_version = check_hello(&first).inspect_err(|e| {
        warn!(%addr, node = node_code, error = %e, "connection refused: handshake message");
    })?;
    revocations.register(&peer.serial, &conn);
    info!(%addr, node = node_code, "sync link up");
    Ok(Link {
        conn,
        peer,
        send,
        recv,
        max_frame: settings.max_frame,
        peer_version,
    })
}

/// Exponential backoff with jitter for redialling.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Delay before attempt `attempt` (0-based): `min(max, base·2^attempt)`, scaled into
    /// `[½, 1]` of that by `jitter` ∈ [0, 1) (randomness passed in).
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(20));
        let capped = exp.min(self.max);
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// Everything needed to (re)dial one peer.
#[derive(Clone)]
pub struct Dialer {
    pub endpoint: Endpoint,
    pub addr: SocketAddr,
    /// Code of the node expected at `addr` (checked against its certificate).
    pub node_code: String,
    pub revocations: Revocations,
    pub settings: TransportSettings,
    pub backoff: Backoff,
}

impl Dialer {
    /// Dials once.
    pub async fn connect(&self) -> Result<Link, TransportError> {
        connect(
            &self.endpoint,
            self.addr,
            &self.node_code,
            &self.revocations,
            &self.settings,
        )
        .await
    }

    /// Dials until a link is up or `max_attempts` failed (None: forever), sleeping
    /// [`Backoff::delay`] between attempts. `jitter` yields numbers in [0, 1).
    pub async fn connect_with_backoff(
        &self,
        mut jitter: impl FnMut() -> f64,
        max_attempts: Option<u32>,
    ) -> Result<Link, TransportError> {
        let mut attempt = 0u32;
        loop {
            match self.connect().await {
                Ok(link) => return Ok(link),
                Err(e) => {
                    if max_attempts.is_some_and(|m| attempt + 1 >= m) {
                        return Err(e);
                    }
                    let d = self.backoff.delay(attempt, jitter());
                    warn!(addr = %self.addr, node = %self.node_code, attempt, delay_ms = d.as_millis() as u64, error = %e, "redialling after backoff");
                    tokio::time::sleep(d).await;
                    attempt = attempt.saturating_add(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(2),
        };
        assert_eq!(b.delay(0, 0.999_999).as_millis(), 99);
        assert_eq!(b.delay(0, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(400));
        assert_eq!(b.delay(10, 0.0), Duration::from_secs(1));
        assert_eq!(b.delay(40, 1.0), Duration::from_secs(2));
    }

    #[test]
    fn hello_versions() {
        assert_eq!(check_hello(&hello()).ok(), Some(PROTOCOL_VERSION));
        assert!(matches!(
            check_hello(&Message::Hello {
                version: PROTOCOL_VERSION + 5,
                min_version: PROTOCOL_VERSION + 1
            }),
            Err(TransportError::Version { .. })
        ));
        assert!(matches!(
            check_hello(&Message::DigestRequest),
            Err(TransportError::NoHello(_))
        ));
    }
}
