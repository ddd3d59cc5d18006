//! Real nodes syncing: hub, district and town on loopback with real QUIC and mutual TLS
//! (certificates from a project CA made here), real SQLite files, restarts and partitions.

use std::path::Path;

use hotline_model::event::{Action, AssignTo};
use node_service::RunningNode;
use replica_store::NewEvent;
use sync_protocol::message::{Message, Want};
use sync_protocol::transport::{self, Revocations, TransportSettings};

mod tiers;

use tiers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_created_offline_at_a_town_reaches_every_node_in_scope_after_restarts() {
    let mut t = Tiers::new();
    let (hub, district, town) = t.start_all().await;
    until(&[&hub, &district, &town], "all links up", || async {
        connected(&district, "HUB")
            && connected(&town, "D01")
            && connected(&hub, "D01")
            && connected(&district, "T0101")
    })
    .await;

    // The district goes down; the town keeps working and numbers its ticket at once.
    district.shutdown().await.unwrap();
    until(&[&town], "town sees its link down", || async {
        !connected(&town, "D01")
    })
    .await;
    let (id, number) = create(&town, "d01-t01-handler", "D01-T01", "镇上离线登记的工单").await;
    assert!(number.contains("-T0101-"), "{number}");
    assert!(heads_of(&hub, &id).await.is_none());

    // Everything restarts (the town first, while its district is still down).
    town.shutdown().await.unwrap();
    hub.shutdown().await.unwrap();
    let town = t.start_town().await;
    let hub = t.start_hub().await;
    assert!(
        heads_of(&town, &id).await.is_some(),
        "the offline ticket survived the restart"
    );
    let district = t.start_district().await;

    let nodes = [&hub, &district, &town];
    until(
        &nodes,
        "the town's ticket at the hub with the town's heads",
        || async {
            let at_town = heads_of(&town, &id).await;
            at_town.is_some()
                && heads_of(&hub, &id).await == at_town
                && heads_of(&district, &id).await == at_town
        },
    )
    .await;
    // Identical state everywhere in scope: what a lower node holds, the node above holds with the
    // same heads; reference documents and published articles (shared with all) are everywhere.
    until(
        &nodes,
        "identical documents everywhere in scope",
        || async {
            let (h, d, t) = (docs(&hub).await, docs(&district).await, docs(&town).await);
            let shared = shared_docs(&hub).await;
            d.iter().all(|x| h.contains(x))
                && t.iter().all(|x| d.contains(x))
                && shared_docs(&district).await == shared
                && shared_docs(&town).await == shared
        },
    )
    .await;
    let (all_hub, all_town) = (docs(&hub).await, docs(&town).await);
    assert!(all_town.iter().any(|(d, _)| d == &id));
    assert!(
        shared_docs(&town)
            .await
            .iter()
            .any(|(d, _)| !d.starts_with("refdata:")),
        "published articles reach the town"
    );
    assert!(all_town.len() < all_hub.len() || all_town == all_hub);
    let views = [
        hub.state.store.ticket(id.clone()).await.unwrap().unwrap(),
        district
            .state
            .store
            .ticket(id.clone())
            .await
            .unwrap()
            .unwrap(),
        town.state
            .store
            .ticket(number.clone())
            .await
            .unwrap()
            .unwrap(),
    ];
    assert_eq!(views[0], views[1]);
    assert_eq!(views[0], views[2]);
    assert_eq!(views[0].number, number);

    // Health shows the links.
    let health = |n: &RunningNode| n.state.sync_links.snapshot();
    until(&nodes, "links caught up", || async {
        health(&district)
            .iter()
            .all(|l| l.connected && l.last_sync_ms.is_some())
    })
    .await;
    let h = health_json(&district).await;
    let links = h["links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "{h}");
    for l in links {
        assert_eq!(l["connected"], true, "{l}");
        assert!(l["last_sync_ms"].is_i64(), "{l}");
        assert!(l["changes_waiting"].is_u64(), "{l}");
        assert!(l["refusals"].is_u64(), "{l}");
    }
    let up = district.state.sync_links.get("HUB").unwrap();
    assert_eq!(up.direction, "upstream");
    assert_eq!(up.refusals, 0);
    assert!(up.connects >= 1);

    // A change at the hub now reaches the town.
    let review = Action::accept_review("已核");
    act(&hub, &id, "sl01", "C", review).await;
    until(&nodes, "the hub's review at the town", || async {
        let h = heads_of(&hub, &id).await;
        heads_of(&town, &id).await == h && heads_of(&district, &id).await == h
    })
    .await;
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dispatch_brings_tickets_into_scope_and_a_move_elsewhere_purges_them_after_their_changes_went_up()
 {
    let mut t = Tiers::new();
    let (hub, district, town) = t.start_all().await;
    let nodes = [&hub, &district, &town];
    // One ticket for another district, then one for our town.
    let other = dispatched_at_hub(&hub, "D02-T01", "别区的工单").await;
    let ours = dispatched_at_hub(&hub, "D01-T01", "本镇的工单").await;
    until(&nodes, "the town's ticket at district and town", || async {
        let h = heads_of(&hub, &ours).await;
        heads_of(&district, &ours).await == h && heads_of(&town, &ours).await == h
    })
    .await;
    assert!(
        heads_of(&district, &other).await.is_none(),
        "a D02 ticket must not reach D01"
    );
    assert!(heads_of(&town, &other).await.is_none());
    let view = district
        .state
        .store
        .ticket(ours.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.state.lead.as_ref().unwrap().unit, "D01-T01");

    // The town says "not ours": its own change moves the ticket out of its scope and the district's.
    let returned = Action::Return {
        reason: "不属于本镇辖区".into(),
    };
    assert_eq!(
        act(&town, &ours, "d01-t01-handler", "D01-T01", returned).await,
        "returned"
    );
    until(
        &nodes,
        "the return at the hub and the copies purged below",
        || async {
            let at_hub = hub.state.store.ticket(ours.clone()).await.unwrap();
            at_hub.is_some_and(|v| v.state.status.as_str() == "returned")
                && heads_of(&district, &ours).await.is_none()
                && heads_of(&town, &ours).await.is_none()
        },
    )
    .await;
    // Purged documents leave no projection either.
    assert!(
        town.state
            .store
            .ticket(ours.clone())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        district
            .state
            .store
            .ticket(ours.clone())
            .await
            .unwrap()
            .is_none()
    );
    let tombs = |n: &RunningNode| {
        let id = ours.clone();
        let store = n.state.store.clone();
        async move {
            store
                .read(move |c| {
                    Ok(
                        c.query_row("SELECT COUNT(*) FROM sync_tombs WHERE id = ?1", [id], |r| {
                            r.get::<_, i64>(0)
                        })?,
                    )
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(tombs(&town).await, 1);
    assert_eq!(tombs(&district).await, 1);

    // Dispatched again to the town: it comes back everywhere below.
    let again = Action::Dispatch {
        lead: AssignTo {
            unit: "D01-T01".into(),
            sign_due_at: NOW + 2 * 3_600_000,
            due_at: NOW + 20 * 86_400_000,
        },
        co: Vec::new(),
        note: "请再核实".into(),
        final_assignment: false,
    };
    assert_eq!(act(&hub, &ours, "sl01", "C", again).await, "dispatched");
    until(&nodes, "the ticket back at the town", || async {
        let h = heads_of(&hub, &ours).await;
        heads_of(&district, &ours).await == h && heads_of(&town, &ours).await == h
    })
    .await;
    assert!(heads_of(&town, &other).await.is_none());
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_certificates_and_out_of_scope_requests_are_refused() {
    let mut t = Tiers::new();
    let hub = t.start_hub().await;
    let district = t.start_district().await;
    let ours = dispatched_at_hub(&hub, "D01-ZJJ", "区住建局的工单").await;
    until(&[&hub, &district], "the ticket at the district", || async {
        heads_of(&district, &ours).await.is_some()
    })
    .await;
    let district_addr = t.district_cfg.sync.listen.unwrap();
    let settings = TransportSettings::default();

    // A node with a certificate from another CA is refused at the handshake.
    let foreign = Pki::new(t._tmp.path(), "foreign-ca");
    foreign.sync_for("T0101", "D01-T01");
    let ep = transport::client_endpoint(
        &foreign.tls("T0101"),
        &settings,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let refused = transport::connect(
        &ep,
        district_addr,
        "D01",
        &Revocations::default(),
        &settings,
    )
    .await;
    assert!(refused.is_err(), "a foreign certificate must be refused");
    until(
        &[&district],
        "the district counted the refused connection",
        || async { district.state.sync_links.refused_connections() >= 1 },
    )
    .await;

    // A valid node of district D02 asks district D01 for a D01 ticket: it gets nothing of it.
    t.pki.sync_for("D02", "D02");
    let ep =
        transport::client_endpoint(&t.pki.tls("D02"), &settings, "127.0.0.1:0".parse().unwrap())
            .unwrap();
    let mut link = transport::connect(
        &ep,
        district_addr,
        "D01",
        &Revocations::default(),
        &settings,
    )
    .await
    .unwrap();
    link.send(&Message::FeedRequest {
        since: 0,
        limit: 500,
        whole: false,
        shared_only: false,
    })
    .await
    .unwrap();
    let page = loop {
        match tokio::time::timeout(WAIT, link.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Message::FeedPage { entries, .. } => break entries,
            _ => continue,
        }
    };
    assert!(
        page.iter().any(|e| e.doc_id.starts_with("refdata:")),
        "reference documents are shared with every node"
    );
    assert!(
        !page.iter().any(|e| e.doc_id == ours),
        "no out-of-scope ticket in the feed"
    );
    link.send(&Message::ChangesRequest {
        page: 0,
        wants: vec![Want {
            doc_id: ours.clone(),
            have_heads: Vec::new(),
        }],
    })
    .await
    .unwrap();
    let answer = loop {
        match tokio::time::timeout(WAIT, link.recv())
            .await
            .unwrap()
            .unwrap()
        {
            Message::Changes { docs, .. } => break docs,
            _ => continue,
        }
    };
    assert_eq!(answer.len(), 1);
    assert!(
        answer[0].changes.is_empty(),
        "no content of an out-of-scope ticket"
    );
    until(
        &[&district],
        "the refusal in the D02 link's status",
        || async {
            district
                .state
                .sync_links
                .get("D02")
                .is_some_and(|l| l.refusals >= 1)
        },
    )
    .await;
    link.close(0, "done");
    for n in [hub, district] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_town_is_dropped_at_once_and_refused_when_it_redials() {
    let mut t = Tiers::new();
    // The district watches the deny-list that `hotline-ca revoke` rewrites.
    let deny_path = t.pki.dir.join("deny.txt");
    t.district_cfg.sync.deny = Some(deny_path.clone());
    t.district_cfg.sync.deny_poll_ms = 20;
    let (hub, district, town) = t.start_all().await;
    let nodes = [&hub, &district, &town];
    until(&nodes, "town linked", || async {
        connected(&district, "T0101") && connected(&town, "D01")
    })
    .await;
    // Nothing to pull: the town's request stays parked at the district and counts as caught up.
    until(&nodes, "town caught up", || async {
        town.state
            .sync_links
            .get("D01")
            .is_some_and(|l| l.caught_up)
    })
    .await;
    let pem = std::fs::read_to_string(&t.town_cfg.sync.cert).unwrap();
    let der = sync_protocol::pki::pem_to_cert_der(&pem).unwrap();
    let serial = sync_protocol::pki::read_peer_identity(&der).unwrap().serial;
    let mut deny = sync_protocol::pki::DenyList::new();
    deny.insert(&serial);
    std::fs::write(&deny_path, deny.to_text()).unwrap();
    until(&nodes, "the town dropped and refused on redial", || async {
        !connected(&town, "D01") && district.state.sync_links.refused_connections() >= 1
    })
    .await;
    assert_eq!(
        district.sync().unwrap().revoke(&serial),
        0,
        "the live link was dropped already, on the file's word"
    );
    // Work at the town stays local.
    let (id, _) = create(&town, "d01-t01-handler", "D01-T01", "吊销后登记").await;
    assert!(!connected(&district, "T0101"));
    assert!(heads_of(&district, &id).await.is_none());
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_data_edited_at_the_hub_reaches_the_town_and_is_reloaded() {
    let mut t = Tiers::new();
    let (hub, district, town) = t.start_all().await;
    let nodes = [&hub, &district, &town];
    let org = std::fs::read_to_string(format!("{SEED}/org.toml")).unwrap();
    let renamed = org.replacen("东湖街道", "东湖街道（更名）", 1);
    assert_ne!(org, renamed);
    hub.state
        .store
        .put_refdata(vec![("org".into(), renamed)], NOW)
        .await
        .unwrap();
    until(&nodes, "the renamed unit at the town, reloaded", || async {
        let name = |n: &RunningNode| {
            n.state
                .refdata()
                .org
                .get("D01-T01")
                .map(|u| u.name.clone())
                .unwrap_or_default()
        };
        name(&town) == "东湖街道（更名）" && name(&district) == "东湖街道（更名）"
    })
    .await;
    // A district cannot push reference data up: its own edit is refused at the hub.
    let mine = std::fs::read_to_string(format!("{SEED}/org.toml"))
        .unwrap()
        .replacen("东湖街道", "东湖街道（区改）", 1);
    district
        .state
        .store
        .put_refdata(vec![("org".into(), mine)], NOW)
        .await
        .unwrap();
    until(
        &nodes,
        "the hub refused the district's reference edit",
        || async {
            hub.state
                .sync_links
                .get("D01")
                .is_some_and(|l| l.refusals >= 1)
        },
    )
    .await;
    // (The hub's own edit went through its store, so read the store, not the API's copy.)
    let at_hub = hub.state.store.refdata().await.unwrap().unwrap();
    let at_hub = at_hub.org.get("D01-T01").unwrap().name.clone();
    assert_eq!(at_hub, "东湖街道（更名）");
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}

/// The seed's users document for `unit`, with one more user appended.
fn users_with(unit: &str, login: &str) -> (String, String) {
    let name = format!("users:{unit}");
    let mut text = node_service::node::read_seed_refdata(Path::new(SEED), "C")
        .unwrap()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| t)
        .unwrap_or_default();
    text.push_str(&format!(
        "\n[[user]]\nlogin = \"{login}\"\nname = \"新同事\"\nrole = \"unit_handler\"\nunit = \"{unit}\"\n"
    ));
    (name, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_node_holds_the_users_of_its_own_subtree_only_and_only_parents_change_them() {
    let mut t = Tiers::new();
    let (hub, district, town) = t.start_all().await;
    let nodes = [&hub, &district, &town];
    // Seeded from the same files, each node keeps only its subtree's users.
    let rd = hub.state.refdata();
    for (node, root) in [(&district, "D01"), (&town, "D01-T01")] {
        let users = node.state.refdata().users.clone();
        assert!(!users.is_empty());
        assert!(users.values().all(|u| rd.org.is_within(&u.unit, root)));
    }
    assert!(hub.state.refdata().users.len() > district.state.refdata().users.len());

    // The hub adds a user in another district, then one at the town: only the second travels down.
    hub.state
        .store
        .put_refdata(vec![users_with("D02", "d02-new")], NOW)
        .await
        .unwrap();
    hub.state
        .store
        .put_refdata(vec![users_with("D01-T01", "t01-new")], NOW)
        .await
        .unwrap();
    until(
        &nodes,
        "the town's new user at the town and the district",
        || async {
            town.state.refdata().user("t01-new").is_some()
                && district.state.refdata().user("t01-new").is_some()
        },
    )
    .await;
    for node in [&district, &town] {
        assert!(node.state.refdata().user("d02-new").is_none());
        let ids: Vec<String> = docs(node).await.into_iter().map(|(id, _)| id).collect();
        assert!(
            !ids.iter().any(|id| id.starts_with("refdata:users:D02")),
            "no other district's users: {ids:?}"
        );
    }

    // A district editing its own users is refused at the hub: reference data flows down only.
    let refusals = hub.state.sync_links.get("D01").unwrap().refusals;
    district
        .state
        .store
        .put_refdata(vec![users_with("D01", "d01-self-made")], NOW)
        .await
        .unwrap();
    until(
        &nodes,
        "the hub refused the district's users edit",
        || async {
            hub.state
                .sync_links
                .get("D01")
                .is_some_and(|l| l.refusals > refusals)
        },
    )
    .await;
    let at_hub = hub.state.store.refdata().await.unwrap().unwrap();
    assert!(at_hub.user("d01-self-made").is_none());
    assert!(at_hub.user("t01-new").is_some());
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_town_without_seed_files_takes_its_reference_data_and_orders_from_upstream() {
    let mut t = Tiers::new();
    let hub = t.start_hub().await;
    let district = t.start_district().await;
    let id = dispatched_at_hub(&hub, "D01-T01", "新镇办开通前的工单").await;
    // The org tree changes after that order: its document now comes later in every feed than
    // the order, which a new node can only judge with the new tree in hand.
    let org = std::fs::read_to_string(format!("{SEED}/org.toml")).unwrap();
    let renamed = org.replacen("东湖街道", "东湖街道（新）", 1);
    hub.state
        .store
        .put_refdata(vec![("org".into(), renamed)], NOW)
        .await
        .unwrap();
    let nodes = [&hub, &district];
    until(
        &nodes,
        "the district holds the order and the new tree",
        || async {
            heads_of(&district, &id).await.is_some()
                && district.state.refdata().org.get("D01-T01").unwrap().name == "东湖街道（新）"
        },
    )
    .await;

    // The new office: certificate and address of its district, no seed files.
    t.town_cfg.seed_dir = None;
    let town = t.start_town().await;
    let nodes = [&hub, &district, &town];
    until(
        &nodes,
        "the town has its reference data and its order",
        || async {
            let rd = town.state.refdata();
            rd.is_loaded()
                && rd
                    .org
                    .get("D01-T01")
                    .is_some_and(|u| u.name == "东湖街道（新）")
                && heads_of(&town, &id).await == heads_of(&district, &id).await
        },
    )
    .await;
    let rd = hub.state.refdata();
    let users = town.state.refdata().users.clone();
    assert!(users.contains_key("d01-t01-handler"));
    assert!(
        users.values().all(|u| rd.org.is_within(&u.unit, "D01-T01")),
        "only its own users"
    );

    // Its staff work at once, and what they register reaches the hub.
    let client = node_service::api::in_process::Client::new(town.state.clone());
    let body = serde_json::json!({ "intake": intake("新镇办登记的第一件") });
    let (status, created) = client
        .call("POST", "/api/tickets", Some("d01-t01-handler"), Some(&body))
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 201, "{created}");
    let new_id = created["ticket"]["id"].as_str().unwrap().to_string();
    until(&nodes, "the town's order at the hub", || async {
        heads_of(&hub, &new_id).await.is_some()
    })
    .await;
    for n in [town, district, hub] {
        n.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_town_office_stops_holding_up_purges_once_it_leaves_the_configuration() {
    let mut t = Tiers::new();
    // The town T0101 is configured below the district but never comes online.
    let hub = t.start_hub().await;
    let district = t.start_district().await;
    let id = dispatched_at_hub(&hub, "D01-T01", "镇办停用前派下的工单").await;
    let nodes = [&hub, &district];
    until(&nodes, "the order at the district", || async {
        heads_of(&district, &id).await.is_some()
    })
    .await;
    // Returned on the town's behalf at the district: the order leaves the district's scope, but
    // the town could hold it, so the district waits for the town before purging.
    let returned = Action::Return {
        reason: "不属于本镇辖区".into(),
    };
    act(&district, &id, "d01-t01-handler", "D01-T01", returned).await;
    until(&nodes, "the district waiting for the town", || async {
        health_json(&district).await["purges_waiting"]["T0101"] == 1
    })
    .await;
    assert!(heads_of(&district, &id).await.is_some());

    // The office is closed: taken out of the district's configuration, the purge goes through.
    district.shutdown().await.unwrap();
    t.district_cfg.sync.children.clear();
    let district = t.start_district().await;
    let nodes = [&hub, &district];
    until(&nodes, "the order purged at the district", || async {
        heads_of(&district, &id).await.is_none()
    })
    .await;
    assert_eq!(
        health_json(&district).await["purges_waiting"],
        serde_json::json!({})
    );
    let at_hub = hub.state.store.ticket(id.clone()).await.unwrap().unwrap();
    assert_eq!(
        at_hub.state.status.as_str(),
        "returned",
        "the return reached the hub"
    );
    for n in [district, hub] {
        n.shutdown().await.unwrap();
    }
}

/// The outbox keys of `node` that name the event `event_id`.
async fn queued_for(node: &RunningNode, event_id: &str) -> Vec<String> {
    node.state
        .store
        .outbox_list(None, None, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, _)| o.key)
        .filter(|k| k.starts_with(event_id))
        .collect()
}

/// `unit`'s inbox at `node`: (event id, what).
async fn inbox_of(node: &RunningNode, unit: &'static str) -> Vec<(String, String)> {
    node.state
        .store
        .read(move |c| replica_store::inbox::page(c, unit, "someone", None, 200))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event_id, e.what))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urge_made_while_a_town_is_cut_off_reaches_it_once_and_a_survey_answer_at_the_hub_reaches_the_district()
 {
    let mut t = Tiers::new();
    let (hub, district, town) = t.start_all().await;
    let id = dispatched_at_hub(&hub, "D01-T01", "村口路灯不亮").await;
    until(
        &[&hub, &district, &town],
        "the order at the town",
        || async {
            let h = heads_of(&hub, &id).await;
            h.is_some() && heads_of(&town, &id).await == h
        },
    )
    .await;
    assert_eq!(
        inbox_of(&town, "D01-T01").await.len(),
        1,
        "the assignment, at the town too"
    );

    // The district goes down: the town is cut off. The hub urges the town.
    district.shutdown().await.unwrap();
    until(&[&town], "the town sees its link down", || async {
        !connected(&town, "D01")
    })
    .await;
    let urge = uuid::Uuid::new_v4().to_string();
    hub.state
        .store
        .apply(
            id.clone(),
            NewEvent {
                id: urge.clone(),
                author: "system".into(),
                unit: "C".into(),
                action: Action::Urge {
                    target: "D01-T01".into(),
                    note: String::new(),
                },
                now_ms: NOW + 60_000,
            },
        )
        .await
        .unwrap();
    // The hub, which recorded it, queues the text to the town's duty phone, once.
    assert_eq!(queued_for(&hub, &urge).await.len(), 1);

    // Back online: the town has the urge in its inbox once, and sends nothing itself; nor does
    // the district it came through.
    let district = t.start_district().await;
    let nodes = [&hub, &district, &town];
    until(&nodes, "the urge at the town", || async {
        let h = heads_of(&hub, &id).await;
        heads_of(&town, &id).await == h && heads_of(&district, &id).await == h
    })
    .await;
    let town_inbox = inbox_of(&town, "D01-T01").await;
    assert_eq!(
        town_inbox.iter().filter(|(e, _)| *e == urge).count(),
        1,
        "{town_inbox:?}"
    );
    assert!(town_inbox.iter().any(|(e, w)| *e == urge && w == "催办"));
    assert!(queued_for(&town, &urge).await.is_empty());
    assert!(queued_for(&district, &urge).await.is_empty());
    assert_eq!(queued_for(&hub, &urge).await.len(), 1);

    // An order the district handles, accepted at the hub: the survey goes from the hub; the
    // citizen's "1" pushed to the hub is the order's callback on the district's copy too.
    let order = dispatched_at_hub(&hub, "D01", "楼道灯不亮").await;
    act(&hub, &order, "d01-handler", "D01", Action::Sign).await;
    let reply = Action::Reply {
        founded: true,
        solved: true,
        public_reply: "已更换灯泡。".into(),
        internal_note: String::new(),
    };
    act(&hub, &order, "d01-handler", "D01", reply).await;
    let accept = Action::ReviewResult {
        accept: true,
        reason: String::new(),
        redo_due_at: None,
    };
    assert_eq!(
        act(&hub, &order, "sv01", "C", accept).await,
        "awaiting_callback"
    );
    let receipt = node_service::inbound::accept(
        &hub.state,
        replica_store::inbound::Received {
            channel: "sms".into(),
            external_id: "aliyun:77".into(),
            sender: "13900001111".into(),
            subject: String::new(),
            content: "1".into(),
            received_at: NOW + 120_000,
            extend: None,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(
            receipt,
            node_service::inbound::Receipt::Survey {
                rating: Some(_),
                ..
            }
        ),
        "{receipt:?}"
    );
    until(&nodes, "the callback at the district", || async {
        district
            .state
            .store
            .ticket(order.clone())
            .await
            .unwrap()
            .is_some_and(|v| v.state.status.as_str() == "called_back")
    })
    .await;
    let v = district
        .state
        .store
        .ticket(order.clone())
        .await
        .unwrap()
        .unwrap();
    assert!(v.events.iter().any(|e| matches!(
        e.action,
        Action::Callback {
            channel: hotline_model::event::CallbackChannel::Sms,
            ..
        }
    )));
    for n in [hub, district, town] {
        n.shutdown().await.unwrap();
    }
}
