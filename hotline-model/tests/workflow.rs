//! Workflow rules of a work order, action by action: what each action requires (status, acting unit)
//! and what it changes in the derived `TicketState`, plus whole lives of an order end to end.

mod support;

use hotline_model::category::RequestType;
use hotline_model::event::{Action, ActionKind, Satisfaction, SupervisionLevel};
use hotline_model::hlc::Hlc;
use hotline_model::workflow::{AssignmentStatus, Part, Rejection, Status, TicketState};
use support::*;

fn wrong(action: ActionKind, status: Status) -> Rejection {
    Rejection::WrongStatus { action, status }
}

fn not_assigned(unit: &str) -> Rejection {
    Rejection::NotAssigned { unit: unit.into() }
}

fn urge(target: &str) -> Action {
    Action::Urge {
        target: target.into(),
        note: String::new(),
    }
}

fn supervise(target: &str, level: SupervisionLevel) -> Action {
    Action::Supervise {
        target: target.into(),
        level,
        note: String::new(),
    }
}

fn request_extension(until: i64) -> Action {
    Action::RequestExtension {
        until,
        reason: "需协调多部门现场勘查".into(),
    }
}

fn approve(unit: &str, until: i64) -> Action {
    Action::ApproveExtension {
        for_unit: unit.into(),
        until,
        note: String::new(),
    }
}

fn reject_extension(unit: &str) -> Action {
    Action::RejectExtension {
        for_unit: unit.into(),
        reason: "时限内可以办结".into(),
    }
}

fn review_result(accept: bool, redo_due_at: Option<i64>) -> Action {
    Action::ReviewResult {
        accept,
        reason: if accept {
            String::new()
        } else {
            "答复未回应诉求".into()
        },
        redo_due_at,
    }
}

fn callback(satisfaction: Satisfaction) -> Action {
    Action::Callback {
        satisfaction,
        note: String::new(),
        channel: Default::default(),
    }
}

fn reopen(due_at: i64) -> Action {
    Action::Reopen {
        reason: "电梯仍未修好".into(),
        due_at,
    }
}

fn rate(satisfaction: Satisfaction, solved: bool) -> Action {
    Action::Rate {
        satisfaction,
        solved,
        comment: "处理及时".into(),
    }
}

fn keep_closed() -> Action {
    Action::KeepClosed {
        reason: "已按政策答复，诉求超出政策范围".into(),
    }
}

fn close(publish: bool) -> Action {
    Action::Close {
        publish,
        note: String::new(),
    }
}

fn merge(master: &str) -> Action {
    Action::Merge {
        master: master.into(),
    }
}

fn transfer(to: hotline_model::event::AssignTo, co: Vec<hotline_model::event::AssignTo>) -> Action {
    Action::Transfer {
        to,
        co,
        note: "请街道现场处置".into(),
    }
}

fn answer() -> Action {
    Action::AnswerDirectly {
        answer: "可通过市医保APP查询。".into(),
    }
}

/// One sample of every action, for "nothing works here" checks.
fn every_action(now: i64) -> Vec<Action> {
    vec![
        Action::Created,
        answer(),
        review(true),
        Action::Resubmit {
            note: String::new(),
        },
        dispatch(assign(LEAD, now, 10), vec![]),
        transfer(assign(SUB, now, 5), vec![]),
        Action::Sign,
        ret("不属于本单位职责"),
        request_extension(now + 30 * DAY),
        approve(LEAD, now + 30 * DAY),
        reject_extension(LEAD),
        reply(true),
        review_result(true, None),
        callback(Satisfaction::Satisfied),
        reopen(now + 5 * DAY),
        rate(Satisfaction::Satisfied, true),
        keep_closed(),
        close(false),
        merge("20261124-C-00001"),
        urge(LEAD),
        supervise(LEAD, SupervisionLevel::Named),
    ]
}

// ------------------------------------------------------------------------------------------ created

#[test]
fn nothing_happens_before_created() {
    let mut f = Flow::empty();
    for action in every_action(f.now) {
        if action == Action::Created {
            continue;
        }
        assert_eq!(f.refused(CENTRE, action), Rejection::NotCreated);
    }
    let s = f.ok(LEAD, Action::Created).clone();
    assert_eq!(s.status, Status::PendingReview);
    assert_eq!(s.origin_unit.as_deref(), Some(LEAD));
    assert_eq!(s.created_at, Some(f.now));
    assert_eq!(s.title, "电梯频繁停运");
    assert_eq!(s.request_type, RequestType::Complaint);
    assert_eq!(s.applied, 1);
    assert_eq!(
        f.refused(CENTRE, Action::Created),
        Rejection::AlreadyCreated
    );
}

// ----------------------------------------------------------------------------------- answer directly

#[test]
fn answer_directly_closes_a_new_or_sent_back_order() {
    let mut f = Flow::new();
    let s = f.ok(CENTRE, answer()).clone();
    assert_eq!(s.status, Status::Closed);
    assert_eq!(s.direct_answer.as_deref(), Some("可通过市医保APP查询。"));
    assert_eq!(s.closed_at, Some(f.now));
    assert!(s.lead.is_none());

    let mut f = Flow::new();
    f.ok(CENTRE, review(false));
    assert_eq!(f.ok(CENTRE, answer()).status, Status::Closed);

    let mut f = Flow::new();
    f.ok(CENTRE, review(true));
    assert_eq!(
        f.refused(CENTRE, answer()),
        wrong(ActionKind::AnswerDirectly, Status::ReadyToDispatch)
    );
    let mut f = Flow::dispatched(&[]);
    assert_eq!(
        f.refused(CENTRE, answer()),
        wrong(ActionKind::AnswerDirectly, Status::Dispatched)
    );
}

// ---------------------------------------------------------------------------------- review, resubmit

