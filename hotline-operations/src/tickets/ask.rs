//! Workflow actions as clients send them, and their translation into events: the node fills in what a
//! client must not choose (deadlines from the working-day calendar) and checks names against the
//! reference data and the caller's role and unit.

use crate::Kind;
use hotline_model::calendar::TimeLimit;
use hotline_model::category::RequestType;
use hotline_model::event::{Action, CallbackChannel, Satisfaction, SupervisionLevel};
use hotline_model::refdata::ReferenceData;
use hotline_model::role::{Role, User};
use hotline_model::ticket::TicketView;
use serde::Deserialize;

use crate::OpError;

/// An action request body: `{"action": "dispatch", "lead": "B-ZJJ", "co": ["D01"]}` and so on.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    /// 直接办结
    AnswerDirectly {
        /// The answer given.
        answer: String,
    },
    /// 审核
    Review {
        /// Accept or send back.
        accept: bool,
        /// Remarks (required when sending back).
        #[serde(default)]
        note: String,
        /// Corrected subject.
        subject: Option<String>,
        /// Corrected request type.
        request_type: Option<RequestType>,
        /// Corrected title.
        title: Option<String>,
        /// Corrected urgency.
        urgent: Option<bool>,
    },
    /// Resubmit after being sent back.
    Resubmit {
        /// What changed.
        #[serde(default)]
        note: String,
    },
    /// 派单
    Dispatch {
        /// Lead unit code.
        lead: String,
        /// Co-handling unit codes.
        #[serde(default)]
        co: Vec<String>,
        /// Instructions.
        #[serde(default)]
        note: String,
        /// 审定: a final assignment the lead unit cannot return.
        #[serde(default)]
        final_assignment: bool,
    },
    /// 转派 to a sub-unit.
    Transfer {
        /// New lead unit (a sub-unit of the caller's).
        to: String,
        /// Extra co-handling sub-units.
        #[serde(default)]
        co: Vec<String>,
        /// Instructions.
        #[serde(default)]
        note: String,
    },
    /// 签收
    Sign,
    /// 退回
    Return {
        /// Mandatory reason.
        reason: String,
    },
    /// 延期申请: by a number of working days past the current deadline.
    RequestExtension {
        /// Working days asked for (1–30).
        days: u32,
        /// Why.
        reason: String,
    },
    /// 延期批准
    ApproveExtension {
        /// Whose request.
        for_unit: String,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 延期驳回
    RejectExtension {
        /// Whose request.
        for_unit: String,
        /// Why.
        reason: String,
    },
    /// 办理反馈
    Reply {
        /// 属实
        founded: bool,
        /// 解决
        solved: bool,
        /// Public reply.
        public_reply: String,
        /// Internal notes.
        #[serde(default)]
        internal_note: String,
    },
    /// 审核结果
    ReviewResult {
        /// Accept or redo.
        accept: bool,
        /// Why (required for redo).
        #[serde(default)]
        reason: String,
    },
    /// 回访
    Callback {
        /// Rating.
        satisfaction: Satisfaction,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 重办
    Reopen {
        /// Why.
        reason: String,
    },
    /// 评价: the citizen's own rating (only the website or an SMS gateway records it).
    Rate {
        /// The rating.
        satisfaction: Satisfaction,
        /// Whether the problem was solved.
        solved: bool,
        /// What the citizen wrote.
        #[serde(default)]
        comment: String,
    },
    /// 维持办结: after reviewing a citizen's "not solved".
    KeepClosed {
        /// Why.
        reason: String,
    },
    /// 办结
    Close {
        /// Publish on the portal.
        #[serde(default)]
        publish: bool,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 合并 into a master order.
    Merge {
        /// The master's ticket number.
        master: String,
    },
    /// 催办
    Urge {
        /// Unit urged.
        target: String,
        /// Message.
        #[serde(default)]
        note: String,
    },
    /// 督办
    Supervise {
        /// Unit supervised.
        target: String,
        /// Level.
        level: SupervisionLevel,
        /// Message.
        #[serde(default)]
        note: String,
    },
}

fn known_unit(refdata: &ReferenceData, field: &str, code: &str) -> Result<(), OpError> {
    if refdata.org.contains(code) {
        Ok(())
    } else {
        Err(OpError::unknown(field, code))
    }
}

/// Translates a request into the action to record, or refuses it.
///
/// `master_exists` answers whether a ticket number exists (for merges).
pub fn to_action(
    req: ActionRequest,
    user: &User,
    ticket: &TicketView,
    refdata: &ReferenceData,
    now_ms: i64,
    master_exists: bool,
) -> Result<Action, OpError> {
    let state = &ticket.state;
    let assign = |unit: &str| refdata.assign_to(unit, state.request_type, state.urgent, now_ms);
    let action = match req {
        ActionRequest::AnswerDirectly { answer } => Action::AnswerDirectly { answer },
        ActionRequest::Review {
            accept,
            note,
            subject,
            request_type,
            title,
            urgent,
        } => {
            if let Some(s) = &subject
                && refdata.catalogue.subject(s).is_none()
            {
                return Err(OpError::unknown("subject", s));
            }
            Action::Review {
                accept,
                note,
                subject,
                request_type,
                title,
                urgent,
            }
        }
        ActionRequest::Resubmit { note } => Action::Resubmit { note },
        ActionRequest::Dispatch {
            lead,
            co,
            note,
            final_assignment,
        } => {
            known_unit(refdata, "lead", &lead)?;
            for c in &co {
                known_unit(refdata, "co", c)?;
            }
            Action::Dispatch {
                lead: assign(&lead),
                co: co.iter().map(|c| assign(c)).collect(),
                note,
                final_assignment,
            }
        }
        ActionRequest::Transfer { to, co, note } => {
            for target in std::iter::once(&to).chain(co.iter()) {
                known_unit(refdata, "to", target)?;
                if !refdata.may_transfer(&user.unit, target) {
                    return Err(OpError::forbidden(format!(
                        "只能转派给本单位的下级单位，{target} 不是"
                    )));
                }
            }
            Action::Transfer {
                to: assign(&to),
                co: co.iter().map(|c| assign(c)).collect(),
                note,
            }
        }
        ActionRequest::Sign => Action::Sign,
        ActionRequest::Return { reason } => Action::Return { reason },
        ActionRequest::RequestExtension { days, reason } => {
            if !(1..=30).contains(&days) {
                return Err(OpError::bad_request("延期天数须在 1 到 30 个工作日之间"));
            }
            let current = state
                .lead
                .iter()
                .chain(state.co.iter())
                .find(|a| a.unit == user.unit && a.is_active())
                .map(|a| a.due_at)
                .ok_or_else(|| {
                    OpError::new(
                        Kind::Conflict,
                        "workflow_rejected",
                        "本单位没有待办的该工单",
                    )
                })?;
            Action::RequestExtension {
                until: refdata
                    .calendar
                    .due_at(current, TimeLimit::WorkingDays(days)),
                reason,
            }
        }
        ActionRequest::ApproveExtension { for_unit, note } => {
            let until = state
                .lead
                .iter()
                .chain(state.co.iter())
                .find(|a| a.unit == for_unit)
                .and_then(|a| a.extension_request.as_ref())
                .map(|r| r.until)
                .ok_or_else(|| {
                    OpError::new(
                        Kind::Conflict,
                        "workflow_rejected",
                        format!("单位 {for_unit} 没有待审批的延期申请"),
                    )
                })?;
            Action::ApproveExtension {
                for_unit,
                until,
                note,
            }
        }
        ActionRequest::RejectExtension { for_unit, reason } => {
            Action::RejectExtension { for_unit, reason }
        }
        ActionRequest::Reply {
            founded,
            solved,
            public_reply,
            internal_note,
        } => Action::Reply {
            founded,
            solved,
            public_reply,
            internal_note,
        },
        ActionRequest::ReviewResult { accept, reason } => Action::ReviewResult {
            accept,
            reason,
            redo_due_at: (!accept).then(|| {
                refdata
                    .deadlines(state.request_type, state.urgent, now_ms)
                    .1
            }),
        },
        ActionRequest::Callback { satisfaction, note } => Action::Callback {
            satisfaction,
            note,
            channel: CallbackChannel::Phone,
        },
        ActionRequest::Reopen { reason } => Action::Reopen {
            reason,
            due_at: refdata
                .deadlines(state.request_type, state.urgent, now_ms)
                .1,
        },
        ActionRequest::Rate {
            satisfaction,
            solved,
            comment,
        } => Action::Rate {
            satisfaction,
            solved,
            comment,
        },
        ActionRequest::KeepClosed { reason } => Action::KeepClosed { reason },
        ActionRequest::Close { publish, note } => Action::Close { publish, note },
        ActionRequest::Merge { master } => {
            if master == ticket.number || master == ticket.id {
                return Err(OpError::bad_request("工单不能合并到自身"));
            }
            if !master_exists {
                return Err(OpError::unknown("master", &master));
            }
            Action::Merge { master }
        }
        ActionRequest::Urge { target, note } => {
            known_unit(refdata, "target", &target)?;
            Action::Urge { target, note }
        }
        ActionRequest::Supervise {
            target,
            level,
            note,
        } => {
            known_unit(refdata, "target", &target)?;
            let named = level == SupervisionLevel::Named;
            if named != (user.role == Role::Leader) {
                return Err(OpError::forbidden(
                    "挂牌督办由市领导决定，其他督办由审核督办员发起",
                ));
            }
            Action::Supervise {
                target,
                level,
                note,
            }
        }
    };
    check_role(user, &action)?;
    Ok(action)
}

/// Whether the user's role may take this kind of action, and for centre actions whether the user works
/// at the centre.
pub fn check_role(user: &User, action: &Action) -> Result<(), OpError> {
    let kind = action.kind();
    if !user.role.may(kind) {
        return Err(OpError::forbidden(format!(
            "{}无权{}",
            user.role.label(),
            kind.label()
        )));
    }
    Ok(())
}
