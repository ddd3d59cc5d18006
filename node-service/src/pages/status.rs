//! The node status page: link state to the parent and child nodes, last sync, changes waiting,
//! the calendar years missing; what `GET /api/health` reports, for people.

use axum::extract::State;
use axum::response::Response;
use web::{Fact, LinkRow, StatusPage};

use super::format::local_time;
use super::{Staff, layout, node_label, render};
use crate::state::AppState;

/// `GET /staff/status`.
pub async fn page(State(state): State<AppState>, Staff(user): Staff) -> Response {
    let rd = state.refdata();
    let now = state.now();
    let links = state
        .sync_links
        .snapshot()
        .into_iter()
        .map(|k| LinkRow {
            peer: if k.peer_scope.is_empty() {
                k.peer.clone()
            } else {
                format!(
                    "{}（{}）",
                    k.peer,
                    super::format::unit_name(&rd, &k.peer_scope)
                )
            },
            direction: if k.direction == "upstream" {
                "上级"
            } else {
                "下级"
            }
            .into(),
            state: if k.connected {
                "已连接"
            } else {
                "未连接"
            }
            .into(),
            up: k.connected,
            last: k
                .last_sync_ms
                .map(local_time)
                .unwrap_or_else(|| "尚未同步".into()),
            waiting: format!("{} 项", k.changes_waiting),
        })
        .collect();
    let held: i64 = state
        .store
        .status_counts()
        .await
        .map(|c| c.iter().map(|(_, n)| n).sum())
        .unwrap_or(0);
    let years: Vec<String> = rd.calendar.years().map(|y| y.to_string()).collect();
    let missing: Vec<String> = rd
        .calendar
        .missing_years(now)
        .iter()
        .map(|y| y.to_string())
        .collect();
    let facts = vec![
        Fact {
            label: "节点".into(),
            value: node_label(&state),
        },
        Fact {
            label: "本节点工单".into(),
            value: format!("{held} 件"),
        },
        Fact {
            label: "工作日历".into(),
            value: if years.is_empty() {
                "尚未载入".into()
            } else {
                format!("{} 年", years.join("、"))
            },
        },
        Fact {
            label: "当前时间".into(),
            value: local_time(now),
        },
    ];
    render(&StatusPage {
        l: layout(&state, &user, "节点状态", "/staff/status"),
        links,
        facts,
        missing_years: missing.join("、"),
    })
}
