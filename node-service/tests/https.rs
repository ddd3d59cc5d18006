//! A node serving HTTPS with a certificate from the project's CA: a client that trusts the CA
//! signs in over TLS and gets a `__Host-` session cookie marked `Secure`; a client speaking plain
//! HTTP to the TLS port gets nothing, and the node goes on serving.

use std::sync::Arc;

use node_service::NodeConfig;
use node_service::config::HttpsConfig;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn exchange(
    connector: &tokio_rustls::TlsConnector,
    addr: std::net::SocketAddr,
    request: &str,
) -> String {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::IpAddress(addr.ip().into());
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_node_serves_https_with_secure_host_cookies() {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::from_unix_timestamp(NOW / 1000).unwrap();
    let ca = sync_protocol::pki::CertificateAuthority::create("测试 CA", now, 30, [7; 16]).unwrap();
    let (cert_pem, key_pem) = ca
        .issue_web(&["127.0.0.1".to_owned()], now, 30, [9; 16])
        .unwrap();
    let (cert, key) = (dir.path().join("web.pem"), dir.path().join("web.key"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let config = NodeConfig {
        data_dir: dir.path().join("node"),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        https: Some(HttpsConfig { cert, key }),
        ..NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let node = node_service::start(config, listener, Arc::new(|| NOW))
        .await
        .unwrap();
    assert!(node.url().starts_with("https://"));

    // Plain HTTP to the TLS port: no answer, and the node is not disturbed.
    let mut plain = tokio::net::TcpStream::connect(node.addr).await.unwrap();
    plain
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = plain.read_to_end(&mut buf).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.cert_pem().as_bytes()).unwrap())
        .unwrap();
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let body = r#"{"login":"op01","password":"12345demo"}"#;
    let host = node.addr.to_string();
    let answer = exchange(
        &connector,
        node.addr,
        &format!(
            "POST /api/session HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let cookie_line = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_default();
    assert!(
        cookie_line.contains("__Host-hotline_session="),
        "{cookie_line}"
    );
    assert!(cookie_line.contains("Secure") && cookie_line.contains("HttpOnly"));
    let id = cookie_line
        .split_once('=')
        .and_then(|(_, v)| v.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let answer = exchange(
        &connector,
        node.addr,
        &format!(
            "GET /api/session HTTP/1.1\r\nHost: {host}\r\nCookie: __Host-hotline_session={id}\r\n\
             Connection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("王丽"));
    node.shutdown().await.unwrap();
}
