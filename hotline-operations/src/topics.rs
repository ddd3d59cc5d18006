//! What citizens asked about, from the running totals of the orders' topic facts
//! (`hotline_model::topics`): the hot topics (热点: what rose most against the previous period,
//! 环比, and the same period a year before, 同比), the hard problems (难点: returns, extensions,
//! redos, unsatisfied callbacks), repeated requests about one place and subject, a topic's trend
//! month by month, and the volume received by channel and request type over a period.
//!
//! The pages, the JSON API and the workbook call the same functions.
//!
//! These figures are the node's: all the orders it holds (at the hub, the city; at a district's
//! node, the district). So they are shown to centre staff, and to a unit's staff at a node whose
//! jurisdiction lies within their unit.

use crate::Hotline;
use crate::OpError;
use crate::stats::named_period;
use hotline_model::assessment::{COUNTERS, public_counter};
use hotline_model::buckets;
use hotline_model::category::RequestType;
use hotline_model::intake::Channel;
use hotline_model::org::UnitKind;
use hotline_model::period::{Period, PeriodKind};
use hotline_model::role::User;
use hotline_model::topics::{Dimension, TopicFigures};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Query of the hot topics and hard problems.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicQuery {
    /// `day`, `week`, `month` (default), `quarter`, `year` or `custom`.
    pub period: Option<String>,
    /// A day in the period (`YYYY-MM-DD`; default today).
    pub date: Option<String>,
    /// A custom period's last day.
    pub end: Option<String>,
    /// `subject` (default), `area`, `channel` or `operator` (who registered the orders).
    pub dimension: Option<String>,
    /// For areas: `district` (default), `town` or `community`.
    pub level: Option<String>,
    /// `rise` (default: 热点), `troubles` (难点) or `received`.
    pub order: Option<String>,
}

/// One topic in the period, against the previous period and the year before.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TopicRow {
    /// The period's counts.
    #[serde(flatten)]
    pub figures: TopicFigures,
    /// The topic in words.
    pub name: String,
    /// Received in the previous period.
    pub previous: u32,
    /// Received in the same period a year before.
    pub year_before: u32,
    /// Received now minus the previous period.
    pub rise: i64,
    /// 环比: the change against the previous period (none when it had none).
    pub change: Option<f64>,
    /// 同比: the change against the year before (none when it had none).
    pub yoy: Option<f64>,
    /// Orders returned, extended, redone or unsatisfied (难点).
    pub troubles: u32,
}

/// Requests about one place and one subject in the period (重复诉求).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SpotRow {
    /// The subject's code.
    pub subject: String,
    /// The subject in words.
    pub subject_name: String,
    /// The place (the address without house and room numbers).
    pub place: String,
    /// The counts.
    #[serde(flatten)]
    pub figures: TopicFigures,
}

/// The hot topics and hard problems of a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TopicReport {
    /// The period in words.
    pub label: String,
    /// The previous period in words.
    pub previous_label: String,
    /// The same period a year before, in words.
    pub year_before_label: String,
    /// Start (Unix ms, a Beijing midnight).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// `subject`, `area` or `channel`.
    pub dimension: String,
    /// For areas, the level shown.
    pub level: String,
    /// How the rows are ordered.
    pub order: String,
    /// The topics, in the order asked for.
    pub rows: Vec<TopicRow>,
    /// Places with two or more requests on one subject, the most first (at most 30).
    pub repeated: Vec<SpotRow>,
}

/// Checks that `user` may see the node's own figures.
pub fn may_see_node(state: &Hotline, user: &User) -> Result<(), OpError> {
    if user.role.is_centre()
        || state
            .refdata()
            .org
            .is_within(&state.settings.jurisdiction, &user.unit)
    {
        Ok(())
    } else {
        Err(OpError::forbidden(
            "热点、趋势和受理量统计涵盖本节点的全部工单，只向中心人员和本节点所属单位开放",
        ))
    }
}