#[test]
fn review_accepts_with_corrections_or_sends_back() {
    let mut f = Flow::new();
    let s = f
        .ok(
            CENTRE,
            Action::Review {
                accept: true,
                note: "更正分类".into(),
                subject: Some("CX.WY.FW".into()),
                request_type: Some(RequestType::Help),
                title: Some("电梯停运求助".into()),
                urgent: Some(true),
            },
        )
        .clone();
    assert_eq!(s.status, Status::ReadyToDispatch);
    assert_eq!(s.subject, "CX.WY.FW");
    assert_eq!(s.request_type, RequestType::Help);
    assert_eq!(s.title, "电梯停运求助");
    assert!(s.urgent);
    assert_eq!(s.sent_back_count, 0);
    assert_eq!(
        f.refused(CENTRE, review(true)),
        wrong(ActionKind::Review, Status::ReadyToDispatch)
    );
    assert_eq!(
        f.refused(
            CENTRE,
            Action::Resubmit {
                note: String::new()
            }
        ),
        wrong(ActionKind::Resubmit, Status::ReadyToDispatch)
    );

    let mut f = Flow::new();
    assert_eq!(
        f.refused(
            CENTRE,
            Action::Resubmit {
                note: String::new()
            }
        ),
        wrong(ActionKind::Resubmit, Status::PendingReview)
    );
    let s = f.ok(CENTRE, review(false)).clone();
    assert_eq!(s.status, Status::SentBack);
    assert_eq!(s.sent_back_count, 1);
    assert_eq!(
        f.refused(CENTRE, review(true)),
        wrong(ActionKind::Review, Status::SentBack)
    );
    let s = f
        .ok(
            CENTRE,
            Action::Resubmit {
                note: "已补充地址".into(),
            },
        )
        .clone();
    assert_eq!(s.status, Status::PendingReview);
    f.ok(CENTRE, review(false));
    f.ok(
        CENTRE,
        Action::Resubmit {
            note: String::new(),
        },
    );
    let s = f.ok(CENTRE, review(true));
    assert_eq!((s.status, s.sent_back_count), (Status::ReadyToDispatch, 2));
}

// ---------------------------------------------------------------------------------------- dispatch

#[test]
fn dispatch_names_a_lead_and_co_handlers() {
    let mut f = Flow::new();
    f.ok(CENTRE, review(true));
    let now = f.now + MINUTE;
    let s = f
        .ok(
            CENTRE,
            dispatch(assign(LEAD, now, 10), vec![assign(CO, now, 7)]),
        )
        .clone();
    assert_eq!(s.status, Status::Dispatched);
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(lead.unit, LEAD);
    assert_eq!(lead.part, Part::Lead);
    assert_eq!(lead.status, AssignmentStatus::AwaitingSign);
    assert_eq!(lead.assigned_by, CENTRE);
    assert_eq!(lead.assigned_at, now);
    assert_eq!(lead.sign_due_at, now + 2 * HOUR);
    assert_eq!(lead.due_at, now + 10 * DAY);
    assert_eq!(lead.signed_at, None);
    assert_eq!(s.co.len(), 1);
    assert_eq!((s.co[0].unit.as_str(), s.co[0].part), (CO, Part::Co));
    assert_eq!(s.co[0].due_at, now + 7 * DAY);
    assert_eq!(s.due_at(), Some(now + 10 * DAY));
    assert_eq!(s.active_units(), vec![LEAD, CO]);
    assert!(s.past.is_empty());
}

#[test]
fn dispatch_is_possible_from_review_ready_or_returned_only() {
    // Straight from pending review (the shift leader reviews and dispatches in one go).
    let mut f = Flow::new();
    let now = f.now;
    assert_eq!(
        f.ok(CENTRE, dispatch(assign(LEAD, now, 10), vec![])).status,
        Status::Dispatched
    );
    // Not twice, not while handling.
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, dispatch(assign(OTHER, now, 10), vec![])),
        wrong(ActionKind::Dispatch, Status::Dispatched)
    );
    f.ok(LEAD, Action::Sign);
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, dispatch(assign(OTHER, now, 10), vec![])),
        wrong(ActionKind::Dispatch, Status::Handling)
    );
    // Not when sent back to the operator.
    let mut f = Flow::new();
    f.ok(CENTRE, review(false));
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, dispatch(assign(LEAD, now, 10), vec![])),
        wrong(ActionKind::Dispatch, Status::SentBack)
    );
}

#[test]
fn dispatch_refuses_duplicates_and_past_deadlines() {
    let mut f = Flow::new();
    f.ok(CENTRE, review(true));
    let now = f.now;
    assert_eq!(
        f.refused(
            CENTRE,
            dispatch(assign(LEAD, now, 10), vec![assign(LEAD, now, 10)])
        ),
        Rejection::DuplicateUnit { unit: LEAD.into() }
    );
    assert_eq!(
        f.refused(
            CENTRE,
            dispatch(
                assign(LEAD, now, 10),
                vec![assign(CO, now, 10), assign(CO, now, 10)]
            )
        ),
        Rejection::DuplicateUnit { unit: CO.into() }
    );
    // The event is stamped one minute after `now`: a deadline at that very instant is in the past.
    let mut late = assign(LEAD, now, 10);
    late.due_at = now + MINUTE;
    assert_eq!(
        f.refused(CENTRE, dispatch(late, vec![])),
        Rejection::DeadlineInPast
    );
    let now = f.now;
    let mut late_sign = assign(LEAD, now, 10);
    late_sign.sign_due_at = now;
    assert_eq!(
        f.refused(CENTRE, dispatch(late_sign, vec![])),
        Rejection::DeadlineInPast
    );
    let now = f.now;
    let mut late_co = assign(CO, now, 10);
    late_co.due_at = now - DAY;
    assert_eq!(
        f.refused(CENTRE, dispatch(assign(LEAD, now, 10), vec![late_co])),
        Rejection::DeadlineInPast
    );
    assert_eq!(f.state.status, Status::ReadyToDispatch);
}

