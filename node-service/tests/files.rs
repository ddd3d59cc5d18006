//! Files of orders across real nodes (hub, district, town on loopback, real QUIC with mutual TLS,
//! real SQLite files and blob directories): a town opens a recording held only at the hub — fetched
//! once through the district, then served locally, with range requests; bytes that do not match
//! their hash are refused and nothing is kept; a node that may not see the order gets nothing;
//! every opening of a recording is audited; a unit's photo travels up the same way; retention
//! removes files everywhere and the order says so.

mod tiers;

use std::sync::Arc;

use axum::http::StatusCode;
use node_service::RunningNode;
use node_service::api::in_process::Client;
use sync_protocol::blob::{self, BlobRequest, blob_refusal};
use sync_protocol::transport::{self, Revocations, TransportSettings};
use tiers::*;

const SECRET: &str = "fs-recordings-secret";

/// `seconds` of a 440 Hz tone as 8 kHz 16-bit mono WAV.
fn wav(seconds: u32) -> Vec<u8> {
    let samples = 8_000 * seconds;
    let data_len = samples * 2;
    let mut v = Vec::with_capacity(44 + data_len as usize);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data_len).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&8_000u32.to_le_bytes());
    v.extend_from_slice(&16_000u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let s = (f64::from(i) * 440.0 * std::f64::consts::TAU / 8_000.0).sin() * 8_000.0;
        v.extend_from_slice(&(s as i16).to_le_bytes());
    }
    v
}

/// An order registered at the hub during call `call_id`, reviewed and dispatched to the town.
async fn phone_order_for_town(hub: &RunningNode, call_id: &str, title: &str) -> (String, String) {
    let mut intake = intake(title);
    intake.call_id = Some(call_id.into());
    dispatched_with(hub, "D01-T01", intake).await
}

