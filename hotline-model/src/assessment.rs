//! The centre's assessment of member units (考核), recomputed from the orders' own history: for
//! every assignment a unit received in a period, whether it signed on time, returned the order,
//! replied on time (deadlines moved by approved extensions count), solved it, was extended, urged,
//! supervised or had to redo it; and, for the lead unit, the citizen's rating at callback.
//! Pure: the orders and `now` are passed in.
//!
//! Why one file of this length: a third of it is tests against a recomputation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::category::RequestType;
use crate::event::Satisfaction;
use crate::workflow::{Assignment, AssignmentStatus, Part, TicketState};

/// Counts for one unit over a period, and the rates the centre publishes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
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

/// How many counters a [`Fact`] carries.
pub const COUNTERS: usize = 15;

/// Counter positions of a unit's fact (one assignment).
pub mod unit_counter {
    /// Assignments received.
    pub const ASSIGNED: usize = 0;
    /// Of those, as lead.
    pub const AS_LEAD: usize = 1;
    /// Returned.
    pub const RETURNED: usize = 2;
    /// Signed by the sign-by time.
    pub const SIGNED_ON_TIME: usize = 3;
    /// Replied.
    pub const REPLIED: usize = 4;
    /// Replied by the reply-by time.
    pub const REPLIED_ON_TIME: usize = 5;
    /// Replies saying solved.
    pub const SOLVED: usize = 6;
    /// Rated at callback (final lead).
    pub const RATED: usize = 7;
    /// Satisfied at callback (final lead).
    pub const SATISFIED: usize = 8;
    /// Called back (final lead).
    pub const CALLED_BACK: usize = 9;
    /// Redone.
    pub const REDONE: usize = 10;
    /// Extended.
    pub const EXTENDED: usize = 11;
    /// Urged.
    pub const URGED: usize = 12;
    /// Supervised.
    pub const SUPERVISED: usize = 13;
    /// Final lead assignments whose reply the centre accepted (the callback rate's denominator).
    pub const ACCEPTED: usize = 14;
}

/// Counter positions of a public fact (unit `""`).
pub mod public_counter {
    /// Registered.
    pub const RECEIVED: usize = 0;
    /// Closed.
    pub const CLOSED: usize = 1;
    /// Lead replies.
    pub const REPLIED: usize = 2;
    /// Lead replies on time.
    pub const REPLIED_ON_TIME: usize = 3;
    /// Rated callbacks.
    pub const RATED: usize = 4;
    /// Satisfied callbacks.
    pub const SATISFIED: usize = 5;
}

/// What one order adds to the figures at one moment: for the public figures (`unit` empty) the
/// counts of what happened then (registered, closed, replied, called back), for a unit the counts
/// of one assignment, dated by when it was made. The figures of a period are the sums of the facts
/// dated in it, so they can be kept as running totals (the store does, per hour) and recomputed
/// from the orders with the same numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Fact {
    /// The unit, or empty for the public figures.
    pub unit: String,
    /// When (Unix ms).
    pub at: i64,
    /// The counts, by the positions of [`unit_counter`] or [`public_counter`].
    pub counts: [i64; COUNTERS],
}

/// The key under which the public facts of one request type are kept (`type:complaint`); the
/// public figures of the whole city are kept under the empty key.
pub fn type_key(t: RequestType) -> String {
    format!("{TYPE_PREFIX}{}", t.code())
}

/// The prefix of [`type_key`]s (no unit code contains a colon).
pub const TYPE_PREFIX: &str = "type:";

impl Fact {
    /// Whether this is a public fact (the city's or a request type's), not a unit's.
    pub fn is_public(&self) -> bool {
        self.unit.is_empty() || self.unit.starts_with(TYPE_PREFIX)
    }

    /// Whether this is a unit's fact (its key a unit code: not empty, no prefix).
    pub fn is_unit(&self) -> bool {
        !self.unit.is_empty() && !self.unit.contains(':')
    }
}