// -------------------------------------------------------------------------------------------- sign

#[test]
fn sign_by_assigned_units_only_once() {
    let mut f = Flow::dispatched(&[CO]);
    assert_eq!(f.refused(OTHER, Action::Sign), not_assigned(OTHER));
    assert_eq!(f.refused(CENTRE, Action::Sign), not_assigned(CENTRE));
    // A co-handler's signature does not start the handling of the order.
    let s = f.ok(CO, Action::Sign).clone();
    assert_eq!(s.status, Status::Dispatched);
    assert_eq!(s.co[0].status, AssignmentStatus::Handling);
    assert_eq!(s.co[0].signed_at, Some(f.now));
    assert_eq!(
        f.refused(CO, Action::Sign),
        Rejection::AlreadySigned { unit: CO.into() }
    );
    let s = f.ok(LEAD, Action::Sign).clone();
    assert_eq!(s.status, Status::Handling);
    assert_eq!(s.lead.as_ref().and_then(|l| l.signed_at), Some(f.now));
    assert_eq!(
        f.refused(LEAD, Action::Sign),
        Rejection::AlreadySigned { unit: LEAD.into() }
    );

    let mut f = Flow::new();
    assert_eq!(
        f.refused(LEAD, Action::Sign),
        wrong(ActionKind::Sign, Status::PendingReview)
    );
}

// ------------------------------------------------------------------------------------------ return

#[test]
fn a_co_handler_returns_alone_the_lead_returns_the_order() {
    let mut f = Flow::dispatched(&[CO]);
    assert_eq!(f.refused(OTHER, ret("不是我们的")), not_assigned(OTHER));
    let s = f.ok(CO, ret("不属于住建局职责")).clone();
    assert_eq!(s.status, Status::Dispatched);
    assert!(s.co.is_empty());
    assert_eq!(s.past.len(), 1);
    assert_eq!(s.past[0].status, AssignmentStatus::Returned);
    assert_eq!(s.past[0].return_reason.as_deref(), Some("不属于住建局职责"));
    assert_eq!(s.past[0].ended_at, Some(f.now));
    assert_eq!(f.refused(CO, Action::Sign), not_assigned(CO));
    assert_eq!(f.refused(CO, ret("再退一次")), not_assigned(CO));

    // The lead may return even after signing.
    f.ok(LEAD, Action::Sign);
    let s = f.ok(LEAD, ret("应由公安局处理")).clone();
    assert_eq!(s.status, Status::Returned);
    assert!(s.lead.is_none());
    assert!(s.co.is_empty());
    assert_eq!(s.due_at(), None);
    let returned = s
        .past
        .iter()
        .find(|a| a.unit == LEAD)
        .expect("lead in the past");
    assert_eq!(returned.status, AssignmentStatus::Returned);
    assert_eq!(returned.return_reason.as_deref(), Some("应由公安局处理"));
    assert_eq!(
        f.refused(LEAD, reply(true)),
        wrong(ActionKind::Reply, Status::Returned)
    );
    assert_eq!(
        f.refused(LEAD, ret("x")),
        wrong(ActionKind::Return, Status::Returned)
    );
}

#[test]
fn return_and_re_dispatch() {
    let mut f = Flow::dispatched(&[CO]);
    f.ok(CO, Action::Sign);
    f.ok(LEAD, ret("应由公安局处理"));
    // Merge is one possible outcome of a returned order; re-dispatch is the usual one.
    let now = f.now;
    let s = f
        .ok(
            CENTRE,
            dispatch(assign(OTHER, now, 10), vec![assign(CO, now, 10)]),
        )
        .clone();
    assert_eq!(s.status, Status::Dispatched);
    assert_eq!(s.lead.as_ref().map(|l| l.unit.as_str()), Some(OTHER));
    // The co-handler that had signed is superseded and assigned afresh.
    assert_eq!(s.co.len(), 1);
    assert_eq!(s.co[0].status, AssignmentStatus::AwaitingSign);
    assert_eq!(s.past.len(), 2);
    let old_co = s.past.iter().find(|a| a.unit == CO).expect("old co");
    assert_eq!(old_co.status, AssignmentStatus::Superseded);
    assert_eq!(f.refused(LEAD, Action::Sign), not_assigned(LEAD));
    f.ok(OTHER, Action::Sign);
    f.ok(CO, Action::Sign);
    f.ok(CO, reply(true));
    assert_eq!(f.ok(OTHER, reply(true)).status, Status::Replied);
}

#[test]
fn a_lead_reply_waits_for_co_handlers_unless_they_returned() {
    let mut f = Flow::handling(&[CO, OTHER]);
    assert_eq!(
        f.refused(LEAD, reply(true)),
        Rejection::CoHandlersPending {
            units: vec![CO.into(), OTHER.into()]
        }
    );
    f.ok(OTHER, ret("非本单位职责"));
    assert_eq!(
        f.refused(LEAD, reply(true)),
        Rejection::CoHandlersPending {
            units: vec![CO.into()]
        }
    );
    f.ok(CO, reply(false));
    assert_eq!(f.ok(LEAD, reply(true)).status, Status::Replied);
}

// ---------------------------------------------------------------------------------------- transfer

