//! The monthly report (月度统计报表): from the first working day of a month on, the hub queues an
//! e-mail to each address of the centre's `notices.monthly_report_to` with the previous month's
//! figures in words (received, closed, on time, satisfied; the hot topics; the best units) and, made
//! when it is sent, the workbook of the unit assessment, the hot topics and the repeated requests
//! — the same numbers as the statistics pages for that month. Each address gets each month's
//! report once (its outbox key); a hub that was down on the day sends it when it is back.

use hotline_model::assessment::PublicFigures;
use hotline_model::notify::{Medium, Notice};
use hotline_model::period::Period;
use hotline_model::report::{due_month, month_code};
use hotline_model::role::{Role, User};

use crate::notify::email::Attachment;
use crate::state::AppState;
use hotline_operations::OpError;
use hotline_operations::stats::{StatsQuery, UnitReport, unit_report};
use hotline_operations::topics::{TopicQuery, TopicReport, topic_report};

/// Outbox keys of the monthly report: `report:2026-10:<address>`.
pub const KEY_PREFIX: &str = "report:";

/// The reader the report is made for: the centre's leaders see every unit.
fn reader(state: &AppState) -> User {
    User {
        login: hotline_operations::alerts::SYSTEM_USER.into(),
        name: "系统".into(),
        role: Role::Leader,
        unit: state.refdata().org.root().to_owned(),
    }
}

fn first_day(p: &Period) -> String {
    hotline_model::period::ymd(p.first)
}

/// One month's report: its figures, the unit assessment and the topics, as the pages show them.
pub struct Monthly {
    /// The month.
    pub period: Period,
    /// What the centre publishes for it.
    pub public: PublicFigures,
    /// The unit assessment.
    pub units: UnitReport,
    /// The hot topics and hard problems.
    pub topics: TopicReport,
}

/// The report of month `p`, read as `who` (the e-mail's reader is the centre's leader).
pub async fn monthly(state: &AppState, who: &User, p: Period) -> Result<Monthly, OpError> {
    let units = unit_report(
        state,
        who,
        &StatsQuery {
            period: Some("month".into()),
            date: Some(first_day(&p)),
            ..StatsQuery::default()
        },
    )
    .await?;
    let topics = topic_report(
        state,
        who,
        &TopicQuery {
            period: Some("month".into()),
            date: Some(first_day(&p)),
            ..TopicQuery::default()
        },
    )
    .await?;
    let (from, to) = p.range_ms();
    let hour = hotline_model::buckets::HOUR_MS;
    let public = PublicFigures::from_counts(
        &state
            .store
            .fact_sum(String::new(), from / hour, to / hour)
            .await?,
    );
    Ok(Monthly {
        period: p,
        public,
        units,
        topics,
    })
}

impl Monthly {
    /// The workbook: unit assessment, hot topics, repeated requests.
    pub fn workbook(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        crate::stats_export::monthly_workbook(&self.units, &self.topics)
    }

    /// The workbook's file name.
    pub fn file_name(&self) -> String {
        format!("12345热线统计报表-{}.xlsx", self.period.label())
    }
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// The e-mail's text: the month in a few lines.
pub fn body(hotline: &str, m: &Monthly) -> String {
    let (p, public, units, topics) = (&m.period, &m.public, &m.units, &m.topics);
    let mut out = format!(
        "{hotline}{}统计报表\n\n受理 {} 件，办结 {} 件；按时办结率 {}；满意率 {}。\n",
        p.label(),
        public.received,
        public.closed,
        pct(public.on_time_rate),
        pct(public.satisfaction_rate)
    );
    let hot: Vec<String> = topics
        .rows
        .iter()
        .filter(|t| t.rise > 0)
        .take(5)
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{}. {}（本月 {} 件，上月 {} 件）",
                i + 1,
                t.name,
                t.figures.received,
                t.previous
            )
        })
        .collect();
    if !hot.is_empty() {
        out.push_str("\n环比上升最多的事项：\n");
        out.push_str(&hot.join("\n"));
        out.push('\n');
    }
    let best: Vec<String> = units
        .units
        .iter()
        .filter(|u| u.score.is_some())
        .take(5)
        .map(|u| {
            format!(
                "{}. {}（综合得分 {:.1}）",
                u.rank.unwrap_or(0),
                u.name.as_deref().unwrap_or(&u.figures.unit),
                u.score.unwrap_or(0.0)
            )
        })
        .collect();
    if !best.is_empty() {
        out.push_str("\n综合得分前五的单位：\n");
        out.push_str(&best.join("\n"));
        out.push('\n');
    }
    out.push_str(
        "\n单位考核、热点难点和重复诉求的完整数字见附件 Excel；\
         工作台「统计考核」「热点难点」页选该月可查看同样的数字。\n",
    );
    out
}

/// Queues the report due at `now` for every configured address not yet sent it; returns how
/// many were queued.
pub async fn queue_due(state: &AppState, now: i64) -> Result<usize, OpError> {
    let refdata = state.refdata();
    let rules = &refdata.notices;
    let Some(p) = due_month(&refdata.calendar, now) else {
        return Ok(0);
    };
    let code = month_code(&p);
    let mut waiting = Vec::new();
    for addr in &rules.monthly_report_to {
        let key = format!("{KEY_PREFIX}{code}:{addr}");
        if !state.store.outbox_has(key.clone()).await? {
            waiting.push((key, addr.clone()));
        }
    }
    if waiting.is_empty() {
        return Ok(0);
    }
    let report = monthly(state, &reader(state), p).await?;
    let text = body(&rules.hotline, &report);
    let p = &report.period;
    let notices = waiting
        .into_iter()
        .map(|(key, to)| Notice {
            key,
            medium: Medium::Email,
            to,
            subject: format!("【{}】{}统计报表", rules.hotline, p.label()),
            body: text.clone(),
            ticket: String::new(),
            urgent: false,
            citizen: false,
            not_before: now,
            survey: false,
        })
        .collect();
    let queued = state.store.enqueue(notices, now).await?;
    tracing::info!(month = %code, queued, "monthly report queued");
    Ok(queued)
}

/// The workbook sent with an outbox message, if it is a monthly report (made from the same
/// figures as the pages); an error says why it could not be made (tried again later).
pub async fn attachment(state: &AppState, key: &str) -> Result<Option<Attachment>, String> {
    let Some(rest) = key.strip_prefix(KEY_PREFIX) else {
        return Ok(None);
    };
    let month = rest.split(':').next().unwrap_or_default();
    let p = hotline_model::period::parse_date(&format!("{month}-01"))
        .and_then(|d| Period::new(hotline_model::period::PeriodKind::Month, d, None).ok())
        .ok_or_else(|| format!("报表月份无效：{month}"))?;
    let report = monthly(state, &reader(state), p)
        .await
        .map_err(|e| e.message)?;
    let bytes = report
        .workbook()
        .map_err(|e| format!("报表无法生成：{e}"))?;
    Ok(Some(Attachment {
        name: report.file_name(),
        media_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
        bytes,
    }))
}
