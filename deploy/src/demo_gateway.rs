//! The demo's SMS gateway: a loopback HTTP server in the generic gateway format
//! (`{"id", "phone", "text"}`, see `node_service::notify::sms`) that writes every text it is
//! given to `demo-sms.log` in the data directory, one line each, instead of a phone. The nodes
//! send through it as through a carrier's gateway, so the outbox shows texts delivered.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde::Deserialize;

/// A running demo gateway.
pub struct DemoGateway {
    /// Its URL, for the nodes' `[notify.sms]`.
    pub url: String,
    /// The file the texts go to.
    pub log: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DemoGateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Deserialize)]
struct Text {
    id: String,
    phone: String,
    text: String,
}

/// Beijing wall-clock time of now, as the workbench shows times.
fn beijing_now() -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    node_service::pages::format::local_time(now)
}

/// Starts the gateway on a loopback port it binds, writing to `data_dir/demo-sms.log`.
pub async fn start(data_dir: &Path) -> Result<DemoGateway> {
    let log = data_dir.join("demo-sms.log");
    let file = Arc::new(Mutex::new(
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?,
    ));
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(t): axum::Json<Text>| {
            let file = file.clone();
            async move {
                let line = format!("{}  → {}  {}  [{}]\n", beijing_now(), t.phone, t.text, t.id);
                let written = file
                    .lock()
                    .map_err(|_| ())
                    .and_then(|mut f| f.write_all(line.as_bytes()).map_err(|_| ()));
                match written {
                    Ok(()) => (axum::http::StatusCode::OK, "{\"ok\":true}"),
                    Err(()) => (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "{\"ok\":false}",
                    ),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sms", listener.local_addr()?);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "demo SMS gateway stopped");
        }
    });
    Ok(DemoGateway { url, log, task })
}