fn hours(p: &Period) -> (i64, i64) {
    let (from, to) = p.range_ms();
    (buckets::hour_of(from), buckets::hour_of(to))
}

fn ratio_change(now: u32, before: u32) -> Option<f64> {
    (before > 0).then(|| (f64::from(now) - f64::from(before)) / f64::from(before))
}

fn parse_dimension(s: Option<&str>) -> Result<Dimension, OpError> {
    match s.unwrap_or("subject") {
        "subject" => Ok(Dimension::Subject),
        "area" => Ok(Dimension::Area),
        "channel" => Ok(Dimension::Channel),
        "operator" => Ok(Dimension::Operator),
        other => Err(OpError::unknown("dimension", other)),
    }
}

/// A topic key's value in words.
pub fn topic_name(state: &Hotline, dimension: Dimension, value: &str) -> String {
    let refdata = state.refdata();
    match dimension {
        Dimension::Subject => refdata
            .catalogue
            .subject(value)
            .map_or_else(|| value.to_owned(), |s| s.display()),
        Dimension::Area => refdata.unit_name(value),
        Dimension::Channel => Channel::ALL
            .iter()
            .find(|c| c.code() == value)
            .map_or_else(|| value.to_owned(), |c| c.label().to_owned()),
        Dimension::Operator => refdata
            .user(value)
            .map_or_else(|| value.to_owned(), |u| format!("{}（{value}）", u.name)),
        Dimension::Spot => value.to_owned(),
    }
}

/// Summed counts per key.
type Sums = BTreeMap<String, [i64; COUNTERS]>;

/// Sums of one dimension in a period, keyed without the prefix.
async fn sums(state: &Hotline, dimension: Dimension, p: &Period) -> Result<Sums, OpError> {
    let (from, to) = hours(p);
    let prefix = format!("{}:", dimension.code());
    Ok(state
        .store
        .dimension_sums(dimension.code(), from, to)
        .await?
        .into_iter()
        .filter_map(|(k, c)| k.strip_prefix(&prefix).map(|v| (v.to_owned(), c)))
        .collect())
}

fn received(c: Option<&[i64; COUNTERS]>) -> u32 {
    c.map_or(0, |c| {
        u32::try_from(c[hotline_model::topics::topic_counter::RECEIVED]).unwrap_or(0)
    })
}

