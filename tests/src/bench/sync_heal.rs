//! `sync-heal`: N tickets in the edge's scope (default 100,000), in sync; then, cut off from each
//! other, the hub changes 1 %, the edge another 1 %, and 0.1 % change on both. Both restart linked:
//! reports seconds to convergence, bytes on the wire against the bytes of automerge changes that
//! moved (goal ≤ 1.5×), and the process's peak memory (both nodes run in it).

use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::json;

use super::sync_common::{
    fill, heads, hub_pair, in_sync, peak_rss_mib, runtime, ticket_count, ticket_ids, touch, until,
};
use super::{Args, emit};

pub fn run(args: &Args) -> Result<()> {
    let n = args.size.unwrap_or(100_000) as u64;
    runtime()?.block_on(async {
        let (mut pair, hub) = hub_pair().await?;
        fill(&hub.state.store, n, |_| true).await?;
        let edge = pair.start_edge(true).await?;
        let store = edge.state.store.clone();
        until(&store, Duration::from_secs(3600), Duration::from_millis(50), "bootstrap", || {
            let store = store.clone();
            async move { Ok(ticket_count(&store).await? >= n) }
        })
        .await?;
        until(&store, Duration::from_secs(120), Duration::from_millis(2), "links parked", || async { Ok(in_sync(&hub, &edge)) }).await?;
        let rss_synced = peak_rss_mib();
        edge.shutdown().await?;

        let ids = ticket_ids(&hub.state.store).await?;
        let pick = |r: usize, m: usize| -> Vec<String> {
            ids.iter().enumerate().filter(|(i, _)| i % m == r).map(|(_, id)| id.clone()).collect()
        };
        let at_hub = pick(0, 100);
        let at_edge = pick(1, 100);
        let both = pick(2, 1000);
        touch(&hub.state.store, &at_hub, "中心修改").await?;
        touch(&hub.state.store, &both, "中心修改").await?;
        hub.shutdown().await?;
        let cut = pair.start_edge(false).await?;
        touch(&cut.state.store, &at_edge, "区里修改").await?;
        touch(&cut.state.store, &both, "区里修改").await?;
        cut.shutdown().await?;

        let hub = pair.start_hub().await?;
        let start = Instant::now();
        let edge = pair.start_edge(true).await?;
        let changed: Vec<String> = at_hub.iter().chain(&at_edge).chain(&both).cloned().collect();
        let store = edge.state.store.clone();
        until(&store, Duration::from_secs(3600), Duration::from_millis(50), "convergence", || {
            let (h, e, ids) = (hub.state.store.clone(), store.clone(), changed.clone());
            async move { Ok(heads(&h, ids.clone()).await? == heads(&e, ids).await?) }
        })
        .await?;
        let secs = start.elapsed().as_secs_f64();
        until(&store, Duration::from_secs(120), Duration::from_millis(2), "links parked", || async { Ok(in_sync(&hub, &edge)) }).await?;
        let up = edge.state.sync_links.get("HUB").unwrap_or_default();
        let down = hub.state.sync_links.get("D01").unwrap_or_default();
        let wire = up.bytes_sent + up.bytes_received;
        let change_bytes = up.change_bytes_sent + down.change_bytes_sent;
        emit(&json!({"bench": "sync-heal", "tickets": n, "changed_hub": at_hub.len(), "changed_edge": at_edge.len(),
            "changed_both": both.len(), "seconds_to_converge": secs, "wire_bytes": wire,
            "change_bytes": change_bytes, "wire_over_changes": wire as f64 / change_bytes.max(1) as f64,
            "peak_rss_mib_both_nodes_after_bootstrap": rss_synced, "peak_rss_mib_both_nodes": peak_rss_mib(),
            "goal_wire_over_changes": 1.5}));
        edge.shutdown().await?;
        hub.shutdown().await?;
        anyhow::Ok(())
    })
}
