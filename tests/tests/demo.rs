//! The demo starts four nodes, seeds tickets in every status at the hub, and gives each edge node
//! exactly the tickets of its jurisdiction; a second start finds the data and does not seed again.

use hotline_model::workflow::Status;
use replica_store::TicketFilter;

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

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
    let demo = deploy::demo::start(dir.path(), 0, NOW).await.unwrap();
    assert!(
        deploy::demo::wait_caught_up(&demo, std::time::Duration::from_secs(60)).await,
        "edge nodes caught up by sync"
    );
    let hub = &demo.nodes[0].state;
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
    let again = deploy::demo::start(dir.path(), 0, NOW + 60_000)
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
