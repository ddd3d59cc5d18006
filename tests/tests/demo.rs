//! The demo, started at the machine's real date and time, starts four nodes, seeds tickets in every
//! status at the hub, and gives each edge node exactly the tickets of its jurisdiction; the hub's sweep
//! urges the near-due ones; a second start finds the data and does not seed again, also weeks later.

use hotline_model::event::Action;
use hotline_model::workflow::Status;
use replica_store::TicketFilter;

fn real_now() -> i64 {
    (node_service::system_clock())()
}

const DAY: i64 = 86_400_000;

/// Waits, woken by the hub's commits, until its sweep has recorded an automatic urge.
async fn sweep_urged(hub: &node_service::AppState) -> bool {
    let mut committed = hub.store.committed();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let handling = hub
            .store
            .list(TicketFilter {
                status: Some("handling".into()),
                limit: Some(500),
                ..Default::default()
            })
            .await
            .unwrap();
        for t in handling {
            let view = hub.store.ticket(t.id).await.unwrap().unwrap();
            if view.events.iter().any(|e| {
                e.author == node_service::alerts::SYSTEM_USER
                    && matches!(e.action, Action::Urge { .. })
            }) {
                return true;
            }
        }
        if tokio::time::timeout_at(deadline, committed.changed())
            .await
            .is_err()
        {
            return false;
        }
    }
}

async fn articles(store: &replica_store::Store) -> Vec<replica_store::article_doc::ArticleView> {
    store
        .articles_since(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(_, c)| match c {
            replica_store::article_doc::ArticleChange::Changed(v) => Some(v),
            replica_store::article_doc::ArticleChange::Removed(_) => None,
        })
        .collect()
}

