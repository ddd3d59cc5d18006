//! Looking an order up by ticket number and query code, and what a citizen may see of it.
//!
//! Only status, handling unit, the dates of the public steps, the deadline and the public reply
//! are shown; the caller's name and phone are masked and the address and complaint text never
//! leave. Codes are compared by their salted hash. Five wrong codes for a number within 15 minutes
//! lock that number's lookups for 15 minutes; 30 failed lookups from one client address within 15
//! minutes lock that address out for 15 minutes.

use std::net::IpAddr;

use crate::Kind;
use hotline_model::number::query_code_hash;
use hotline_model::public::{PublicRecord, Step};
use hotline_model::refdata::ReferenceData;
use hotline_model::ticket::TicketView;
use hotline_model::workflow::Status;
use serde::Serialize;

use crate::Hotline;
use crate::OpError;
use crate::throttle::Failures;

/// Wrong codes allowed per number per window.
const MAX_FAILURES: u32 = 5;
/// Failed lookups allowed per client address per window (one office's public terminal may serve
/// many citizens; one guesser tries many numbers).
const MAX_ADDR_FAILURES: u32 = 30;
/// The window and lock time.
const WINDOW_MS: i64 = 15 * 60_000;

/// Failed lookups per ticket number and per client address.
pub struct LookupGuard {
    by_number: Failures<String>,
    by_addr: Failures<IpAddr>,
}

impl Default for LookupGuard {
    fn default() -> Self {
        LookupGuard {
            by_number: Failures::new(MAX_FAILURES, WINDOW_MS),
            by_addr: Failures::new(MAX_ADDR_FAILURES, WINDOW_MS),
        }
    }
}

impl LookupGuard {
    fn fail(&self, number: &str, addr: Option<IpAddr>, now: i64) {
        self.by_number.fail(number.to_owned(), now);
        if let Some(a) = addr {
            self.by_addr.fail(a, now);
        }
    }
}

/// One public step of an order's handling.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct PublicStep {
    /// What happened, in plain words.
    pub label: String,
    /// When (Unix ms).
    pub at: i64,
}

/// What a citizen sees of an order.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PublicTicket {
    /// 工单编号.
    pub number: String,
    /// Status code (`hotline_model::workflow::Status::as_str`).
    pub status_code: String,
    /// 状态, in plain words.
    pub status: String,
    /// 诉求类型.
    pub request_type: String,
    /// 诉求标题.
    pub title: String,
    /// 来电人 (masked).
    pub caller: String,
    /// 联系电话 (masked).
    pub phone: String,
    /// 承办单位.
    pub handling_unit: Option<String>,
    /// 登记时间 (Unix ms).
    pub created_at: Option<i64>,
    /// 办理时限 (Unix ms).
    pub due_at: Option<i64>,
    /// 办结时间 (Unix ms).
    pub closed_at: Option<i64>,
    /// 答复内容 (the public reply, once accepted).
    pub reply: Option<String>,
    /// The public steps, oldest first.
    pub steps: Vec<PublicStep>,
    /// Whether the citizen may rate it now (replied or closed, not rated yet).
    pub may_rate: bool,
    /// The citizen's rating, once given.
    pub rating: Option<String>,
}

/// The status in the words a citizen understands.
pub fn plain_status(s: Status) -> &'static str {
    match s {
        Status::PendingReview | Status::SentBack | Status::ReadyToDispatch => {
            "已受理，正在审核派单"
        }
        Status::Dispatched | Status::Handling | Status::Returned => "正在办理",
        Status::Replied => "承办单位已答复，中心审核中",
        Status::AwaitingCallback => "已答复，等待回访评价",
        Status::CalledBack => "已回访，等待办结",
        Status::Closed => "已办结",
        Status::Merged => "已与相同诉求合并办理",
    }
}

fn step_label(step: &Step, rd: &ReferenceData) -> String {
    match step {
        Step::Received { channel } => format!("已受理（{}）", channel.label()),
        Step::AnsweredDirectly => "已当场答复".into(),
        Step::Accepted => "中心审核通过".into(),
        Step::Dispatched { unit } => format!("已派发至{}", rd.unit_name(unit)),
        Step::Transferred { unit } => format!("已转交{}办理", rd.unit_name(unit)),
        Step::Extended { until } => {
            format!("办理时限延长至{}", crate::wording::local_date(*until))
        }
        Step::Replied => "承办单位已答复".into(),
        Step::ReplyAccepted => "中心已审核答复".into(),
        Step::ReplySentBack => "中心要求承办单位重新办理".into(),
        Step::CalledBack => "已回访".into(),
        Step::Rated => "您已评价".into(),
        Step::Reopened => "重新办理".into(),
        Step::Closed => "已办结".into(),
        Step::Merged => "已与相同诉求合并办理".into(),
    }
}

