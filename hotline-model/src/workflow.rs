//! A work order's current state as a pure function of its event list (工单流转).
//!
//! Every node sorts the events by [`Event::order_key`] and folds them through [`TicketState::apply`].
//! An event whose preconditions do not hold in the state reached so far — typically because two offices
//! acted on the same order while apart — is not applied but kept as a visible [`Conflict`], so the same
//! events give the same state and the same conflicts everywhere, whatever order they arrived in.
//!
//! Why one file of this length: it is the one fold that derives an order's state from its events; every action's case is kept in the same match so that the order of events is decided in one place.

use serde::{Deserialize, Serialize};

use crate::category::RequestType;
use crate::event::{Action, ActionKind, AssignTo, Event, Satisfaction, SupervisionLevel};
use crate::hlc::Hlc;
use crate::intake::Intake;

/// Where an order stands.
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
pub enum Status {
    /// 待审核: registered, waiting for the shift leader.
    PendingReview,
    /// 退回话务员: the shift leader sent it back to the operator.
    SentBack,
    /// 待派单: reviewed, waiting to be dispatched.
    ReadyToDispatch,
    /// 待签收: dispatched, the lead unit has not signed.
    Dispatched,
    /// 办理中: the lead unit signed and is handling it.
    Handling,
    /// 已退回: the lead unit returned it; the centre must re-dispatch.
    Returned,
    /// 待审核结果: the lead unit replied; the centre reviews the result.
    Replied,
    /// 待回访: result accepted, the citizen is to be called back.
    AwaitingCallback,
    /// 已回访: called back, waiting to be closed (or reopened).
    CalledBack,
    /// 已办结: final.
    Closed,
    /// 已合并: joined a master order as a duplicate.
    Merged,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 11] = [
        Status::PendingReview,
        Status::SentBack,
        Status::ReadyToDispatch,
        Status::Dispatched,
        Status::Handling,
        Status::Returned,
        Status::Replied,
        Status::AwaitingCallback,
        Status::CalledBack,
        Status::Closed,
        Status::Merged,
    ];

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::PendingReview => "待审核",
            Status::SentBack => "退回话务员",
            Status::ReadyToDispatch => "待派单",
            Status::Dispatched => "待签收",
            Status::Handling => "办理中",
            Status::Returned => "已退回",
            Status::Replied => "待审核结果",
            Status::AwaitingCallback => "待回访",
            Status::CalledBack => "已回访",
            Status::Closed => "已办结",
            Status::Merged => "已合并",
        }
    }

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingReview => "pending_review",
            Status::SentBack => "sent_back",
            Status::ReadyToDispatch => "ready_to_dispatch",
            Status::Dispatched => "dispatched",
            Status::Handling => "handling",
            Status::Returned => "returned",
            Status::Replied => "replied",
            Status::AwaitingCallback => "awaiting_callback",
            Status::CalledBack => "called_back",
            Status::Closed => "closed",
            Status::Merged => "merged",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether the order is finished.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Merged)
    }
}

/// The role a unit plays on an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// 主办
    Lead,
    /// 协办
    Co,
}

/// Where a unit's assignment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Waiting for the unit to sign.
    AwaitingSign,
    /// Signed, being handled.
    Handling,
    /// The unit replied.
    Replied,
    /// The unit returned it.
    Returned,
    /// Handed down to a sub-unit (转派) or replaced by a new dispatch.
    Superseded,
}

/// A pending extension request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExtensionRequest {
    /// The deadline asked for.
    pub until: i64,
    /// Why.
    pub reason: String,
    /// When it was asked.
    pub at: i64,
}

/// A unit's reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplyRecord {
    /// 属实.
    pub founded: bool,
    /// 解决.
    pub solved: bool,
    /// Public reply text.
    pub public_reply: String,
    /// Notes for the centre.
    pub internal_note: String,
    /// When.
    pub at: i64,
}