#[test]
fn transfer_hands_the_order_down_to_a_sub_unit() {
    let mut f = Flow::dispatched(&[CO]);
    let now = f.now;
    // Only while handling: the lead must have signed.
    assert_eq!(
        f.refused(LEAD, transfer(assign(SUB, now, 5), vec![])),
        wrong(ActionKind::Transfer, Status::Dispatched)
    );
    f.ok(LEAD, Action::Sign);
    f.ok(CO, Action::Sign);
    let now = f.now;
    assert_eq!(
        f.refused(CO, transfer(assign(SUB, now, 5), vec![])),
        Rejection::NotLead { unit: CO.into() }
    );
    assert_eq!(
        f.refused(OTHER, transfer(assign(SUB, now, 5), vec![])),
        Rejection::NotLead { unit: OTHER.into() }
    );
    assert_eq!(
        f.refused(
            LEAD,
            transfer(assign(SUB, now, 5), vec![assign(CO, now, 5)])
        ),
        Rejection::DuplicateUnit { unit: CO.into() }
    );
    assert_eq!(
        f.refused(
            LEAD,
            transfer(assign(SUB, now, 5), vec![assign(SUB, now, 5)])
        ),
        Rejection::DuplicateUnit { unit: SUB.into() }
    );
    let mut late = assign(SUB, now, 5);
    late.due_at = now;
    assert_eq!(
        f.refused(LEAD, transfer(late, vec![])),
        Rejection::DeadlineInPast
    );

    let now = f.now + MINUTE;
    let s = f
        .ok(
            LEAD,
            transfer(assign(SUB, now, 5), vec![assign("D01-T02", now, 5)]),
        )
        .clone();
    assert_eq!(s.status, Status::Dispatched);
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(
        (lead.unit.as_str(), lead.assigned_by.as_str(), lead.status),
        (SUB, LEAD, AssignmentStatus::AwaitingSign)
    );
    assert_eq!(lead.due_at, now + 5 * DAY);
    assert_eq!(s.past.len(), 1);
    assert_eq!(
        (s.past[0].unit.as_str(), s.past[0].status),
        (LEAD, AssignmentStatus::Superseded)
    );
    // The centre's co-handler stays; the district's extra co-handler joins.
    let co: Vec<&str> = s.co.iter().map(|c| c.unit.as_str()).collect();
    assert_eq!(co, [CO, "D01-T02"]);
    assert_eq!(s.co[1].assigned_by, LEAD);
    // The district is out of the loop now.
    assert_eq!(f.refused(LEAD, reply(true)), not_assigned(LEAD));
    assert_eq!(f.refused(LEAD, ret("x")), not_assigned(LEAD));
    assert_eq!(f.refused(CENTRE, urge(LEAD)), not_assigned(LEAD));

    assert_eq!(f.ok(SUB, Action::Sign).status, Status::Handling);
    // The sub-unit may hand it further down.
    let now = f.now;
    f.ok(SUB, transfer(assign("D01-T01-C01", now, 4), vec![]));
    f.ok("D01-T01-C01", Action::Sign);
    f.ok("D01-T02", Action::Sign);
    f.ok("D01-T02", reply(true));
    f.ok(CO, reply(true));
    let s = f.ok("D01-T01-C01", reply(true)).clone();
    assert_eq!(s.status, Status::Replied);
    assert_eq!(s.past.len(), 2);
}

/// A lead that hands the order to a unit already co-handling it must be refused: otherwise that unit
/// holds two assignments, signing or replying always hits its lead assignment, its co assignment can
/// never be finished, and the lead reply waits for it for ever.
#[test]
fn transfer_to_a_unit_already_co_handling_is_refused() {
    let mut f = Flow::handling(&[SUB]);
    let now = f.now;
    let e = f.next(LEAD, transfer(assign(SUB, now, 5), vec![]));
    assert_eq!(
        f.state.check(&e),
        Err(Rejection::DuplicateUnit { unit: SUB.into() }),
        "transfer to the active co-handler {SUB} must be refused"
    );
}

// ---------------------------------------------------------------------------------------- extension

#[test]
fn extension_requests_are_decided_by_the_centre() {
    let mut f = Flow::dispatched(&[CO]);
    let due = f.state.lead.as_ref().expect("lead").due_at;
    assert_eq!(
        f.refused(LEAD, request_extension(due + 5 * DAY)),
        Rejection::NotSigned { unit: LEAD.into() }
    );
    f.ok(LEAD, Action::Sign);
    assert_eq!(
        f.refused(OTHER, request_extension(due + 5 * DAY)),
        not_assigned(OTHER)
    );
    assert_eq!(
        f.refused(LEAD, request_extension(due)),
        Rejection::BadExtension
    );
    assert_eq!(
        f.refused(CENTRE, approve(LEAD, due + 5 * DAY)),
        Rejection::NoExtensionPending { unit: LEAD.into() }
    );
    assert_eq!(
        f.refused(CENTRE, reject_extension(LEAD)),
        Rejection::NoExtensionPending { unit: LEAD.into() }
    );
    let asked_at = f.now + MINUTE;
    let s = f.ok(LEAD, request_extension(due + 5 * DAY)).clone();
    let req = s
        .lead
        .as_ref()
        .and_then(|l| l.extension_request.clone())
        .expect("request");
    assert_eq!((req.until, req.at), (due + 5 * DAY, asked_at));
    assert_eq!(
        f.refused(LEAD, request_extension(due + 6 * DAY)),
        Rejection::ExtensionPending { unit: LEAD.into() }
    );
    // Approval must still move the deadline later.
    assert_eq!(
        f.refused(CENTRE, approve(LEAD, due)),
        Rejection::BadExtension
    );
    assert_eq!(
        f.refused(CENTRE, approve(OTHER, due + DAY)),
        not_assigned(OTHER)
    );
    assert_eq!(
        f.refused(CENTRE, approve(CO, due + DAY)),
        Rejection::NoExtensionPending { unit: CO.into() }
    );
    // The centre grants less than asked: the deadline moves to what was granted.
    let s = f.ok(CENTRE, approve(LEAD, due + 3 * DAY)).clone();
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(lead.due_at, due + 3 * DAY);
    assert_eq!((lead.extensions, lead.extensions_rejected), (1, 0));
    assert!(lead.extension_request.is_none());
    assert_eq!(s.due_at(), Some(due + 3 * DAY));
    assert_eq!(
        f.refused(CENTRE, approve(LEAD, due + 9 * DAY)),
        Rejection::NoExtensionPending { unit: LEAD.into() }
    );
    // A second request, rejected: the deadline stays.
    f.ok(LEAD, request_extension(due + 9 * DAY));
    let s = f.ok(CENTRE, reject_extension(LEAD)).clone();
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(lead.due_at, due + 3 * DAY);
    assert_eq!((lead.extensions, lead.extensions_rejected), (1, 1));
    assert!(lead.extension_request.is_none());
    // Co-handlers ask for their own deadline.
    f.ok(CO, Action::Sign);
    let co_due = f.state.co[0].due_at;
    f.ok(CO, request_extension(co_due + DAY));
    let s = f.ok(CENTRE, approve(CO, co_due + DAY)).clone();
    assert_eq!(s.co[0].due_at, co_due + DAY);
    assert_eq!(s.lead.as_ref().map(|l| l.due_at), Some(due + 3 * DAY));
}

