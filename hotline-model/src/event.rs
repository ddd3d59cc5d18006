//! Workflow events: the append-only history of a work order. Its current state is derived from them.

use serde::{Deserialize, Serialize};

use crate::category::RequestType;
use crate::hlc::Hlc;
use crate::intake::{FieldError, check_text, limits};

/// One workflow event, as stored in the ticket document. Events are never edited or removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Unique id (UUID text).
    pub id: String,
    /// The user who acted (login).
    pub author: String,
    /// The unit the user acted for.
    pub unit: String,
    /// The node where the action was taken.
    pub node: String,
    /// When, on the author's hybrid logical clock.
    pub hlc: Hlc,
    /// What was done.
    #[serde(flatten)]
    pub action: Action,
}

impl Event {
    /// The total order every node sorts events by: time, then node, then id.
    pub fn order_key(&self) -> (Hlc, &str, &str) {
        (self.hlc, &self.node, &self.id)
    }
}

/// Events in the order every node applies them: by [`Event::order_key`]; events with the same key (a
/// faulty or forged node reusing an id and time) are ordered by their full content, and of events with
/// the same id only the first in that order counts. The result depends only on the set of events, never
/// on the order they arrived in.
pub fn canonical_order(events: &[Event]) -> Vec<&Event> {
    let mut sorted: Vec<&Event> = events.iter().collect();
    sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    // Ties on the whole key (same time, node and id) only come from a faulty or forged node: order
    // those runs by content, serialising only the events involved.
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && sorted[end].order_key() == sorted[start].order_key() {
            end += 1;
        }
        if end - start > 1 {
            sorted[start..end].sort_by_cached_key(|e| serde_json::to_string(e).unwrap_or_default());
        }
        start = end;
    }
    let mut seen = std::collections::BTreeSet::new();
    sorted
        .into_iter()
        .filter(|e| seen.insert(e.id.as_str()))
        .collect()
}

/// A unit being given (part of) an order, with its deadlines, computed by the dispatcher from the
/// working-day calendar and carried in the event, so deriving state needs no calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssignTo {
    /// The unit's code.
    pub unit: String,
    /// When the unit must sign by (Unix ms).
    pub sign_due_at: i64,
    /// When the unit must reply by (Unix ms).
    pub due_at: i64,
}

/// The citizen's satisfaction at callback (回访).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
    /// 未接通 / 拒绝回访: no rating.
    Unreachable,
}

impl Satisfaction {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::BasicallySatisfied => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
            Satisfaction::Unreachable => "未能回访",
        }
    }
}

/// How a callback (回访) reached the citizen.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CallbackChannel {
    /// 电话回访: an operator called.
    #[default]
    Phone,
    /// 短信回访: the citizen answered the survey text.
    Sms,
}

impl CallbackChannel {
    /// 电话 / 短信.
    pub fn label(self) -> &'static str {
        match self {
            CallbackChannel::Phone => "电话",
            CallbackChannel::Sms => "短信",
        }
    }

    fn is_phone(&self) -> bool {
        *self == CallbackChannel::Phone
    }
}

/// How serious a supervision is (督办层级).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    /// 督办通知: a formal notice after the deadline.
    Notice,
    /// 书面通报: a written reprimand when long overdue.
    Reprimand,
    /// 挂牌督办: named supervision ordered by city leaders.
    Named,
}

impl SupervisionLevel {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            SupervisionLevel::Notice => "督办通知",
            SupervisionLevel::Reprimand => "书面通报",
            SupervisionLevel::Named => "挂牌督办",
        }
    }
}