/// One unit's part in an order, with its clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    /// Unit code.
    pub unit: String,
    /// Lead or co-handling.
    pub part: Part,
    /// Where it stands.
    pub status: AssignmentStatus,
    /// Who handed it to this unit (the centre, or the parent unit for 转派).
    pub assigned_by: String,
    /// When it was assigned.
    pub assigned_at: i64,
    /// Sign-by time.
    pub sign_due_at: i64,
    /// Reply-by time (moved by approved extensions, redo and reopen).
    pub due_at: i64,
    /// When it signed.
    pub signed_at: Option<i64>,
    /// The unit's latest reply.
    pub reply: Option<ReplyRecord>,
    /// Pending extension request.
    pub extension_request: Option<ExtensionRequest>,
    /// Approved extensions.
    pub extensions: u32,
    /// Rejected extension requests.
    pub extensions_rejected: u32,
    /// Reminders received (催办).
    pub urges: u32,
    /// The highest supervision level received (督办).
    pub supervision: Option<SupervisionLevel>,
    /// Times sent back for redo or reopened while this unit held it.
    pub redos: u32,
    /// The return reason, when returned.
    pub return_reason: Option<String>,
    /// When it was returned, replied, or superseded.
    pub ended_at: Option<i64>,
    /// 审定: assigned finally by the centre; the unit cannot return it.
    #[serde(default)]
    pub final_assignment: bool,
}

impl Assignment {
    fn new(to: &AssignTo, part: Part, by: &str, at: i64) -> Self {
        Assignment {
            unit: to.unit.clone(),
            part,
            status: AssignmentStatus::AwaitingSign,
            assigned_by: by.to_string(),
            assigned_at: at,
            sign_due_at: to.sign_due_at,
            due_at: to.due_at,
            signed_at: None,
            reply: None,
            extension_request: None,
            extensions: 0,
            extensions_rejected: 0,
            urges: 0,
            supervision: None,
            redos: 0,
            return_reason: None,
            ended_at: None,
            final_assignment: false,
        }
    }

    /// Whether the unit still has work to do on it.
    pub fn is_active(&self) -> bool {
        matches!(
            self.status,
            AssignmentStatus::AwaitingSign | AssignmentStatus::Handling
        )
    }
}

/// Why an action cannot be taken in the order's current state.
#[derive(
    Debug, thiserror::Error, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    /// The order has not been created yet (its first event must be `created`).
    #[error("the order has not been created")]
    NotCreated,
    /// A second `created` event.
    #[error("the order was already created")]
    AlreadyCreated,
    /// The action is not possible in this status.
    #[error("{action:?} is not possible while the order is {status:?}")]
    WrongStatus {
        /// The action tried.
        action: ActionKind,
        /// The status it found.
        status: Status,
    },
    /// The acting unit holds no active assignment on this order.
    #[error("unit {unit} has no active assignment on this order")]
    NotAssigned {
        /// The unit.
        unit: String,
    },
    /// Only the lead unit may do this.
    #[error("only the lead unit may do this, {unit} is not the lead")]
    NotLead {
        /// The unit.
        unit: String,
    },
    /// The unit already signed.
    #[error("unit {unit} has already signed")]
    AlreadySigned {
        /// The unit.
        unit: String,
    },
    /// The centre assigned the order finally (审定): it cannot be returned.
    #[error("unit {unit} holds a final assignment")]
    FinalAssignment {
        /// The unit.
        unit: String,
    },
    /// The unit must sign first.
    #[error("unit {unit} must sign first")]
    NotSigned {
        /// The unit.
        unit: String,
    },
    /// A unit appears twice in one dispatch, or is already assigned.
    #[error("unit {unit} is named twice")]
    DuplicateUnit {
        /// The unit.
        unit: String,
    },
    /// The lead cannot reply before the co-handling units have.
    #[error("co-handling units have not replied: {units:?}")]
    CoHandlersPending {
        /// The units still working.
        units: Vec<String>,
    },
    /// There is already a pending extension request.
    #[error("unit {unit} already has an extension request pending")]
    ExtensionPending {
        /// The unit.
        unit: String,
    },
    /// No extension request to decide on.
    #[error("unit {unit} has no extension request pending")]
    NoExtensionPending {
        /// The unit.
        unit: String,
    },
    /// An extension must be asked before the deadline and for a later time.
    #[error("an extension must be asked before the deadline and for a later one")]
    BadExtension,
    /// A deadline lies before the action that sets it.
    #[error("a deadline lies in the past")]
    DeadlineInPast,
    /// Reopening needs an unsatisfied callback.
    #[error("only an unsatisfied callback can be reopened")]
    NotUnsatisfied,
    /// Supervision comes after a missed deadline (signing or reply); before it, urge.
    #[error("unit {unit} is not overdue yet; urge it instead")]
    NotOverdue {
        /// The unit.
        unit: String,
    },
    /// The order cannot be merged into itself.
    #[error("an order cannot be merged into itself")]
    SelfMerge,
    /// The citizen has already rated this order (一事一评).
    #[error("the citizen has already rated this order")]
    AlreadyRated,
    /// No citizen's "not solved" waits for the centre's review.
    #[error("no redo review is pending")]
    NoRedoReview,
}

