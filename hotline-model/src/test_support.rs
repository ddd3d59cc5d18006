//! Builders the model's unit tests share.

use crate::category::RequestType;
use crate::event::{Action, Event};
use crate::hlc::Hlc;
use crate::intake::{Channel, Intake};
use crate::ticket::TicketView;
use crate::workflow::TicketState;

/// A phoned-in complaint from a mobile number.
pub fn intake() -> Intake {
    Intake {
        channel: Channel::Phone,
        caller_name: "李四".into(),
        caller_phone: "13900001111".into(),
        address: "翠屏街道".into(),
        request_type: RequestType::Complaint,
        subject: "CX.WY.DT".into(),
        location: None,
        title: "噪音扰民".into(),
        content: "夜间施工噪音。".into(),
        attachments: vec![],
        urgent: false,
        confidential: false,
        call_id: None,
        area: Vec::new(),
    }
}

/// The view after `Created` and `actions`, the `i`-th event a minute after `start` (Unix ms), each
/// recorded by the centre `C`.
pub fn view_at(intake: Intake, start: i64, actions: Vec<Action>) -> TicketView {
    view_by(
        intake,
        start,
        actions.into_iter().map(|a| ("C", a)).collect(),
    )
}

/// [`view_at`] with each action's unit given.
pub fn view_by(intake: Intake, start: i64, actions: Vec<(&str, Action)>) -> TicketView {
    let mut state = TicketState::initial(&intake);
    let mut events = Vec::new();
    let all = std::iter::once(("C", Action::Created)).chain(actions);
    for (i, (unit, action)) in all.enumerate() {
        let e = Event {
            id: format!("e{i}"),
            author: "u".into(),
            unit: unit.into(),
            node: "HUB".into(),
            hlc: Hlc::at(start + i as i64 * 60_000),
            action,
        };
        if let Err(r) = state.apply(&e) {
            panic!("{:?} refused: {r:?}", e.action.kind());
        }
        events.push(e);
    }
    TicketView {
        id: "t1".into(),
        number: "20261124-HUB-00001".into(),
        created_node: "HUB".into(),
        intake,
        state,
        events,
        files: vec![],
    }
}