/// A workflow action and its data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// 登记: the order was registered (the citizen data is in the document itself).
    Created,
    /// 直接办结: a consultation answered at once from the knowledge base.
    AnswerDirectly {
        /// What the citizen was told.
        answer: String,
    },
    /// 审核: the shift leader accepts the order (optionally correcting it) or sends it back.
    Review {
        /// Accept (true) or send back to the operator (false).
        accept: bool,
        /// Why, or what was corrected.
        #[serde(default)]
        note: String,
        /// Corrected subject.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// Corrected request type.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_type: Option<RequestType>,
        /// Corrected one-line summary.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        /// Corrected urgency.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        urgent: Option<bool>,
    },
    /// The operator resubmits an order the shift leader sent back.
    Resubmit {
        /// What was changed.
        #[serde(default)]
        note: String,
    },
    /// 派单: the centre names one lead unit and any co-handling units.
    Dispatch {
        /// 主办 unit.
        lead: AssignTo,
        /// 协办 units.
        #[serde(default)]
        co: Vec<AssignTo>,
        /// Instructions to the units.
        #[serde(default)]
        note: String,
        /// 审定: the centre's final assignment after repeated returns; the lead unit (and a
        /// sub-unit it hands the order to) can no longer return it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        final_assignment: bool,
    },
    /// 转派/加派: the lead unit hands the order down to one of its sub-units (checked against the org tree
    /// by the node), optionally adding co-handling sub-units.
    Transfer {
        /// The new lead unit.
        to: AssignTo,
        /// Extra co-handling units.
        #[serde(default)]
        co: Vec<AssignTo>,
        /// Instructions.
        #[serde(default)]
        note: String,
    },
    /// 签收: the acting unit acknowledges its assignment.
    Sign,
    /// 退回: "not ours"; a lead unit's return sends the order back to the centre.
    Return {
        /// Mandatory reason.
        reason: String,
    },
    /// 延期申请: the acting unit asks for a later deadline, before the current one.
    RequestExtension {
        /// The deadline asked for (Unix ms).
        until: i64,
        /// Why.
        reason: String,
    },
    /// 延期批准.
    ApproveExtension {
        /// Whose request.
        for_unit: String,
        /// The new deadline (Unix ms); usually the one asked for.
        until: i64,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 延期驳回.
    RejectExtension {
        /// Whose request.
        for_unit: String,
        /// Why.
        reason: String,
    },
    /// 办理反馈: the acting unit's result.
    Reply {
        /// 属实: the matter reported was true.
        founded: bool,
        /// 解决: the problem was solved.
        solved: bool,
        /// The reply that may be shown to the citizen.
        public_reply: String,
        /// Notes for the centre only.
        #[serde(default)]
        internal_note: String,
    },
    /// 审核结果: the centre accepts the lead's reply or sends it back for redo (重办).
    ReviewResult {
        /// Accept or redo.
        accept: bool,
        /// Why (required when not accepted).
        #[serde(default)]
        reason: String,
        /// The new deadline for the redo (Unix ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redo_due_at: Option<i64>,
    },
    /// 回访: the operator called the citizen back.
    Callback {
        /// The rating.
        satisfaction: Satisfaction,
        /// What the citizen said.
        #[serde(default)]
        note: String,
        /// By phone (an operator) or by the citizen's answer to the survey text.
        #[serde(default, skip_serializing_if = "CallbackChannel::is_phone")]
        channel: CallbackChannel,
    },
    /// 重办: an unsatisfied callback sends the order back to the lead unit.
    Reopen {
        /// Why.
        reason: String,
        /// The new deadline (Unix ms).
        due_at: i64,
    },
    /// 评价: the citizen's own rating, given once on the public website (or by SMS) after the
    /// reply was accepted. It counts as the order's callback; "not solved" or 不满意 asks the
    /// centre to review the order for redo (重办审核).
    Rate {
        /// The rating, on the callback's scale.
        satisfaction: Satisfaction,
        /// Whether the citizen says the problem was solved.
        solved: bool,
        /// What the citizen wrote.
        #[serde(default)]
        comment: String,
    },
    /// 维持办结: the centre reviewed a citizen's "not solved" and keeps the order closed.
    KeepClosed {
        /// Why (told to nobody but the centre).
        reason: String,
    },
    /// 办结: final.
    Close {
        /// Publish the result on the portal (公示).
        #[serde(default)]
        publish: bool,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 合并: this order duplicates another (the master) and joins it.
    Merge {
        /// The master order's ticket number.
        master: String,
    },
    /// 催办: a reminder to a unit before its deadline.
    Urge {
        /// The unit urged.
        target: String,
        /// Message.
        #[serde(default)]
        note: String,
    },
    /// 督办: formal supervision of a unit after its deadline.
    Supervise {
        /// The unit supervised.
        target: String,
        /// How serious.
        level: SupervisionLevel,
        /// Message.
        #[serde(default)]
        note: String,
    },
}

/// The name of an action without its data.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// See [`Action::Created`].
    Created,
    /// See [`Action::AnswerDirectly`].
    AnswerDirectly,
    /// See [`Action::Review`].
    Review,
    /// See [`Action::Resubmit`].
    Resubmit,
    /// See [`Action::Dispatch`].
    Dispatch,
    /// See [`Action::Transfer`].
    Transfer,
    /// See [`Action::Sign`].
    Sign,
    /// See [`Action::Return`].
    Return,
    /// See [`Action::RequestExtension`].
    RequestExtension,
    /// See [`Action::ApproveExtension`].
    ApproveExtension,
    /// See [`Action::RejectExtension`].
    RejectExtension,
    /// See [`Action::Reply`].
    Reply,
    /// See [`Action::ReviewResult`].
    ReviewResult,
    /// See [`Action::Callback`].
    Callback,
    /// See [`Action::Reopen`].
    Reopen,
    /// See [`Action::Rate`].
    Rate,
    /// See [`Action::KeepClosed`].
    KeepClosed,
    /// See [`Action::Close`].
    Close,
    /// See [`Action::Merge`].
    Merge,
    /// See [`Action::Urge`].
    Urge,
    /// See [`Action::Supervise`].
    Supervise,
}