impl Rejection {
    /// A message for staff, in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Rejection::NotCreated => "工单尚未登记".into(),
            Rejection::AlreadyCreated => "工单已登记".into(),
            Rejection::WrongStatus { action, status } => {
                format!("工单当前状态为“{}”，不能{}", status.label(), action.label())
            }
            Rejection::NotAssigned { unit } => format!("单位 {unit} 没有待办的该工单"),
            Rejection::NotLead { unit } => format!("单位 {unit} 不是主办单位"),
            Rejection::AlreadySigned { unit } => format!("单位 {unit} 已签收"),
            Rejection::NotSigned { unit } => format!("单位 {unit} 尚未签收"),
            Rejection::FinalAssignment { unit } => {
                format!("该工单已由中心审定交单位 {unit} 办理，不能退回")
            }
            Rejection::DuplicateUnit { unit } => format!("单位 {unit} 重复指定"),
            Rejection::CoHandlersPending { units } => {
                format!("协办单位尚未反馈：{}", units.join("、"))
            }
            Rejection::ExtensionPending { unit } => format!("单位 {unit} 已有待审批的延期申请"),
            Rejection::NoExtensionPending { unit } => format!("单位 {unit} 没有待审批的延期申请"),
            Rejection::BadExtension => "延期须在办理时限前申请，且新时限晚于原时限".into(),
            Rejection::DeadlineInPast => "时限不能早于当前时间".into(),
            Rejection::NotUnsatisfied => "只有回访不满意的工单可以重办".into(),
            Rejection::NotOverdue { unit } => format!("单位 {unit} 尚未超期，请使用催办"),
            Rejection::SelfMerge => "工单不能合并到自身".into(),
            Rejection::AlreadyRated => "该工单已评价过，每件工单只能评价一次".into(),
            Rejection::NoRedoReview => "该工单没有待审核的重办申请".into(),
        }
    }
}

/// The citizen's own rating of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CitizenRating {
    /// The rating.
    pub satisfaction: Satisfaction,
    /// Whether the citizen says it was solved.
    pub solved: bool,
    /// What they wrote.
    pub comment: String,
    /// When (Unix ms).
    pub at: i64,
}

/// An event that lost: it was recorded but not applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conflict {
    /// The event's id.
    pub event_id: String,
    /// What it tried.
    pub action: ActionKind,
    /// Who.
    pub author: String,
    /// For which unit.
    pub unit: String,
    /// At which node.
    pub node: String,
    /// When.
    pub at: Hlc,
    /// Why it could not apply.
    pub rejection: Rejection,
}

