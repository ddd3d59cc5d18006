//! Deadline alerts (催办 / 督办): which units of an order are due a reminder, a supervision notice or a
//! reprimand right now, worked out from the order's state, the working-day calendar and the time.
//!
//! Pure: the node calls [`due_alerts`] on a timer, turns each [`Alert`] into an event
//! ([`Alert::action`]) and records it; once that event is applied the alert is no longer due, so running
//! the check again does not repeat it.
//!
//! Rules, per unit with an active assignment (lead or co-handler):
//! - The unit's **deadline** is its signing limit (`sign_due_at`) while it has not signed, and its reply
//!   limit (`due_at`) always.
//! - **Overdue** when `now` is after a deadline that applies. The unit is due a **notice** (督办通知) if
//!   it has no supervision yet, and a **reprimand** (书面通报) once `now` is after the end of the N-th
//!   working day following the missed deadline (N = [`AlertPolicy::reprimand_after_days`]; 0 means at
//!   once), unless it already has one (or named supervision). Only the most serious due level is given.
//! - **Urge** (催办) while not overdue, once the working time elapsed since the assignment reaches
//!   [`AlertPolicy::urge_at_percent`] of the working time from assignment to the limit
//!   ([`WorkCalendar::working_minutes_between`]). Before signing: for the signing limit, if the unit was
//!   never urged. After signing: for the reply limit, if its urge count equals the urges its signing
//!   limit earned (one if it signed after the signing urge point, else none). Each limit is urged once
//!   and acting on an alert always clears it. The state counts urges without dating them, so a unit that
//!   signed after its signing urge point but before any urge was recorded gets no reply urge.
//! - At most one alert per unit; none for finished orders or units that replied, returned or were
//!   superseded.

use serde::{Deserialize, Serialize};

use crate::calendar::{TimeLimit, WorkCalendar};
use crate::event::{Action, SupervisionLevel};
use crate::workflow::{Assignment, Part, TicketState};

/// When alerts fall due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertPolicy {
    /// Share of the working time to a deadline after which the unit is urged, in percent.
    pub urge_at_percent: u32,
    /// Working days a deadline may be overrun before a reprimand replaces the notice.
    pub reprimand_after_days: u32,
}

impl Default for AlertPolicy {
    /// Urge at 80 %, reprimand after 3 working days overdue.
    fn default() -> Self {
        AlertPolicy {
            urge_at_percent: 80,
            reprimand_after_days: 3,
        }
    }
}

/// Which limit an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// 签收时限.
    Sign,
    /// 办理时限.
    Reply,
}

/// What is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// 催办: a reminder before the deadline.
    Urge,
    /// 督办通知: the deadline was missed.
    Notice,
    /// 书面通报: the deadline was missed by more than N working days.
    Reprimand,
}

/// One unit due a reminder or supervision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Alert {
    /// The unit's code.
    pub unit: String,
    /// Lead or co-handling.
    pub part: Part,
    /// What is due.
    pub kind: AlertKind,
    /// Which limit.
    pub deadline: Deadline,
    /// That limit (Unix ms).
    pub due_at: i64,
    /// Working minutes from now to the limit; negative once overdue.
    pub working_minutes_left: i64,
}

impl Alert {
    /// The workflow action that acts on this alert: an urge, or a supervision at the due level.
    pub fn action(&self) -> Action {
        let note = self.message_zh().to_string();
        match self.kind {
            AlertKind::Urge => Action::Urge {
                target: self.unit.clone(),
                note,
            },
            AlertKind::Notice => Action::Supervise {
                target: self.unit.clone(),
                level: SupervisionLevel::Notice,
                note,
            },
            AlertKind::Reprimand => Action::Supervise {
                target: self.unit.clone(),
                level: SupervisionLevel::Reprimand,
                note,
            },
        }
    }

    /// The message to the unit, in Chinese.
    pub fn message_zh(&self) -> &'static str {
        match (self.kind, self.deadline) {
            (AlertKind::Urge, Deadline::Sign) => "催办：工单签收时限即将到期，请尽快签收。",
            (AlertKind::Urge, Deadline::Reply) => "催办：工单办理时限即将到期，请抓紧办理并反馈。",
            (AlertKind::Notice, Deadline::Sign) => "督办：工单已超过签收时限，请立即签收。",
            (AlertKind::Notice, Deadline::Reply) => "督办：工单已超过办理时限，请立即办理并反馈。",
            (AlertKind::Reprimand, Deadline::Sign) => "通报：工单超过签收时限多个工作日仍未签收。",
            (AlertKind::Reprimand, Deadline::Reply) => "通报：工单超过办理时限多个工作日仍未办结。",
        }
    }
}