/// The hot topics and hard problems a query asks for (the API, the page and the workbook).
pub async fn topic_report(
    state: &Hotline,
    user: &User,
    q: &TopicQuery,
) -> Result<TopicReport, OpError> {
    may_see_node(state, user)?;
    let p = named_period(
        Some(q.period.as_deref().unwrap_or("month")),
        q.date.as_deref(),
        q.end.as_deref(),
        state.now(),
    )?;
    let dimension = parse_dimension(q.dimension.as_deref())?;
    let level = match q.level.as_deref().unwrap_or("district") {
        "district" => UnitKind::District,
        "town" => UnitKind::Town,
        "community" => UnitKind::Community,
        other => return Err(OpError::unknown("level", other)),
    };
    let order = q.order.clone().unwrap_or_else(|| "rise".into());
    if !["rise", "troubles", "received"].contains(&order.as_str()) {
        return Err(OpError::unknown("order", &order));
    }
    let (previous, year_before) = (p.previous(), p.year_before());
    let now = sums(state, dimension, &p).await?;
    let before = sums(state, dimension, &previous).await?;
    let last_year = sums(state, dimension, &year_before).await?;
    let refdata = state.refdata();
    let shown = |key: &str| {
        dimension != Dimension::Area || refdata.org.get(key).is_some_and(|u| u.kind == level)
    };
    let keys: std::collections::BTreeSet<&String> = now
        .keys()
        .chain(before.keys())
        .chain(last_year.keys())
        .filter(|k| shown(k))
        .collect();
    let mut rows: Vec<TopicRow> = keys
        .into_iter()
        .map(|k| {
            let figures = TopicFigures::from_counts(k, &now.get(k).copied().unwrap_or_default());
            let (prev, yb) = (received(before.get(k)), received(last_year.get(k)));
            TopicRow {
                name: topic_name(state, dimension, k),
                previous: prev,
                year_before: yb,
                rise: i64::from(figures.received) - i64::from(prev),
                change: ratio_change(figures.received, prev),
                yoy: ratio_change(figures.received, yb),
                troubles: figures.troubles(),
                figures,
            }
        })
        .filter(|r| r.figures.received + r.previous + r.year_before > 0)
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &TopicRow| match order.as_str() {
            "rise" => (r.rise, i64::from(r.figures.received)),
            "troubles" => (i64::from(r.troubles), i64::from(r.figures.received)),
            _ => (i64::from(r.figures.received), r.rise),
        };
        key(b)
            .cmp(&key(a))
            .then_with(|| a.figures.key.cmp(&b.figures.key))
    });
    let mut repeated: Vec<SpotRow> = sums(state, Dimension::Spot, &p)
        .await?
        .into_iter()
        .filter(|(_, c)| received(Some(c)) >= 2)
        .filter_map(|(k, c)| {
            let (subject, place) = k.split_once('|')?;
            Some(SpotRow {
                subject: subject.to_owned(),
                subject_name: topic_name(state, Dimension::Subject, subject),
                place: place.to_owned(),
                figures: TopicFigures::from_counts(&k, &c),
            })
        })
        .collect();
    repeated.sort_by(|a, b| {
        b.figures
            .received
            .cmp(&a.figures.received)
            .then_with(|| a.figures.key.cmp(&b.figures.key))
    });
    repeated.truncate(30);
    let (from, to) = p.range_ms();
    Ok(TopicReport {
        label: p.label(),
        previous_label: previous.label(),
        year_before_label: year_before.label(),
        from,
        to,
        dimension: dimension.code().into(),
        level: q.level.clone().unwrap_or_else(|| "district".into()),
        order,
        rows,
        repeated,
    })
}

/// Query of the orders behind a topic's count.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicOrdersQuery {
    /// `subject`, `area`, `channel` or `operator`.
    pub dimension: String,
    /// The subject's, unit's, channel's or operator's code.
    pub key: String,
    /// Registered from (Unix ms).
    pub from: i64,
    /// Registered before (Unix ms).
    pub to: i64,
    /// The `next` cursor of the previous page.
    pub before: Option<String>,
    /// At most this many (default 50).
    pub limit: Option<u32>,
}

/// The orders behind a topic's count: those registered in the period under it, newest first.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TopicOrders {
    /// The topic in words.
    pub name: String,
    /// The orders.
    pub items: Vec<replica_store::TicketSummary>,
    /// The cursor of the next page.
    pub next: Option<String>,
}

/// The orders behind a topic's count (the API and the page).
pub async fn topic_orders(
    state: &Hotline,
    user: &User,
    q: TopicOrdersQuery,
) -> Result<TopicOrders, OpError> {
    may_see_node(state, user)?;
    let dimension = parse_dimension(Some(&q.dimension))?;
    if q.from >= q.to {
        return Err(OpError::bad_request("统计起始时间须早于截止时间"));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let name = topic_name(state, dimension, &q.key);
    if dimension == Dimension::Subject {
        let filter = replica_store::TicketFilter {
            subject: Some(q.key.clone()),
            created_after: Some(q.from),
            created_before: Some(q.to),
            after: q.before,
            limit: Some(limit),
            ..Default::default()
        };
        let (items, next) = crate::tickets::list_for(state, user, filter).await?;
        return Ok(TopicOrders { name, items, next });
    }
    let key = dimension.key(&q.key);
    let items = state
        .store
        .read(move |c| {
            replica_store::projection::topic_orders(
                c,
                &key,
                q.from,
                q.to,
                q.before.as_deref(),
                limit,
            )
        })
        .await?;
    let next = (items.len() as u32 == limit)
        .then(|| {
            items
                .last()
                .map(|t| format!("{}:{}", t.created_at, t.number))
        })
        .flatten();
    Ok(TopicOrders { name, items, next })
}

/// Query of a topic's trend.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrendQuery {
    /// `subject` (default), `area` or `channel`.
    pub dimension: Option<String>,
    /// The subject's code, the unit's code or the channel's code.
    pub key: String,
    /// A day in the last month shown (default today).
    pub date: Option<String>,
    /// How many months (default 12, at most 36).
    pub months: Option<u32>,
}