/// An assignment's deadline while it can still be missed: not replied and still with the unit.
/// The unit is overdue once `now` is past it (counted at the time of asking, not kept as a fact).
pub fn open_due(a: &Assignment) -> Option<i64> {
    (a.reply.is_none()
        && matches!(
            a.status,
            AssignmentStatus::AwaitingSign | AssignmentStatus::Handling
        ))
    .then_some(a.due_at)
}

fn unit_fact(a: &Assignment, final_lead: bool, order: &TicketState) -> Fact {
    use unit_counter as c;
    let mut n = [0i64; COUNTERS];
    let flag = |b: bool| i64::from(b);
    n[c::ASSIGNED] = 1;
    n[c::AS_LEAD] = flag(a.part == Part::Lead);
    n[c::RETURNED] = flag(a.status == AssignmentStatus::Returned);
    n[c::SIGNED_ON_TIME] = flag(a.signed_at.is_some_and(|t| t <= a.sign_due_at));
    if let Some(r) = &a.reply {
        n[c::REPLIED] = 1;
        n[c::REPLIED_ON_TIME] = flag(r.at <= a.due_at);
        n[c::SOLVED] = flag(r.solved);
    }
    if final_lead && order.final_reply.is_some() {
        n[c::CALLED_BACK] = flag(order.callback_at.is_some());
        let (rated, satisfied) = rating(order.satisfaction);
        n[c::RATED] = i64::from(rated);
        n[c::SATISFIED] = i64::from(satisfied);
        n[c::ACCEPTED] = 1;
    }
    n[c::REDONE] = flag(a.redos > 0);
    n[c::EXTENDED] = flag(a.extensions > 0);
    n[c::URGED] = flag(a.urges > 0);
    n[c::SUPERVISED] = flag(a.supervision.is_some());
    Fact {
        unit: a.unit.clone(),
        at: a.assigned_at,
        counts: n,
    }
}

/// Every fact of one order: its public facts, then one per assignment (current lead, co-handlers,
/// past ones).
pub fn facts(order: &TicketState) -> Vec<Fact> {
    use public_counter as p;
    let mut out = Vec::new();
    let by_type = type_key(order.request_type);
    let mut public = |at: Option<i64>, set: &[(usize, i64)]| {
        if let Some(at) = at {
            let mut counts = [0i64; COUNTERS];
            for (i, v) in set {
                counts[*i] = *v;
            }
            // The city's figures, and the same counts under the order's request type.
            out.push(Fact {
                unit: by_type.clone(),
                at,
                counts,
            });
            out.push(Fact {
                unit: String::new(),
                at,
                counts,
            });
        }
    };
    // Merged duplicates (重复件) still count as received, as the centre's rules say.
    public(order.created_at, &[(p::RECEIVED, 1)]);
    public(order.closed_at, &[(p::CLOSED, 1)]);
    if let Some((l, r)) = order
        .lead
        .as_ref()
        .and_then(|l| l.reply.as_ref().map(|r| (l, r)))
    {
        public(
            Some(r.at),
            &[
                (p::REPLIED, 1),
                (p::REPLIED_ON_TIME, i64::from(r.at <= l.due_at)),
            ],
        );
    }
    if order.callback_at.is_some() {
        let (rated, satisfied) = rating(order.satisfaction);
        public(
            order.callback_at,
            &[
                (p::RATED, i64::from(rated)),
                (p::SATISFIED, i64::from(satisfied)),
            ],
        );
    }
    let current_lead = order.lead.iter().map(|a| (a, true));
    let others = order.co.iter().chain(order.past.iter()).map(|a| (a, false));
    for (a, final_lead) in current_lead.chain(others) {
        out.push(unit_fact(a, final_lead, order));
    }
    out
}

