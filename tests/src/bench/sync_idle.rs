//! `sync-idle`: the hub holds N tickets (default 1,000,000), a tenth of them in the edge node's
//! scope; both are in sync; the edge restarts and reconnects. Reports the bytes on the wire
//! (QUIC + TLS handshake included) and the time until both directions are parked at each other's
//! feed head. Goal: ≤ 10 KB and ≤ 100 ms, independent of N.

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::sync_common::{fill, hub_pair, in_sync, runtime, ticket_count, until};
use super::{Args, emit};

pub fn run(args: &Args) -> Result<()> {
    let n = args.size.unwrap_or(1_000_000) as u64;
    runtime()?.block_on(async {
        let (pair, hub) = hub_pair().await?;
        let t = Instant::now();
        fill(&hub.state.store, n, |i| i % 10 == 0).await?;
        let in_scope = n.div_ceil(10);
        emit(&json!({"bench": "sync-idle", "phase": "hub filled", "tickets": n, "in_scope": in_scope,
            "seconds": t.elapsed().as_secs_f64()}));
        let t = Instant::now();
        let edge = pair.start_edge(true).await?;
        let store = edge.state.store.clone();
        until(&store, Duration::from_secs(7200), Duration::from_millis(50), "first sync", || {
            let store = store.clone();
            async move { Ok(ticket_count(&store).await? >= in_scope) }
        })
        .await?;
        until(&store, Duration::from_secs(120), Duration::from_millis(2), "links parked", || async { Ok(in_sync(&hub, &edge)) }).await?;
        emit(&json!({"bench": "sync-idle", "phase": "edge in sync", "seconds": t.elapsed().as_secs_f64()}));
        edge.shutdown().await?;

        let mut runs = Vec::new();
        for _ in 0..5 {
            let called = Instant::now();
            let edge = pair.start_edge(true).await?;
            let start = Instant::now();
            let store = edge.state.store.clone();
            until(&store, Duration::from_secs(120), Duration::from_millis(2), "reconnected and parked", || async { Ok(in_sync(&hub, &edge)) })
                .await?;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let ms_with_node_start = called.elapsed().as_secs_f64() * 1000.0;
            let link = edge.state.sync_links.get("HUB").unwrap_or_default();
            let wire = link.bytes_sent + link.bytes_received;
            emit(&json!({"bench": "sync-idle", "run": runs.len(), "ms": ms, "ms_with_node_start": ms_with_node_start, "wire_bytes": wire,
                "docs_applied": link.docs_applied}));
            runs.push((ms, wire));
            edge.shutdown().await?;
        }
        let mut ms: Vec<f64> = runs.iter().map(|r| r.0).collect();
        ms.sort_by(f64::total_cmp);
        let max_wire = runs.iter().map(|r| r.1).max().unwrap_or(0);
        emit(&json!({"bench": "sync-idle", "tickets": n, "in_scope": in_scope, "runs": runs.len(),
            "median_ms": ms[ms.len() / 2], "max_ms": ms[ms.len() - 1], "max_wire_bytes": max_wire,
            "goal_ms": 100, "goal_wire_bytes": 10_240}));
        hub.shutdown().await?;
        anyhow::Ok(())
    })
}
