//! What a citizen may see of an order: the one rule for the lookup page, its JSON face and the
//! rating's answer.
//!
//! Status, handling unit, the dated public steps, the deadline and the public reply; the caller's
//! name and phone masked; never the address, the complaint text or anything internal. Units are
//! kept as codes (their names are reference data, resolved when shown), so the record can be
//! stored beside the order and read without its history.

use serde::{Deserialize, Serialize};

use crate::category::RequestType;
use crate::event::{Action, Event, Satisfaction};
use crate::intake::Channel;
use crate::privacy::{mask_name, mask_phone};
use crate::ticket::TicketView;
use crate::workflow::Status;

/// One public step of an order's handling.
// Externally tagged, without flattening: read back without buffering (a lookup parses it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 已受理, by this channel.
    Received { channel: Channel },
    /// 已当场答复.
    AnsweredDirectly,
    /// 中心审核通过.
    Accepted,
    /// 已派发至 a unit.
    Dispatched { unit: String },
    /// 已转交 a unit.
    Transferred { unit: String },
    /// 办理时限延长至 (Unix ms).
    Extended { until: i64 },
    /// 承办单位已答复 (the lead unit's reply; a co-handler's is internal).
    Replied,
    /// 中心已审核答复.
    ReplyAccepted,
    /// 中心要求承办单位重新办理.
    ReplySentBack,
    /// 已回访.
    CalledBack,
    /// 您已评价.
    Rated,
    /// 重新办理.
    Reopened,
    /// 已办结.
    Closed,
    /// 已与相同诉求合并办理.
    Merged,
}

/// A step and when it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedStep {
    /// What happened.
    pub step: Step,
    /// When (Unix ms).
    pub at: i64,
}

/// The citizen's own rating, once given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rated {
    /// 满意 / 基本满意 / 不满意.
    pub satisfaction: Satisfaction,
    /// Whether they said it was solved.
    pub solved: bool,
}

/// What a citizen may see of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRecord {
    /// 工单编号.
    pub number: String,
    /// Where it stands.
    pub status: Status,
    /// The citizen said "not solved": the centre is reviewing a redo.
    pub redo_review: bool,
    /// 诉求类型.
    pub request_type: RequestType,
    /// 诉求标题 (the matter's name for web filings).
    pub title: String,
    /// 来电人, masked.
    pub caller: String,
    /// 联系电话, masked.
    pub phone: String,
    /// The lead unit's code.
    pub handling_unit: Option<String>,
    /// 登记时间 (Unix ms).
    pub created_at: Option<i64>,
    /// 办理时限 (Unix ms).
    pub due_at: Option<i64>,
    /// 办结时间 (Unix ms).
    pub closed_at: Option<i64>,
    /// The public reply, once accepted.
    pub reply: Option<String>,
    /// The public steps, oldest first.
    pub steps: Vec<DatedStep>,
    /// Whether the citizen may rate it now.
    pub may_rate: bool,
    /// The citizen's rating, once given.
    pub rating: Option<Rated>,
}

fn step_of(e: &Event, lead: Option<&str>, channel: Channel) -> Option<Step> {
    Some(match &e.action {
        Action::Created => Step::Received { channel },
        Action::AnswerDirectly { .. } => Step::AnsweredDirectly,
        Action::Review { accept: true, .. } => Step::Accepted,
        Action::Dispatch { lead, .. } => Step::Dispatched {
            unit: lead.unit.clone(),
        },
        Action::Transfer { to, .. } => Step::Transferred {
            unit: to.unit.clone(),
        },
        Action::ApproveExtension { until, .. } => Step::Extended { until: *until },
        Action::Reply { .. } if lead == Some(e.unit.as_str()) => Step::Replied,
        Action::ReviewResult { accept: true, .. } => Step::ReplyAccepted,
        Action::ReviewResult { accept: false, .. } => Step::ReplySentBack,
        Action::Callback {
            satisfaction: Satisfaction::Unreachable,
            ..
        } => return None,
        Action::Callback { .. } => Step::CalledBack,
        Action::Rate { .. } => Step::Rated,
        Action::Reopen { .. } => Step::Reopened,
        Action::Close { .. } => Step::Closed,
        Action::Merge { .. } => Step::Merged,
        _ => return None,
    })
}

/// Whether the citizen may rate the order now: replied or closed, and not rated yet.
pub fn may_rate(view: &TicketView) -> bool {
    let s = &view.state;
    s.citizen_rating.is_none()
        && matches!(
            s.status,
            Status::AwaitingCallback | Status::CalledBack | Status::Closed
        )
        && (s.final_reply.is_some() || s.direct_answer.is_some())
}

impl PublicRecord {
    /// What a citizen may see of `view`.
    pub fn of(view: &TicketView) -> PublicRecord {
        let s = &view.state;
        let lead = s.lead.as_ref().map(|l| l.unit.as_str());
        let lost: std::collections::HashSet<&str> =
            s.conflicts.iter().map(|c| c.event_id.as_str()).collect();
        let steps = view
            .events
            .iter()
            .filter(|e| !lost.contains(e.id.as_str()))
            .filter_map(|e| {
                Some(DatedStep {
                    step: step_of(e, lead, view.intake.channel)?,
                    at: e.hlc.wall_ms,
                })
            })
            .collect();
        PublicRecord {
            number: view.number.clone(),
            status: s.status,
            redo_review: s.redo_review,
            request_type: s.request_type,
            title: s.title.clone(),
            caller: mask_name(&view.intake.caller_name),
            phone: mask_phone(&view.intake.caller_phone),
            handling_unit: lead.map(str::to_owned),
            created_at: s.created_at,
            due_at: s.due_at(),
            closed_at: s.closed_at,
            reply: s.public_reply(),
            steps,
            may_rate: may_rate(view),
            rating: s.citizen_rating.as_ref().map(|r| Rated {
                satisfaction: r.satisfaction,
                solved: r.solved,
            }),
        }
    }
}
