//! The statistics pages on what citizens asked about: hot topics and hard problems (热点难点) with
//! repeated requests about one place, a topic's trend month by month, and the volume received by
//! channel and request type; each a chart with its table beside it, the subject's numbers leading
//! to the orders behind them. The same operations as `/api/stats/topics`, `/trend`, `/volume`.
//!
//! Why one file of this length: four statistics pages (topics, trend, volume, the monthly report) share their period form, chart data and workbook download, so they are kept together.

use axum::extract::{Query, State};
use axum::response::Response;
use hotline_model::period::{PeriodKind, beijing_date};
use serde_json::{Value, json};
use web::{Choice, StatCell, StatChart, StatSelect, StatTable, StatsPage};

use super::format::url_encode;
use super::{Staff, layout, render};
use crate::state::AppState;
use hotline_operations::topics::{
    TopicQuery, TopicReport, TrendQuery, VolumeQuery, topic_report, trend_report, volume_report,
};

/// The statistics pages, for the tabs above each.
pub fn tabs(current: &str) -> Vec<(String, String, bool)> {
    [
        ("/staff/stats/units", "单位考核"),
        ("/staff/stats/topics", "热点难点"),
        ("/staff/stats/volume", "受理量"),
        ("/staff/stats/operators", "话务员"),
        ("/staff/stats/report", "月度报表"),
    ]
    .iter()
    .map(|(href, name)| ((*href).to_owned(), (*name).to_owned(), *href == current))
    .collect()
}

/// Today in Beijing as `YYYY-MM-DD`.
fn today(state: &AppState) -> String {
    hotline_model::period::ymd(beijing_date(state.now()))
}

/// A page's period with its defaults: this month around today, no custom end.
pub fn period_defaults(
    state: &AppState,
    period: &mut Option<String>,
    date: &mut Option<String>,
    end: &mut Option<String>,
) {
    period.get_or_insert_with(|| "month".into());
    if date.as_deref().is_none_or(str::is_empty) {
        *date = Some(today(state));
    }
    *end = end.take().filter(|e| !e.is_empty());
}

fn kinds(chosen: &str) -> Vec<Choice> {
    PeriodKind::ALL
        .iter()
        .map(|k| choice(k.as_str(), k.label(), k.as_str() == chosen))
        .collect()
}

/// A table's headings.
fn heads(list: &[&str]) -> Vec<String> {
    list.iter().map(|h| (*h).to_owned()).collect()
}

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        hint: String::new(),
        selected,
    }
}

fn select(name: &str, label: &str, chosen: &str, options: &[(&str, &str)]) -> StatSelect {
    StatSelect {
        name: name.into(),
        label: label.into(),
        choices: options
            .iter()
            .map(|(v, l)| choice(v, l, *v == chosen))
            .collect(),
    }
}

fn num(n: impl ToString) -> StatCell {
    StatCell {
        text: n.to_string(),
        href: None,
        num: true,
    }
}

fn text(t: impl Into<String>) -> StatCell {
    StatCell {
        text: t.into(),
        href: None,
        num: false,
    }
}

fn linked(mut c: StatCell, href: String) -> StatCell {
    c.href = Some(href);
    c
}

/// The drill-down to the orders registered in `[from, to)` under one topic.
fn drill(dimension: &str, key: &str, from: i64, to: i64) -> String {
    format!(
        "/staff/stats/orders?dimension={dimension}&key={}&from={from}&to={to}",
        url_encode(key)
    )
}