/// One month of a trend.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TrendMonth {
    /// The month in words (2026年11月).
    pub label: String,
    /// Start (Unix ms).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// The counts of the orders registered in the month.
    #[serde(flatten)]
    pub figures: TopicFigures,
}

/// One topic month by month.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TrendReport {
    /// The dimension.
    pub dimension: String,
    /// The key.
    pub key: String,
    /// The topic in words.
    pub name: String,
    /// The months, oldest first.
    pub months: Vec<TrendMonth>,
}

/// A topic's trend (the API and the page).
pub async fn trend_report(
    state: &Hotline,
    user: &User,
    q: &TrendQuery,
) -> Result<TrendReport, OpError> {
    may_see_node(state, user)?;
    let dimension = parse_dimension(q.dimension.as_deref())?;
    if q.key.is_empty() || q.key.chars().count() > 100 {
        return Err(OpError::bad_request("请给出要看趋势的事项、区域或渠道"));
    }
    let count = q.months.unwrap_or(12).clamp(1, 36);
    let last = named_period(Some("month"), q.date.as_deref(), None, state.now())?;
    let mut periods = vec![last];
    while periods.len() < count as usize {
        let earlier = periods[periods.len() - 1].previous();
        periods.push(earlier);
    }
    periods.reverse();
    let key = dimension.key(&q.key);
    let ranges: Vec<(i64, i64)> = periods.iter().map(hours).collect();
    let sums = state
        .store
        .read_bulk(move |c| {
            ranges
                .iter()
                .map(|(f, t)| replica_store::projection::fact_sum(c, &key, *f, *t))
                .collect::<replica_store::Result<Vec<_>>>()
        })
        .await?;
    let months = periods
        .iter()
        .zip(sums)
        .map(|(p, c)| {
            let (from, to) = p.range_ms();
            TrendMonth {
                label: p.label(),
                from,
                to,
                figures: TopicFigures::from_counts(&q.key, &c),
            }
        })
        .collect();
    Ok(TrendReport {
        dimension: dimension.code().into(),
        key: q.key.clone(),
        name: topic_name(state, dimension, &q.key),
        months,
    })
}

/// Query of the volume.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeQuery {
    /// `day`, `week`, `month` (default), `quarter`, `year` or `custom`.
    pub period: Option<String>,
    /// A day in the period (default today).
    pub date: Option<String>,
    /// A custom period's last day.
    pub end: Option<String>,
}

/// The orders received in one step of the volume (a day, or a month for long periods).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VolumeStep {
    /// The day or month in words.
    pub label: String,
    /// Start (Unix ms).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// Received, per channel code.
    pub by_channel: BTreeMap<String, u32>,
    /// Received, per request type code.
    pub by_type: BTreeMap<String, u32>,
    /// Received in all.
    pub received: u32,
    /// Answered at once by the centre.
    pub direct: u32,
    /// Dispatched to units.
    pub dispatched: u32,
}

