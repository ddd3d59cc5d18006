//! The list pages: a unit's inbox, the centre's queue (review, dispatch, results, callbacks) and
//! the supervisors' board. Every list is a page of `api::tickets::list_counted` (the same key-paged
//! index walk as `GET /api/tickets`), open orders ordered by deadline.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::event::SupervisionLevel;
use hotline_model::role::{Role, User};
use replica_store::{TicketFilter, TicketSummary};
use serde::Deserialize;
use web::{BoardUnitsPage, Choice, Flash, ListPage, Row, RowButton, Tab, UnitLoad};

use super::format::{due, local_time, unit_name, url_encode};
use super::{Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::tickets::ask::ActionRequest;
use hotline_operations::tickets::{act_on, list_counted};

/// Orders per page.
const PAGE: u32 = 50;

/// `?tab=&after=&done=&failed=`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    failed: Option<String>,
    /// The board narrowed to one unit's subtree (centre staff).
    #[serde(default)]
    unit: Option<String>,
}

/// A tab: its key, label and the statuses it lists.
struct TabDef {
    key: &'static str,
    label: &'static str,
    status: &'static str,
}

const INBOX: [TabDef; 4] = [
    TabDef {
        key: "sign",
        label: "待签收",
        status: "dispatched",
    },
    TabDef {
        key: "handling",
        label: "办理中",
        status: "handling",
    },
    TabDef {
        key: "review",
        label: "待审核",
        status: "replied",
    },
    TabDef {
        key: "closed",
        label: "已办结",
        status: "closed",
    },
];

/// The queue tab of orders a citizen rated "not solved" (not a status: the order may be closed).
const REDO_REVIEW: &str = "redo_review";

const QUEUE: [TabDef; 7] = [
    TabDef {
        key: "review",
        label: "待审核",
        status: "pending_review",
    },
    TabDef {
        key: "dispatch",
        label: "待派单",
        status: "ready_to_dispatch",
    },
    TabDef {
        key: "returned",
        label: "已退回",
        status: "returned",
    },
    TabDef {
        key: "replied",
        label: "待审核结果",
        status: "replied",
    },
    TabDef {
        key: "callback",
        label: "待回访",
        status: "awaiting_callback",
    },
    TabDef {
        key: "called",
        label: "已回访待办结",
        status: "called_back",
    },
    TabDef {
        key: "redo",
        label: "重办审核",
        status: REDO_REVIEW,
    },
];

/// Open statuses the board shows by stage.
const STAGES: [TabDef; 5] = [
    TabDef {
        key: "dispatched",
        label: "待签收",
        status: "dispatched",
    },
    TabDef {
        key: "handling",
        label: "办理中",
        status: "handling",
    },
    TabDef {
        key: "returned",
        label: "已退回",
        status: "returned",
    },
    TabDef {
        key: "replied",
        label: "待审核结果",
        status: "replied",
    },
    TabDef {
        key: "pending",
        label: "待审核",
        status: "pending_review",
    },
];

fn flash(q: &ListQuery) -> Option<Flash> {
    if let Some(f) = &q.failed {
        return Some(Flash {
            kind: "error",
            text: f.clone(),
        });
    }
    q.done.as_ref().map(|d| Flash {
        kind: "ok",
        text: d.clone(),
    })
}

/// The alerts already sent: 已催办 2 次 · 督办通知.
fn alerts_text(urges: i64, supervision: Option<&str>) -> String {
    let mut parts = Vec::new();
    if urges > 0 {
        parts.push(format!("已催办 {urges} 次"));
    }
    if let Some(level) =
        supervision.and_then(|l| serde_json::from_value::<SupervisionLevel>(l.into()).ok())
    {
        parts.push(format!("已{}", level.label()));
    }
    parts.join(" · ")
}

/// A list row for `s` at `now`.
fn row(state: &AppState, s: TicketSummary, now: i64) -> Row {
    let rd = state.refdata();
    let (countdown, mark) = match s.due_at {
        Some(d) if !matches!(s.status.as_str(), "closed" | "merged") => due(&rd, now, d),
        _ => (String::new(), ""),
    };
    Row {
        unit: s
            .lead_unit
            .as_deref()
            .map(|u| unit_name(&rd, u))
            .unwrap_or_default(),
        due: s.due_at.map(local_time).unwrap_or_default(),
        created: local_time(s.created_at),
        number: s.number,
        title: s.title,
        status: s.status_label,
        countdown,
        mark,
        urgent: s.urgent,
        alerts: alerts_text(s.urges, s.supervision.as_deref()),
        returns: 0,
        conflicts: s.conflicts,
        buttons: Vec::new(),
    }
}

