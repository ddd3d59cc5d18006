//! The centre's assessment of member units (考核), recomputed from the orders' own history: for
//! every assignment a unit received in a period, whether it signed on time, returned the order,
//! replied on time (deadlines moved by approved extensions count), solved it, was extended, urged,
//! supervised or had to redo it; and, for the lead unit, the citizen's rating at callback.
//! Pure: the orders and `now` are passed in.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::Satisfaction;
use crate::workflow::{Assignment, AssignmentStatus, Part, TicketState};

/// Counts for one unit over a period, and the rates the centre publishes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UnitFigures {
    /// The unit's code.
    pub unit: String,
    /// Assignments received in the period (lead and co-handling).
    pub assigned: u32,
    /// Of those, as lead.
    pub as_lead: u32,
    /// Returned (退单).
    pub returned: u32,
    /// Signed by the sign-by time.
    pub signed_on_time: u32,
    /// Replied (办结 on the unit's side).
    pub replied: u32,
    /// Replied by the reply-by time.
    pub replied_on_time: u32,
    /// Not replied and past the reply-by time now.
    pub overdue: u32,
    /// Replies saying the matter was solved.
    pub solved: u32,
    /// Lead assignments of orders the citizen rated at callback.
    pub rated: u32,
    /// Of those, 满意 or 基本满意.
    pub satisfied: u32,
    /// Lead assignments whose order was called back.
    pub called_back: u32,
    /// Sent back for redo or reopened while the unit held it (重办).
    pub redone: u32,
    /// Given at least one approved extension (延期).
    pub extended: u32,
    /// Urged at least once (催办).
    pub urged: u32,
    /// Supervised (督办, any level).
    pub supervised: u32,
    /// 签收率: signed on time / assignments not returned.
    pub sign_rate: Option<f64>,
    /// 按时办结率: replied on time / (replied + overdue).
    pub on_time_rate: Option<f64>,
    /// 解决率: solved / replied.
    pub solved_rate: Option<f64>,
    /// 满意率: satisfied / rated.
    pub satisfaction_rate: Option<f64>,
    /// 回访率: called back / lead replies accepted.
    pub callback_rate: Option<f64>,
    /// 重办率: redone / replied.
    pub redo_rate: Option<f64>,
    /// 退单率: returned / assigned.
    pub return_rate: Option<f64>,
    /// 延期率: extended / assigned.
    pub extension_rate: Option<f64>,
}

/// How a callback counts: (rated, satisfied). 满意 and 基本满意 are satisfied; an unreachable
/// citizen gave no rating.
fn rating(s: Option<Satisfaction>) -> (u32, u32) {
    match s {
        Some(Satisfaction::Satisfied | Satisfaction::BasicallySatisfied) => (1, 1),
        Some(Satisfaction::Unsatisfied) => (1, 0),
        Some(Satisfaction::Unreachable) | None => (0, 0),
    }
}

fn rate(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

impl UnitFigures {
    /// Counts assignment `a` of `order`; `final_lead`: it is the order's current lead assignment
    /// (the one the citizen's rating judges).
    fn add(&mut self, a: &Assignment, final_lead: bool, order: &TicketState, now: i64) {
        self.assigned += 1;
        let lead = a.part == Part::Lead;
        if lead {
            self.as_lead += 1;
        }
        if a.status == AssignmentStatus::Returned {
            self.returned += 1;
        }
        if a.signed_at.is_some_and(|t| t <= a.sign_due_at) {
            self.signed_on_time += 1;
        }
        match &a.reply {
            Some(r) => {
                self.replied += 1;
                if r.at <= a.due_at {
                    self.replied_on_time += 1;
                }
                if r.solved {
                    self.solved += 1;
                }
            }
            None if matches!(
                a.status,
                AssignmentStatus::AwaitingSign | AssignmentStatus::Handling
            ) && now > a.due_at =>
            {
                self.overdue += 1;
            }
            None => {}
        }
        if final_lead && order.final_reply.is_some() {
            if order.callback_at.is_some() {
                self.called_back += 1;
            }
            let (rated, satisfied) = rating(order.satisfaction);
            self.rated += rated;
            self.satisfied += satisfied;
        }
        if a.redos > 0 {
            self.redone += 1;
        }
        if a.extensions > 0 {
            self.extended += 1;
        }
        if a.urges > 0 {
            self.urged += 1;
        }
        if a.supervision.is_some() {
            self.supervised += 1;
        }
    }

    fn finish(&mut self, lead_replies_accepted: u32) {
        self.sign_rate = rate(self.signed_on_time, self.assigned - self.returned);
        self.on_time_rate = rate(self.replied_on_time, self.replied + self.overdue);
        self.solved_rate = rate(self.solved, self.replied);
        self.satisfaction_rate = rate(self.satisfied, self.rated);
        self.callback_rate = rate(self.called_back, lead_replies_accepted);
        self.redo_rate = rate(self.redone, self.replied);
        self.return_rate = rate(self.returned, self.assigned);
        self.extension_rate = rate(self.extended, self.assigned);
    }
}

/// What the centre publishes for a period (月度数据公开): orders received and closed, the share of
/// lead replies given on time, and the share of rated callbacks that were satisfied.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PublicFigures {
    /// Orders registered in the period.
    pub received: u32,
    /// Orders closed in the period.
    pub closed: u32,
    /// Lead replies given in the period.
    pub replied: u32,
    /// Of those, by their deadline.
    pub replied_on_time: u32,
    /// Callbacks in the period with a rating.
    pub rated: u32,
    /// Of those, 满意 or 基本满意.
    pub satisfied: u32,
    /// replied_on_time / replied.
    pub on_time_rate: Option<f64>,
    /// satisfied / rated.
    pub satisfaction_rate: Option<f64>,
}