impl UnitFigures {
    /// A unit's figures from its summed counts and its number of overdue assignments.
    pub fn from_counts(unit: &str, n: &[i64; COUNTERS], overdue: u32) -> Self {
        use unit_counter as c;
        let get = |i: usize| u32::try_from(n[i]).unwrap_or(0);
        let mut f = UnitFigures {
            unit: unit.to_owned(),
            assigned: get(c::ASSIGNED),
            as_lead: get(c::AS_LEAD),
            returned: get(c::RETURNED),
            signed_on_time: get(c::SIGNED_ON_TIME),
            replied: get(c::REPLIED),
            replied_on_time: get(c::REPLIED_ON_TIME),
            overdue,
            solved: get(c::SOLVED),
            rated: get(c::RATED),
            satisfied: get(c::SATISFIED),
            called_back: get(c::CALLED_BACK),
            redone: get(c::REDONE),
            extended: get(c::EXTENDED),
            urged: get(c::URGED),
            supervised: get(c::SUPERVISED),
            ..UnitFigures::default()
        };
        f.sign_rate = rate(f.signed_on_time, f.assigned - f.returned);
        f.on_time_rate = rate(f.replied_on_time, f.replied + f.overdue);
        f.solved_rate = rate(f.solved, f.replied);
        f.satisfaction_rate = rate(f.satisfied, f.rated);
        f.callback_rate = rate(f.called_back, get(c::ACCEPTED));
        f.redo_rate = rate(f.redone, f.replied);
        f.return_rate = rate(f.returned, f.assigned);
        f.extension_rate = rate(f.extended, f.assigned);
        f
    }
}

/// The weights of the composite score (综合得分) the centre sets (reference document
/// `assessment`): each rate counts by its weight; 重办率, 退单率 and 延期率 count as their
/// complement (fewer is better). Rates a unit has no figures for leave the score, so a unit is not
/// marked down for what it was never asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreWeights {
    /// 签收率.
    pub sign: u32,
    /// 按时办结率.
    pub on_time: u32,
    /// 解决率.
    pub solved: u32,
    /// 满意率.
    pub satisfaction: u32,
    /// 回访率.
    pub callback: u32,
    /// 重办率 (complement).
    pub redo: u32,
    /// 退单率 (complement).
    pub returned: u32,
    /// 延期率 (complement).
    pub extension: u32,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            sign: 10,
            on_time: 25,
            solved: 20,
            satisfaction: 30,
            callback: 5,
            redo: 5,
            returned: 3,
            extension: 2,
        }
    }
}

impl ScoreWeights {
    /// Checks the weights: none above 1000, and not all zero.
    pub fn check(&self) -> Result<(), String> {
        let all = [
            self.sign,
            self.on_time,
            self.solved,
            self.satisfaction,
            self.callback,
            self.redo,
            self.returned,
            self.extension,
        ];
        if all.iter().any(|w| *w > 1000) {
            return Err("每项权重不超过 1000".into());
        }
        if all.iter().all(|w| *w == 0) {
            return Err("权重不能全为零".into());
        }
        Ok(())
    }
}

/// The composite score of `f` out of 100 (one decimal), or `None` when it has no rate at all.
pub fn composite(f: &UnitFigures, w: &ScoreWeights) -> Option<f64> {
    let parts = [
        (f.sign_rate, w.sign),
        (f.on_time_rate, w.on_time),
        (f.solved_rate, w.solved),
        (f.satisfaction_rate, w.satisfaction),
        (f.callback_rate, w.callback),
        (f.redo_rate.map(|r| 1.0 - r), w.redo),
        (f.return_rate.map(|r| 1.0 - r), w.returned),
        (f.extension_rate.map(|r| 1.0 - r), w.extension),
    ];
    let (sum, weight) = parts
        .iter()
        .filter_map(|(r, w)| r.map(|r| (r * f64::from(*w), f64::from(*w))))
        .fold((0.0, 0.0), |(s, t), (x, w)| (s + x, t + w));
    (weight > 0.0).then(|| (sum / weight * 1000.0).round() / 10.0)
}

