//! Real QUIC + mutual TLS on loopback: a good pair talks; foreign, expired and revoked certificates,
//! oversized frames and garbage are refused without a crash, and every refusal is logged.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use sync_protocol::message::Message;
use sync_protocol::pki::{CertificateAuthority, DenyList, IssuedCert, Revoked};
use sync_protocol::transport::{
    self, Link, NodeTls, Revocations, TransportError, TransportSettings, client_endpoint,
    server_endpoint,
};
use time::{Duration, OffsetDateTime};

/// Collects log output of the current thread (tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl LogBuf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log lock")).into_owned()
    }
}

impl Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (LogBuf, tracing::subscriber::DefaultGuard) {
    let buf = LogBuf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (buf, guard)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn random16() -> [u8; 16] {
    rand::random()
}

struct Pki {
    ca: CertificateAuthority,
}

impl Pki {
    fn new() -> Self {
        Self {
            ca: CertificateAuthority::create("test CA", now(), 365, random16()).expect("ca"),
        }
    }

    fn issue(&self, node: &str, scope: &str) -> IssuedCert {
        self.ca
            .issue_node(node, scope, now(), 30, random16())
            .expect("issue")
    }

    fn tls(&self, cert: &IssuedCert, crl_pem: &str) -> NodeTls {
        NodeTls::from_pem(self.ca.cert_pem(), &cert.cert_pem, &cert.key_pem, crl_pem).expect("tls")
    }

    fn crl(&self, revoked: &[&IssuedCert]) -> String {
        let list: Vec<Revoked> = revoked
            .iter()
            .map(|c| Revoked {
                serial: c.identity.serial.clone(),
                revoked_at: now(),
            })
            .collect();
        self.ca.issue_crl(&list, now(), 7, 1).expect("crl")
    }
}

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Runs one accept on `server` and one connect from a fresh client endpoint, concurrently.
async fn pair(
    server_tls: &NodeTls,
    server_revs: &Revocations,
    client_tls: &NodeTls,
    server_code: &str,
) -> (
    Result<Link, TransportError>,
    Result<Link, TransportError>,
    quinn::Endpoint,
    quinn::Endpoint,
) {
    let settings = TransportSettings::default();
    let server = server_endpoint(server_tls, &settings, localhost()).expect("server endpoint");
    let addr = server.local_addr().expect("addr");
    let client = client_endpoint(client_tls, &settings, localhost()).expect("client endpoint");
    let revs = server_revs.clone();
    let s2 = server.clone();
    let settings2 = settings.clone();
    let accept = async move {
        let incoming = s2.accept().await.ok_or(TransportError::Closed)?;
        transport::accept(incoming, &revs, &settings2).await
    };
    let client_revs = Revocations::default();
    let connect = transport::connect(&client, addr, server_code, &client_revs, &settings);
    let (a, c) = tokio::join!(accept, connect);
    (a, c, server, client)
}

#[tokio::test]
async fn good_pair_exchanges_frames_and_knows_each_other_from_certificates() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let (a, c, _s, _c) = pair(
        &pki.tls(&hub, ""),
        &Revocations::default(),
        &pki.tls(&edge, ""),
        "hub",
    )
    .await;
    let mut server_side = a.expect("accept");
    let mut client_side = c.expect("connect");
    assert_eq!(server_side.peer().node_code, "d-01");
    assert_eq!(server_side.peer().scope_unit, "310101");
    assert_eq!(server_side.peer().serial, edge.identity.serial);
    assert_eq!(client_side.peer().node_code, "hub");
    assert_eq!(client_side.peer().scope_unit, "3101");

    let ask = Message::FeedRequest {
        since: 42,
        limit: 500,
        whole: false,
        shared_only: false,
    };
    client_side.send(&ask).await.expect("send");
    assert_eq!(server_side.recv().await.expect("recv"), ask);
    let answer = Message::FeedPage {
        since: 42,
        epoch: 1,
        entries: vec![],
        scanned_to: 42,
        more: false,
    };
    server_side.send(&answer).await.expect("send back");
    assert_eq!(client_side.recv().await.expect("recv back"), answer);
    assert!(logs.text().contains("accepted sync link"));
}