/// The public figures for `[from, to)` (Unix ms).
pub fn public_figures<'a>(
    orders: impl IntoIterator<Item = &'a TicketState>,
    from: i64,
    to: i64,
) -> PublicFigures {
    let within = |t: Option<i64>| t.is_some_and(|t| t >= from && t < to);
    let mut f = PublicFigures::default();
    // Merged duplicates (重复件) still count as received, as the centre's rules say.
    for o in orders {
        f.received += u32::from(within(o.created_at));
        f.closed += u32::from(within(o.closed_at));
        if let Some(r) = o
            .lead
            .as_ref()
            .and_then(|l| l.reply.as_ref().map(|r| (l, r)))
            && within(Some(r.1.at))
        {
            f.replied += 1;
            f.replied_on_time += u32::from(r.1.at <= r.0.due_at);
        }
        if within(o.callback_at) {
            let (rated, satisfied) = rating(o.satisfaction);
            f.rated += rated;
            f.satisfied += satisfied;
        }
    }
    f.on_time_rate = rate(f.replied_on_time, f.replied);
    f.satisfaction_rate = rate(f.satisfied, f.rated);
    f
}

/// Figures per unit for the assignments made in `[from, to)` (Unix ms), judged at `now`; units
/// for which `include` is false are left out. Sorted by unit code.
pub fn assess<'a>(
    orders: impl IntoIterator<Item = &'a TicketState>,
    from: i64,
    to: i64,
    now: i64,
    include: impl Fn(&str) -> bool,
) -> Vec<UnitFigures> {
    let mut by_unit: BTreeMap<String, (UnitFigures, u32)> = BTreeMap::new();
    for order in orders {
        let current_lead = order.lead.iter().map(|a| (a, true));
        let others = order.co.iter().chain(order.past.iter()).map(|a| (a, false));
        for (a, final_lead) in current_lead.chain(others) {
            if a.assigned_at < from || a.assigned_at >= to || !include(&a.unit) {
                continue;
            }
            let (f, accepted) = by_unit.entry(a.unit.clone()).or_insert_with(|| {
                (
                    UnitFigures {
                        unit: a.unit.clone(),
                        ..UnitFigures::default()
                    },
                    0,
                )
            });
            f.add(a, final_lead, order, now);
            if final_lead && order.final_reply.is_some() {
                *accepted += 1;
            }
        }
    }
    by_unit
        .into_values()
        .map(|(mut f, accepted)| {
            f.finish(accepted);
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::Intake;
    use crate::workflow::ReplyRecord;

    const DAY: i64 = 86_400_000;

    fn assignment(unit: &str, part: Part, at: i64) -> Assignment {
        Assignment {
            unit: unit.into(),
            part,
            status: AssignmentStatus::AwaitingSign,
            assigned_by: "C".into(),
            assigned_at: at,
            sign_due_at: at + DAY / 12,
            due_at: at + 10 * DAY,
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
        }
    }

    fn reply(at: i64, solved: bool) -> ReplyRecord {
        ReplyRecord {
            founded: true,
            solved,
            public_reply: "已处理".into(),
            internal_note: String::new(),
            at,
        }
    }

    fn order() -> TicketState {
        let intake: Intake = serde_json::from_value(serde_json::json!({
            "channel": "phone", "caller_name": "张三", "caller_phone": "13812348000",
            "address": "某地", "request_type": "complaint", "subject": "CX.WY.DT",
            "title": "电梯", "content": "电梯停运", "urgent": false
        }))
        .expect("intake");
        TicketState::initial(&intake)
    }

    #[test]
    fn units_are_judged_by_their_own_assignments_in_the_period() {
        let t0 = 1_795_485_600_000;
        // 1: D01 leads, signs in time, replies late but solved; the citizen is satisfied.
        let mut a = order();
        let mut lead = assignment("D01", Part::Lead, t0);
        lead.signed_at = Some(t0 + 60_000);
        lead.status = AssignmentStatus::Replied;
        lead.reply = Some(reply(t0 + 11 * DAY, true));
        a.final_reply = lead.reply.clone();
        a.lead = Some(lead);
        a.callback_at = Some(t0 + 12 * DAY);
        a.satisfaction = Some(Satisfaction::Satisfied);
        // D02 co-handles, signs late, was extended and urged; still open and past its deadline.
        let mut co = assignment("D02", Part::Co, t0);
        co.signed_at = Some(t0 + DAY);
        co.status = AssignmentStatus::Handling;
        co.extensions = 1;
        co.urges = 2;
        a.co = vec![co];
        // 2: D02 returned it first (past), then D01 leads, replies in time, unsolved; unsatisfied.
        let mut b = order();
        let mut returned = assignment("D02", Part::Lead, t0 + DAY);
        returned.status = AssignmentStatus::Returned;
        b.past = vec![returned];
        let mut lead = assignment("D01", Part::Lead, t0 + 2 * DAY);
        lead.signed_at = Some(t0 + 2 * DAY);
        lead.status = AssignmentStatus::Replied;
        lead.reply = Some(reply(t0 + 3 * DAY, false));
        lead.redos = 1;
        b.final_reply = lead.reply.clone();
        b.lead = Some(lead);
        b.callback_at = Some(t0 + 4 * DAY);
        b.satisfaction = Some(Satisfaction::Unsatisfied);
        // 3: assigned to D01 before the period: not counted.
        let mut c = order();
        c.lead = Some(assignment("D01", Part::Lead, t0 - DAY));

        let now = t0 + 20 * DAY;
        let figures = assess([&a, &b, &c], t0, t0 + 30 * DAY, now, |_| true);
        assert_eq!(figures.len(), 2);
        let d01 = &figures[0];
        assert_eq!(d01.unit, "D01");
        assert_eq!((d01.assigned, d01.as_lead, d01.returned), (2, 2, 0));
        assert_eq!(
            (d01.signed_on_time, d01.replied, d01.replied_on_time),
            (2, 2, 1)
        );
        assert_eq!(
            (d01.solved, d01.rated, d01.satisfied, d01.called_back),
            (1, 2, 1, 2)
        );
        assert_eq!(d01.redone, 1);
        assert_eq!(d01.on_time_rate, Some(0.5));
        assert_eq!(d01.satisfaction_rate, Some(0.5));
        assert_eq!(d01.callback_rate, Some(1.0));
        let d02 = &figures[1];
        assert_eq!((d02.assigned, d02.as_lead, d02.returned), (2, 1, 1));
        assert_eq!((d02.signed_on_time, d02.overdue, d02.replied), (0, 1, 0));
        assert_eq!((d02.extended, d02.urged), (1, 1));
        assert_eq!(d02.sign_rate, Some(0.0));
        assert_eq!(d02.on_time_rate, Some(0.0));
        assert_eq!(d02.return_rate, Some(0.5));
        assert_eq!(d02.solved_rate, None, "no reply: no rate, not zero");
        assert_eq!(
            d02.rated, 0,
            "co-handling units are not judged by the lead's rating"
        );

        // The public figures of the same period.
        a.created_at = Some(t0);
        a.closed_at = Some(t0 + 13 * DAY);
        b.created_at = Some(t0 + DAY);
        c.created_at = Some(t0 - 2 * DAY);
        let p = public_figures([&a, &b, &c], t0, t0 + 30 * DAY);
        assert_eq!(
            (p.received, p.closed, p.replied, p.replied_on_time),
            (2, 1, 2, 1)
        );
        assert_eq!((p.rated, p.satisfied), (2, 1));
        assert_eq!(p.on_time_rate, Some(0.5));
        let later = public_figures([&a, &b, &c], t0 + 13 * DAY, t0 + 14 * DAY);
        assert_eq!((later.received, later.closed, later.replied), (0, 1, 0));
        assert_eq!(later.satisfaction_rate, None);

        // Only the units asked for.
        let only = assess([&a, &b, &c], t0, t0 + 30 * DAY, now, |u| u == "D02");
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].unit, "D02");
    }
}