/// What the centre publishes for a period (月度数据公开): orders received and closed, the share of
/// lead replies given on time, and the share of rated callbacks that were satisfied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublicFigures {
    /// Orders registered in the period.
    pub received: u32,
    /// Orders closed in the period.
    pub closed: u32,
    /// Lead replies given in the period.
    pub replied: u32,
    /// Of those, by the deadline.
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

impl PublicFigures {
    /// The figures from summed public counts.
    pub fn from_counts(n: &[i64; COUNTERS]) -> Self {
        use public_counter as p;
        let get = |i: usize| u32::try_from(n[i]).unwrap_or(0);
        let mut f = PublicFigures {
            received: get(p::RECEIVED),
            closed: get(p::CLOSED),
            replied: get(p::REPLIED),
            replied_on_time: get(p::REPLIED_ON_TIME),
            rated: get(p::RATED),
            satisfied: get(p::SATISFIED),
            ..PublicFigures::default()
        };
        f.on_time_rate = rate(f.replied_on_time, f.replied);
        f.satisfaction_rate = rate(f.satisfied, f.rated);
        f
    }
}

/// Adds `b` into `a`.
pub fn add_counts(a: &mut [i64; COUNTERS], b: &[i64; COUNTERS]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// The public figures for `[from, to)` (Unix ms), recomputed from the orders.
pub fn public_figures<'a>(
    orders: impl IntoIterator<Item = &'a TicketState>,
    from: i64,
    to: i64,
) -> PublicFigures {
    public_figures_of(orders, from, to, None)
}

/// The public figures for `[from, to)` of the orders of one request type (or all), recomputed
/// from the orders.
pub fn public_figures_of<'a>(
    orders: impl IntoIterator<Item = &'a TicketState>,
    from: i64,
    to: i64,
    request_type: Option<RequestType>,
) -> PublicFigures {
    let mut sum = [0i64; COUNTERS];
    for o in orders {
        if request_type.is_some_and(|t| t != o.request_type) {
            continue;
        }
        for f in facts(o) {
            if f.unit.is_empty() && f.at >= from && f.at < to {
                add_counts(&mut sum, &f.counts);
            }
        }
    }
    PublicFigures::from_counts(&sum)
}

/// Each unit's counts and overdue assignments summed over its whole subtree (本级及下级): a
/// district's row then holds its towns' and communities' work too. Units of `per_unit` outside
/// the tree count for no one; every unit of the tree with anything to count is in the result.
pub fn subtree_sums(
    org: &crate::org::OrgTree,
    per_unit: &BTreeMap<String, ([i64; COUNTERS], u32)>,
) -> BTreeMap<String, ([i64; COUNTERS], u32)> {
    let mut out: BTreeMap<String, ([i64; COUNTERS], u32)> = BTreeMap::new();
    for (unit, (counts, overdue)) in per_unit {
        if !org.contains(unit) {
            continue;
        }
        for above in org.ancestors(unit) {
            let e = out.entry(above.code.clone()).or_default();
            add_counts(&mut e.0, counts);
            e.1 += overdue;
        }
    }
    out
}

/// Figures per unit for the assignments made in `[from, to)` (Unix ms), judged at `now`; units
/// for which `include` is false are left out. Sorted by unit code. Recomputed from the orders.
pub fn assess<'a>(
    orders: impl IntoIterator<Item = &'a TicketState>,
    from: i64,
    to: i64,
    now: i64,
    include: impl Fn(&str) -> bool,
) -> Vec<UnitFigures> {
    let mut by_unit: BTreeMap<String, ([i64; COUNTERS], u32)> = BTreeMap::new();
    for order in orders {
        for f in facts(order) {
            if !f.is_unit() || f.at < from || f.at >= to || !include(&f.unit) {
                continue;
            }
            let entry = by_unit.entry(f.unit.clone()).or_default();
            add_counts(&mut entry.0, &f.counts);
        }
        let current = order.lead.iter().chain(order.co.iter());
        for a in current.chain(order.past.iter()) {
            if a.assigned_at >= from
                && a.assigned_at < to
                && include(&a.unit)
                && open_due(a).is_some_and(|d| now > d)
            {
                by_unit.entry(a.unit.clone()).or_default().1 += 1;
            }
        }
    }
    by_unit
        .into_iter()
        .map(|(unit, (counts, overdue))| UnitFigures::from_counts(&unit, &counts, overdue))
        .collect()
}