/// The alerts due at `now_ms` for an order, lead first, then co-handlers in order.
pub fn due_alerts(
    state: &TicketState,
    calendar: &WorkCalendar,
    now_ms: i64,
    policy: &AlertPolicy,
) -> Vec<Alert> {
    if state.status.is_final() {
        return Vec::new();
    }
    state
        .lead
        .iter()
        .chain(state.co.iter())
        .filter(|a| a.is_active())
        .filter_map(|a| alert_for(a, calendar, now_ms, policy))
        .collect()
}

fn alert_for(
    a: &Assignment,
    calendar: &WorkCalendar,
    now: i64,
    policy: &AlertPolicy,
) -> Option<Alert> {
    let unsigned = a.signed_at.is_none();
    let make = |kind, deadline, due_at: i64| Alert {
        unit: a.unit.clone(),
        part: a.part,
        kind,
        deadline,
        due_at,
        working_minutes_left: calendar.working_minutes_between(now, due_at),
    };
    // Missed deadlines, the reply limit first: it is the one the order is judged by.
    let missed = [(Deadline::Reply, a.due_at), (Deadline::Sign, a.sign_due_at)]
        .into_iter()
        .filter(|(d, at)| now > *at && (*d == Deadline::Reply || unsigned));
    let mut worst: Option<(SupervisionLevel, Deadline, i64)> = None;
    for (deadline, at) in missed {
        let level = if now > reprimand_from(calendar, at, policy.reprimand_after_days) {
            SupervisionLevel::Reprimand
        } else {
            SupervisionLevel::Notice
        };
        if worst.is_none_or(|(l, _, _)| level > l) {
            worst = Some((level, deadline, at));
        }
    }
    if let Some((level, deadline, at)) = worst {
        if a.supervision >= Some(level) {
            return None;
        }
        let kind = match level {
            SupervisionLevel::Notice => AlertKind::Notice,
            _ => AlertKind::Reprimand,
        };
        return Some(make(kind, deadline, at));
    }
    // Not overdue: urge once per limit when its share of the working time has passed.
    let pct = policy.urge_at_percent;
    if unsigned {
        let due = reached(calendar, a.assigned_at, a.sign_due_at, now, pct);
        return (due && a.urges == 0).then(|| make(AlertKind::Urge, Deadline::Sign, a.sign_due_at));
    }
    let signed_at = a.signed_at.unwrap_or(a.assigned_at);
    let sign_urge_earned = u32::from(reached(
        calendar,
        a.assigned_at,
        a.sign_due_at,
        signed_at,
        pct,
    ));
    let due = reached(calendar, a.assigned_at, a.due_at, now, pct);
    (due && a.urges == sign_urge_earned).then(|| make(AlertKind::Urge, Deadline::Reply, a.due_at))
}

/// Whether at `at` the working time since `from` has reached `pct` % of the working time to `to`.
fn reached(calendar: &WorkCalendar, from: i64, to: i64, at: i64, pct: u32) -> bool {
    let total = calendar.working_minutes_between(from, to).max(0);
    let elapsed = calendar.working_minutes_between(from, at);
    elapsed * 100 >= total * i64::from(pct)
}

