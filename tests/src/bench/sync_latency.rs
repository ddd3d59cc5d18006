//! `sync-latency`: how soon a ticket registered at a town office is visible at the hub, through
//! its district, all links up (three real nodes, QUIC on loopback). The hub holds N tickets
//! (default 100,000), a tenth of them in the district's scope, so the nodes are not empty. The peer
//! measured in the same run is one hop: a ticket registered at the district, seen at the hub.
//! Goal: within a second.

use std::time::{Duration, Instant};

use anyhow::Result;
use rand::SeedableRng;
use replica_store::Store;
use serde_json::json;

use super::sync_common::{fill, heads, hub_pair, parked, runtime, ticket_count, until};
use super::{Args, emit, percentile};
use crate::fixtures;

const ROUNDS: usize = 40;

/// Registers a ticket at `at` for `unit`; returns its id.
async fn register(at: &Store, i: u64, unit: &str, rng: &mut rand::rngs::StdRng) -> Result<String> {
    let mut t = fixtures::new_ticket(i, fixtures::now_ms(), rng);
    t.unit = unit.into();
    t.author = "latency-probe".into();
    Ok(at.create_ticket(t).await?.ticket.id)
}

/// Milliseconds from registering at `from` until `to` holds the ticket, `ROUNDS` times, sorted.
async fn probe(from: &Store, to: &Store, unit: &str, first: u64) -> Result<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(first);
    let mut ms = Vec::with_capacity(ROUNDS);
    for r in 0..ROUNDS as u64 {
        let started = Instant::now();
        let id = register(from, first + r, unit, &mut rng).await?;
        until(
            to,
            Duration::from_secs(30),
            Duration::from_millis(1),
            "ticket at the hub",
            || {
                let (to, id) = (to.clone(), id.clone());
                async move { Ok(!heads(&to, vec![id]).await?[0].is_empty()) }
            },
        )
        .await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok(ms)
}

pub fn run(args: &Args) -> Result<()> {
    let n = args.size.unwrap_or(100_000) as u64;
    runtime()?.block_on(async {
        let (mut pair, hub) = hub_pair().await?;
        fill(&hub.state.store, n, |i| i % 10 == 0).await?;
        let district = pair.start_edge(true).await?;
        let town = pair.start_town(&district).await?;
        let store = district.state.store.clone();
        until(
            &store,
            Duration::from_secs(600),
            Duration::from_millis(50),
            "three tiers in sync",
            || {
                let store = store.clone();
                let (hub, district, town) = (&hub, &district, &town);
                async move {
                    Ok(ticket_count(&store).await? >= n.div_ceil(10)
                        && parked(hub, "HUB", district, "D01")
                        && parked(district, "D01", town, "T0101"))
                }
            },
        )
        .await?;
        emit(
            &json!({"bench": "sync-latency", "phase": "three tiers in sync", "tickets_at_hub": n}),
        );

        let three = probe(&town.state.store, &hub.state.store, "D01-T01", 1 << 40).await?;
        emit(
            &json!({"bench": "sync-latency", "path": "town → district → hub", "rounds": ROUNDS,
            "p50_ms": percentile(&three, 0.5), "p90_ms": percentile(&three, 0.9), "max_ms": percentile(&three, 1.0)}),
        );
        let one = probe(&district.state.store, &hub.state.store, "D01", 2 << 40).await?;
        emit(
            &json!({"bench": "sync-latency", "path": "district → hub", "rounds": ROUNDS,
            "p50_ms": percentile(&one, 0.5), "p90_ms": percentile(&one, 0.9), "max_ms": percentile(&one, 1.0)}),
        );
        emit(
            &json!({"bench": "sync-latency", "tickets_at_hub": n, "rounds": ROUNDS,
            "town_to_hub_p50_ms": percentile(&three, 0.5), "town_to_hub_max_ms": percentile(&three, 1.0),
            "district_to_hub_p50_ms": percentile(&one, 0.5),
            "ratio_two_hops_to_one_p50": percentile(&three, 0.5) / percentile(&one, 0.5),
            "goal_ms": 1000}),
        );
        town.shutdown().await?;
        district.shutdown().await?;
        hub.shutdown().await?;
        anyhow::Ok(())
    })
}