#[cfg(test)]
mod score_tests {
    use super::*;

    #[test]
    fn a_subtree_sums_its_units_work() {
        use crate::org::{OrgTree, Unit, UnitKind};
        let unit = |code: &str, parent: Option<&str>, kind| Unit {
            code: code.into(),
            name: code.into(),
            kind,
            parent: parent.map(Into::into),
            duties: String::new(),
            contact: String::new(),
            duty: Vec::new(),
        };
        let org = OrgTree::new(vec![
            unit("C", None, UnitKind::Centre),
            unit("D01", Some("C"), UnitKind::District),
            unit("D01-T01", Some("D01"), UnitKind::Town),
            unit("D02", Some("C"), UnitKind::District),
        ])
        .expect("org");
        let mut one = [0i64; COUNTERS];
        one[unit_counter::ASSIGNED] = 1;
        let per_unit: BTreeMap<String, ([i64; COUNTERS], u32)> = [
            ("D01".to_owned(), (one, 0)),
            ("D01-T01".to_owned(), (one, 2)),
            ("D02".to_owned(), (one, 1)),
            ("GONE".to_owned(), (one, 5)),
        ]
        .into();
        let s = subtree_sums(&org, &per_unit);
        assert_eq!(s["D01"].0[unit_counter::ASSIGNED], 2);
        assert_eq!(s["D01"].1, 2);
        assert_eq!(s["D01-T01"].0[unit_counter::ASSIGNED], 1);
        assert_eq!(s["C"].0[unit_counter::ASSIGNED], 3);
        assert_eq!(s["C"].1, 3);
        assert!(!s.contains_key("GONE"));
    }

    #[test]
    fn the_score_weighs_the_rates_a_unit_has_and_fewer_redos_count_for_it() {
        let w = ScoreWeights::default();
        let none = UnitFigures::default();
        assert_eq!(composite(&none, &w), None);
        let perfect = UnitFigures {
            sign_rate: Some(1.0),
            on_time_rate: Some(1.0),
            solved_rate: Some(1.0),
            satisfaction_rate: Some(1.0),
            callback_rate: Some(1.0),
            redo_rate: Some(0.0),
            return_rate: Some(0.0),
            extension_rate: Some(0.0),
            ..UnitFigures::default()
        };
        assert_eq!(composite(&perfect, &w), Some(100.0));
        let half = UnitFigures {
            sign_rate: Some(0.5),
            ..UnitFigures::default()
        };
        assert_eq!(composite(&half, &w), Some(50.0), "only the rates it has");
        let redone = UnitFigures {
            redo_rate: Some(0.25),
            satisfaction_rate: Some(1.0),
            ..UnitFigures::default()
        };
        // (0.75·5 + 1·30) / 35 = 96.4
        assert_eq!(composite(&redone, &w), Some(96.4));
        assert!(w.check().is_ok());
        assert!(
            ScoreWeights {
                sign: 5000,
                ..w.clone()
            }
            .check()
            .is_err()
        );
        let zero = ScoreWeights {
            sign: 0,
            on_time: 0,
            solved: 0,
            satisfaction: 0,
            callback: 0,
            redo: 0,
            returned: 0,
            extension: 0,
        };
        assert!(zero.check().is_err());
        let seed =
            crate::refdata::parse_score_weights(include_str!("../../deploy/seed/assessment.toml"))
                .expect("seed weights");
        assert_eq!(seed, ScoreWeights::default());
        assert!(crate::refdata::parse_score_weights("[weights]\nsign = -3\n").is_err());
        assert!(crate::refdata::parse_score_weights("[weight]\nsign = 3\n").is_err());
    }
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
            final_assignment: false,
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
