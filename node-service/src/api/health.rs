//! `GET /api/health`: is the node up, what it holds, how its writer and links are doing, and
//! whether the working-day calendar covers the years it should.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::http_common::error::ApiError;
use crate::state::AppState;

/// The node's health and counts.
pub async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let counts = state.store.status_counts().await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let by_status: serde_json::Map<String, Value> =
        counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    // Orders that left this node's scope and wait for a child's acknowledgement before purging.
    let purges_waiting = state
        .store
        .read(|c| Ok(crate::sync::purges::waiting_by_child(c)?))
        .await?;
    // Deadlines count working days from the official notices: say when one is missing.
    let refdata = state.refdata();
    let calendar = &refdata.calendar;
    let missing = calendar.missing_years(state.now());
    let calendar = json!({
        "years": calendar.years().collect::<Vec<_>>(),
        "missing_years": missing,
        "message": (!missing.is_empty()).then(|| {
            let years: Vec<String> = missing.iter().map(|y| format!("{y} 年")).collect();
            format!(
                "{}节假日安排尚未导入，期限暂按周一至周五计算；请审核督办员导入国务院办公厅通知",
                years.join("、")
            )
        }),
    });
    Ok(Json(json!({
        "status": "ok",
        "node": state.config.node_code,
        "role": state.config.role,
        "jurisdiction": state.config.jurisdiction,
        "seq": *state.store.committed().borrow(),
        "tickets": total,
        "by_status": by_status,
        "writer": state.store.writer_stats(),
        "links": state.sync_links.snapshot(),
        "sync_refused_connections": state.sync_links.refused_connections(),
        "purges_waiting": purges_waiting,
        "calendar": calendar,
    })))
}
