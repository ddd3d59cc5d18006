//! `sync-bootstrap`: a fresh edge node (district D01) pulls every ticket of its scope from the hub
//! over a real QUIC link on loopback, into its SQLite file. Goal: ≥ 10,000 tickets per second. The
//! peer figure of the same run is the hub creating those tickets locally (16 clients).

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::sync_common::{fill, hub_pair, in_sync, peak_rss_mib, runtime, ticket_count, until};
use super::{Args, emit};

pub fn run(args: &Args) -> Result<()> {
    let n = args.size.unwrap_or(100_000) as u64;
    runtime()?.block_on(async {
        let (pair, hub) = hub_pair().await?;
        let t = Instant::now();
        fill(&hub.state.store, n, |_| true).await?;
        let fill_secs = t.elapsed().as_secs_f64();
        emit(&json!({"bench": "sync-bootstrap", "phase": "hub filled", "tickets": n, "seconds": fill_secs}));

        let start = Instant::now();
        let edge = pair.start_edge(true).await?;
        let store = edge.state.store.clone();
        until(&store, Duration::from_secs(3600), Duration::from_millis(50), "bootstrap", || {
            let store = store.clone();
            async move { Ok(ticket_count(&store).await? >= n) }
        })
        .await?;
        let secs = start.elapsed().as_secs_f64();
        until(&store, Duration::from_secs(60), Duration::from_millis(2), "links parked", || async { Ok(in_sync(&hub, &edge)) }).await?;
        let link = edge.state.sync_links.get("HUB").unwrap_or_default();
        let down = hub.state.sync_links.get("D01").unwrap_or_default();
        let db_bytes = std::fs::metadata(pair.edge.db_path()).map(|m| m.len()).unwrap_or(0);
        emit(&json!({"bench": "sync-bootstrap", "tickets": n, "seconds": secs,
            "tickets_per_sec": n as f64 / secs,
            // The peer measured in the same run: the hub creating the same tickets locally.
            "hub_local_creates_per_sec": n as f64 / fill_secs,
            "ratio_to_local_creates": fill_secs / secs,
            "wire_bytes": link.bytes_sent + link.bytes_received,
            "change_bytes_from_hub": down.change_bytes_sent,
            "wire_bytes_per_ticket": (link.bytes_sent + link.bytes_received) as f64 / n as f64,
            "edge_db_bytes": db_bytes,
            "peak_rss_mib_both_nodes": peak_rss_mib(),
            "goal_tickets_per_sec": 10_000}));
        edge.shutdown().await?;
        hub.shutdown().await?;
        anyhow::Ok(())
    })
}