#[test]
fn extension_must_be_asked_before_the_deadline() {
    let mut f = Flow::handling(&[]);
    let due = f.state.lead.as_ref().expect("lead").due_at;
    f.now = due + HOUR;
    assert_eq!(
        f.refused(LEAD, request_extension(due + 5 * DAY)),
        Rejection::BadExtension
    );
}

#[test]
fn a_reply_drops_the_pending_extension_request() {
    let mut f = Flow::handling(&[]);
    let due = f.state.lead.as_ref().expect("lead").due_at;
    f.ok(LEAD, request_extension(due + DAY));
    let s = f.ok(LEAD, reply(true)).clone();
    assert!(s.lead.as_ref().expect("lead").extension_request.is_none());
    assert_eq!(
        f.refused(CENTRE, approve(LEAD, due + DAY)),
        wrong(ActionKind::ApproveExtension, Status::Replied)
    );
}

// -------------------------------------------------------------------------------------------- reply

#[test]
fn replies_need_a_signature_and_record_the_result() {
    let mut f = Flow::dispatched(&[CO]);
    assert_eq!(
        f.refused(CO, reply(true)),
        Rejection::NotSigned { unit: CO.into() }
    );
    assert_eq!(f.refused(OTHER, reply(true)), not_assigned(OTHER));
    f.ok(CO, Action::Sign);
    let s = f
        .ok(
            CO,
            Action::Reply {
                founded: false,
                solved: false,
                public_reply: "经核查，不属实。".into(),
                internal_note: "现场无问题".into(),
            },
        )
        .clone();
    assert_eq!(s.status, Status::Dispatched);
    let co = &s.co[0];
    assert_eq!(co.status, AssignmentStatus::Replied);
    assert_eq!(co.ended_at, Some(f.now));
    let r = co.reply.as_ref().expect("reply");
    assert_eq!(
        (
            r.founded,
            r.solved,
            r.public_reply.as_str(),
            r.internal_note.as_str(),
            r.at
        ),
        (false, false, "经核查，不属实。", "现场无问题", f.now)
    );
    // Having replied, the co-handler is done.
    assert_eq!(f.refused(CO, reply(true)), not_assigned(CO));
    assert_eq!(f.refused(CENTRE, urge(CO)), not_assigned(CO));
    // The lead has not signed yet.
    assert_eq!(
        f.refused(LEAD, reply(true)),
        Rejection::NotSigned { unit: LEAD.into() }
    );
    f.ok(LEAD, Action::Sign);
    let s = f.ok(LEAD, reply(true)).clone();
    assert_eq!(s.status, Status::Replied);
    assert_eq!(s.due_at(), None);
    assert_eq!(s.active_units(), vec![LEAD, CO]);
    assert_eq!(
        f.refused(LEAD, reply(true)),
        wrong(ActionKind::Reply, Status::Replied)
    );
}

// ------------------------------------------------------------------------------------ review result

#[test]
fn review_result_accepts_or_sends_back_for_redo() {
    let mut f = Flow::handling(&[]);
    assert_eq!(
        f.refused(CENTRE, review_result(true, None)),
        wrong(ActionKind::ReviewResult, Status::Handling)
    );
    f.ok(LEAD, reply(false));
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, review_result(false, Some(now))),
        Rejection::DeadlineInPast
    );
    let s = f
        .ok(CENTRE, review_result(false, Some(now + 3 * DAY)))
        .clone();
    assert_eq!(s.status, Status::Handling);
    assert_eq!(s.redo_count, 1);
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(
        (lead.status, lead.redos, lead.due_at, lead.ended_at),
        (AssignmentStatus::Handling, 1, now + 3 * DAY, None)
    );
    // Redo without a new deadline keeps the old one.
    f.ok(LEAD, reply(false));
    let s = f.ok(CENTRE, review_result(false, None)).clone();
    assert_eq!(s.redo_count, 2);
    assert_eq!(s.lead.as_ref().map(|l| l.due_at), Some(now + 3 * DAY));
    f.ok(LEAD, reply(true));
    let s = f.ok(CENTRE, review_result(true, None)).clone();
    assert_eq!(s.status, Status::AwaitingCallback);
    let fin = s.final_reply.as_ref().expect("final reply");
    assert!(fin.solved);
    assert_eq!(
        f.refused(CENTRE, review_result(true, None)),
        wrong(ActionKind::ReviewResult, Status::AwaitingCallback)
    );
}

// ----------------------------------------------------------------------- callback, reopen, close

fn awaiting_callback() -> Flow {
    let mut f = Flow::handling(&[]);
    f.ok(LEAD, reply(true));
    f.ok(CENTRE, review_result(true, None));
    f
}

