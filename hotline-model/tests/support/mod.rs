//! Shared test helpers for the workflow tests: a sample intake, event construction and a ticket
//! "flow" that applies events one at a time while checking `check`, `apply` and `derive` agree.
#![allow(dead_code)]

use hotline_model::category::RequestType;
use hotline_model::event::{Action, AssignTo, Event};
use hotline_model::hlc::Hlc;
use hotline_model::intake::{Channel, Intake};
use hotline_model::workflow::{Rejection, TicketState};

/// Tuesday 2026-11-24 09:00 in Beijing, as Unix ms.
pub const T0: i64 = 1_795_482_000_000;
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// The centre.
pub const CENTRE: &str = "C";
/// A district, used as the lead unit.
pub const LEAD: &str = "D01";
/// A town below the district.
pub const SUB: &str = "D01-T01";
/// A city bureau, used as the co-handling unit.
pub const CO: &str = "B-ZJJ";
/// A unit with nothing to do with the order.
pub const OTHER: &str = "B-GAJ";

pub fn intake() -> Intake {
    Intake {
        channel: Channel::Phone,
        caller_name: "张三".into(),
        caller_phone: "13812348000".into(),
        address: "东湖区翠湖花园3栋".into(),
        request_type: RequestType::Complaint,
        subject: "CX.WY.DT".into(),
        location: None,
        title: "电梯频繁停运".into(),
        content: "3号楼电梯一个月停了五次，物业不修。".into(),
        attachments: vec![],
        urgent: false,
        confidential: false,
        call_id: None,
        area: Vec::new(),
    }
}

/// An event with an explicit time stamp.
pub fn event(id: &str, unit: &str, node: &str, hlc: Hlc, action: Action) -> Event {
    Event {
        id: id.to_string(),
        author: format!("user-{unit}"),
        unit: unit.to_string(),
        node: node.to_string(),
        hlc,
        action,
    }
}

/// An assignment with a two-hour signing limit and a reply limit `days` days after `now`.
pub fn assign(unit: &str, now: i64, days: i64) -> AssignTo {
    AssignTo {
        unit: unit.to_string(),
        sign_due_at: now + 2 * HOUR,
        due_at: now + days * DAY,
    }
}

pub fn dispatch(lead: AssignTo, co: Vec<AssignTo>) -> Action {
    Action::Dispatch {
        lead,
        co,
        note: String::new(),
        final_assignment: false,
    }
}

pub fn review(accept: bool) -> Action {
    Action::Review {
        accept,
        note: if accept {
            String::new()
        } else {
            "信息不全".into()
        },
        subject: None,
        request_type: None,
        title: None,
        urgent: None,
    }
}

pub fn reply(solved: bool) -> Action {
    Action::Reply {
        founded: true,
        solved,
        public_reply: "已督促物业维修电梯。".into(),
        internal_note: String::new(),
    }
}

pub fn ret(reason: &str) -> Action {
    Action::Return {
        reason: reason.to_string(),
    }
}

/// A ticket being worked on: every accepted event is kept, so the state can be re-derived.
pub struct Flow {
    pub intake: Intake,
    pub state: TicketState,
    pub events: Vec<Event>,
    pub now: i64,
    seq: u32,
}

impl Flow {
    /// A ticket with no events at all.
    pub fn empty() -> Flow {
        let intake = intake();
        Flow {
            state: TicketState::initial(&intake),
            intake,
            events: Vec::new(),
            now: T0,
            seq: 0,
        }
    }

    /// A ticket registered by the centre at `T0`.
    pub fn new() -> Flow {
        let mut f = Flow::empty();
        f.ok(CENTRE, Action::Created);
        f
    }

    /// A ticket reviewed and dispatched to `LEAD`, with `co` as co-handlers (reply limit 10 days).
    pub fn dispatched(co: &[&str]) -> Flow {
        let mut f = Flow::new();
        f.ok(CENTRE, review(true));
        let now = f.now;
        f.ok(
            CENTRE,
            dispatch(
                assign(LEAD, now, 10),
                co.iter().map(|u| assign(u, now, 10)).collect(),
            ),
        );
        f
    }

    /// Dispatched and signed by the lead and every co-handler.
    pub fn handling(co: &[&str]) -> Flow {
        let mut f = Flow::dispatched(co);
        f.ok(LEAD, Action::Sign);
        for c in co {
            f.ok(c, Action::Sign);
        }
        f
    }

    /// Moves the clock on.
    pub fn wait(&mut self, ms: i64) {
        self.now += ms;
    }

    /// The next event by `unit` at the current time (one minute after the previous one).
    pub fn next(&mut self, unit: &str, action: Action) -> Event {
        self.now += MINUTE;
        self.seq += 1;
        event(
            &format!("e{:03}", self.seq),
            unit,
            "N1",
            Hlc::at(self.now),
            action,
        )
    }

    /// Applies an action that must be accepted; `check` must agree and the events must re-derive
    /// to the same state.
    pub fn ok(&mut self, unit: &str, action: Action) -> &TicketState {
        let e = self.next(unit, action);
        let before = self.state.clone();
        let checked = self.state.check(&e);
        assert_eq!(self.state, before, "check must not change the state");
        if let Err(r) = self.state.apply(&e) {
            panic!("{:?} by {unit} was refused: {r:?}", e.action.kind());
        }
        assert_eq!(checked, Ok(()), "check and apply disagree");
        self.events.push(e);
        let derived = TicketState::derive(&self.intake, &self.events);
        assert_eq!(
            derived, self.state,
            "derive differs from step-by-step apply"
        );
        &self.state
    }

    /// Applies an action that must be refused, leaving the state exactly as it was; returns why.
    pub fn refused(&mut self, unit: &str, action: Action) -> Rejection {
        let e = self.next(unit, action);
        let before = self.state.clone();
        let checked = self.state.check(&e);
        let applied = self.state.apply(&e);
        assert_eq!(
            self.state, before,
            "a refused event must not change the state"
        );
        let Err(r) = applied else {
            panic!("{:?} by {unit} was accepted", e.action.kind());
        };
        assert_eq!(checked, Err(r.clone()), "check and apply disagree");
        r
    }
}