#[tokio::test]
async fn certificate_from_another_ca_is_refused() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let rogue = Pki::new();
    let hub = pki.issue("hub", "3101");
    // A client with a rogue certificate that nevertheless trusts the real CA.
    let rogue_cert = rogue.issue("d-01", "310101");
    let mut rogue_tls = rogue.tls(&rogue_cert, "");
    rogue_tls.ca_certs = vec![pki.ca.cert_der().clone()];
    let (a, c, _s, _c) = pair(
        &pki.tls(&hub, ""),
        &Revocations::default(),
        &rogue_tls,
        "hub",
    )
    .await;
    assert!(
        a.is_err(),
        "server must refuse a foreign client certificate"
    );
    assert!(c.is_err(), "client must see the refusal");
    assert!(
        logs.text()
            .contains("refused incoming connection: handshake failed"),
        "{}",
        logs.text()
    );

    // And a server with a foreign certificate is refused by an honest client.
    let edge = pki.issue("d-01", "310101");
    let rogue_hub = rogue.issue("hub", "3101");
    let mut rogue_hub_tls = rogue.tls(&rogue_hub, "");
    rogue_hub_tls.ca_certs.push(pki.ca.cert_der().clone());
    let (_a, c, _s, _c) = pair(
        &rogue_hub_tls,
        &Revocations::default(),
        &pki.tls(&edge, ""),
        "hub",
    )
    .await;
    assert!(
        c.is_err(),
        "client must refuse a foreign server certificate"
    );
    assert!(
        logs.text().contains("connection refused: handshake failed"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let expired = pki
        .ca
        .issue_node_window(
            "d-01",
            "310101",
            now() - Duration::days(40),
            now() - Duration::days(10),
            random16(),
        )
        .expect("issue expired");
    let (a, c, _s, _c) = pair(
        &pki.tls(&hub, ""),
        &Revocations::default(),
        &pki.tls(&expired, ""),
        "hub",
    )
    .await;
    let err = a.expect_err("server must refuse an expired certificate");
    assert!(err.to_string().to_lowercase().contains("expired"), "{err}");
    assert!(c.is_err());
    assert!(logs.text().contains("refused incoming connection"));
}

#[tokio::test]
async fn revoked_certificate_is_refused_by_crl_and_by_deny_list() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let crl = pki.crl(&[&edge]);
    let (a, c, _s, _c) = pair(
        &pki.tls(&hub, &crl),
        &Revocations::default(),
        &pki.tls(&edge, ""),
        "hub",
    )
    .await;
    let err = a.expect_err("CRL must refuse the revoked certificate");
    assert!(err.to_string().to_lowercase().contains("revoked"), "{err}");
    assert!(c.is_err());

    // Deny-list only (CRL not yet loaded).
    let mut deny = DenyList::new();
    deny.insert(&edge.identity.serial);
    let (a, c, _s, _c) = pair(
        &pki.tls(&hub, ""),
        &Revocations::new(deny),
        &pki.tls(&edge, ""),
        "hub",
    )
    .await;
    assert!(
        matches!(a, Err(TransportError::Revoked { .. })),
        "deny-list must refuse"
    );
    assert!(c.is_err());
    assert!(
        logs.text().contains("certificate revoked"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn live_connection_is_dropped_on_revocation() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let other = pki.issue("d-02", "310102");
    let revs = Revocations::default();
    let (a, c, _s, _c) = pair(&pki.tls(&hub, ""), &revs, &pki.tls(&edge, ""), "hub").await;
    let mut server_side = a.expect("accept");
    let mut client_side = c.expect("connect");
    // Revoking some other node drops nothing.
    assert_eq!(revs.revoke(&other.identity.serial), 0);
    client_side
        .send(&Message::DigestRequest)
        .await
        .expect("send");
    assert_eq!(
        server_side.recv().await.expect("still up"),
        Message::DigestRequest
    );

    assert_eq!(revs.revoke(&edge.identity.serial), 1);
    assert!(
        client_side.recv().await.is_err(),
        "client link must be dropped"
    );
    assert!(
        server_side.recv().await.is_err(),
        "server link must be dropped"
    );
    assert!(
        logs.text()
            .contains("dropping live connection of revoked certificate")
    );
}

#[tokio::test]
async fn oversized_frame_and_garbage_are_refused_without_crash() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let revs = Revocations::default();

    // Oversized length after the handshake.
    let (a, c, _s, _c) = pair(&pki.tls(&hub, ""), &revs, &pki.tls(&edge, ""), "hub").await;
    let mut server_side = a.expect("accept");
    let mut client_side = c.expect("connect");
    client_side
        .send_raw(&u32::MAX.to_be_bytes())
        .await
        .expect("send raw");
    let err = server_side
        .recv()
        .await
        .expect_err("oversized must be refused");
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    assert!(
        client_side.recv().await.is_err(),
        "connection closed after refusal"
    );

    // Garbage payload inside a well-formed frame.
    let (a, c, _s, _c) = pair(&pki.tls(&hub, ""), &revs, &pki.tls(&edge, ""), "hub").await;
    let mut server_side = a.expect("accept");
    let mut client_side = c.expect("connect");
    client_side
        .send_raw(&[0, 0, 0, 6, 1, 0xde, 0xad, 0xbe, 0xef, 0xff])
        .await
        .expect("send raw");
    assert!(matches!(
        server_side.recv().await,
        Err(TransportError::Frame(
            sync_protocol::frame::FrameError::Message(_)
        ))
    ));

    // Garbage instead of the opening Hello: refused at accept, the server keeps serving.
    let settings = TransportSettings::default();
    let server = server_endpoint(&pki.tls(&hub, ""), &settings, localhost()).expect("server");
    let addr = server.local_addr().expect("addr");
    let client = client_endpoint(&pki.tls(&edge, ""), &settings, localhost()).expect("client");
    let raw = async {
        let conn = client
            .connect(addr, "hub.node.hotline")
            .expect("dial")
            .await
            .expect("handshake");
        let (mut send, _recv) = conn.open_bi().await.expect("stream");
        send.write_all(&[0, 0, 0, 2, 9, 9]).await.expect("write");
        conn
    };
    let s2 = server.clone();
    let revs2 = revs.clone();
    let accept = async move {
        let incoming = s2.accept().await.ok_or(TransportError::Closed)?;
        transport::accept(incoming, &revs2, &TransportSettings::default()).await
    };
    let (_conn, refused) = tokio::join!(raw, accept);
    assert!(
        matches!(refused, Err(TransportError::Frame(_))),
        "{refused:?}"
    );
    let client_revs = Revocations::default();
    let again = transport::connect(&client, addr, "hub", &client_revs, &settings);
    let s3 = server.clone();
    let accept = async move {
        let incoming = s3.accept().await.ok_or(TransportError::Closed)?;
        transport::accept(incoming, &revs, &TransportSettings::default()).await
    };
    let (c, a) = tokio::join!(again, accept);
    assert!(c.is_ok() && a.is_ok(), "server still serves after garbage");
    let text = logs.text();
    assert!(text.contains("refused malformed frame"), "{text}");
    assert!(
        text.contains("refused connection: bad first frame"),
        "{text}"
    );
}

#[tokio::test]
async fn dialling_the_wrong_node_is_refused() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    // The client expects d-02 but reaches the hub: the server name does not match.
    let (_a, c, _s, _c) = pair(
        &pki.tls(&hub, ""),
        &Revocations::default(),
        &pki.tls(&edge, ""),
        "d-02",
    )
    .await;
    assert!(c.is_err());
    assert!(logs.text().contains("connection refused"));
}

