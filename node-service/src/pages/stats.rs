//! The statistics pages: the unit assessment (考核) for a period with its chart, ranked, each
//! number leading to the orders behind it, and the same table as an Excel workbook. The same
//! operations as `/api/stats/units` and `/api/stats/orders`.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hotline_model::period::PeriodKind;
use serde_json::json;
use web::{Choice, StatsOrdersPage, StatsRow, StatsUnitsPage};

use super::format::{local_time, url_encode};
use super::{Staff, layout, render};
use crate::state::AppState;
use crate::stats_export::RATES;
use hotline_operations::stats::{OrdersQuery, StatsQuery, UnitReport, unit_orders, unit_report};

fn pct(v: Option<f64>) -> String {
    v.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The page's query with its defaults (this month).
fn with_defaults(state: &AppState, mut q: StatsQuery) -> StatsQuery {
    if q.from.is_none() {
        super::stats_topics::period_defaults(state, &mut q.period, &mut q.date, &mut q.end);
    }
    q
}

fn query_string(q: &StatsQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [
        ("period", &q.period),
        ("date", &q.date),
        ("end", &q.end),
        ("root", &q.root),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", url_encode(v)));
        }
    }
    if q.rollup == Some(true) {
        parts.push("rollup=true".into());
    }
    parts.join("&")
}

/// The chart's option: the fifteen best composite scores as horizontal bars, best at the top
/// (long unit names read across); drawn without animation, so what is shown is final at once.
fn chart_option(report: &UnitReport) -> String {
    let scored: Vec<_> = report
        .units
        .iter()
        .filter(|r| r.score.is_some())
        .take(15)
        .collect();
    let names: Vec<String> = scored
        .iter()
        .map(|r| r.name.clone().unwrap_or_else(|| r.figures.unit.clone()))
        .collect();
    let scores: Vec<f64> = scored.iter().filter_map(|r| r.score).collect();
    let option = json!({
        "animation": false,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 40, "top": 36, "bottom": 8, "containLabel": true},
        "title": {"text": "综合得分（前15名）", "left": "center", "textStyle": {"fontSize": 14}},
        "yAxis": {"type": "category", "data": names, "inverse": true,
                  "axisLabel": {"width": 120, "overflow": "truncate"}},
        "xAxis": {"type": "value", "min": 0, "max": 100},
        "series": [{"type": "bar", "name": "综合得分", "data": scores, "barMaxWidth": 18,
                    "label": {"show": true, "position": "right"}}],
    });
    option.to_string().replace('<', "\\u003c")
}

/// `GET /staff/stats/units`.
pub async fn units(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "统计考核", "/staff/stats/units");
    let q = match query {
        Ok(Query(q)) => with_defaults(&state, q),
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let report = match unit_report(&state, &user, &q).await {
        Ok(r) => r,
        Err(e) => return super::error_page(l, &e),
    };
    let kind = q.period.clone().unwrap_or_default();
    let kinds = PeriodKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.label().into(),
            hint: String::new(),
            selected: k.as_str() == kind,
        })
        .collect();
    let rows = report
        .units
        .iter()
        .map(|r| StatsRow {
            rank: r.rank.map(|x| x.to_string()).unwrap_or_default(),
            unit: r.figures.unit.clone(),
            name: r.name.clone().unwrap_or_else(|| r.figures.unit.clone()),
            assigned: r.figures.assigned,
            rates: RATES.iter().map(|(_, get)| pct(get(&r.figures))).collect(),
            urged: r.figures.urged,
            supervised: r.figures.supervised,
            score: r
                .score
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "—".into()),
            // A subtree's counts are its units' together: each unit's own lead to its orders.
            orders_href: if q.rollup == Some(true) {
                String::new()
            } else {
                format!(
                    "/staff/stats/orders?unit={}&from={}&to={}&{}",
                    url_encode(&r.figures.unit),
                    report.from,
                    report.to,
                    query_string(&q)
                )
            },
        })
        .collect();
    l.title = format!("统计考核 · {}", report.label);
    render(&StatsUnitsPage {
        l,
        tabs: super::stats_topics::tabs("/staff/stats/units"),
        kinds,
        date: q.date.clone().unwrap_or_default(),
        end: q.end.clone().unwrap_or_default(),
        label: if report.label.is_empty() {
            format!("{} 至 {}", local_time(report.from), local_time(report.to))
        } else {
            report.label.clone()
        },
        rate_heads: RATES.iter().map(|(h, _)| *h).collect(),
        rollup: q.rollup == Some(true),
        chart: chart_option(&report),
        rows,
        export_href: format!("/staff/stats/units.xlsx?{}", query_string(&q)),
    })
}