/// Renders one tab of a list page.
async fn list_page(
    state: &AppState,
    user: &User,
    title: &str,
    base: &str,
    defs: &[TabDef],
    q: ListQuery,
    within: Option<String>,
    lead_tabs: Vec<Tab>,
) -> Response {
    let current = q
        .tab
        .as_deref()
        .and_then(|t| defs.iter().position(|d| d.key == t))
        .unwrap_or(0);
    let def = &defs[current];
    // Finished orders are not counted: the count would walk a unit's whole history.
    let statuses: Vec<&'static str> = defs
        .iter()
        .map(|d| d.status)
        .filter(|s| *s != "closed" && *s != REDO_REVIEW)
        .collect();
    // Orders a unit holds, by deadline (soonest first); the others newest first.
    let by_due = matches!(def.status, "dispatched" | "handling");
    let redo = def.status == REDO_REVIEW;
    let filter = TicketFilter {
        status: (!redo).then(|| def.status.into()),
        redo_review: redo.then_some(true),
        unit: within,
        due_before: by_due.then_some(i64::MAX),
        limit: Some(PAGE),
        after: q.after.clone(),
        ..TicketFilter::default()
    };
    let (rows, next, counts) = match list_counted(state, user, filter, statuses).await {
        Ok(r) => r,
        Err(e) => return error_page(layout(state, user, title, base), &e),
    };
    let now = state.now();
    let sep = if base.contains('?') { '&' } else { '?' };
    let here = format!("{base}{sep}tab={}", def.key);
    let mut l = layout(state, user, title, base);
    l.flash = flash(&q);
    let page = ListPage {
        tabs: lead_tabs
            .into_iter()
            .chain(defs.iter().map(|d| Tab {
                href: format!("{base}{sep}tab={}", d.key),
                label: d.label.into(),
                count: counts.iter().find(|(s, _)| s == d.status).map(|(_, n)| *n),
                current: d.key == def.key,
            }))
            .collect(),
        rows: rows.into_iter().map(|s| row(state, s, now)).collect(),
        next: next.map(|n| format!("{here}&after={}", url_encode(&n))),
        empty: format!("“{}”中暂无工单。", def.label),
        bulk_units: if user.role == Role::ShiftLeader && def.status == "ready_to_dispatch" {
            units_for_bulk(state)
        } else {
            Vec::new()
        },
        here,
        l,
    };
    render(&page)
}

fn units_for_bulk(state: &AppState) -> Vec<Choice> {
    let rd = state.refdata();
    super::format::unit_choices(&rd, rd.org.root(), true, "")
}

/// `GET /staff/inbox`: the unit's orders by tab (待签收 / 办理中 / 待审核 / 已办结).
pub async fn inbox(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let within = (!user.role.is_centre()).then(|| user.unit.clone());
    list_page(
        &state,
        &user,
        "待办工单",
        "/staff/inbox",
        &INBOX,
        q,
        within,
        Vec::new(),
    )
    .await
}

/// `GET /staff/queue`: the centre's queue (review, dispatch, returned, results, callbacks).
pub async fn queue(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    list_page(
        &state,
        &user,
        "审核派单",
        "/staff/queue",
        &QUEUE,
        q,
        None,
        Vec::new(),
    )
    .await
}

/// `?tab=overdue|near|<stage>` of the board.
pub async fn board(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let title = "督办看板";
    let base = "/staff/board";
    let within = if user.role.is_centre() {
        q.unit.clone().filter(|u| state.refdata().org.contains(u))
    } else {
        Some(user.unit.clone())
    };
    let tab = q.tab.clone().unwrap_or_else(|| "overdue".into());
    if tab == "units" {
        return board_units(&state, &user, within).await;
    }
    if tab != "overdue" && tab != "near" {
        return list_page(
            &state,
            &user,
            title,
            base,
            &STAGES,
            q,
            within,
            board_tabs(&tab),
        )
        .await;
    }
    let now = state.now();
    let rd = state.refdata();
    // Near-due: within one working day of office time from now.
    let day_ms = rd.calendar.office_minutes_per_day() * 60_000;
    let horizon = rd.calendar.add_office_time(now, day_ms);
    let filter = TicketFilter {
        unit: within.clone(),
        due_before: Some(if tab == "overdue" { now } else { horizon }),
        limit: Some(PAGE),
        after: q.after.clone(),
        ..TicketFilter::default()
    };
    let stages = STAGES.iter().map(|d| d.status).collect();
    let (rows, next, counts) = match list_counted(&state, &user, filter, stages).await {
        Ok(r) => r,
        Err(e) => return error_page(layout(&state, &user, title, base), &e),
    };
    let may_urge = user.role.may(hotline_model::event::ActionKind::Urge);
    let may_supervise = user.role.may(hotline_model::event::ActionKind::Supervise);
    let leader = user.role == Role::Leader;
    let here = format!("{base}?tab={tab}");
    let rows: Vec<Row> = rows
        .into_iter()
        .filter(|s| tab == "overdue" || s.due_at.is_some_and(|d| d > now))
        .map(|s| {
            let target = s.lead_unit.clone().unwrap_or_default();
            let mut r = row(&state, s, now);
            if !target.is_empty() {
                if may_urge && r.mark == "near" {
                    r.buttons.push(RowButton {
                        action: "urge".into(),
                        label: "催办".into(),
                        target: target.clone(),
                        level: String::new(),
                    });
                }
                if may_supervise && (r.mark == "overdue" || leader) {
                    r.buttons.push(RowButton {
                        action: "supervise".into(),
                        label: if leader { "挂牌督办" } else { "督办" }.into(),
                        target,
                        level: if leader { "named" } else { "notice" }.into(),
                    });
                }
            }
            r
        })
        .collect();
    let mut tabs = board_tabs(&tab);
    tabs.extend(STAGES.iter().zip(counts).map(|(d, (_, n))| Tab {
        href: format!("{base}?tab={}", d.key),
        label: d.label.into(),
        count: Some(n),
        current: false,
    }));
    let mut l = layout(&state, &user, title, base);
    l.flash = flash(&q);
    render(&ListPage {
        l,
        tabs,
        rows,
        next: next.map(|n| format!("{here}&after={}", url_encode(&n))),
        empty: if tab == "overdue" {
            "没有逾期工单。".into()
        } else {
            "没有临期工单。".into()
        },
        bulk_units: Vec::new(),
        here,
    })
}

