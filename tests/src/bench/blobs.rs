//! `blobs`: a town opens a call recording held only at the hub. Three real nodes (hub, district
//! D01, town T0101) on loopback with QUIC and mutual TLS; each round the telephony delivers a new
//! recording (`--size` bytes, default 5 MB) for an order dispatched to the town, and the town's
//! handler opens it twice through the town's API: the first opening fetches it through the
//! district (hash-checked and kept at both), the second is served from the town's copy (time to
//! the first byte). The baseline, measured in the same run: copying a file of the same size once
//! over one QUIC connection between the same nodes' certificates on loopback — read from disk,
//! sent, written and synced to disk at the other end.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotline_model::event::{Action, AssignTo};
use http_body_util::BodyExt;
use node_service::RunningNode;
use node_service::api::in_process::Client;
use replica_store::NewEvent;
use serde_json::json;
use sync_protocol::transport::{self, NodeTls, Revocations, TransportSettings};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;

use super::sync_common::{Pair, runtime, until};
use super::{Args, emit, percentile};
use crate::fixtures;

const SECRET: &str = "bench-recordings";
const ROUNDS: u64 = 7;

/// A WAV file of `size` bytes (a header and a tone), different per `round`.
fn recording(size: usize, round: u64) -> Vec<u8> {
    let data = size.saturating_sub(44) as u32;
    let mut v = Vec::with_capacity(size);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    for x in [16u32, 0x0001_0001, 8_000, 16_000, 0x0010_0002] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data.to_le_bytes());
    let mut i = round * 7919;
    while v.len() < size {
        i += 1;
        let s = ((i as f64) * 0.3457).sin() * 9_000.0;
        v.extend_from_slice(&(s as i16).to_le_bytes());
    }
    v.truncate(size);
    v
}

async fn act(node: &RunningNode, id: &str, action: Action, now: i64) -> Result<()> {
    node.state
        .store
        .apply(
            id.into(),
            NewEvent {
                id: uuid::Uuid::new_v4().to_string(),
                author: "sl01".into(),
                unit: "C".into(),
                action,
                now_ms: now,
            },
        )
        .await?;
    Ok(())
}

/// An order with call `CALL-…{round}` dispatched to the town, and its recording delivered at the
/// hub; returns the order's number and the recording's hash.
async fn recorded_order(
    hub: &RunningNode,
    api: &Client,
    round: u64,
    bytes: Vec<u8>,
) -> Result<(String, String, String)> {
    let now = fixtures::now_ms();
    let mut rng = rand::rng();
    let created = hub
        .state
        .store
        .create_ticket(fixtures::new_ticket(9_000 + round, now, &mut rng))
        .await?;
    let id = created.ticket.id.clone();
    act(hub, &id, Action::accept_review(""), now).await?;
    let dispatch = Action::Dispatch {
        lead: AssignTo {
            unit: "D01-T01".into(),
            sign_due_at: now + 2 * 3_600_000,
            due_at: now + 20 * 86_400_000,
        },
        co: Vec::new(),
        note: String::new(),
        final_assignment: false,
    };
    act(hub, &id, dispatch, now).await?;
    let call = created.ticket.intake.call_id.clone().context("a call id")?;
    let (status, _, body) = api
        .call_bytes(
            "PUT",
            &format!("/api/telephony/recordings/{SECRET}/{call}"),
            None,
            &[],
            bytes,
        )
        .await?;
    if status != StatusCode::OK {
        bail!(
            "recording refused: {status} {}",
            String::from_utf8_lossy(&body)
        );
    }
    let kept: serde_json::Value = serde_json::from_slice(&body)?;
    let sha = kept["sha256"].as_str().context("a hash")?.to_owned();
    Ok((id, created.ticket.number, sha))
}

/// Opens `url` at `api` as the town's handler: (ms to the first byte, ms to the last, bytes).
async fn open(api: &Client, url: &str) -> Result<(f64, f64, usize)> {
    let cookie = format!(
        "{}={}",
        node_service::auth::COOKIE,
        api.session("d01-t01-handler").await?
    );
    let started = Instant::now();
    let resp = api
        .app()
        .clone()
        .oneshot(
            Request::get(url)
                .header("cookie", cookie)
                .body(Body::empty())?,
        )
        .await?;
    if resp.status() != StatusCode::OK {
        bail!("opening the recording: {}", resp.status());
    }
    let mut body = resp.into_body();
    let mut first = None;
    let mut n = 0;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
            n += data.len();
        }
    }
    Ok((
        first.unwrap_or_default(),
        started.elapsed().as_secs_f64() * 1000.0,
        n,
    ))
}

fn tls(cfg: &node_service::NodeConfig) -> Result<NodeTls> {
    let read =
        |p: &std::path::Path| std::fs::read_to_string(p).with_context(|| p.display().to_string());
    Ok(NodeTls::from_pem(
        &read(&cfg.sync.ca)?,
        &read(&cfg.sync.cert)?,
        &read(&cfg.sync.key)?,
        "",
    )?)
}