/// `GET /staff/stats/units.xlsx`: the same table as a workbook.
pub async fn units_xlsx(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = layout(&state, &user, "统计考核", "/staff/stats/units");
    let q = match query {
        Ok(Query(q)) => with_defaults(&state, q),
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    match unit_report(&state, &user, &q).await {
        Ok(r) => workbook_response(
            l,
            crate::stats_export::units_workbook(&r),
            &format!("单位考核-{}.xlsx", r.label),
        ),
        Err(e) => super::error_page(l, &e),
    }
}

/// A workbook as a download named `file`, or the error page when it could not be written.
pub fn workbook_response(
    l: web::Layout,
    book: Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
    file: &str,
) -> Response {
    let bytes = match book {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "workbook not written");
            let e = hotline_operations::OpError::new(
                hotline_operations::Kind::Internal,
                "export_failed",
                "导出失败，请稍后重试",
            );
            return super::error_page(l, &e);
        }
    };
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"stats.xlsx\"; filename*=UTF-8''{}",
                    url_encode(file)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The drill-down page's parameters: the orders asked for, and the assessment to go back to.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DrillParams {
    unit: Option<String>,
    /// A topic: `subject`, `area`, `channel` or `operator`, with its `key`.
    dimension: Option<String>,
    key: Option<String>,
    from: i64,
    to: i64,
    before: Option<String>,
    period: Option<String>,
    date: Option<String>,
    end: Option<String>,
    root: Option<String>,
}

/// `GET /staff/stats/orders`: the orders behind a unit's figures (`unit`: those it was given in
/// the period), or behind a subject's (`subject`: those registered in the period).
pub async fn orders(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<DrillParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = layout(&state, &user, "统计明细", "/staff/stats/units");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let back_q = StatsQuery {
        period: p.period,
        date: p.date,
        end: p.end,
        root: p.root,
        ..StatsQuery::default()
    };
    let back_qs = query_string(&back_q);
    let (from, to) = (p.from, p.to);
    let span = format!("{} 至 {}", local_time(from), local_time(to));
    let (heading, items, next, back) = if let (Some(dimension), Some(key)) = (p.dimension, p.key) {
        let q = hotline_operations::topics::TopicOrdersQuery {
            dimension: dimension.clone(),
            key: key.clone(),
            from,
            to,
            before: p.before,
            limit: Some(50),
        };
        let v = match hotline_operations::topics::topic_orders(&state, &user, q).await {
            Ok(v) => v,
            Err(e) => return super::error_page(l, &e),
        };
        let next = v.next.map(|n| {
            format!(
                "/staff/stats/orders?dimension={}&key={}&from={from}&to={to}&before={}",
                url_encode(&dimension),
                url_encode(&key),
                url_encode(&n)
            )
        });
        let back = if dimension == "operator" {
            "/staff/stats/operators"
        } else {
            "/staff/stats/topics"
        };
        (
            format!("{span} 受理的「{}」工单", v.name),
            v.items,
            next,
            back.to_owned(),
        )
    } else {
        let unit = p.unit.unwrap_or_default();
        let q = OrdersQuery {
            unit: unit.clone(),
            from,
            to,
            before: p.before,
            limit: Some(50),
        };
        let v = match unit_orders(&state, &user, q).await {
            Ok(v) => v,
            Err(e) => return super::error_page(l, &e),
        };
        let name = state.refdata().unit_name(&unit);
        let next = v.next.map(|n| {
            format!(
                "/staff/stats/orders?unit={}&from={from}&to={to}&before={}&{back_qs}",
                url_encode(&unit),
                url_encode(&n)
            )
        });
        (
            format!("{name} 在 {span} 承办的工单"),
            v.items,
            next,
            format!("/staff/stats/units?{back_qs}"),
        )
    };
    let rows = items
        .into_iter()
        .map(|t| (t.number, t.title, t.status_label, local_time(t.created_at)))
        .collect();
    render(&StatsOrdersPage {
        l,
        heading,
        rows,
        next,
        back,
    })
}