#[tokio::test]
async fn demo_seeds_every_status_and_scopes_edge_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let now = real_now();
    let demo = deploy::demo::start(dir.path(), 0, now).await.unwrap();
    assert!(
        deploy::demo::wait_caught_up(&demo, std::time::Duration::from_secs(60)).await,
        "edge nodes caught up by sync"
    );
    let hub = &demo.nodes[0].state;
    assert!(
        sweep_urged(hub).await,
        "the sweep urged the near-due orders"
    );
    let counts = hub.store.status_counts().await.unwrap();
    for status in Status::ALL {
        assert!(
            counts.iter().any(|(s, n)| s == status.as_str() && *n > 0),
            "no seeded ticket is {status:?}: {counts:?}"
        );
    }
    let all = TicketFilter {
        limit: Some(500),
        ..Default::default()
    };
    assert_eq!(hub.store.list(all.clone()).await.unwrap().len(), 128);
    assert_eq!(demo.samples.len(), 5);

    let org = hub.refdata().org.clone();
    // The town office starts without seed files: its reference data came from its district.
    let town = &demo.nodes[3].state;
    assert!(town.config.seed_dir.is_none());
    let users = town.refdata().users.clone();
    assert!(users.contains_key("d01-t01-handler"));
    assert!(users.values().all(|u| org.is_within(&u.unit, "D01-T01")));
    for node in &demo.nodes[1..] {
        let edge = &node.state;
        let root = edge.config.jurisdiction.clone();
        let held = edge.store.list(all.clone()).await.unwrap();
        assert!(!held.is_empty(), "{root} got no tickets");
        for t in &held {
            let view = edge.store.ticket(t.id.clone()).await.unwrap().unwrap();
            let units = view.state.scope_units();
            assert!(
                units.iter().any(|u| org.is_within(u, &root)),
                "{root} holds {} of {units:?}",
                view.number
            );
            let at_hub = hub.store.ticket(t.id.clone()).await.unwrap().unwrap();
            assert_eq!(at_hub, view, "edge copy equals the hub's");
        }
        let expected = hub
            .store
            .ticket_ids_where({
                let org = org.clone();
                let root = root.clone();
                move |units| units.iter().any(|u| org.is_within(u, &root))
            })
            .await
            .unwrap();
        assert_eq!(
            held.len(),
            expected.len(),
            "{root} holds every ticket of its scope"
        );
        // The published knowledge base reached every node; drafts of other units did not.
        let published: Vec<String> = articles(&hub.store)
            .await
            .into_iter()
            .filter(|a| a.state.live().is_some())
            .map(|a| a.id)
            .collect();
        assert!(published.len() >= 150, "{}", published.len());
        let at_edge: Vec<String> = articles(&edge.store)
            .await
            .into_iter()
            .map(|a| a.id)
            .collect();
        for id in &published {
            assert!(at_edge.contains(id), "{root} lacks published article {id}");
        }
        for a in articles(&edge.store).await {
            assert!(
                a.state.live().is_some() || org.is_within(a.state.unit(), &root),
                "{root} holds another unit's draft {}",
                a.id
            );
        }
    }
    for node in demo.nodes {
        node.shutdown().await.unwrap();
    }
    // Restart: nothing is seeded twice.
    let again = deploy::demo::start(dir.path(), 0, real_now())
        .await
        .unwrap();
    assert_eq!(
        again.nodes[0]
            .state
            .store
            .list(TicketFilter {
                limit: Some(500),
                ..Default::default()
            })
            .await
            .unwrap()
            .len(),
        128
    );
    for node in again.nodes {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_demo_seeded_weeks_ago_starts_again_from_its_data() {
    let dir = tempfile::tempdir().unwrap();
    // Seeded 40 days ago: its node certificates (30 days) have expired since.
    let then = real_now() - 40 * DAY;
    let demo = deploy::demo::start(dir.path(), 0, then).await.unwrap();
    let numbers = |v: Vec<replica_store::TicketSummary>| -> Vec<String> {
        v.into_iter().map(|t| t.number).collect()
    };
    let all = TicketFilter {
        limit: Some(500),
        ..Default::default()
    };
    let seeded = numbers(demo.nodes[0].state.store.list(all.clone()).await.unwrap());
    assert_eq!(seeded.len(), deploy::demo::SEED_TICKETS);
    for node in demo.nodes.into_iter().rev() {
        node.shutdown().await.unwrap();
    }
    let again = deploy::demo::start(dir.path(), 0, real_now())
        .await
        .unwrap();
    assert!(
        deploy::demo::wait_caught_up(&again, std::time::Duration::from_secs(60)).await,
        "renewed certificates let the nodes sync"
    );
    let hub = &again.nodes[0].state;
    let mut now_held = numbers(hub.store.list(all).await.unwrap());
    let mut before = seeded.clone();
    now_held.sort();
    before.sort();
    assert_eq!(now_held, before, "the same orders, none seeded again");
    assert_eq!(again.samples.len(), 5, "the samples of the first run");
    for node in again.nodes.into_iter().rev() {
        node.shutdown().await.unwrap();
    }
}

#[tokio::test]
async fn a_taken_port_is_named_with_the_option_that_moves_it() {
    let dir = tempfile::tempdir().unwrap();
    // The hub's HTTP port is held by another program.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let err = deploy::demo::start(dir.path(), port, real_now())
        .await
        .err()
        .expect("the demo refuses to start");
    let taken = err
        .downcast_ref::<deploy::demo::PortTaken>()
        .unwrap_or_else(|| panic!("not a PortTaken: {err:#}"));
    assert_eq!(taken.port, port);
    let text = taken.to_string();
    assert!(
        text.contains(&port.to_string()) && text.contains("--port-base"),
        "{text}"
    );
    assert!(!dir.path().join("ca").exists(), "nothing was set up");

    // The hub's sync port (UDP, port base + 1000) is held.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let sync_port = udp.local_addr().unwrap().port();
    let err = deploy::demo::start(dir.path(), sync_port - 1000, real_now())
        .await
        .err()
        .expect("the demo refuses to start");
    let taken = err.downcast_ref::<deploy::demo::PortTaken>().unwrap();
    assert_eq!((taken.port, taken.what), (sync_port, "同步"));
}
