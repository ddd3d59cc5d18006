//! The published results (公示): orders the centre chose to publish when closing them, the latest
//! first, searchable by the words of their title, a page at a time. What was asked (type and the
//! centre's one-line title), who handled it, when, and the public reply; never a name, phone,
//! address or the citizen's own words. Confidential reports are never listed.

use hotline_model::ticket::TicketView;
use hotline_model::workflow::Status;
use serde::Serialize;

use crate::Hotline;
use crate::Kind;
use crate::OpError;

/// One published result.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PublicResult {
    /// 工单编号.
    pub number: String,
    /// 诉求类型.
    pub request_type: String,
    /// 诉求事项 (the subject's path).
    pub subject: String,
    /// 标题.
    pub title: String,
    /// 承办单位.
    pub handling_unit: Option<String>,
    /// 受理时间 (Unix ms).
    pub created_at: Option<i64>,
    /// 办结时间 (Unix ms).
    pub closed_at: Option<i64>,
    /// 答复内容.
    pub reply: Option<String>,
}

/// A page of results and the cursor of the next one.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ResultPage {
    /// The results.
    pub results: Vec<PublicResult>,
    /// `after` of the next page, when more may follow.
    pub next: Option<String>,
}

fn is_public(v: &TicketView) -> bool {
    v.state.published && !v.intake.confidential && v.state.status == Status::Closed
}

fn to_result(state: &Hotline, v: &TicketView) -> PublicResult {
    let rd = state.refdata();
    let s = &v.state;
    PublicResult {
        number: v.number.clone(),
        request_type: s.request_type.label().into(),
        subject: rd
            .catalogue
            .subject(&s.subject)
            .map_or_else(String::new, |x| x.display()),
        title: s.title.clone(),
        handling_unit: s.lead.as_ref().map(|l| rd.unit_name(&l.unit)),
        created_at: s.created_at,
        closed_at: s.closed_at,
        reply: s.public_reply(),
    }
}

/// A page of results, `words` searched in their titles.
pub async fn page(
    state: &Hotline,
    words: Option<String>,
    after: Option<String>,
    limit: u32,
) -> Result<ResultPage, OpError> {
    let limit = limit.clamp(1, 100);
    let words = words.map(|w| w.trim().to_owned()).filter(|w| !w.is_empty());
    if words.as_ref().is_some_and(|w| w.chars().count() > 50) {
        return Err(OpError::bad_request("搜索词最多50个字"));
    }
    let found = state.store.published(after, limit, words).await?;
    let next = (found.len() == limit as usize)
        .then(|| found.last())
        .flatten()
        .map(|v| format!("{}:{}", v.state.closed_at.unwrap_or(0), v.number));
    Ok(ResultPage {
        results: found
            .iter()
            .filter(|v| is_public(v))
            .map(|v| to_result(state, v))
            .collect(),
        next,
    })
}

/// One published result by its number.
pub async fn one(state: &Hotline, number: &str) -> Result<PublicResult, OpError> {
    let number = hotline_model::number::normalize_ticket_number(number);
    let missing = || OpError::new(Kind::NotFound, "not_found", "没有这条公示结果");
    if number.is_empty() || number.chars().count() > 40 {
        return Err(missing());
    }
    match state.store.ticket(number).await? {
        Some(v) if is_public(&v) => Ok(to_result(state, &v)),
        _ => Err(missing()),
    }
}