/// The board's own tabs: overdue, near-due, by unit.
fn board_tabs(current: &str) -> Vec<Tab> {
    [
        ("overdue", "已逾期"),
        ("near", "临期（一个工作日内）"),
        ("units", "按单位"),
    ]
    .into_iter()
    .map(|(key, label)| Tab {
        href: format!("/staff/board?tab={key}"),
        label: label.into(),
        count: None,
        current: key == current,
    })
    .collect()
}

/// The board by unit: each unit below the user's (the centre: the bureaus and districts) with its
/// open orders by stage and its overdue ones, most overdue first.
async fn board_units(state: &AppState, user: &User, within: Option<String>) -> Response {
    let rd = state.refdata();
    let top = within.unwrap_or_else(|| user.unit.clone());
    let units: Vec<String> = rd.org.children(&top).map(|u| u.code.clone()).collect();
    let stages = ["dispatched", "handling", "replied"];
    let loads = match state
        .store
        .unit_loads(units, stages.to_vec(), state.now())
        .await
    {
        Ok(l) => l,
        Err(e) => {
            return error_page(
                layout(state, user, "督办看板", "/staff/board"),
                &hotline_operations::OpError::from(e),
            );
        }
    };
    let mut units: Vec<UnitLoad> = loads
        .into_iter()
        .map(|(code, counts, overdue)| UnitLoad {
            name: unit_name(&rd, &code),
            code,
            counts,
            overdue,
        })
        .collect();
    units.sort_by(|a, b| {
        b.overdue.cmp(&a.overdue).then_with(|| {
            b.counts
                .iter()
                .sum::<i64>()
                .cmp(&a.counts.iter().sum::<i64>())
        })
    });
    let stage_cols = stages
        .iter()
        .filter_map(|s| STAGES.iter().find(|d| d.status == *s))
        .map(|d| Choice {
            value: d.key.into(),
            label: d.label.into(),
            hint: String::new(),
            selected: false,
        })
        .collect();
    render(&BoardUnitsPage {
        l: layout(state, user, "督办看板", "/staff/board"),
        tabs: board_tabs("units"),
        stages: stage_cols,
        units,
    })
}

/// `POST /staff/dispatch`: several orders dispatched at once to one lead unit (the same action
/// as dispatching each from its page).
pub async fn bulk_dispatch(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (lead, note) = (get("lead"), get("note"));
    let numbers: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "numbers")
        .map(|(_, v)| v.clone())
        .collect();
    let back = "/staff/queue?tab=dispatch";
    if numbers.is_empty() || lead.is_empty() {
        return Redirect::to(&format!(
            "{back}&failed={}",
            url_encode("请勾选工单并选择主办单位")
        ))
        .into_response();
    }
    let mut done = 0;
    let mut failed = Vec::new();
    for n in &numbers {
        let req = ActionRequest::Dispatch {
            lead: lead.clone(),
            co: Vec::new(),
            note: note.clone(),
            final_assignment: false,
        };
        match act_on(&state, &user, n, req).await {
            Ok(_) => done += 1,
            Err(e) => failed.push(format!("{n}（{}）", e.message)),
        }
    }
    let rd = state.refdata();
    let mut to = format!(
        "{back}&done={}",
        url_encode(&format!("已派发 {done} 件至{}", unit_name(&rd, &lead)))
    );
    if !failed.is_empty() {
        to.push_str(&format!(
            "&failed={}",
            url_encode(&format!("未派发：{}", failed.join("；")))
        ));
    }
    Redirect::to(&to).into_response()
}