/// A change as a signed percentage, or — when there was nothing to compare with.
fn change(v: Option<f64>) -> String {
    v.map(|r| format!("{:+.1}%", r * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// An ECharts option as the page embeds it.
fn option(v: Value) -> String {
    v.to_string().replace('<', "\\u003c")
}

/// The ECharts settings every chart shares: no animation (what is shown is final at once), a
/// grid that keeps long Chinese names readable.
fn base_option(title: &str) -> Value {
    json!({
        "animation": false,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"bottom": 0},
        "grid": {"left": 8, "right": 40, "top": 36, "bottom": 36, "containLabel": true},
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

const DIMENSIONS: [(&str, &str); 3] = [("subject", "事项"), ("area", "区域"), ("channel", "渠道")];
const LEVELS: [(&str, &str); 3] = [
    ("district", "区"),
    ("town", "街镇"),
    ("community", "社区（村）"),
];
const ORDERS: [(&str, &str); 3] = [
    ("rise", "热点：环比增加最多"),
    ("troubles", "难点：退单延期重办不满意最多"),
    ("received", "受理量最多"),
];

/// The chart of the fifteen first rows: now against the previous period (热点), the troubles
/// stacked (难点), or the counts received.
fn topics_chart(r: &TopicReport) -> StatChart {
    let top: Vec<_> = r.rows.iter().take(15).collect();
    // The subject's own name (the last of its path) reads in the chart's narrow margin.
    let names: Vec<&str> = top
        .iter()
        .map(|t| t.name.rsplit(" › ").next().unwrap_or(&t.name))
        .collect();
    let bar = |name: &str, data: Vec<u32>, stack: Option<&str>| json!({"type": "bar", "name": name, "data": data, "barMaxWidth": 16, "stack": stack});
    let series = match r.order.as_str() {
        "troubles" => vec![
            bar(
                "退单",
                top.iter().map(|t| t.figures.returned).collect(),
                Some("t"),
            ),
            bar(
                "延期",
                top.iter().map(|t| t.figures.extended).collect(),
                Some("t"),
            ),
            bar(
                "重办",
                top.iter().map(|t| t.figures.redone).collect(),
                Some("t"),
            ),
            bar(
                "不满意",
                top.iter().map(|t| t.figures.unsatisfied).collect(),
                Some("t"),
            ),
        ],
        "rise" => vec![
            bar(
                &r.label,
                top.iter().map(|t| t.figures.received).collect(),
                None,
            ),
            bar(
                &r.previous_label,
                top.iter().map(|t| t.previous).collect(),
                None,
            ),
        ],
        _ => vec![bar(
            "受理",
            top.iter().map(|t| t.figures.received).collect(),
            None,
        )],
    };
    let title = match r.order.as_str() {
        "troubles" => "难点（前15）",
        "rise" => "热点：本期与上期受理量（前15）",
        _ => "受理量（前15）",
    };
    StatChart {
        id: "chart-topics".into(),
        label: format!("{title}条形图"),
        option: option(merge(
            base_option(title),
            json!({
                "yAxis": {"type": "category", "data": names, "inverse": true,
                          "axisLabel": {"width": 160, "overflow": "truncate"}},
                "xAxis": {"type": "value", "minInterval": 1},
                "series": series,
            }),
        )),
    }
}

fn topic_query_string(q: &TopicQuery) -> String {
    [
        ("period", &q.period),
        ("date", &q.date),
        ("end", &q.end),
        ("dimension", &q.dimension),
        ("level", &q.level),
        ("order", &q.order),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", url_encode(v))))
    .collect::<Vec<_>>()
    .join("&")
}

/// `GET /staff/stats/topics`: hot topics and hard problems.
pub async fn topics(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<TopicQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "热点难点", "/staff/stats/topics");
    let mut q = match query {
        Ok(Query(q)) => q,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    period_defaults(&state, &mut q.period, &mut q.date, &mut q.end);
    let r = match topic_report(&state, &user, &q).await {
        Ok(r) => r,
        Err(e) => return super::error_page(l, &e),
    };
    let qs = topic_query_string(&q);
    let dim = r.dimension.clone();
    let rows = r
        .rows
        .iter()
        .map(|t| {
            let trend = format!(
                "/staff/stats/trend?dimension={dim}&key={}&date={}",
                url_encode(&t.figures.key),
                url_encode(q.date.as_deref().unwrap_or_default())
            );
            let received = linked(
                num(t.figures.received),
                drill(&dim, &t.figures.key, r.from, r.to),
            );
            vec![
                linked(text(&t.name), trend),
                received,
                num(t.previous),
                num(change(t.change)),
                num(t.year_before),
                num(change(t.yoy)),
                num(t.figures.direct),
                num(t.figures.dispatched),
                num(t.figures.returned),
                num(t.figures.extended),
                num(t.figures.redone),
                num(t.figures.unsatisfied),
                num(t.troubles),
            ]
        })
        .collect();
    let mut columns = vec![
        DIMENSIONS
            .iter()
            .find(|(c, _)| *c == dim)
            .map_or("名称", |(_, l)| l),
    ];
    columns.extend(crate::stats_export::TOPIC_HEADS);
    let repeated = r
        .repeated
        .iter()
        .map(|s| {
            vec![
                text(&s.subject_name),
                text(&s.place),
                num(s.figures.received),
                num(s.figures.redone),
                num(s.figures.unsatisfied),
            ]
        })
        .collect();
    let mut selects = vec![
        select("dimension", "按", &dim, &DIMENSIONS),
        select("order", "排序", &r.order, &ORDERS),
    ];
    if dim == "area" {
        selects.insert(1, select("level", "层级", &r.level, &LEVELS));
    }
    l.title = format!("热点难点 · {}", r.label);
    render(&StatsPage {
        l,
        tabs: tabs("/staff/stats/topics"),
        action: "/staff/stats/topics".into(),
        kinds: kinds(q.period.as_deref().unwrap_or("month")),
        date: q.date.clone().unwrap_or_default(),
        end: q.end.clone().unwrap_or_default(),
        selects,
        hidden: Vec::new(),
        label: format!(
            "{}（上期 {}，去年同期 {}）",
            r.label, r.previous_label, r.year_before_label
        ),
        charts: if r.rows.is_empty() {
            Vec::new()
        } else {
            vec![topics_chart(&r)]
        },
        tables: vec![
            StatTable {
                id: "topics-table".into(),
                caption: "各项受理与办理".into(),
                heads: heads(&columns),
                rows,
                empty: "这一期间及上期、去年同期都没有受理工单。".into(),
            },
            StatTable {
                id: "repeated-table".into(),
                caption: "同一地点同一事项的重复诉求".into(),
                heads: heads(&["事项", "地点", "次数", "重办", "不满意"]),
                rows: repeated,
                empty: "这一期间没有同一地点同一事项的重复诉求。".into(),
            },
        ],
        hint: "按登记时间统计：本期受理的工单，及其至今的办理情况。环比对上一期，同比对去年同期；难点合计为退单、延期、重办、不满意的工单数之和。地点不计门牌号、楼栋和房号。点击名称看逐月趋势，点击受理数看工单。".into(),
        export_href: Some(format!("/staff/stats/topics.xlsx?{qs}")),
    })
}

/// `GET /staff/stats/topics.xlsx`: the same tables as a workbook.
pub async fn topics_xlsx(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<TopicQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = layout(&state, &user, "热点难点", "/staff/stats/topics");
    let q = match query {
        Ok(Query(q)) => q,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    match topic_report(&state, &user, &q).await {
        Ok(r) => super::stats::workbook_response(
            l,
            crate::stats_export::topics_workbook(&r),
            &format!("热点难点-{}.xlsx", r.label),
        ),
        Err(e) => super::error_page(l, &e),
    }
}

/// `GET /staff/stats/trend`: one topic month by month.
pub async fn trend(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<TrendQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "趋势", "/staff/stats/topics");
    let mut q = match query {
        Ok(Query(q)) => q,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    if q.date.as_deref().is_none_or(str::is_empty) {
        q.date = Some(today(&state));
    }
    let r = match trend_report(&state, &user, &q).await {
        Ok(r) => r,
        Err(e) => return super::error_page(l, &e),
    };
    let labels: Vec<&str> = r.months.iter().map(|m| m.label.as_str()).collect();
    let line = |name: &str, data: Vec<u32>| json!({"type": "line", "name": name, "data": data, "symbolSize": 8, "label": {"show": true}});
    let chart = StatChart {
        id: "chart-trend".into(),
        label: format!("{}逐月趋势折线图", r.name),
        option: option(merge(
            base_option(&format!("{} · 逐月", r.name)),
            json!({
                "tooltip": {"trigger": "axis"},
                "xAxis": {"type": "category", "data": labels},
                "yAxis": {"type": "value", "minInterval": 1},
                "series": [
                    line("受理", r.months.iter().map(|m| m.figures.received).collect()),
                    line("难点（退单延期重办不满意）", r.months.iter().map(|m| m.figures.troubles()).collect()),
                    line("不满意", r.months.iter().map(|m| m.figures.unsatisfied).collect()),
                ],
            }),
        )),
    };
    let rows = r
        .months
        .iter()
        .map(|m| {
            let received = linked(
                num(m.figures.received),
                drill(&r.dimension, &r.key, m.from, m.to),
            );
            vec![
                text(&m.label),
                received,
                num(m.figures.direct),
                num(m.figures.dispatched),
                num(m.figures.closed),
                num(m.figures.returned),
                num(m.figures.extended),
                num(m.figures.redone),
                num(m.figures.unsatisfied),
            ]
        })
        .collect();
    l.title = format!("趋势 · {}", r.name);
    render(&StatsPage {
        l,
        tabs: tabs("/staff/stats/topics"),
        action: "/staff/stats/trend".into(),
        kinds: Vec::new(),
        date: q.date.clone().unwrap_or_default(),
        end: String::new(),
        selects: vec![select(
            "months",
            "月数",
            &q.months.unwrap_or(12).to_string(),
            &[
                ("6", "6个月"),
                ("12", "12个月"),
                ("24", "24个月"),
                ("36", "36个月"),
            ],
        )],
        hidden: vec![
            ("dimension".into(), r.dimension.clone()),
            ("key".into(), r.key.clone()),
        ],
        label: format!("{} · 截至{}", r.name, labels.last().copied().unwrap_or("")),
        charts: vec![chart],
        tables: vec![StatTable {
            id: "trend-table".into(),
            caption: "逐月受理与办理".into(),
            heads: heads(&[
                "月份",
                "受理",
                "直接办结",
                "派单",
                "已办结",
                "退单",
                "延期",
                "重办",
                "不满意",
            ]),
            rows,
            empty: String::new(),
        }],
        hint: "按登记月份统计：当月受理的工单及其至今的办理情况。难点逐月下降，说明问题正在解决。"
            .into(),
        export_href: None,
    })
}

/// `GET /staff/stats/volume`: orders received by channel and request type, step by step.
pub async fn volume(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<VolumeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "受理量", "/staff/stats/volume");
    let mut q = match query {
        Ok(Query(q)) => q,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    period_defaults(&state, &mut q.period, &mut q.date, &mut q.end);
    let r = match volume_report(&state, &user, &q).await {
        Ok(r) => r,
        Err(e) => return super::error_page(l, &e),
    };
    let steps: Vec<&str> = r.steps.iter().map(|s| s.label.as_str()).collect();
    let series: Vec<Value> = r
        .channels
        .iter()
        .map(|(code, label)| {
            json!({"type": "bar", "stack": "c", "name": label, "barMaxWidth": 28,
                   "data": r.steps.iter().map(|s| s.by_channel.get(code).copied().unwrap_or(0)).collect::<Vec<_>>()})
        })
        .collect();
    let by_step = StatChart {
        id: "chart-volume".into(),
        label: "各渠道受理量堆叠柱状图".into(),
        option: option(merge(
            base_option(&format!("{}受理量（按渠道）", r.label)),
            json!({
                "xAxis": {"type": "category", "data": steps},
                "yAxis": {"type": "value", "minInterval": 1},
                "series": series,
            }),
        )),
    };
    let pie_data: Vec<Value> = r
        .types
        .iter()
        .map(|(code, label)| json!({"name": label, "value": r.total.by_type.get(code).copied().unwrap_or(0)}))
        .collect();
    let by_type = StatChart {
        id: "chart-types".into(),
        label: "各诉求类型受理量饼图".into(),
        option: option(json!({
            "animation": false,
            "title": {"text": "诉求类型", "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "item", "formatter": "{b}：{c}（{d}%）"},
            "legend": {"bottom": 0},
            "series": [{"type": "pie", "radius": ["30%", "60%"], "data": pie_data,
                        "label": {"formatter": "{b}\n{c}（{d}%）"}}],
        })),
    };
    let mut heads = vec!["日期".to_owned()];
    heads.extend(r.channels.iter().map(|(_, l)| l.clone()));
    heads.extend(["合计", "直接办结", "派单"].map(str::to_owned));
    let row = |s: &hotline_operations::topics::VolumeStep| {
        let mut cells = vec![text(&s.label)];
        cells.extend(
            r.channels
                .iter()
                .map(|(c, _)| num(s.by_channel.get(c).copied().unwrap_or(0))),
        );
        cells.extend([num(s.received), num(s.direct), num(s.dispatched)]);
        cells
    };
    let mut rows: Vec<Vec<StatCell>> = r.steps.iter().map(row).collect();
    let mut total = row(&r.total);
    total[0].text = "合计".into();
    rows.push(total);
    let mut type_heads = vec!["诉求类型".to_owned()];
    type_heads.push("受理".into());
    let type_rows = r
        .types
        .iter()
        .map(|(code, label)| {
            vec![
                text(label),
                num(r.total.by_type.get(code).copied().unwrap_or(0)),
            ]
        })
        .collect();
    l.title = format!("受理量 · {}", r.label);
    render(&StatsPage {
        l,
        tabs: tabs("/staff/stats/volume"),
        action: "/staff/stats/volume".into(),
        kinds: kinds(q.period.as_deref().unwrap_or("month")),
        date: q.date.clone().unwrap_or_default(),
        end: q.end.clone().unwrap_or_default(),
        selects: Vec::new(),
        hidden: Vec::new(),
        label: format!(
            "{}：受理 {} 件，直接办结 {} 件，派单 {} 件",
            r.label, r.total.received, r.total.direct, r.total.dispatched
        ),
        charts: vec![by_step, by_type],
        tables: vec![
            StatTable {
                id: "volume-table".into(),
                caption: if r.step == "month" {
                    "逐月受理量"
                } else {
                    "逐日受理量"
                }
                .into(),
                heads,
                rows,
                empty: String::new(),
            },
            StatTable {
                id: "types-table".into(),
                caption: "按诉求类型".into(),
                heads: type_heads,
                rows: type_rows,
                empty: String::new(),
            },
        ],
        hint: "按登记时间统计。直接办结为话务员当场答复办结的工单，派单为交承办单位办理的工单。"
            .into(),
        export_href: None,
    })
}

fn rate(n: u32, d: u32) -> String {
    if d == 0 {
        "—".into()
    } else {
        format!("{:.1}%", f64::from(n) * 100.0 / f64::from(d))
    }
}

/// `GET /staff/stats/operators`: per operator, the orders registered, answered directly,
/// dispatched, sent back at review, and the citizens' satisfaction with them.
pub async fn operators(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<VolumeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "话务员", "/staff/stats/operators");
    let mut q = match query {
        Ok(Query(q)) => q,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    period_defaults(&state, &mut q.period, &mut q.date, &mut q.end);
    let q = TopicQuery {
        period: q.period,
        date: q.date,
        end: q.end,
        dimension: Some("operator".into()),
        level: None,
        order: Some("received".into()),
    };
    let r = match topic_report(&state, &user, &q).await {
        Ok(r) => r,
        Err(e) => return super::error_page(l, &e),
    };
    let (from, to) = (r.from, r.to);
    let (calls, scores) = match state
        .store
        .read_bulk(move |c| {
            Ok((
                replica_store::calls::per_operator(c, from, to)?,
                replica_store::quality::averages(c, from, to)?,
            ))
        })
        .await
    {
        Ok(c) => c,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    // Everyone who registered an order or took a call in the period.
    let mut shown: Vec<(
        String,
        hotline_model::topics::TopicFigures,
        replica_store::calls::OperatorCalls,
    )> = r
        .rows
        .iter()
        .filter(|t| t.figures.received > 0)
        .map(|t| {
            let c = calls.get(&t.figures.key).cloned().unwrap_or_default();
            (t.name.clone(), t.figures.clone(), c)
        })
        .collect();
    for (login, c) in &calls {
        if !shown.iter().any(|(_, f, _)| &f.key == login) {
            let name = hotline_operations::topics::topic_name(
                &state,
                hotline_model::topics::Dimension::Operator,
                login,
            );
            let figures = hotline_model::topics::TopicFigures {
                key: login.clone(),
                ..Default::default()
            };
            shown.push((name, figures, c.clone()));
        }
    }
    let names: Vec<&str> = shown.iter().take(20).map(|t| t.0.as_str()).collect();
    let bar = |name: &str, data: Vec<u32>| json!({"type": "bar", "name": name, "data": data, "barMaxWidth": 16});
    let chart = StatChart {
        id: "chart-operators".into(),
        label: "各话务员受理、直接办结与接听条形图".into(),
        option: option(merge(
            base_option("受理、直接办结与接听（前20）"),
            json!({
                "yAxis": {"type": "category", "data": names, "inverse": true},
                "xAxis": {"type": "value", "minInterval": 1},
                "series": [
                    bar("受理", shown.iter().take(20).map(|t| t.1.received).collect()),
                    bar("直接办结", shown.iter().take(20).map(|t| t.1.direct).collect()),
                    bar("接听来电", shown.iter().take(20).map(|t| t.2.inbound).collect()),
                ],
            }),
        )),
    };
    let rows = shown
        .iter()
        .map(|(name, f, c)| {
            let answered = c.inbound + c.outbound;
            let day = hotline_model::period::ymd(hotline_model::period::beijing_date(
                (r.to - 1).min(state.now()),
            ));
            vec![
                linked(
                    text(name),
                    format!("/staff/operators/{}?date={day}", url_encode(&f.key)),
                ),
                linked(num(f.received), drill("operator", &f.key, r.from, r.to)),
                num(f.direct),
                num(rate(f.direct, f.received)),
                num(f.dispatched),
                num(f.sent_back),
                num(rate(f.sent_back, f.received)),
                num(f.rated),
                num(rate(f.rated - f.unsatisfied.min(f.rated), f.rated)),
                num(f.unsatisfied),
                linked(
                    num(c.inbound),
                    format!("/staff/calls?operator={}", url_encode(&f.key)),
                ),
                num(c.outbound),
                num(hotline_model::call::talk_time(c.talk_secs)),
                num(if answered == 0 {
                    "—".to_owned()
                } else {
                    hotline_model::call::talk_time(c.talk_secs / u64::from(answered))
                }),
                num(scores
                    .get(&f.key)
                    .map_or_else(|| "—".to_owned(), |(n, avg)| format!("{avg:.1}%（{n}通）"))),
            ]
        })
        .collect();
    l.title = format!("话务员 · {}", r.label);
    render(&StatsPage {
        l,
        tabs: tabs("/staff/stats/operators"),
        action: "/staff/stats/operators".into(),
        kinds: kinds(q.period.as_deref().unwrap_or("month")),
        date: q.date.clone().unwrap_or_default(),
        end: q.end.clone().unwrap_or_default(),
        selects: Vec::new(),
        hidden: Vec::new(),
        label: r.label.clone(),
        charts: if shown.is_empty() { Vec::new() } else { vec![chart] },
        tables: vec![StatTable {
            id: "operators-table".into(),
            caption: "各话务员受理情况".into(),
            heads: heads(&[
                "话务员", "受理", "直接办结", "直接办结率", "派单", "审核退回", "退回率", "已评价",
                "满意率", "不满意", "接听来电", "呼出", "通话时长", "平均通话", "质检均分",
            ]),
            rows,
            empty: "这一期间没有话务员登记工单。".into(),
        }],
        hint: "按登记时间统计各话务员登记的工单及其至今的办理情况；审核退回为班长审核时退回话务员补正的工单。接听、呼出与通话时长来自话务系统推送的通话记录，按通话开始时间统计；质检均分为监督员对抽检通话的评分平均。点话务员姓名查看其当日签入签出、坐席状态与通话。".into(),
        export_href: None,
    })
}

/// The monthly report's parameters: a day in the month (default: last month).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportParams {
    date: Option<String>,
}

/// The month a report page asks for: the one holding `date`, or last month.
fn report_month(
    state: &AppState,
    p: &ReportParams,
) -> Result<hotline_model::period::Period, hotline_operations::OpError> {
    match p.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => {
            hotline_operations::stats::named_period(Some("month"), Some(d), None, state.now())
        }
        None => hotline_operations::stats::named_period(Some("month"), None, None, state.now())
            .map(|m| m.previous()),
    }
}

/// `GET /staff/stats/report`: the monthly report (月度统计报表) as the leaders get it by e-mail.
pub async fn report(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let mut l = layout(&state, &user, "月度报表", "/staff/stats/report");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let m = match report_month(&state, &p) {
        Ok(month) => crate::report::monthly(&state, &user, month).await,
        Err(e) => Err(e),
    };
    let m = match m {
        Ok(m) => m,
        Err(e) => return super::error_page(l, &e),
    };
    let pct = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0));
    let first = hotline_model::period::ymd(m.period.first);
    let (from, to) = m.period.range_ms();
    let overview = vec![
        vec![text("受理"), num(format!("{} 件", m.public.received))],
        vec![text("办结"), num(format!("{} 件", m.public.closed))],
        vec![text("按时办结率"), num(pct(m.public.on_time_rate))],
        vec![text("满意率"), num(pct(m.public.satisfaction_rate))],
    ];
    let best = m
        .units
        .units
        .iter()
        .filter(|u| u.score.is_some())
        .take(10)
        .map(|u| {
            vec![
                num(u.rank.unwrap_or(0)),
                text(u.name.clone().unwrap_or_else(|| u.figures.unit.clone())),
                num(format!("{:.1}", u.score.unwrap_or(0.0))),
                num(u.figures.assigned),
            ]
        })
        .collect();
    let hot = m
        .topics
        .rows
        .iter()
        .filter(|t| t.rise > 0)
        .take(10)
        .map(|t| {
            vec![
                text(&t.name),
                linked(
                    num(t.figures.received),
                    drill("subject", &t.figures.key, from, to),
                ),
                num(t.previous),
                num(change(t.change)),
            ]
        })
        .collect();
    l.title = format!("月度报表 · {}", m.period.label());
    render(&StatsPage {
        l,
        tabs: tabs("/staff/stats/report"),
        action: "/staff/stats/report".into(),
        kinds: Vec::new(),
        date: first.clone(),
        end: String::new(),
        selects: Vec::new(),
        hidden: Vec::new(),
        label: format!("{}统计报表", m.period.label()),
        charts: Vec::new(),
        tables: vec![
            StatTable {
                id: "report-overview".into(),
                caption: "概况".into(),
                heads: heads(&["项目", "数值"]),
                rows: overview,
                empty: String::new(),
            },
            StatTable {
                id: "report-units".into(),
                caption: "综合得分前十的单位".into(),
                heads: heads(&["排名", "单位", "综合得分", "承办"]),
                rows: best,
                empty: "这个月没有派单。".into(),
            },
            StatTable {
                id: "report-hot".into(),
                caption: "环比上升最多的事项".into(),
                heads: heads(&["事项", "本月", "上月", "环比"]),
                rows: hot,
                empty: "没有比上月增加的事项。".into(),
            },
        ],
        hint: "每月第一个工作日，上月的报表自动以邮件发送给中心设定的领导（附 Excel：单位考核、热点难点、重复诉求）。完整数字见「单位考核」「热点难点」页。".into(),
        export_href: Some(format!("/staff/stats/report.xlsx?date={first}")),
    })
}

/// `GET /staff/stats/report.xlsx`: the monthly report's workbook, as e-mailed.
pub async fn report_xlsx(
    State(state): State<AppState>,
    Staff(user): Staff,
    query: Result<Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let l = layout(&state, &user, "月度报表", "/staff/stats/report");
    let p = match query {
        Ok(Query(p)) => p,
        Err(e) => return super::error_page(l, &crate::http_common::error::ApiError::from(e)),
    };
    let m = match report_month(&state, &p) {
        Ok(month) => crate::report::monthly(&state, &user, month).await,
        Err(e) => Err(e),
    };
    match m {
        Ok(m) => super::stats::workbook_response(l, m.workbook(), &m.file_name()),
        Err(e) => super::error_page(l, &e),
    }
}
