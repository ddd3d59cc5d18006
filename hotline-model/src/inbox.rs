//! What a unit's inbox (站内消息) holds: one item per event that asks something of the unit — a new
//! assignment, an urge (催办), a supervision (督办), an extension decision, a redo, a reopen — and,
//! for the unit that recorded a supervision (the centre), the supervision itself, for its
//! supervisors and leaders.
//!
//! Derived from the order's history alone, so every node holding the order fills the same inbox,
//! a town that was offline included (once per event, whenever it arrives); texts and e-mails are
//! the recording node's (`notify`).

use crate::event::{Action, SupervisionLevel};
use crate::notify::unit_news;
use crate::ticket::TicketView;

/// One item of a unit's inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxItem {
    /// The unit whose inbox holds it.
    pub unit: String,
    /// The event (unique per unit).
    pub event_id: String,
    /// When (Unix ms).
    pub at: i64,
    /// What happened (新派工单, 催办, 督办通知 …).
    pub what: String,
    /// Calls for action now (supervisions).
    pub urgent: bool,
}

/// The inbox items the history of `view` gives, in event order.
pub fn inbox_items(view: &TicketView) -> Vec<InboxItem> {
    let mut out = Vec::new();
    // The lead unit as it stood at each event (a redo or reopen goes to it).
    let mut lead: Option<&str> = None;
    for e in &view.events {
        match &e.action {
            Action::Dispatch { lead: l, .. } => lead = Some(l.unit.as_str()),
            Action::Transfer { to, .. } => lead = Some(to.unit.as_str()),
            _ => {}
        }
        if let Some((what, units, urgent)) = unit_news(&e.action, lead) {
            for unit in units {
                out.push(InboxItem {
                    unit: unit.to_owned(),
                    event_id: e.id.clone(),
                    at: e.hlc.wall_ms,
                    what: what.to_owned(),
                    urgent,
                });
            }
        }
        if let Action::Supervise { target, level, .. } = &e.action {
            out.push(InboxItem {
                unit: e.unit.clone(),
                event_id: e.id.clone(),
                at: e.hlc.wall_ms,
                what: format!("已{}：{}", level.label(), target),
                urgent: *level == SupervisionLevel::Named,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::AssignTo;
    use crate::test_support::{intake, view_by};

    #[test]
    fn a_unit_hears_its_assignment_urge_and_supervision_and_the_centre_its_supervision() {
        let due = 1_796_500_000_000;
        let v = view_by(
            intake(),
            1_795_485_600_000,
            vec![
                ("C", Action::accept_review("")),
                (
                    "C",
                    Action::Dispatch {
                        lead: AssignTo {
                            unit: "D01".into(),
                            sign_due_at: due,
                            due_at: due,
                        },
                        co: vec![AssignTo {
                            unit: "B-ZJJ".into(),
                            sign_due_at: due,
                            due_at: due,
                        }],
                        note: String::new(),
                        final_assignment: false,
                    },
                ),
                (
                    "C",
                    Action::Urge {
                        target: "D01".into(),
                        note: String::new(),
                    },
                ),
                (
                    "C",
                    Action::Supervise {
                        target: "D01".into(),
                        level: SupervisionLevel::Named,
                        note: String::new(),
                    },
                ),
            ],
        );
        let items = inbox_items(&v);
        let got: Vec<(&str, &str, &str, bool)> = items
            .iter()
            .map(|i| {
                (
                    i.unit.as_str(),
                    i.event_id.as_str(),
                    i.what.as_str(),
                    i.urgent,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("D01", "e2", "新派工单", false),
                ("B-ZJJ", "e2", "新派工单", false),
                ("D01", "e3", "催办", false),
                ("D01", "e4", "挂牌督办", true),
                ("C", "e4", "已挂牌督办：D01", true),
            ]
        );
    }
}