/// What the centre received in a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct VolumeReport {
    /// The period in words.
    pub label: String,
    /// Start (Unix ms).
    pub from: i64,
    /// End, exclusive.
    pub to: i64,
    /// `day` or `month`: the steps' length.
    pub step: String,
    /// Channels: code and label, in display order.
    pub channels: Vec<(String, String)>,
    /// Request types: code and label.
    pub types: Vec<(String, String)>,
    /// Step by step.
    pub steps: Vec<VolumeStep>,
    /// The whole period.
    pub total: VolumeStep,
}

/// The volume of a period (the API and the page).
pub async fn volume_report(
    state: &Hotline,
    user: &User,
    q: &VolumeQuery,
) -> Result<VolumeReport, OpError> {
    may_see_node(state, user)?;
    let p = named_period(
        Some(q.period.as_deref().unwrap_or("month")),
        q.date.as_deref(),
        q.end.as_deref(),
        state.now(),
    )?;
    let by_month = p.days() > 62;
    let mut steps: Vec<Period> = Vec::new();
    let mut day = p.first;
    while day <= p.last {
        let s = if by_month {
            Period::new(PeriodKind::Month, day, None)
        } else {
            Period::new(PeriodKind::Day, day, None)
        }
        .map_err(OpError::bad_request)?;
        // A custom period's first and last months are cut to the period.
        let s = Period::new(
            PeriodKind::Custom,
            s.first.max(p.first),
            Some(s.last.min(p.last)),
        )
        .map(|c| {
            if c.first == s.first && c.last == s.last {
                s
            } else {
                c
            }
        })
        .map_err(OpError::bad_request)?;
        day = match s.last.next_day() {
            Some(d) => d,
            None => break,
        };
        steps.push(s);
    }
    let mut ranges: Vec<(i64, i64)> = steps.iter().map(hours).collect();
    ranges.push(hours(&p));
    let sums = state
        .store
        .read_bulk(move |c| {
            let mut out = Vec::with_capacity(ranges.len());
            for (f, t) in ranges {
                let channels = replica_store::projection::dimension_sums(c, "channel", f, t)?;
                let types = replica_store::projection::dimension_sums(c, "type", f, t)?;
                out.push((channels, types));
            }
            Ok(out)
        })
        .await?;
    let step_of = |label: String, (from, to): (i64, i64), (channels, types): &(Sums, Sums)| {
        let mut s = VolumeStep {
            label,
            from,
            to,
            by_channel: BTreeMap::new(),
            by_type: BTreeMap::new(),
            received: 0,
            direct: 0,
            dispatched: 0,
        };
        for (k, c) in channels {
            let f = TopicFigures::from_counts(k, c);
            if let Some(code) = k.strip_prefix("channel:") {
                s.by_channel.insert(code.to_owned(), f.received);
            }
            s.received += f.received;
            s.direct += f.direct;
            s.dispatched += f.dispatched;
        }
        for (k, c) in types {
            if let Some(code) = k.strip_prefix("type:") {
                let n = u32::try_from(c[public_counter::RECEIVED]).unwrap_or(0);
                s.by_type.insert(code.to_owned(), n);
            }
        }
        s
    };
    let out_steps: Vec<VolumeStep> = steps
        .iter()
        .zip(sums.iter())
        .map(|(s, sum)| {
            let label = if by_month {
                s.label()
            } else {
                format!("{}/{}", u8::from(s.first.month()), s.first.day())
            };
            step_of(label, s.range_ms(), sum)
        })
        .collect();
    let total = match sums.last() {
        Some(sum) => step_of(p.label(), p.range_ms(), sum),
        None => return Err(OpError::bad_request("统计周期为空")),
    };
    let (from, to) = p.range_ms();
    Ok(VolumeReport {
        label: p.label(),
        from,
        to,
        step: if by_month { "month" } else { "day" }.into(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.code().to_owned(), c.label().to_owned()))
            .collect(),
        types: RequestType::ALL
            .iter()
            .map(|t| (t.code().to_owned(), t.label().to_owned()))
            .collect(),
        steps: out_steps,
        total,
    })
}