#[tokio::test]
async fn dialer_retries_with_backoff_then_connects() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let settings = TransportSettings::default();
    let server = server_endpoint(&pki.tls(&hub, ""), &settings, localhost()).expect("server");
    let addr = server.local_addr().expect("addr");
    let client = client_endpoint(&pki.tls(&edge, ""), &settings, localhost()).expect("client");
    let backoff = transport::Backoff {
        base: std::time::Duration::from_millis(1),
        max: std::time::Duration::from_millis(4),
    };
    // Expecting the wrong node: every attempt fails, the dialler gives up after 3.
    let wrong = transport::Dialer {
        endpoint: client.clone(),
        addr,
        node_code: "d-09".into(),
        revocations: Revocations::default(),
        settings: settings.clone(),
        backoff,
    };
    let mut jitters = vec![0.1, 0.9, 0.5].into_iter();
    let refused = async {
        while let Some(incoming) = server.accept().await {
            let _ = transport::accept(incoming, &Revocations::default(), &settings).await;
        }
    };
    let dial = wrong.connect_with_backoff(|| jitters.next().unwrap_or(0.0), Some(3));
    let result = tokio::select! {
        r = dial => r,
        _ = refused => panic!("server loop ended"),
    };
    assert!(result.is_err());
    assert_eq!(logs.text().matches("redialling after backoff").count(), 2);

    let right = transport::Dialer {
        node_code: "hub".into(),
        ..wrong
    };
    let s2 = server.clone();
    let accept = async move {
        let incoming = s2.accept().await.ok_or(TransportError::Closed)?;
        transport::accept(
            incoming,
            &Revocations::default(),
            &TransportSettings::default(),
        )
        .await
    };
    let (c, a) = tokio::join!(right.connect_with_backoff(|| 0.5, None), accept);
    assert_eq!(c.expect("connect").peer().node_code, "hub");
    assert_eq!(a.expect("accept").peer().node_code, "d-01");
}

#[tokio::test]
async fn a_reloaded_crl_refuses_new_connections() {
    let (logs, _g) = capture_logs();
    let pki = Pki::new();
    let hub = pki.issue("hub", "3101");
    let edge = pki.issue("d-01", "310101");
    let settings = TransportSettings::default();
    let server = server_endpoint(&pki.tls(&hub, ""), &settings, localhost()).expect("server");
    let addr = server.local_addr().expect("addr");
    let client = client_endpoint(&pki.tls(&edge, ""), &settings, localhost()).expect("client");
    let revs = Revocations::default();
    let once = |server: quinn::Endpoint, revs: Revocations| async move {
        let incoming = server.accept().await.ok_or(TransportError::Closed)?;
        transport::accept(incoming, &revs, &TransportSettings::default()).await
    };
    let client_revs = Revocations::default();
    let (a, c) = tokio::join!(
        once(server.clone(), revs.clone()),
        transport::connect(&client, addr, "hub", &client_revs, &settings)
    );
    assert!(a.is_ok() && c.is_ok(), "accepted before the revocation");

    transport::reload_server(&server, &pki.tls(&hub, &pki.crl(&[&edge])), &settings)
        .expect("reload");
    let (a, c) = tokio::join!(
        once(server.clone(), revs.clone()),
        transport::connect(&client, addr, "hub", &client_revs, &settings)
    );
    assert!(a.is_err() && c.is_err(), "refused after the CRL reload");
    assert!(
        logs.text()
            .contains("refused incoming connection: handshake failed")
    );
}