/// The derived state of a work order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TicketState {
    /// Where it stands.
    pub status: Status,
    /// Current request type (intake, or corrected at review).
    pub request_type: RequestType,
    /// Current subject code.
    pub subject: String,
    /// Current one-line summary.
    pub title: String,
    /// Current urgency.
    pub urgent: bool,
    /// The unit that registered it (the centre, or a unit's own intake).
    pub origin_unit: Option<String>,
    /// When it was registered.
    pub created_at: Option<i64>,
    /// The current (or last) lead assignment.
    pub lead: Option<Assignment>,
    /// Current co-handling assignments.
    pub co: Vec<Assignment>,
    /// Earlier assignments: returned, superseded by transfer or re-dispatch.
    pub past: Vec<Assignment>,
    /// Answer given at once (直接办结).
    pub direct_answer: Option<String>,
    /// The accepted final reply (the lead's).
    pub final_reply: Option<ReplyRecord>,
    /// Times the reply was sent back for redo.
    pub redo_count: u32,
    /// Times reopened after an unsatisfied callback.
    pub reopen_count: u32,
    /// Times sent back to the operator at review.
    pub sent_back_count: u32,
    /// Callback result.
    pub satisfaction: Option<Satisfaction>,
    /// When called back (by an operator, or the citizen's own rating).
    pub callback_at: Option<i64>,
    /// The citizen's own rating (评价), given once.
    #[serde(default)]
    pub citizen_rating: Option<CitizenRating>,
    /// The citizen said "not solved" or 不满意: the centre must decide on a redo (重办审核).
    #[serde(default)]
    pub redo_review: bool,
    /// When closed.
    pub closed_at: Option<i64>,
    /// Result published on the portal.
    pub published: bool,
    /// Master order's number, if merged.
    pub merged_into: Option<String>,
    /// Urges across all units.
    pub urge_count: u32,
    /// The highest supervision level.
    pub supervision: Option<SupervisionLevel>,
    /// Time of the last applied event.
    pub updated_at: i64,
    /// Events applied.
    pub applied: u32,
    /// Events that lost, in order.
    pub conflicts: Vec<Conflict>,
}

impl TicketState {
    /// The state before any event: values from the intake.
    pub fn initial(intake: &Intake) -> Self {
        TicketState {
            status: Status::PendingReview,
            request_type: intake.request_type,
            subject: intake.subject.clone(),
            title: intake.title.clone(),
            urgent: intake.urgent,
            origin_unit: None,
            created_at: None,
            lead: None,
            co: Vec::new(),
            past: Vec::new(),
            direct_answer: None,
            final_reply: None,
            redo_count: 0,
            reopen_count: 0,
            sent_back_count: 0,
            satisfaction: None,
            callback_at: None,
            citizen_rating: None,
            redo_review: false,
            closed_at: None,
            published: false,
            merged_into: None,
            urge_count: 0,
            supervision: None,
            updated_at: 0,
            applied: 0,
            conflicts: Vec::new(),
        }
    }

    /// Derives the state from the intake and the events in any order (duplicates ignored).
    pub fn derive(intake: &Intake, events: &[Event]) -> Self {
        let mut state = TicketState::initial(intake);
        for e in crate::event::canonical_order(events) {
            if let Err(rejection) = state.apply(e) {
                state.conflicts.push(Conflict {
                    event_id: e.id.clone(),
                    action: e.action.kind(),
                    author: e.author.clone(),
                    unit: e.unit.clone(),
                    node: e.node.clone(),
                    at: e.hlc,
                    rejection,
                });
            }
        }
        state
    }

    /// Whether this event would apply now; the state is unchanged either way.
    pub fn check(&self, event: &Event) -> Result<(), Rejection> {
        self.clone().apply(event)
    }

    /// Applies one event, or leaves the state untouched and says why not.
    pub fn apply(&mut self, event: &Event) -> Result<(), Rejection> {
        let mut next = self.clone();
        next.step(event)?;
        next.applied += 1;
        next.updated_at = next.updated_at.max(event.hlc.wall_ms);
        *self = next;
        Ok(())
    }