/// The instant after which a deadline missed at `deadline` earns a reprimand.
fn reprimand_from(calendar: &WorkCalendar, deadline: i64, days: u32) -> i64 {
    if days == 0 {
        deadline
    } else {
        calendar.due_at(deadline, TimeLimit::WorkingDays(days))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::event::{AssignTo, Event};
    use crate::hlc::Hlc;
    use crate::test_support::intake;
    use crate::workflow::Status;

    fn calendar() -> WorkCalendar {
        WorkCalendar::from_toml(include_str!("../../deploy/seed/calendar.toml")).expect("calendar")
    }

    /// Unix ms of a Beijing wall-clock time.
    fn local(dt: time::PrimitiveDateTime) -> i64 {
        dt.assume_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"))
            .unix_timestamp()
            * 1000
    }

    /// A ticket built event by event, each at a given time.
    struct Ticket {
        state: TicketState,
        n: u32,
    }

    impl Ticket {
        fn act(&mut self, unit: &str, at: i64, action: Action) {
            self.n += 1;
            let e = Event {
                id: format!("e{}", self.n),
                author: "u".into(),
                unit: unit.into(),
                node: "N".into(),
                hlc: Hlc::at(at),
                action,
            };
            if let Err(r) = self.state.apply(&e) {
                panic!("{:?} refused: {r:?}", e.action.kind());
            }
        }

        fn lead(&self) -> &Assignment {
            self.state.lead.as_ref().expect("lead")
        }
    }

    /// Assigned at Tuesday 2026-11-24 10:00: sign by 12:00 (2 working hours), reply by 2026-12-08 17:30
    /// (10 working days); `B-ZJJ` co-handles with the same limits.
    fn dispatched(cal: &WorkCalendar) -> (Ticket, i64) {
        let at = local(datetime!(2026-11-24 10:00));
        let mut t = Ticket {
            state: TicketState::initial(&intake()),
            n: 0,
        };
        t.act("C", at - 60_000, Action::Created);
        let to = |unit: &str| AssignTo {
            unit: unit.into(),
            sign_due_at: cal.due_at(at, TimeLimit::WorkingHours(2)),
            due_at: cal.due_at(at, TimeLimit::WorkingDays(10)),
        };
        t.act(
            "C",
            at,
            Action::Dispatch {
                lead: to("D01"),
                co: vec![to("B-ZJJ")],
                note: String::new(),
                final_assignment: false,
            },
        );
        assert_eq!(t.lead().sign_due_at, local(datetime!(2026-11-24 12:00)));
        assert_eq!(t.lead().due_at, local(datetime!(2026-12-08 17:30)));
        (t, at)
    }

    fn kinds(alerts: &[Alert]) -> Vec<(&str, AlertKind, Deadline)> {
        alerts
            .iter()
            .map(|a| (a.unit.as_str(), a.kind, a.deadline))
            .collect()
    }

    /// Turns every alert into its event and applies it.
    fn act_on(t: &mut Ticket, alerts: &[Alert], at: i64) {
        for a in alerts {
            t.act("C", at, a.action());
        }
    }

    const P: AlertPolicy = AlertPolicy {
        urge_at_percent: 80,
        reprimand_after_days: 3,
    };

    #[test]
    fn signing_urge_at_80_percent_of_two_working_hours() {
        let cal = calendar();
        let (mut t, _) = dispatched(&cal);
        // 96 of 120 working minutes: 11:36.
        let before = local(datetime!(2026-11-24 11:35));
        assert!(due_alerts(&t.state, &cal, before, &P).is_empty());
        let now = local(datetime!(2026-11-24 11:36));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        assert_eq!(
            kinds(&alerts),
            [
                ("D01", AlertKind::Urge, Deadline::Sign),
                ("B-ZJJ", AlertKind::Urge, Deadline::Sign)
            ]
        );
        assert_eq!(alerts[0].part, Part::Lead);
        assert_eq!(alerts[1].part, Part::Co);
        assert_eq!(alerts[0].due_at, local(datetime!(2026-11-24 12:00)));
        assert_eq!(alerts[0].working_minutes_left, 24);
        assert_eq!(
            alerts[0].action(),
            Action::Urge {
                target: "D01".into(),
                note: "催办：工单签收时限即将到期，请尽快签收。".into()
            }
        );
        // Once urged, not again for the same limit.
        act_on(&mut t, &alerts, now);
        assert_eq!(t.lead().urges, 1);
        assert!(due_alerts(&t.state, &cal, now + 60_000, &P).is_empty());
    }

    #[test]
    fn the_share_is_of_working_time_not_wall_time() {
        let cal = calendar();
        // Assigned 11:00 with a 2-working-hour limit: 11:00–12:00 and 13:30–14:30, due 14:30.
        let at = local(datetime!(2026-11-24 11:00));
        let mut t = Ticket {
            state: TicketState::initial(&intake()),
            n: 0,
        };
        t.act("C", at - 60_000, Action::Created);
        let sign_due = cal.due_at(at, TimeLimit::WorkingHours(2));
        assert_eq!(sign_due, local(datetime!(2026-11-24 14:30)));
        t.act(
            "C",
            at,
            Action::Dispatch {
                lead: AssignTo {
                    unit: "D01".into(),
                    sign_due_at: sign_due,
                    due_at: cal.due_at(at, TimeLimit::WorkingDays(10)),
                },
                co: vec![],
                note: String::new(),
                final_assignment: false,
            },
        );
        // Wall-clock 80 % would be 13:48; in working time it is 96 minutes: 12:00 + 36 min after 13:30.
        assert!(due_alerts(&t.state, &cal, local(datetime!(2026-11-24 14:05)), &P).is_empty());
        let alerts = due_alerts(&t.state, &cal, local(datetime!(2026-11-24 14:06)), &P);
        assert_eq!(kinds(&alerts), [("D01", AlertKind::Urge, Deadline::Sign)]);
    }

    #[test]
    fn missed_signing_limit_is_supervised_then_reprimanded() {
        let cal = calendar();
        let (t, _) = dispatched(&cal);
        // The deadline instant itself is not overdue; the limits are the workflow's.
        let at_deadline = local(datetime!(2026-11-24 12:00));
        assert_eq!(
            kinds(&due_alerts(&t.state, &cal, at_deadline, &P)),
            [
                ("D01", AlertKind::Urge, Deadline::Sign),
                ("B-ZJJ", AlertKind::Urge, Deadline::Sign)
            ]
        );
        let late = at_deadline + 1;
        let alerts = due_alerts(&t.state, &cal, late, &P);
        assert_eq!(
            kinds(&alerts),
            [
                ("D01", AlertKind::Notice, Deadline::Sign),
                ("B-ZJJ", AlertKind::Notice, Deadline::Sign)
            ]
        );
        assert!(alerts[0].working_minutes_left <= 0);
        // Three working days after 11-24: Friday 11-27 at closing.
        let friday_close = local(datetime!(2026-11-27 17:30));
        assert_eq!(
            kinds(&due_alerts(&t.state, &cal, friday_close, &P))[0].1,
            AlertKind::Notice
        );
        let alerts = due_alerts(&t.state, &cal, friday_close + 60_000, &P);
        assert_eq!(
            kinds(&alerts),
            [
                ("D01", AlertKind::Reprimand, Deadline::Sign),
                ("B-ZJJ", AlertKind::Reprimand, Deadline::Sign)
            ]
        );
        // N = 0: a reprimand as soon as the limit is missed.
        let at_once = AlertPolicy {
            reprimand_after_days: 0,
            ..P
        };
        assert_eq!(
            due_alerts(&t.state, &cal, late, &at_once)[0].kind,
            AlertKind::Reprimand
        );
    }

    /// Units that missed their signing limit are supervised before their reply limit has passed:
    /// the workflow accepts the `Supervise` event such an alert produces.
    #[test]
    fn supervision_for_a_missed_signing_limit_is_accepted_by_the_workflow() {
        let cal = calendar();
        let (t, _) = dispatched(&cal);
        let late = local(datetime!(2026-11-24 14:00));
        let alerts = due_alerts(&t.state, &cal, late, &P);
        assert_eq!(alerts[0].kind, AlertKind::Notice);
        let e = Event {
            id: "sup".into(),
            author: "system".into(),
            unit: "C".into(),
            node: "N".into(),
            hlc: Hlc::at(late),
            action: alerts[0].action(),
        };
        assert_eq!(t.state.check(&e), Ok(()));
    }

    #[test]
    fn reply_limit_urge_notice_and_reprimand() {
        let cal = calendar();
        let (mut t, at) = dispatched(&cal);
        let signed = at + 30 * 60_000;
        t.act("D01", signed, Action::Sign);
        t.act("B-ZJJ", signed, Action::Sign);
        // Signed before the signing urge point: no alerts until 80 % of the reply limit.
        // 4560 working minutes from 11-24 10:00 to 12-08 17:30; 80 % = 3648 → 2026-12-04 16:18.
        assert!(due_alerts(&t.state, &cal, local(datetime!(2026-12-04 16:17)), &P).is_empty());
        let now = local(datetime!(2026-12-04 16:18));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        assert_eq!(
            kinds(&alerts),
            [
                ("D01", AlertKind::Urge, Deadline::Reply),
                ("B-ZJJ", AlertKind::Urge, Deadline::Reply)
            ]
        );
        assert_eq!(alerts[0].working_minutes_left, 4560 - 3648);
        act_on(&mut t, &alerts, now);
        assert!(due_alerts(&t.state, &cal, local(datetime!(2026-12-08 17:30)), &P).is_empty());
        // The co-handler replies; only the lead is overdue after 12-08 17:30.
        t.act("B-ZJJ", local(datetime!(2026-12-07 10:00)), reply());
        let late = local(datetime!(2026-12-08 17:31));
        let alerts = due_alerts(&t.state, &cal, late, &P);
        assert_eq!(
            kinds(&alerts),
            [("D01", AlertKind::Notice, Deadline::Reply)]
        );
        act_on(&mut t, &alerts, late);
        assert_eq!(t.lead().supervision, Some(SupervisionLevel::Notice));
        assert!(due_alerts(&t.state, &cal, local(datetime!(2026-12-11 17:30)), &P).is_empty());
        let later = local(datetime!(2026-12-11 17:31));
        let alerts = due_alerts(&t.state, &cal, later, &P);
        assert_eq!(
            kinds(&alerts),
            [("D01", AlertKind::Reprimand, Deadline::Reply)]
        );
        act_on(&mut t, &alerts, later);
        assert!(due_alerts(&t.state, &cal, later + 30 * 86_400_000, &P).is_empty());
        // Replied: nothing more to chase.
        t.act("D01", later + 60_000, reply());
        assert_eq!(t.state.status, Status::Replied);
        assert!(due_alerts(&t.state, &cal, later + 60 * 86_400_000, &P).is_empty());
    }

    fn reply() -> Action {
        Action::Reply {
            founded: true,
            solved: true,
            public_reply: "已处理。".into(),
            internal_note: String::new(),
        }
    }

    #[test]
    fn a_late_signer_urged_to_sign_is_still_urged_to_reply() {
        let cal = calendar();
        let (mut t, _) = dispatched(&cal);
        let now = local(datetime!(2026-11-24 11:40));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        act_on(&mut t, &alerts, now);
        t.act("D01", local(datetime!(2026-11-24 11:50)), Action::Sign);
        t.act("B-ZJJ", local(datetime!(2026-11-24 11:50)), Action::Sign);
        assert!(due_alerts(&t.state, &cal, local(datetime!(2026-12-04 16:17)), &P).is_empty());
        let now = local(datetime!(2026-12-04 16:18));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        assert_eq!(kinds(&alerts).len(), 2);
        assert!(
            alerts
                .iter()
                .all(|a| a.kind == AlertKind::Urge && a.deadline == Deadline::Reply)
        );
        act_on(&mut t, &alerts, now);
        assert_eq!(t.lead().urges, 2);
        assert!(due_alerts(&t.state, &cal, now + 60_000, &P).is_empty());
    }

    #[test]
    fn a_manual_urge_counts_and_named_supervision_tops_everything() {
        let cal = calendar();
        let (mut t, at) = dispatched(&cal);
        t.act("D01", at + 60_000, Action::Sign);
        t.act(
            "C",
            at + 120_000,
            Action::Urge {
                target: "D01".into(),
                note: "请尽快办理".into(),
            },
        );
        t.act(
            "C",
            at + 180_000,
            Action::Supervise {
                target: "B-ZJJ".into(),
                level: SupervisionLevel::Named,
                note: String::new(),
            },
        );
        // The lead was urged by hand already; the co-handler never signed, but named supervision
        // already outranks every level the system gives.
        let now = local(datetime!(2026-12-04 16:30));
        assert_eq!(t.state.co[0].signed_at, None);
        assert!(due_alerts(&t.state, &cal, now, &P).is_empty());
        let far = local(datetime!(2027-03-01 10:00));
        let alerts = due_alerts(&t.state, &cal, far, &P);
        assert_eq!(
            kinds(&alerts),
            [("D01", AlertKind::Reprimand, Deadline::Reply)]
        );
    }

    #[test]
    fn an_unsigned_unit_past_its_reply_limit_is_judged_by_the_reply_limit() {
        let cal = calendar();
        let (t, _) = dispatched(&cal);
        let now = local(datetime!(2026-12-09 10:00));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        // Signing limit missed long ago (reprimand), reply limit just missed (notice): the worse wins.
        assert_eq!(alerts[0].kind, AlertKind::Reprimand);
        assert_eq!(alerts[0].deadline, Deadline::Sign);
        let now = local(datetime!(2026-12-14 10:00));
        let alerts = due_alerts(&t.state, &cal, now, &P);
        assert_eq!(
            (alerts[0].kind, alerts[0].deadline),
            (AlertKind::Reprimand, Deadline::Reply)
        );
    }

    #[test]
    fn finished_orders_have_no_alerts() {
        let cal = calendar();
        let (mut t, at) = dispatched(&cal);
        t.act(
            "D01",
            at + 60_000,
            Action::Return {
                reason: "非本单位".into(),
            },
        );
        assert_eq!(t.state.status, Status::Returned);
        assert!(due_alerts(&t.state, &cal, at + 90 * 86_400_000, &P).is_empty());
        t.act(
            "C",
            at + 120_000,
            Action::Merge {
                master: "20261120-C-00001".into(),
            },
        );
        assert!(due_alerts(&t.state, &cal, at + 90 * 86_400_000, &P).is_empty());
    }

    proptest::proptest! {
        /// A node checking alerts at random moments while units sign, reply and get extensions:
        /// the workflow accepts every action an alert gives, acting on it clears it at once, each
        /// limit is urged at most once, urges come before the limit and supervision after it.
        #[test]
        fn acting_on_alerts_clears_them_and_urges_each_limit_once(
            steps in proptest::collection::vec((0i64..4_000, 0u8..8), 1..40),
            reprimand_after_days in 0u32..5,
        ) {
            let cal = calendar();
            let policy = AlertPolicy { urge_at_percent: 80, reprimand_after_days };
            let (mut t, mut now) = dispatched(&cal);
            let mut urged: Vec<(String, Deadline)> = Vec::new();
            for (advance_minutes, op) in steps {
                now += advance_minutes * 60_000;
                let unit_action = match op {
                    1 => Some(("D01", Action::Sign)),
                    2 => Some(("B-ZJJ", Action::Sign)),
                    3 => Some(("B-ZJJ", reply())),
                    4 => Some(("D01", reply())),
                    5 => Some(("D01", Action::RequestExtension {
                        until: t.lead().due_at + 3 * 86_400_000,
                        reason: "需要协调".into(),
                    })),
                    6 => Some(("C", Action::ApproveExtension {
                        for_unit: "D01".into(),
                        until: t.lead().due_at + 3 * 86_400_000,
                        note: String::new(),
                    })),
                    _ => None,
                };
                if let Some((unit, action)) = unit_action {
                    t.n += 1;
                    let e = Event {
                        id: format!("e{}", t.n),
                        author: "u".into(),
                        unit: unit.into(),
                        node: "N".into(),
                        hlc: Hlc::at(now),
                        action,
                    };
                    let _ = t.state.apply(&e);
                }
                let alerts = due_alerts(&t.state, &cal, now, &policy);
                for a in &alerts {
                    proptest::prop_assert_eq!(alerts.iter().filter(|b| b.unit == a.unit).count(), 1);
                    match a.kind {
                        AlertKind::Urge => {
                            proptest::prop_assert!(now <= a.due_at && a.working_minutes_left >= 0);
                            proptest::prop_assert!(!urged.contains(&(a.unit.clone(), a.deadline)), "{} urged twice for {:?}", a.unit, a.deadline);
                            urged.push((a.unit.clone(), a.deadline));
                        }
                        AlertKind::Notice | AlertKind::Reprimand => {
                            proptest::prop_assert!(now > a.due_at && a.working_minutes_left <= 0);
                        }
                    }
                    t.n += 1;
                    let e = Event {
                        id: format!("e{}", t.n),
                        author: "system".into(),
                        unit: "C".into(),
                        node: "N".into(),
                        hlc: Hlc::at(now),
                        action: a.action(),
                    };
                    if let Err(r) = t.state.apply(&e) {
                        return Err(proptest::test_runner::TestCaseError::fail(format!("{a:?} refused: {r:?}")));
                    }
                }
                let again = due_alerts(&t.state, &cal, now, &policy);
                proptest::prop_assert_eq!(again, Vec::new());
            }
        }
    }

    #[test]
    fn default_policy_is_80_percent_and_three_days() {
        assert_eq!(AlertPolicy::default(), P);
    }
}