#[test]
fn callback_then_reopen_or_close() {
    let mut f = Flow::handling(&[]);
    assert_eq!(
        f.refused(CENTRE, callback(Satisfaction::Satisfied)),
        wrong(ActionKind::Callback, Status::Handling)
    );
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, reopen(now + DAY)),
        wrong(ActionKind::Reopen, Status::Handling)
    );
    assert_eq!(
        f.refused(CENTRE, close(false)),
        wrong(ActionKind::Close, Status::Handling)
    );

    let mut f = awaiting_callback();
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, reopen(now + DAY)),
        wrong(ActionKind::Reopen, Status::AwaitingCallback)
    );
    let s = f
        .ok(CENTRE, callback(Satisfaction::BasicallySatisfied))
        .clone();
    assert_eq!(s.status, Status::CalledBack);
    assert_eq!(s.satisfaction, Some(Satisfaction::BasicallySatisfied));
    assert_eq!(s.callback_at, Some(f.now));
    let now = f.now;
    assert_eq!(
        f.refused(CENTRE, reopen(now + DAY)),
        Rejection::NotUnsatisfied
    );
    // A second call overrides the first.
    let s = f.ok(CENTRE, callback(Satisfaction::Unsatisfied)).clone();
    assert_eq!(s.satisfaction, Some(Satisfaction::Unsatisfied));
    let now = f.now;
    assert_eq!(f.refused(CENTRE, reopen(now)), Rejection::DeadlineInPast);
    let s = f.ok(CENTRE, reopen(now + 5 * DAY)).clone();
    assert_eq!(s.status, Status::Handling);
    assert_eq!(s.reopen_count, 1);
    assert!(s.final_reply.is_none());
    let lead = s.lead.as_ref().expect("lead");
    assert_eq!(
        (lead.status, lead.due_at, lead.redos),
        (AssignmentStatus::Handling, now + 5 * DAY, 1)
    );
    assert_eq!(s.active_units(), vec![LEAD]);
}

#[test]
fn close_with_or_without_callback_and_then_nothing() {
    let mut f = awaiting_callback();
    let s = f.ok(CENTRE, close(true)).clone();
    assert_eq!(s.status, Status::Closed);
    assert!(s.published);
    assert_eq!(s.closed_at, Some(f.now));
    let now = f.now;
    for action in every_action(now) {
        let kind = action.kind();
        if kind == ActionKind::Rate {
            continue; // the citizen may still rate (tested below)
        }
        let r = f.refused(CENTRE, action);
        match kind {
            ActionKind::Created => assert_eq!(r, Rejection::AlreadyCreated),
            // A redo needs the citizen's "not solved" first.
            ActionKind::Reopen | ActionKind::KeepClosed => {
                assert_eq!(r, Rejection::NoRedoReview, "{kind:?}")
            }
            _ => assert_eq!(r, wrong(kind, Status::Closed), "{kind:?}"),
        }
    }

    let mut f = awaiting_callback();
    f.ok(CENTRE, callback(Satisfaction::Unreachable));
    let s = f.ok(CENTRE, close(false)).clone();
    assert_eq!((s.status, s.published), (Status::Closed, false));
}

// ------------------------------------------------------------------------- the citizen's rating

#[test]
fn the_citizen_rates_once_and_it_counts_as_the_callback() {
    let mut f = Flow::handling(&[]);
    assert_eq!(
        f.refused(CENTRE, rate(Satisfaction::Satisfied, true)),
        wrong(ActionKind::Rate, Status::Handling)
    );
    let mut f = awaiting_callback();
    let s = f
        .ok(CENTRE, rate(Satisfaction::BasicallySatisfied, true))
        .clone();
    assert_eq!(s.status, Status::CalledBack);
    assert_eq!(s.satisfaction, Some(Satisfaction::BasicallySatisfied));
    assert_eq!(s.callback_at, Some(f.now));
    assert!(!s.redo_review);
    let r = s.citizen_rating.as_ref().expect("rating");
    assert_eq!((r.solved, r.comment.as_str()), (true, "处理及时"));
    // 一事一评: once per order, whatever the second says.
    assert_eq!(
        f.refused(CENTRE, rate(Satisfaction::Unsatisfied, false)),
        Rejection::AlreadyRated
    );
    assert_eq!(f.refused(CENTRE, keep_closed()), Rejection::NoRedoReview);
    let s = f.ok(CENTRE, close(true)).clone();
    assert_eq!(s.status, Status::Closed);
}

#[test]
fn not_solved_after_closing_asks_the_centre_to_reopen_or_keep_it_closed() {
    for reopen_it in [true, false] {
        let mut f = awaiting_callback();
        f.ok(CENTRE, callback(Satisfaction::Satisfied));
        f.ok(CENTRE, close(true));
        let called_back_at = f.state.callback_at;
        let s = f.ok(CENTRE, rate(Satisfaction::Satisfied, false)).clone();
        // The citizen's word replaces the operator's; the callback keeps its time.
        assert_eq!(
            (s.status, s.redo_review, s.callback_at),
            (Status::Closed, true, called_back_at)
        );
        let now = f.now;
        if reopen_it {
            assert_eq!(f.refused(CENTRE, reopen(now)), Rejection::DeadlineInPast);
            let s = f.ok(CENTRE, reopen(now + 5 * DAY)).clone();
            assert_eq!(s.status, Status::Handling);
            assert_eq!(
                (s.redo_review, s.closed_at, s.published),
                (false, None, false)
            );
            assert_eq!(s.reopen_count, 1);
        } else {
            let s = f.ok(CENTRE, keep_closed()).clone();
            assert_eq!((s.status, s.redo_review), (Status::Closed, false));
            assert_eq!(
                f.refused(CENTRE, reopen(now + DAY)),
                Rejection::NoRedoReview
            );
        }
    }
    // Before closing, 不满意 from the citizen allows the redo as an operator's would.
    let mut f = awaiting_callback();
    let s = f.ok(CENTRE, rate(Satisfaction::Unsatisfied, true)).clone();
    assert!(s.redo_review);
    let now = f.now;
    assert_eq!(f.ok(CENTRE, reopen(now + DAY)).status, Status::Handling);
    // "Not solved" but 基本满意: the centre may still reopen.
    let mut f = awaiting_callback();
    f.ok(CENTRE, rate(Satisfaction::BasicallySatisfied, false));
    let now = f.now;
    assert_eq!(f.ok(CENTRE, reopen(now + DAY)).status, Status::Handling);
}