/// The baseline: the file copied once over a QUIC connection with the nodes' certificates and
/// transport settings (read from disk, sent, written and synced at the other end); ms per copy.
async fn copies(
    pair: &Pair,
    file: &std::path::Path,
    dir: &std::path::Path,
    rounds: u64,
) -> Result<Vec<f64>> {
    let settings = TransportSettings::default();
    let server = transport::server_endpoint(&tls(&pair.hub)?, &settings, "127.0.0.1:0".parse()?)?;
    let addr = server.local_addr()?;
    let source = file.to_owned();
    let serve_settings = settings.clone();
    let serving = tokio::spawn(async move {
        let incoming = server.accept().await.context("a connection")?;
        let link = transport::accept(incoming, &Revocations::default(), &serve_settings).await?;
        while let Ok((mut send, mut recv)) = link.connection().accept_bi().await {
            let mut ask = [0u8; 1];
            recv.read_exact(&mut ask).await?;
            let mut f = tokio::fs::File::open(&source).await?;
            tokio::io::copy(&mut f, &mut send).await?;
            send.finish()?;
        }
        anyhow::Ok(())
    });
    let client = transport::client_endpoint(&tls(&pair.edge)?, &settings, "127.0.0.1:0".parse()?)?;
    let link = transport::connect(&client, addr, "HUB", &Revocations::default(), &settings).await?;
    let mut ms = Vec::new();
    for round in 0..rounds {
        let started = Instant::now();
        let (mut send, mut recv) = link.connection().open_bi().await?;
        send.write_all(&[1]).await?;
        let target = dir.join(format!("copy-{round}"));
        let mut out = tokio::fs::File::create(&target).await?;
        while let Some(chunk) = recv.read_chunk(256 * 1024, true).await? {
            out.write_all(&chunk.bytes).await?;
        }
        out.sync_all().await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::fs::remove_file(&target).await?;
    }
    link.close(0, "done");
    serving.abort();
    Ok(ms)
}

pub fn run(args: &Args) -> Result<()> {
    let size = args.size.unwrap_or(5 * 1024 * 1024);
    runtime()?.block_on(async {
        let mut pair = Pair::new()?;
        pair.hub.telephony.cdr_secret = Some(SECRET.into());
        let hub = pair.start_hub().await?;
        let district = pair.start_edge(true).await?;
        let town = pair.start_town(&district).await?;
        let hub_api = Client::new(hub.state.clone());
        let town_api = Client::new(town.state.clone());
        let scratch = tempfile::tempdir()?;
        let (mut first, mut second_first_byte, mut second_whole) =
            (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let bytes = recording(size, round);
            let (id, number, sha) = recorded_order(&hub, &hub_api, round, bytes).await?;
            let store = town.state.store.clone();
            until(
                &store,
                Duration::from_secs(60),
                Duration::from_millis(20),
                "the order at the town",
                || {
                    let (store, id, sha) = (store.clone(), id.clone(), sha.clone());
                    async move {
                        Ok(store
                            .ticket(id)
                            .await?
                            .is_some_and(|v| v.files.iter().any(|f| f.file.sha256 == sha)))
                    }
                },
            )
            .await?;
            let url = format!("/api/tickets/{number}/files/{sha}");
            let (_, one, n1) = open(&town_api, &url).await?;
            let (fb, two, n2) = open(&town_api, &url).await?;
            if n1 != size || n2 != size {
                bail!("opened {n1} and {n2} bytes of {size}");
            }
            emit(&json!({"bench": "blobs", "round": round, "bytes": size,
                "first_open_ms": one, "second_open_first_byte_ms": fb, "second_open_ms": two}));
            first.push(one);
            second_first_byte.push(fb);
            second_whole.push(two);
        }
        let counts = (town.state.blobs.counts(), district.state.blobs.counts());
        if counts.0.fetched != ROUNDS || counts.1.relayed != ROUNDS {
            bail!("expected {ROUNDS} fetches through the district, saw {counts:?}");
        }
        // The same size, copied once over one connection.
        let sample = scratch.path().join("sample.wav");
        std::fs::write(&sample, recording(size, 99))?;
        let mut copy = copies(&pair, &sample, scratch.path(), ROUNDS).await?;
        for v in [
            &mut first,
            &mut second_first_byte,
            &mut second_whole,
            &mut copy,
        ] {
            v.sort_by(f64::total_cmp);
        }
        let (f, c) = (percentile(&first, 0.5), percentile(&copy, 0.5));
        emit(&json!({
            "bench": "blobs",
            "bytes": size,
            "rounds": ROUNDS,
            "path": "hub → district → town, opened at the town",
            "first_open_ms": f,
            "first_open_max_ms": percentile(&first, 1.0),
            "second_open_first_byte_ms": percentile(&second_first_byte, 0.5),
            "second_open_first_byte_max_ms": percentile(&second_first_byte, 1.0),
            "second_open_ms": percentile(&second_whole, 0.5),
            "copy_ms": c,
            "ratio_first_to_copy": f / c,
            "goal_ratio_first_to_copy": 1.5,
            "goal_second_open_first_byte_ms": 10,
        }));
        town.shutdown().await?;
        district.shutdown().await?;
        hub.shutdown().await?;
        anyhow::Ok(())
    })
}