impl ActionKind {
    /// The Chinese label shown in the ticket's history.
    pub fn label(self) -> &'static str {
        match self {
            ActionKind::Created => "登记",
            ActionKind::AnswerDirectly => "直接办结",
            ActionKind::Review => "审核",
            ActionKind::Resubmit => "重新提交",
            ActionKind::Dispatch => "派单",
            ActionKind::Transfer => "转派",
            ActionKind::Sign => "签收",
            ActionKind::Return => "退回",
            ActionKind::RequestExtension => "延期申请",
            ActionKind::ApproveExtension => "延期批准",
            ActionKind::RejectExtension => "延期驳回",
            ActionKind::Reply => "办理反馈",
            ActionKind::ReviewResult => "审核结果",
            ActionKind::Callback => "回访",
            ActionKind::Reopen => "重办",
            ActionKind::Rate => "市民评价",
            ActionKind::KeepClosed => "维持办结",
            ActionKind::Close => "办结",
            ActionKind::Merge => "合并",
            ActionKind::Urge => "催办",
            ActionKind::Supervise => "督办",
        }
    }
}

impl Action {
    /// The shift leader accepts the order as registered (审核通过), noting `note`.
    pub fn accept_review(note: impl Into<String>) -> Action {
        Action::Review {
            accept: true,
            note: note.into(),
            subject: None,
            request_type: None,
            title: None,
            urgent: None,
        }
    }

    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Created => ActionKind::Created,
            Action::AnswerDirectly { .. } => ActionKind::AnswerDirectly,
            Action::Review { .. } => ActionKind::Review,
            Action::Resubmit { .. } => ActionKind::Resubmit,
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::Transfer { .. } => ActionKind::Transfer,
            Action::Sign => ActionKind::Sign,
            Action::Return { .. } => ActionKind::Return,
            Action::RequestExtension { .. } => ActionKind::RequestExtension,
            Action::ApproveExtension { .. } => ActionKind::ApproveExtension,
            Action::RejectExtension { .. } => ActionKind::RejectExtension,
            Action::Reply { .. } => ActionKind::Reply,
            Action::ReviewResult { .. } => ActionKind::ReviewResult,
            Action::Callback { .. } => ActionKind::Callback,
            Action::Reopen { .. } => ActionKind::Reopen,
            Action::Rate { .. } => ActionKind::Rate,
            Action::KeepClosed { .. } => ActionKind::KeepClosed,
            Action::Close { .. } => ActionKind::Close,
            Action::Merge { .. } => ActionKind::Merge,
            Action::Urge { .. } => ActionKind::Urge,
            Action::Supervise { .. } => ActionKind::Supervise,
        }
    }

    /// Checks the action's free-text fields: sizes, hidden characters, mandatory reasons.
    pub fn validate(&self) -> Result<(), FieldError> {
        let text =
            |f: &str, v: &str, required: bool| check_text(f, v, limits::TEXT, required, true);
        let code = |f: &str, v: &str| check_text(f, v, limits::CODE, true, false);
        match self {
            Action::Created | Action::Sign => Ok(()),
            Action::AnswerDirectly { answer } => text("answer", answer, true),
            Action::Review {
                note,
                subject,
                title,
                accept,
                ..
            } => {
                text("note", note, !accept)?;
                if let Some(s) = subject {
                    code("subject", s)?;
                }
                if let Some(t) = title {
                    check_text("title", t, limits::TITLE, true, false)?;
                }
                Ok(())
            }
            Action::Resubmit { note } => text("note", note, false),
            Action::Dispatch { lead, co, note, .. } | Action::Transfer { to: lead, co, note } => {
                code("unit", &lead.unit)?;
                for c in co {
                    code("unit", &c.unit)?;
                }
                if co.len() > 20 {
                    return Err(FieldError::TooLong {
                        field: "co".into(),
                        len: co.len(),
                        max: 20,
                    });
                }
                text("note", note, false)
            }
            Action::Return { reason } => text("reason", reason, true),
            Action::RequestExtension { reason, .. } => text("reason", reason, true),
            Action::ApproveExtension { for_unit, note, .. } => {
                code("for_unit", for_unit)?;
                text("note", note, false)
            }
            Action::RejectExtension { for_unit, reason } => {
                code("for_unit", for_unit)?;
                text("reason", reason, true)
            }
            Action::Reply {
                public_reply,
                internal_note,
                ..
            } => {
                text("public_reply", public_reply, true)?;
                text("internal_note", internal_note, false)
            }
            Action::ReviewResult { accept, reason, .. } => text("reason", reason, !accept),
            Action::Callback { note, .. } => text("note", note, false),
            Action::Reopen { reason, .. } => text("reason", reason, true),
            Action::Rate {
                satisfaction,
                comment,
                ..
            } => {
                if *satisfaction == Satisfaction::Unreachable {
                    return Err(FieldError::Invalid {
                        field: "satisfaction".into(),
                        reason: "a citizen's rating is 满意, 基本满意 or 不满意".into(),
                    });
                }
                check_text("comment", comment, 500, false, true)
            }
            Action::KeepClosed { reason } => text("reason", reason, true),
            Action::Close { note, .. } => text("note", note, false),
            Action::Merge { master } => code("master", master),
            Action::Urge { target, note } => {
                code("target", target)?;
                text("note", note, false)
            }
            Action::Supervise { target, note, .. } => {
                code("target", target)?;
                text("note", note, false)
            }
        }
    }
}
