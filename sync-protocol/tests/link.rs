//! The sync session over real QUIC and mutual TLS on loopback, driven by `driver::run_link`: a
//! district pulls what is in its scope from the hub (and nothing else), and its own edits reach
//! the hub; after a reconnect it resumes from its cursor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sync_protocol::driver::{LinkContext, run_link};
use sync_protocol::memory::MemoryReplica;
use sync_protocol::pki::CertificateAuthority;
use sync_protocol::scope::{NodeScope, dotted_within};
use sync_protocol::session::{LinkStatus, Session, SessionConfig};
use sync_protocol::store::SyncStore;
use sync_protocol::transport::{self, NodeTls, Revocations, TransportSettings};
use time::OffsetDateTime;
use tokio::sync::watch;

fn ctx(
    store: Arc<Mutex<MemoryReplica>>,
    feed: watch::Sender<u64>,
    stop: watch::Receiver<bool>,
) -> LinkContext<MemoryReplica> {
    let start = Instant::now();
    LinkContext {
        store,
        feed,
        clock: Arc::new(move || start.elapsed().as_millis() as u64),
        tick: Duration::from_millis(50),
        status: None,
        stop,
    }
}

/// Waits (bounded) until `cond` holds on the store, re-checking whenever its feed advances.
async fn until(
    store: &Arc<Mutex<MemoryReplica>>,
    feed: &watch::Sender<u64>,
    what: &str,
    cond: impl Fn(&MemoryReplica) -> bool,
) {
    let mut rx = feed.subscribe();
    let waited = tokio::time::timeout(
        Duration::from_secs(20),
        rx.wait_for(|_| cond(&store.lock().expect("lock"))),
    )
    .await;
    assert!(waited.is_ok(), "timed out waiting for: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn district_and_hub_sync_over_quic() {
    let now = OffsetDateTime::now_utc();
    let ca = CertificateAuthority::create("test CA", now, 30, rand::random()).expect("ca");
    let hub_cert = ca
        .issue_node("hub", "C", now, 30, rand::random())
        .expect("hub cert");
    let d1_cert = ca
        .issue_node("d1", "C.D1", now, 30, rand::random())
        .expect("d1 cert");
    let hub_tls =
        NodeTls::from_pem(ca.cert_pem(), &hub_cert.cert_pem, &hub_cert.key_pem, "").expect("tls");
    let d1_tls =
        NodeTls::from_pem(ca.cert_pem(), &d1_cert.cert_pem, &d1_cert.key_pem, "").expect("tls");
    let within = dotted_within();

    let hub = Arc::new(Mutex::new(MemoryReplica::new(b"hub", 11)));
    let d1 = Arc::new(Mutex::new(MemoryReplica::new(b"d1", 22)));
    {
        let mut h = hub.lock().expect("lock");
        h.create("t-in", &["C.D1.T1"], "title", "路灯不亮")
            .expect("create");
        h.create("t-out", &["C.D2"], "title", "噪音扰民")
            .expect("create");
        h.create("ref", &[], "categories", "v1").expect("create");
    }
    let hub_feed = watch::Sender::new(hub.lock().expect("lock").last_seq());
    let d1_feed = watch::Sender::new(0u64);
    let (stop_tx, stop_rx) = watch::channel(false);

    let settings = TransportSettings::default();
    let server =
        transport::server_endpoint(&hub_tls, &settings, "127.0.0.1:0".parse().expect("addr"))
            .expect("server");
    let addr = server.local_addr().expect("addr");
    let hub_ctx = ctx(hub.clone(), hub_feed.clone(), stop_rx.clone());
    let hub_me = NodeScope {
        node_code: "hub".into(),
        scope_unit: "C".into(),
    };
    let w2 = within.clone();
    let server2 = server.clone();
    tokio::spawn(async move {
        while let Some(incoming) = server2.accept().await {
            let Ok(link) = transport::accept(
                incoming,
                &Revocations::default(),
                &TransportSettings::default(),
            )
            .await
            else {
                continue;
            };
            let peer = NodeScope {
                node_code: link.peer().node_code.clone(),
                scope_unit: link.peer().scope_unit.clone(),
            };
            let cfg = SessionConfig::new(hub_me.clone(), peer.clone(), vec![peer]);
            let session = Session::new(cfg, w2.clone());
            tokio::spawn(run_link(link, session, hub_ctx.clone()));
        }
    });

    let client =
        transport::client_endpoint(&d1_tls, &settings, "127.0.0.1:0".parse().expect("addr"))
            .expect("client");
    let dialer = transport::Dialer {
        endpoint: client,
        addr,
        node_code: "hub".into(),
        revocations: Revocations::default(),
        settings,
        backoff: transport::Backoff::default(),
    };
    let d1_me = NodeScope {
        node_code: "d1".into(),
        scope_unit: "C.D1".into(),
    };
    let start_district = |stop: watch::Receiver<bool>| {
        let dialer = dialer.clone();
        let mut c = ctx(d1.clone(), d1_feed.clone(), stop);
        let (status_tx, status_rx) = watch::channel(LinkStatus::default());
        c.status = Some(status_tx);
        let me = d1_me.clone();
        let w = within.clone();
        let task = tokio::spawn(async move {
            let link = dialer
                .connect_with_backoff(|| 0.5, Some(5))
                .await
                .expect("dial hub");
            let peer = NodeScope {
                node_code: link.peer().node_code.clone(),
                scope_unit: link.peer().scope_unit.clone(),
            };
            run_link(
                link,
                Session::new(SessionConfig::new(me, peer, Vec::new()), w),
                c,
            )
            .await
        });
        (task, status_rx)
    };

    let (d1_stop_tx, d1_stop_rx) = watch::channel(false);
    let (task, status) = start_district(d1_stop_rx);
    until(
        &d1,
        &d1_feed,
        "district receives its ticket and the reference data",
        |s| s.doc("t-in").is_some() && s.doc("ref").is_some(),
    )
    .await;
    assert!(
        d1.lock().expect("lock").doc("t-out").is_none(),
        "a ticket of another district must not reach d1"
    );

    // An edit at the district reaches the hub.
    let edit = {
        let mut s = d1.lock().expect("lock");
        let h = s
            .edit("t-in", "status", "已办结")
            .expect("edit")
            .expect("changed");
        d1_feed.send_replace(s.last_seq());
        h
    };
    until(&hub, &hub_feed, "hub receives the district's edit", |s| {
        s.has_change("t-in", &edit)
    })
    .await;
    let st = status.borrow().clone();
    assert_eq!(st.peer, "hub");
    assert!(st.docs_applied >= 2, "{st:?}");

    // Disconnect; the hub changes meanwhile; reconnect resumes from the saved cursor.
    d1_stop_tx.send_replace(true);
    let _ = task.await;
    let cursor_before = d1.lock().expect("lock").load_cursor("hub").expect("cursor");
    assert!(cursor_before.seq > 0);
    let later = {
        let mut h = hub.lock().expect("lock");
        let x = h
            .edit("t-in", "note", "回访满意")
            .expect("edit")
            .expect("changed");
        hub_feed.send_replace(h.last_seq());
        x
    };
    let (_d1_stop_tx2, d1_stop_rx2) = watch::channel(false);
    let (_task2, _status2) = start_district(d1_stop_rx2);
    until(
        &d1,
        &d1_feed,
        "district catches up after reconnecting",
        |s| s.has_change("t-in", &later),
    )
    .await;
    let cursor_after = d1.lock().expect("lock").load_cursor("hub").expect("cursor");
    assert!(cursor_after.seq > cursor_before.seq);
    assert_eq!(cursor_after.epoch, 11);
    stop_tx.send_replace(true);
}