/// What a citizen sees of an order, in words: the model's public record with unit names resolved.
pub fn public_ticket(r: PublicRecord, rd: &ReferenceData) -> PublicTicket {
    PublicTicket {
        status_code: r.status.as_str().into(),
        status: if r.redo_review {
            "您反映问题未解决，中心正在审核是否重新办理".into()
        } else {
            plain_status(r.status).into()
        },
        request_type: r.request_type.label().into(),
        handling_unit: r.handling_unit.map(|u| rd.unit_name(&u)),
        steps: r
            .steps
            .iter()
            .map(|s| PublicStep {
                label: step_label(&s.step, rd),
                at: s.at,
            })
            .collect(),
        rating: r.rating.map(|r| {
            format!(
                "{}（问题{}解决）",
                r.satisfaction.label(),
                if r.solved { "已" } else { "未" }
            )
        }),
        number: r.number,
        title: r.title,
        caller: r.caller,
        phone: r.phone,
        created_at: r.created_at,
        due_at: r.due_at,
        closed_at: r.closed_at,
        reply: r.reply,
        may_rate: r.may_rate,
    }
}

/// What a citizen may see of `view`.
pub fn public_view(view: &TicketView, rd: &ReferenceData) -> PublicTicket {
    public_ticket(PublicRecord::of(view), rd)
}

/// A number and code as asked, normalised, once neither is locked out.
struct Asked {
    number: String,
    code: String,
}

/// Normalises what was typed and refuses while the number or the client address is locked out.
fn admit(
    state: &Hotline,
    addr: Option<IpAddr>,
    number: &str,
    code: &str,
) -> Result<Asked, OpError> {
    let now = state.now();
    let number = hotline_model::number::normalize_ticket_number(number);
    let code = hotline_model::number::normalize_query_code(code);
    if number.is_empty() || code.is_empty() {
        return Err(OpError::bad_request("请输入工单编号和查询码"));
    }
    if number.chars().count() > 40 || code.chars().count() > 40 {
        return Err(OpError::bad_request("工单编号或查询码格式不正确"));
    }
    let guard = &state.citizens.lookups;
    if let Some(a) = addr
        && let Some(ms) = guard.by_addr.locked_for(&a, now)
    {
        return Err(OpError::new(
            Kind::Limited,
            "too_many_attempts",
            format!("查询失败次数过多，请{}分钟后再试", minutes(ms)),
        ));
    }
    if let Some(ms) = guard.by_number.locked_for(&number, now) {
        return Err(OpError::new(
            Kind::Limited,
            "locked",
            format!(
                "该工单查询码错误次数过多，为保护您的信息，请{}分钟后再试",
                minutes(ms)
            ),
        ));
    }
    Ok(Asked { number, code })
}

/// Keeps what was found for `asked` if it is that order and the code is its query code (checked
/// against the stored hash); a miss or a wrong code counts against the number and the client
/// address.
fn confirm<T>(
    state: &Hotline,
    addr: Option<IpAddr>,
    asked: &Asked,
    found: Option<T>,
    key: impl Fn(&T) -> (&str, &str, &str),
) -> Result<T, OpError> {
    if let Some(f) = found {
        let (id, number, stored) = key(&f);
        if number == asked.number && query_code_hash(id, &asked.code) == stored {
            return Ok(f);
        }
    }
    state
        .citizens
        .lookups
        .fail(&asked.number, addr, state.now());
    Err(OpError::new(
        Kind::NotFound,
        "not_found",
        "工单编号或查询码不正确，请核对短信或受理回执上的编号和查询码",
    ))
}

/// Finds the order `number` if `code` is its query code, counting failures against the number and
/// the client address; refuses while either is locked out.
pub async fn find(
    state: &Hotline,
    addr: Option<IpAddr>,
    number: &str,
    code: &str,
) -> Result<TicketView, OpError> {
    let asked = admit(state, addr, number, code)?;
    let found = state.store.lookup(asked.number.clone()).await?;
    let (view, _) = confirm(state, addr, &asked, found, |(v, h)| {
        (v.id.as_str(), v.number.as_str(), h.as_str())
    })?;
    Ok(view)
}

fn minutes(ms: i64) -> i64 {
    (ms + 59_999) / 60_000
}

/// Looks an order up: what the citizen may see of it (its stored public record, not its history).
pub async fn lookup(
    state: &Hotline,
    addr: Option<IpAddr>,
    number: &str,
    code: &str,
) -> Result<PublicTicket, OpError> {
    let asked = admit(state, addr, number, code)?;
    let found = state.store.lookup_public(asked.number.clone()).await?;
    let (_, _, record) = confirm(state, addr, &asked, found, |(id, h, r)| {
        (id.as_str(), r.number.as_str(), h.as_str())
    })?;
    Ok(public_ticket(record, &state.refdata()))
}