#[test]
fn a_rating_is_one_of_three_and_its_comment_is_short() {
    let too_long = Action::Rate {
        satisfaction: Satisfaction::Satisfied,
        solved: true,
        comment: "好".repeat(501),
    };
    assert!(too_long.validate().is_err());
    assert!(rate(Satisfaction::Unreachable, true).validate().is_err());
    assert!(rate(Satisfaction::Unsatisfied, false).validate().is_ok());
}

// -------------------------------------------------------------------------------------------- merge

#[test]
fn merge_joins_a_master_order_before_dispatch_or_after_return() {
    for prepare in [
        (|_f: &mut Flow| {}) as fn(&mut Flow),
        |f| {
            f.ok(CENTRE, review(true));
        },
        |f| {
            f.ok(CENTRE, review(false));
        },
        |f| {
            let now = f.now;
            f.ok(CENTRE, dispatch(assign(LEAD, now, 10), vec![]));
            f.ok(LEAD, ret("重复件"));
        },
    ] {
        let mut f = Flow::new();
        prepare(&mut f);
        assert_eq!(f.refused(CENTRE, merge("")), Rejection::SelfMerge);
        let s = f.ok(CENTRE, merge("20261120-C-00012")).clone();
        assert_eq!(s.status, Status::Merged);
        assert_eq!(s.merged_into.as_deref(), Some("20261120-C-00012"));
        assert_eq!(s.closed_at, Some(f.now));
        assert!(s.status.is_final());
        assert_eq!(
            f.refused(CENTRE, merge("20261120-C-00013")),
            wrong(ActionKind::Merge, Status::Merged)
        );
    }
    let mut f = Flow::dispatched(&[]);
    assert_eq!(
        f.refused(CENTRE, merge("20261120-C-00012")),
        wrong(ActionKind::Merge, Status::Dispatched)
    );
    let mut f = awaiting_callback();
    assert_eq!(
        f.refused(CENTRE, merge("20261120-C-00012")),
        wrong(ActionKind::Merge, Status::AwaitingCallback)
    );
}

// --------------------------------------------------------------------------------- urge, supervise

#[test]
fn urge_reminds_units_with_work_to_do() {
    let mut f = Flow::dispatched(&[CO]);
    assert_eq!(f.refused(CENTRE, urge(OTHER)), not_assigned(OTHER));
    f.ok("SYSTEM", urge(LEAD));
    f.ok(CENTRE, urge(LEAD));
    let s = f.ok(CENTRE, urge(CO)).clone();
    assert_eq!(s.urge_count, 3);
    assert_eq!(s.lead.as_ref().map(|l| l.urges), Some(2));
    assert_eq!(s.co[0].urges, 1);

    let mut f = Flow::new();
    assert_eq!(f.refused(CENTRE, urge(LEAD)), not_assigned(LEAD));
    f.ok(CENTRE, answer());
    assert_eq!(
        f.refused(CENTRE, urge(LEAD)),
        wrong(ActionKind::Urge, Status::Closed)
    );
}

#[test]
fn supervise_after_the_deadline_unless_named() {
    let mut f = Flow::handling(&[CO]);
    let due = f.state.lead.as_ref().expect("lead").due_at;
    assert_eq!(
        f.refused(CENTRE, supervise(LEAD, SupervisionLevel::Notice)),
        Rejection::NotOverdue { unit: LEAD.into() }
    );
    assert_eq!(
        f.refused(CENTRE, supervise(LEAD, SupervisionLevel::Reprimand)),
        Rejection::NotOverdue { unit: LEAD.into() }
    );
    // Named supervision by city leaders may come at any time.
    let s = f.ok(CENTRE, supervise(CO, SupervisionLevel::Named)).clone();
    assert_eq!(s.co[0].supervision, Some(SupervisionLevel::Named));
    assert_eq!(s.supervision, Some(SupervisionLevel::Named));
    assert_eq!(s.lead.as_ref().and_then(|l| l.supervision), None);
    // The deadline itself is not yet overdue.
    f.now = due - MINUTE;
    assert_eq!(
        f.refused(CENTRE, supervise(LEAD, SupervisionLevel::Notice)),
        Rejection::NotOverdue { unit: LEAD.into() }
    );
    let s = f
        .ok(CENTRE, supervise(LEAD, SupervisionLevel::Reprimand))
        .clone();
    assert_eq!(
        s.lead.as_ref().and_then(|l| l.supervision),
        Some(SupervisionLevel::Reprimand)
    );
    // A lower level later does not lower the record.
    let s = f
        .ok(CENTRE, supervise(LEAD, SupervisionLevel::Notice))
        .clone();
    assert_eq!(
        s.lead.as_ref().and_then(|l| l.supervision),
        Some(SupervisionLevel::Reprimand)
    );
    assert_eq!(s.supervision, Some(SupervisionLevel::Named));
    assert_eq!(
        f.refused(CENTRE, supervise(OTHER, SupervisionLevel::Notice)),
        not_assigned(OTHER)
    );
}