    /// How often units returned the order (退单): the count the centre weighs before a final
    /// assignment (审定).
    pub fn returns(&self) -> usize {
        self.past
            .iter()
            .chain(self.lead.iter())
            .chain(self.co.iter())
            .filter(|a| a.status == AssignmentStatus::Returned)
            .count()
    }

    /// What the citizen is told: the accepted reply, or the answer given at once.
    pub fn public_reply(&self) -> Option<String> {
        self.final_reply
            .as_ref()
            .map(|r| r.public_reply.clone())
            .or_else(|| self.direct_answer.clone())
    }

    /// The current deadline: the lead unit's, while it has one to meet.
    pub fn due_at(&self) -> Option<i64> {
        self.lead
            .as_ref()
            .filter(|a| a.is_active())
            .map(|a| a.due_at)
    }

    /// Every unit with an active part in the order, lead first.
    pub fn active_units(&self) -> Vec<&str> {
        self.lead
            .iter()
            .chain(self.co.iter())
            .filter(|a| a.is_active() || a.status == AssignmentStatus::Replied)
            .map(|a| a.unit.as_str())
            .collect()
    }

    /// The units whose subtrees should hold this order (for scoped replication): the registering unit,
    /// the lead and the co-handling units.
    pub fn scope_units(&self) -> Vec<String> {
        let mut units: Vec<String> = self.origin_unit.iter().cloned().collect();
        if !self.status.is_final() || self.lead.is_some() {
            for a in self.lead.iter().chain(self.co.iter()) {
                if a.status != AssignmentStatus::Returned
                    && a.status != AssignmentStatus::Superseded
                {
                    units.push(a.unit.clone());
                }
            }
        }
        units.sort();
        units.dedup();
        units
    }

    fn assignment_mut(&mut self, unit: &str) -> Option<&mut Assignment> {
        self.lead.iter_mut().chain(self.co.iter_mut()).find(|a| {
            a.unit == unit
                && a.status != AssignmentStatus::Superseded
                && a.status != AssignmentStatus::Returned
        })
    }

    fn wrong(&self, action: ActionKind) -> Rejection {
        Rejection::WrongStatus {
            action,
            status: self.status,
        }
    }

