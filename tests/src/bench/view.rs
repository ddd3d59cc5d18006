//! `view`: an operator opening orders (`GET /api/tickets/{id}`) through the node's API, each view
//! first recorded in the access audit log (a durable write), by 16 concurrent clients. The peer in
//! the same run is reading the same orders from the store without the API and without the audit
//! write: the ratio is what the audit trail and the API cost an operator on a live call.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use serde_json::json;

use super::sync_common::{fill, lone_hub, runtime, ticket_ids};
use super::{Args, emit, percentile};

const CLIENTS: usize = 16;
const TICKETS: u64 = 5_000;

pub fn run(args: &Args) -> Result<()> {
    let views = args.size.unwrap_or(20_000);
    runtime()?.block_on(async {
        let dir = tempfile::tempdir()?;
        let node = lone_hub(dir.path()).await?;
        fill(&node.state.store, TICKETS, |_| false).await?;
        let ids = Arc::new(ticket_ids(&node.state.store).await?);
        emit(&json!({"bench": "view", "phase": "filled", "tickets": ids.len()}));

        // The peer: the same reads straight from the store.
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (store, ids) = (node.state.store.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                for i in (c..views).step_by(CLIENTS) {
                    if store.ticket(ids[i % ids.len()].clone()).await?.is_none() {
                        bail!("ticket missing");
                    }
                }
                anyhow::Ok(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        let plain_secs = start.elapsed().as_secs_f64();

        // Through the API, audited.
        let app = std::sync::Arc::new(node_service::api::in_process::Client::new(node.state.clone()));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..CLIENTS {
            let (app, ids) = (app.clone(), ids.clone());
            tasks.push(tokio::spawn(async move {
                let mut ms = Vec::new();
                for i in (c..views).step_by(CLIENTS) {
                    let t = Instant::now();
                    let uri = format!("/api/tickets/{}", ids[i % ids.len()]);
                    let (status, _) =
                        app.call("GET", &uri, Some("op01"), None)
                            .await?;
                    if !status.is_success() {
                        bail!("view answered {status}");
                    }
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok(ms)
            }));
        }
        let mut ms = Vec::with_capacity(views);
        for t in tasks {
            ms.extend(t.await??);
        }
        let audited_secs = start.elapsed().as_secs_f64();
        ms.sort_by(f64::total_cmp);
        let (log, chain) = node.state.store.audit_log(None, 1).await?;
        let logged = log.first().map_or(0, |e| e.seq);
        emit(
            &json!({"bench": "view", "views": views, "clients": CLIENTS, "tickets": ids.len(),
            "audited_views_per_sec": views as f64 / audited_secs,
            "plain_reads_per_sec": views as f64 / plain_secs,
            "ratio_audited_to_plain": plain_secs / audited_secs,
            "p50_ms": percentile(&ms, 0.5), "p99_ms": percentile(&ms, 0.99), "max_ms": percentile(&ms, 1.0),
            "audit_entries": logged, "chain_intact": chain.is_ok()}),
        );
        node.shutdown().await?;
        anyhow::Ok(())
    })
}