#[test]
fn supervise_a_unit_that_missed_its_signing_limit() {
    let mut f = Flow::dispatched(&[CO]);
    let sign_due = f.state.lead.as_ref().expect("lead").sign_due_at;
    f.now = sign_due - MINUTE;
    assert_eq!(
        f.refused(CENTRE, supervise(LEAD, SupervisionLevel::Notice)),
        Rejection::NotOverdue { unit: LEAD.into() }
    );
    let s = f
        .ok(CENTRE, supervise(LEAD, SupervisionLevel::Notice))
        .clone();
    assert_eq!(
        s.lead.as_ref().and_then(|l| l.supervision),
        Some(SupervisionLevel::Notice)
    );
    // Once signed, only the reply limit counts.
    f.ok(CO, Action::Sign);
    assert_eq!(
        f.refused(CENTRE, supervise(CO, SupervisionLevel::Notice)),
        Rejection::NotOverdue { unit: CO.into() }
    );
}

#[test]
fn supervision_follows_an_approved_extension() {
    let mut f = Flow::handling(&[]);
    let due = f.state.lead.as_ref().expect("lead").due_at;
    f.ok(LEAD, request_extension(due + 2 * DAY));
    f.ok(CENTRE, approve(LEAD, due + 2 * DAY));
    f.now = due + HOUR;
    assert_eq!(
        f.refused(CENTRE, supervise(LEAD, SupervisionLevel::Notice)),
        Rejection::NotOverdue { unit: LEAD.into() }
    );
    f.now = due + 2 * DAY;
    assert_eq!(
        f.ok(CENTRE, supervise(LEAD, SupervisionLevel::Notice))
            .supervision,
        Some(SupervisionLevel::Notice)
    );
}

// ------------------------------------------------------------------------------------ whole lives

#[test]
fn full_happy_path_with_a_co_handler_reopen_and_close() {
    let mut f = Flow::new();
    assert_eq!(f.ok(CENTRE, review(true)).status, Status::ReadyToDispatch);
    let now = f.now;
    f.ok(
        CENTRE,
        dispatch(assign(LEAD, now, 10), vec![assign(CO, now, 8)]),
    );
    assert_eq!(f.ok(CO, Action::Sign).status, Status::Dispatched);
    assert_eq!(f.ok(LEAD, Action::Sign).status, Status::Handling);
    assert_eq!(f.ok(CO, reply(true)).status, Status::Handling);
    assert_eq!(f.ok(LEAD, reply(true)).status, Status::Replied);
    assert_eq!(
        f.ok(CENTRE, review_result(true, None)).status,
        Status::AwaitingCallback
    );
    f.wait(DAY);
    assert_eq!(
        f.ok(CENTRE, callback(Satisfaction::Unsatisfied)).status,
        Status::CalledBack
    );
    let now = f.now;
    let s = f.ok(CENTRE, reopen(now + 3 * DAY)).clone();
    assert_eq!(s.status, Status::Handling);
    // The co-handler's part is done; only the lead works on the reopened order.
    assert_eq!(s.co[0].status, AssignmentStatus::Replied);
    assert_eq!(f.ok(LEAD, reply(true)).status, Status::Replied);
    assert_eq!(
        f.ok(CENTRE, review_result(true, None)).status,
        Status::AwaitingCallback
    );
    f.wait(DAY);
    assert_eq!(
        f.ok(CENTRE, callback(Satisfaction::Satisfied)).status,
        Status::CalledBack
    );
    let s = f.ok(CENTRE, close(true)).clone();
    assert_eq!(s.status, Status::Closed);
    assert_eq!(s.satisfaction, Some(Satisfaction::Satisfied));
    assert_eq!((s.reopen_count, s.redo_count, s.sent_back_count), (1, 0, 0));
    assert!(s.final_reply.as_ref().is_some_and(|r| r.solved));
    assert!(s.published);
    assert_eq!(s.applied as usize, f.events.len());
    assert!(s.conflicts.is_empty());
    assert_eq!(s.updated_at, f.now);
    assert_eq!(s.lead.as_ref().map(|l| l.redos), Some(1));
}

#[test]
fn derive_ignores_arrival_order_and_duplicates() {
    let mut f = Flow::handling(&[CO]);
    f.ok(CO, reply(true));
    f.ok(LEAD, reply(true));
    f.ok(CENTRE, review_result(true, None));
    let expected = f.state.clone();
    let mut events = f.events.clone();
    events.reverse();
    events.extend(f.events.iter().cloned());
    events.rotate_left(5);
    assert_eq!(TicketState::derive(&f.intake, &events), expected);
}

#[test]
fn concurrent_signatures_and_returns_become_conflicts() {
    // Two offices act on the same dispatched order while apart: the lead signs on one node and
    // returns on another; the later one by HLC loses.
    let f = Flow::dispatched(&[]);
    let t = f.now + HOUR;
    let mut events = f.events.clone();
    events.push(event("x-sign", LEAD, "N2", Hlc::at(t), Action::Sign));
    events.push(event("x-return", LEAD, "N3", Hlc::at(t), ret("不是我们的")));
    let s = TicketState::derive(&f.intake, &events);
    // Same instant: node N2 sorts before N3, so the signature wins and the return still applies.
    assert_eq!(s.status, Status::Returned);
    assert!(s.conflicts.is_empty());
    // A second signature at the same time from a third node is a visible conflict.
    events.push(event("x-sign2", LEAD, "N4", Hlc::at(t), Action::Sign));
    let s = TicketState::derive(&f.intake, &events);
    assert_eq!(s.conflicts.len(), 1);
    let c = &s.conflicts[0];
    assert_eq!(
        (
            c.event_id.as_str(),
            c.action,
            c.node.as_str(),
            c.rejection.clone()
        ),
        (
            "x-sign2",
            ActionKind::Sign,
            "N4",
            wrong(ActionKind::Sign, Status::Returned)
        )
    );
    assert_eq!(s.applied as usize + s.conflicts.len(), events.len());
}