    fn require(&self, action: ActionKind, allowed: &[Status]) -> Result<(), Rejection> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(self.wrong(action))
        }
    }

    fn step(&mut self, e: &Event) -> Result<(), Rejection> {
        let kind = e.action.kind();
        let now = e.hlc.wall_ms;
        if self.created_at.is_none() && kind != ActionKind::Created {
            return Err(Rejection::NotCreated);
        }
        match &e.action {
            Action::Created => {
                if self.created_at.is_some() {
                    return Err(Rejection::AlreadyCreated);
                }
                self.created_at = Some(now);
                self.origin_unit = Some(e.unit.clone());
            }
            Action::AnswerDirectly { answer } => {
                self.require(kind, &[Status::PendingReview, Status::SentBack])?;
                self.direct_answer = Some(answer.clone());
                self.status = Status::Closed;
                self.closed_at = Some(now);
            }
            Action::Review {
                accept,
                subject,
                request_type,
                title,
                urgent,
                ..
            } => {
                self.require(kind, &[Status::PendingReview])?;
                if let Some(s) = subject {
                    self.subject = s.clone();
                }
                if let Some(t) = request_type {
                    self.request_type = *t;
                }
                if let Some(t) = title {
                    self.title = t.clone();
                }
                if let Some(u) = urgent {
                    self.urgent = *u;
                }
                if *accept {
                    self.status = Status::ReadyToDispatch;
                } else {
                    self.status = Status::SentBack;
                    self.sent_back_count += 1;
                }
            }
            Action::Resubmit { .. } => {
                self.require(kind, &[Status::SentBack])?;
                self.status = Status::PendingReview;
            }
            Action::Dispatch {
                lead,
                co,
                final_assignment,
                ..
            } => {
                self.require(
                    kind,
                    &[
                        Status::PendingReview,
                        Status::ReadyToDispatch,
                        Status::Returned,
                    ],
                )?;
                check_distinct(lead, co)?;
                check_future(now, lead, co)?;
                self.retire_all(now);
                let mut assignment = Assignment::new(lead, Part::Lead, &e.unit, now);
                assignment.final_assignment = *final_assignment;
                self.lead = Some(assignment);
                self.co = co
                    .iter()
                    .map(|c| Assignment::new(c, Part::Co, &e.unit, now))
                    .collect();
                self.status = Status::Dispatched;
            }
            Action::Transfer { to, co, .. } => {
                self.require(kind, &[Status::Handling])?;
                self.require_lead(&e.unit)?;
                check_distinct(to, co)?;
                check_future(now, to, co)?;
                for c in std::iter::once(to).chain(co) {
                    if self.co.iter().any(|x| x.unit == c.unit && x.is_active()) {
                        return Err(Rejection::DuplicateUnit {
                            unit: c.unit.clone(),
                        });
                    }
                }
                let mut final_assignment = false;
                if let Some(mut old) = self.lead.take() {
                    final_assignment = old.final_assignment;
                    old.status = AssignmentStatus::Superseded;
                    old.ended_at = Some(now);
                    self.past.push(old);
                }
                // A final assignment stays final down the tree.
                let mut assignment = Assignment::new(to, Part::Lead, &e.unit, now);
                assignment.final_assignment = final_assignment;
                self.lead = Some(assignment);
                self.co.extend(
                    co.iter()
                        .map(|c| Assignment::new(c, Part::Co, &e.unit, now)),
                );
                self.status = Status::Dispatched;
            }
            Action::Sign => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let a = self.active_assignment(&e.unit)?;
                if a.signed_at.is_some() {
                    return Err(Rejection::AlreadySigned {
                        unit: e.unit.clone(),
                    });
                }
                a.signed_at = Some(now);
                a.status = AssignmentStatus::Handling;
                if a.part == Part::Lead {
                    self.status = Status::Handling;
                }
            }
            Action::Return { reason } => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let a = self.active_assignment(&e.unit)?;
                if a.final_assignment {
                    return Err(Rejection::FinalAssignment {
                        unit: e.unit.clone(),
                    });
                }
                a.status = AssignmentStatus::Returned;
                a.return_reason = Some(reason.clone());
                a.ended_at = Some(now);
                if a.part == Part::Lead {
                    self.retire_all(now);
                    self.status = Status::Returned;
                } else {
                    let pos = self
                        .co
                        .iter()
                        .position(|x| x.status == AssignmentStatus::Returned && x.unit == e.unit);
                    if let Some(pos) = pos {
                        let returned = self.co.remove(pos);
                        self.past.push(returned);
                    }
                }
            }
            Action::RequestExtension { until, reason } => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let a = self.active_assignment(&e.unit)?;
                if a.signed_at.is_none() {
                    return Err(Rejection::NotSigned {
                        unit: e.unit.clone(),
                    });
                }
                if a.extension_request.is_some() {
                    return Err(Rejection::ExtensionPending {
                        unit: e.unit.clone(),
                    });
                }
                if now >= a.due_at || *until <= a.due_at {
                    return Err(Rejection::BadExtension);
                }
                a.extension_request = Some(ExtensionRequest {
                    until: *until,
                    reason: reason.clone(),
                    at: now,
                });
            }
            Action::ApproveExtension {
                for_unit, until, ..
            } => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let a = self.active_assignment(for_unit)?;
                if a.extension_request.take().is_none() {
                    return Err(Rejection::NoExtensionPending {
                        unit: for_unit.clone(),
                    });
                }
                if *until <= a.due_at {
                    return Err(Rejection::BadExtension);
                }
                a.due_at = *until;
                a.extensions += 1;
            }
            Action::RejectExtension { for_unit, .. } => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let a = self.active_assignment(for_unit)?;
                if a.extension_request.take().is_none() {
                    return Err(Rejection::NoExtensionPending {
                        unit: for_unit.clone(),
                    });
                }
                a.extensions_rejected += 1;
            }
            Action::Reply {
                founded,
                solved,
                public_reply,
                internal_note,
            } => {
                self.require(kind, &[Status::Dispatched, Status::Handling])?;
                let is_lead = self
                    .lead
                    .as_ref()
                    .is_some_and(|l| l.unit == e.unit && l.is_active());
                if is_lead {
                    let pending: Vec<String> = self
                        .co
                        .iter()
                        .filter(|c| c.is_active())
                        .map(|c| c.unit.clone())
                        .collect();
                    if !pending.is_empty() {
                        return Err(Rejection::CoHandlersPending { units: pending });
                    }
                }
                let a = self.active_assignment(&e.unit)?;
                if a.signed_at.is_none() {
                    return Err(Rejection::NotSigned {
                        unit: e.unit.clone(),
                    });
                }
                a.reply = Some(ReplyRecord {
                    founded: *founded,
                    solved: *solved,
                    public_reply: public_reply.clone(),
                    internal_note: internal_note.clone(),
                    at: now,
                });
                a.status = AssignmentStatus::Replied;
                a.extension_request = None;
                a.ended_at = Some(now);
                if is_lead {
                    self.status = Status::Replied;
                }
            }
            Action::ReviewResult {
                accept,
                redo_due_at,
                ..
            } => {
                self.require(kind, &[Status::Replied])?;
                if *accept {
                    self.final_reply = self.lead.as_ref().and_then(|l| l.reply.clone());
                    self.status = Status::AwaitingCallback;
                } else {
                    if redo_due_at.is_some_and(|d| d <= now) {
                        return Err(Rejection::DeadlineInPast);
                    }
                    self.redo_count += 1;
                    self.reactivate_lead(*redo_due_at, now);
                }
            }
            Action::Callback { satisfaction, .. } => {
                self.require(kind, &[Status::AwaitingCallback, Status::CalledBack])?;
                self.satisfaction = Some(*satisfaction);
                self.callback_at = Some(now);
                self.status = Status::CalledBack;
            }
            Action::Reopen { due_at, .. } => {
                // After an unsatisfied callback, or a closed order the citizen says is not solved.
                if self.status == Status::Closed {
                    if !self.redo_review {
                        return Err(Rejection::NoRedoReview);
                    }
                } else {
                    self.require(kind, &[Status::CalledBack])?;
                    if self.satisfaction != Some(Satisfaction::Unsatisfied) && !self.redo_review {
                        return Err(Rejection::NotUnsatisfied);
                    }
                }
                if *due_at <= now {
                    return Err(Rejection::DeadlineInPast);
                }
                self.reopen_count += 1;
                self.final_reply = None;
                self.redo_review = false;
                self.closed_at = None;
                self.published = false;
                self.reactivate_lead(Some(*due_at), now);
            }
            Action::Rate {
                satisfaction,
                solved,
                comment,
            } => {
                self.require(
                    kind,
                    &[Status::AwaitingCallback, Status::CalledBack, Status::Closed],
                )?;
                if self.citizen_rating.is_some() {
                    return Err(Rejection::AlreadyRated);
                }
                self.citizen_rating = Some(CitizenRating {
                    satisfaction: *satisfaction,
                    solved: *solved,
                    comment: comment.clone(),
                    at: now,
                });
                // The citizen's own word is the order's rating; it is its callback if none was made.
                self.satisfaction = Some(*satisfaction);
                self.callback_at = self.callback_at.or(Some(now));
                if self.status == Status::AwaitingCallback {
                    self.status = Status::CalledBack;
                }
                self.redo_review = !*solved || *satisfaction == Satisfaction::Unsatisfied;
            }
            Action::KeepClosed { .. } => {
                if !self.redo_review {
                    return Err(Rejection::NoRedoReview);
                }
                self.redo_review = false;
            }
            Action::Close { publish, .. } => {
                self.require(kind, &[Status::AwaitingCallback, Status::CalledBack])?;
                self.status = Status::Closed;
                self.closed_at = Some(now);
                self.published = *publish;
                // Closing after the review of a citizen's "not solved" decides it.
                self.redo_review = false;
            }
            Action::Merge { master } => {
                self.require(
                    kind,
                    &[
                        Status::PendingReview,
                        Status::ReadyToDispatch,
                        Status::Returned,
                        Status::SentBack,
                    ],
                )?;
                if master.is_empty() {
                    return Err(Rejection::SelfMerge);
                }
                self.merged_into = Some(master.clone());
                self.status = Status::Merged;
                self.closed_at = Some(now);
            }
            Action::Urge { target, .. } => {
                if self.status.is_final() {
                    return Err(self.wrong(kind));
                }
                let a = self.active_assignment(target)?;
                a.urges += 1;
                self.urge_count += 1;
            }
            Action::Supervise { target, level, .. } => {
                if self.status.is_final() {
                    return Err(self.wrong(kind));
                }
                let a = self.active_assignment(target)?;
                let overdue = now > a.due_at || (a.signed_at.is_none() && now > a.sign_due_at);
                if *level != crate::event::SupervisionLevel::Named && !overdue {
                    return Err(Rejection::NotOverdue {
                        unit: target.clone(),
                    });
                }
                a.supervision = a.supervision.max(Some(*level));
                self.supervision = self.supervision.max(Some(*level));
            }
        }
        Ok(())
    }

    fn require_lead(&self, unit: &str) -> Result<(), Rejection> {
        match &self.lead {
            Some(l) if l.unit == unit && l.is_active() => {
                if l.signed_at.is_none() {
                    Err(Rejection::NotSigned { unit: unit.into() })
                } else {
                    Ok(())
                }
            }
            _ => Err(Rejection::NotLead { unit: unit.into() }),
        }
    }

    fn active_assignment(&mut self, unit: &str) -> Result<&mut Assignment, Rejection> {
        match self.assignment_mut(unit) {
            Some(a) if a.is_active() => Ok(a),
            _ => Err(Rejection::NotAssigned { unit: unit.into() }),
        }
    }

    /// Moves every current assignment to the past (a new dispatch replaces them).
    fn retire_all(&mut self, now: i64) {
        let old = self.lead.take().into_iter().chain(self.co.drain(..));
        for mut a in old.collect::<Vec<_>>() {
            if a.status != AssignmentStatus::Returned {
                a.status = AssignmentStatus::Superseded;
                a.ended_at = a.ended_at.or(Some(now));
            }
            self.past.push(a);
        }
    }

    /// Sends the order back to the lead unit for redo/reopen, keeping it signed.
    fn reactivate_lead(&mut self, due_at: Option<i64>, now: i64) {
        if let Some(l) = self.lead.as_mut() {
            l.status = AssignmentStatus::Handling;
            l.redos += 1;
            l.ended_at = None;
            if l.signed_at.is_none() {
                l.signed_at = Some(now);
            }
            if let Some(d) = due_at {
                l.due_at = d;
            }
        }
        self.status = Status::Handling;
    }
}

fn check_distinct(lead: &AssignTo, co: &[AssignTo]) -> Result<(), Rejection> {
    let mut seen = vec![lead.unit.as_str()];
    for c in co {
        if seen.contains(&c.unit.as_str()) {
            return Err(Rejection::DuplicateUnit {
                unit: c.unit.clone(),
            });
        }
        seen.push(&c.unit);
    }
    Ok(())
}

fn check_future(now: i64, lead: &AssignTo, co: &[AssignTo]) -> Result<(), Rejection> {
    if std::iter::once(lead)
        .chain(co)
        .any(|a| a.due_at <= now || a.sign_due_at <= now)
    {
        return Err(Rejection::DeadlineInPast);
    }
    Ok(())
}