async fn recording_at_hub(hub: &Client, call_id: &str, bytes: Vec<u8>) -> serde_json::Value {
    let (status, _, body) = hub
        .call_bytes(
            "PUT",
            &format!("/api/telephony/recordings/{SECRET}/{call_id}"),
            None,
            &[("content-type", "audio/wav")],
            bytes,
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

async fn names_file(node: &RunningNode, id: &str, sha: &str) -> bool {
    node.state
        .store
        .ticket(id.to_owned())
        .await
        .unwrap()
        .is_some_and(|v| v.files.iter().any(|f| f.file.sha256 == sha))
}

async fn audited(node: &RunningNode, action: &str) -> usize {
    node.state
        .store
        .audit_log(None, 1000)
        .await
        .unwrap()
        .0
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_town_opens_a_recording_held_only_at_the_hub_once_then_locally_and_only_true_bytes_are_kept()
 {
    let mut t = Tiers::new();
    t.hub_cfg.telephony.cdr_secret = Some(SECRET.into());
    let (hub, district, town) = t.start_all().await;
    let nodes = [&hub, &district, &town];
    until(&nodes, "all links up", || async {
        connected(&district, "HUB") && connected(&town, "D01")
    })
    .await;
    let hub_api = Client::new(hub.state.clone());
    let town_api = Client::new(town.state.clone());

    // The telephony delivers the recording of the call the order was registered from.
    let (id, number) = phone_order_for_town(&hub, "call-0001", "小区电梯停运").await;
    let audio = wav(20);
    let kept = recording_at_hub(&hub_api, "call-0001", audio.clone()).await;
    let sha = kept["sha256"].as_str().unwrap().to_owned();
    assert_eq!(kept["orders"], serde_json::json!([number]));
    assert_eq!(kept["new"], true);
    // Delivered again (the telephony retries): kept once, named once.
    let again = recording_at_hub(&hub_api, "call-0001", audio.clone()).await;
    assert_eq!(again["new"], false);
    let view = hub.state.store.ticket(id.clone()).await.unwrap().unwrap();
    assert_eq!(view.files.len(), 1);
    assert_eq!(view.files[0].file.media_type, "audio/wav");
    assert_eq!(view.files[0].call_id.as_deref(), Some("call-0001"));

    // The order reaches the town naming the file; the bytes stay at the hub.
    until(&nodes, "the town's order names the recording", || async {
        names_file(&town, &id, &sha).await
    })
    .await;
    assert!(hub.state.blobs.local(&sha).is_some());
    assert!(district.state.blobs.local(&sha).is_none());
    assert!(town.state.blobs.local(&sha).is_none());

    // The town's handler opens it: fetched through the district, whole and true.
    let url = format!("/api/tickets/{number}/files/{sha}");
    let (status, headers, body) = town_api
        .call_bytes("GET", &url, Some("d01-t01-handler"), &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "audio/wav");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(body.as_ref(), audio.as_slice());
    assert_eq!(town.state.blobs.counts().fetched, 1);
    assert_eq!(district.state.blobs.counts().relayed, 1);
    assert_eq!(hub.state.blobs.counts().served_to_children, 1);
    assert!(town.state.blobs.local(&sha).is_some(), "kept at the town");
    assert!(
        district.state.blobs.local(&sha).is_some(),
        "kept at the district it passed"
    );

    // Seeking: a range, served from the town's own copy (nothing fetched again).
    let (status, headers, body) = town_api
        .call_bytes(
            "GET",
            &url,
            Some("d01-t01-handler"),
            &[("range", "bytes=1000-1999")],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers["content-range"],
        format!("bytes 1000-1999/{}", audio.len()).as_str()
    );
    assert_eq!(body.as_ref(), &audio[1000..2000]);
    let (status, _, _) = town_api
        .call_bytes(
            "GET",
            &url,
            Some("d01-t01-handler"),
            &[("range", &format!("bytes={}-", audio.len() + 10))],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(town.state.blobs.counts().fetched, 1);
    assert_eq!(district.state.blobs.counts().relayed, 1);
    // Every opening of a recording is in the audit log, before it is served.
    assert_eq!(audited(&town, "open_recording").await, 3);

    // Who may not see the order may not open its files, and a hash the order does not name is
    // not served.
    let (status, _, _) = hub_api
        .call_bytes("GET", &url, Some("d02-handler"), &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = town_api
        .call_bytes(
            "GET",
            &format!("/api/tickets/{number}/files/{}", "0".repeat(64)),
            Some("d01-t01-handler"),
            &[],
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A node of another district asks over the sync link: refused, for the order and for a file
    // it does not name alike.
    t.pki.sync_for("D02", "D02");
    let settings = TransportSettings::default();
    let ep =
        transport::client_endpoint(&t.pki.tls("D02"), &settings, "127.0.0.1:0".parse().unwrap())
            .unwrap();
    let link = transport::connect(
        &ep,
        t.hub_cfg.sync.listen.unwrap(),
        "HUB",
        &Revocations::default(),
        &settings,
    )
    .await
    .unwrap();
    for (doc, file) in [(id.as_str(), sha.as_str()), ("no-such-order", sha.as_str())] {
        let refused = blob::request(
            link.connection(),
            &BlobRequest {
                sha256: file.into(),
                doc_id: doc.into(),
            },
        )
        .await;
        assert!(
            matches!(&refused, Err(blob::BlobError::Refused { code, .. }) if *code == blob_refusal::NOT_YOURS),
            "{:?}",
            refused.map(|r| r.0)
        );
    }
    // Garbage instead of a request: refused, and the link still answers.
    let (mut send, mut recv) = link.connection().open_bi().await.unwrap();
    send.write_all(&[0, 0, 0, 3, 0xFF, 0xFF, 0xFF])
        .await
        .unwrap();
    let _ = send.finish();
    let answer = recv.read_to_end(4096).await.unwrap();
    assert!(!answer.is_empty(), "a refusal came back");
    link.close(0, "done");

    // The hub's copy of a second recording is damaged on disk: the district refuses the bytes,
    // the town gets a clear error and keeps nothing; once repaired, the file opens.
    let (id2, number2) = phone_order_for_town(&hub, "call-0002", "路灯不亮").await;
    let audio2 = wav(3);
    let sha2 = recording_at_hub(&hub_api, "call-0002", audio2.clone()).await["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    until(
        &nodes,
        "the town's second order names its recording",
        || async { names_file(&town, &id2, &sha2).await },
    )
    .await;
    let on_disk = hub.state.blobs.local(&sha2).unwrap();
    let mut damaged = audio2.clone();
    damaged[5000] ^= 0xFF;
    std::fs::write(&on_disk, &damaged).unwrap();
    let url2 = format!("/api/tickets/{number2}/files/{sha2}");
    let (status, _, body) = town_api
        .call_bytes("GET", &url2, Some("d01-t01-handler"), &[], Vec::new())
        .await
        .unwrap();
    assert!(
        status == StatusCode::BAD_GATEWAY || status == StatusCode::SERVICE_UNAVAILABLE,
        "{status} {}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        String::from_utf8_lossy(&body).contains("摘要不符")
            || status == StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(district.state.blobs.counts().corrupt, 1);
    assert!(town.state.blobs.local(&sha2).is_none());
    assert!(district.state.blobs.local(&sha2).is_none());
    std::fs::write(&on_disk, &audio2).unwrap();
    let (status, _, body) = town_api
        .call_bytes("GET", &url2, Some("d01-t01-handler"), &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_ref(), audio2.as_slice());

    // The town attaches an on-site photo: it goes up through the district to the hub, where the
    // centre opens it.
    let jpeg = [&b"\xFF\xD8\xFF\xE0"[..], &[7u8; 3000]].concat();
    let (status, _, body) = town_api
        .call_bytes(
            "POST",
            &format!("/api/tickets/{number}/files?name=现场照片.jpg"),
            Some("d01-t01-handler"),
            &[("content-type", "application/octet-stream")],
            jpeg.clone(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let photo = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "photo")
        .unwrap();
    assert_eq!(photo["name"], "现场照片.jpg");
    assert_eq!(photo["unit"], "D01-T01");
    // A file that is not a photo or PDF is refused and nothing is named.
    let (status, _, _) = town_api
        .call_bytes(
            "POST",
            &format!("/api/tickets/{number}/files?name=a.exe"),
            Some("d01-t01-handler"),
            &[],
            b"MZ\x90\0\x03".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let files = town
        .state
        .store
        .ticket(id.clone())
        .await
        .unwrap()
        .unwrap()
        .files;
    assert_eq!(files.len(), 2);

    // Retention: a year and a day later the hub removes the recording everywhere; the order says
    // so at every node and the file opens no more.
    let mut later = hub.state.clone();
    later.clock = Arc::new(|| NOW + 366 * 86_400_000);
    let swept = node_service::files::sweep_retention(&later, true)
        .await
        .unwrap();
    assert_eq!(
        swept.removed, 2,
        "both recordings; the photo is kept longer"
    );
    assert!(swept.deleted >= 2);
    assert!(hub.state.blobs.local(&sha).is_none());
    until(
        &nodes,
        "the town's order says the recording was removed",
        || async {
            town.state
                .store
                .ticket(id.clone())
                .await
                .unwrap()
                .is_some_and(|v| {
                    v.files
                        .iter()
                        .any(|f| f.file.sha256 == sha && f.removed.is_some())
                })
        },
    )
    .await;
    for node in [&district, &town] {
        let swept = node_service::files::sweep_retention(&node.state, false)
            .await
            .unwrap();
        assert_eq!(swept.removed, 0, "only the hub decides");
        assert!(node.state.blobs.local(&sha).is_none());
    }
    let (status, _, body) = town_api
        .call_bytes("GET", &url, Some("d01-t01-handler"), &[], Vec::new())
        .await
        .unwrap();
    assert_eq!(status, StatusCode::GONE);
    assert!(String::from_utf8_lossy(&body).contains("保存期限"));

    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}
