//! A small HTTP/1.1 client for the SMS gateways: one request per connection, `http` or `https`
//! (the system's roots plus an optional private CA), with the answer's status and body.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use tokio::net::TcpStream;

/// Where TLS trust comes from.
#[derive(Clone)]
pub struct Tls(Arc<rustls::ClientConfig>);

impl Tls {
    /// The system's roots, plus the PEM certificates in `extra_ca` (a private gateway's CA).
    pub fn new(extra_ca: Option<&std::path::Path>) -> anyhow::Result<Tls> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path)?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.add(cert?)?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Tls(Arc::new(config)))
    }
}

/// Sends one request and reads the whole answer (at most 64 KiB): `(status, body)`, or what
/// went wrong on the way.
pub async fn send(
    tls: &Tls,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: String,
) -> Result<(u16, String), String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("地址无效：{e}"))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err(format!("地址无效：{url}")),
    };
    let host = uri
        .host()
        .ok_or_else(|| format!("地址无效：{url}"))?
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("无法连接{host}:{port}：{e}"))?;
    let path = uri
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, &host);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let answer = if https {
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| format!("主机名无效：{e}"))?;
        let stream = tokio_rustls::TlsConnector::from(tls.0.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS 握手失败：{e}"))?;
        exchange(TokioIo::new(stream), req).await?
    } else {
        exchange(TokioIo::new(tcp), req).await?
    };
    Ok(answer)
}

async fn exchange<T>(io: T, req: hyper::Request<Full<Bytes>>) -> Result<(u16, String), String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = http_body_util::Limited::new(res.into_body(), 64 * 1024)
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}
