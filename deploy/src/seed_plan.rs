//! The demo's work orders, planned against the model alone (no store, no clock, no IO): about 120
//! orders drawn from `seed/tickets.toml`, each taken to its stage of life (every status, overdue and
//! near-due ones among them) by steps whose times are chosen from the order's derived state and the
//! working-day calendar at that moment.
//!
//! Correct by construction for any `now`: a step's time comes from the deadlines it must respect (an
//! extension or a reply at a share of the working time left before the deadline, a supervision after
//! it), every step is checked with the same translation ([`to_action`]) and the same rules
//! ([`TicketState::apply`]) the store applies, and a stage's promise about `now` is checked at the end
//! (an overdue order is past its deadline, a near-due one is due an urge, one being handled is not
//! overdue). When a start time cannot keep a stage's promise (a weekend, a holiday, a deadline that
//! fell at closing time), the planner tries the stage's next start time; when none can, planning
//! fails and says which order and why.
//!
//! Deterministic for a given random seed and `now`.
//!
//! Why one file of this length: it plans every step of every demo order in one pure pass, checked against the model; the parts share the plan's timing state.

use hotline_model::alerts::{AlertKind, AlertPolicy, due_alerts};
use hotline_model::calendar::WorkCalendar;
use hotline_model::category::RequestType;
use hotline_model::event::{Action, Event, Satisfaction, SupervisionLevel};
use hotline_model::hlc::Hlc;
use hotline_model::intake::{Channel, Intake};
use hotline_model::refdata::ReferenceData;
use hotline_model::ticket::TicketView;
use hotline_model::workflow::{Status, TicketState};
use hotline_operations::tickets::ask::{ActionRequest, to_action};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// Local time is Beijing time, as in the seed calendar.
const LOCAL_OFFSET: i64 = 8 * HOUR;

/// The ticket templates file (`seed/tickets.toml`).
#[derive(Debug, Deserialize)]
pub struct Templates {
    surnames: Vec<String>,
    given_names: Vec<String>,
    district_places: Vec<DistrictPlaces>,
    template: Vec<Template>,
}

impl Templates {
    /// Parses `tickets.toml`.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[derive(Debug, Deserialize)]
struct DistrictPlaces {
    district: String,
    streets: Vec<String>,
    estates: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Template {
    request_type: RequestType,
    subject: String,
    title: String,
    content: String,
    district: Option<String>,
    reply: String,
}

/// How far along its life a seeded order is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Registered, waiting for review.
    PendingReview,
    /// Sent back to the operator.
    SentBack,
    /// Reviewed, waiting for dispatch.
    ReadyToDispatch,
    /// Dispatched, not signed yet (and not late to sign).
    Dispatched,
    /// Signed and being handled, not overdue.
    Handling,
    /// Handed down by 东湖区 to 东湖街道, signed there, not overdue.
    TransferredToTown,
    /// An extension asked before the deadline, pending.
    ExtensionAsked,
    /// Returned by the lead unit.
    Returned,
    /// Replied on time.
    Replied,
    /// Reply accepted, waiting for the callback.
    AwaitingCallback,
    /// Called back, unsatisfied.
    Unsatisfied,
    /// Reopened after an unsatisfied callback.
    Reopened,
    /// Closed after a satisfied callback.
    Closed,
    /// Answered by the operator at once.
    DirectAnswer,
    /// Merged into an earlier order.
    Merged,
    /// Past its deadline: urged before it, supervised after it.
    Overdue,
    /// Being handled and due an automatic urge now (past the urge point, before the deadline).
    NearDue,
}

/// The stages in the order seeded orders cycle through. Closed orders come seven times in the cycle
/// and unsatisfied ones twice, so the demo's satisfaction rate is near a real centre's (about 80 %).
pub const STAGES: [Stage; 24] = [
    Stage::PendingReview,
    Stage::SentBack,
    Stage::ReadyToDispatch,
    Stage::Dispatched,
    Stage::Handling,
    Stage::Closed,
    Stage::TransferredToTown,
    Stage::ExtensionAsked,
    Stage::Closed,
    Stage::Returned,
    Stage::Replied,
    Stage::Closed,
    Stage::AwaitingCallback,
    Stage::Unsatisfied,
    Stage::Closed,
    Stage::Reopened,
    Stage::Closed,
    Stage::DirectAnswer,
    Stage::Merged,
    Stage::Closed,
    Stage::Overdue,
    Stage::NearDue,
    Stage::Closed,
    Stage::Handling,
];

/// The stages whose first order is printed as a citizen lookup sample.
const SAMPLE_STAGES: [Stage; 5] = [
    Stage::PendingReview,
    Stage::Handling,
    Stage::ExtensionAsked,
    Stage::AwaitingCallback,
    Stage::Closed,
];

impl Stage {
    /// The status an order of this stage has at `now`.
    pub fn status(self) -> Status {
        match self {
            Stage::PendingReview => Status::PendingReview,
            Stage::SentBack => Status::SentBack,
            Stage::ReadyToDispatch => Status::ReadyToDispatch,
            Stage::Dispatched => Status::Dispatched,
            Stage::Handling
            | Stage::TransferredToTown
            | Stage::ExtensionAsked
            | Stage::Reopened
            | Stage::Overdue
            | Stage::NearDue => Status::Handling,
            Stage::Returned => Status::Returned,
            Stage::Replied => Status::Replied,
            Stage::AwaitingCallback => Status::AwaitingCallback,
            Stage::Unsatisfied => Status::CalledBack,
            Stage::Closed | Stage::DirectAnswer => Status::Closed,
            Stage::Merged => Status::Merged,
        }
    }

    /// Whether the stage promises that no active unit is late at `now`.
    fn on_time(self) -> bool {
        matches!(
            self,
            Stage::Dispatched
                | Stage::Handling
                | Stage::TransferredToTown
                | Stage::ExtensionAsked
                | Stage::Reopened
                | Stage::NearDue
        )
    }
}

/// What a planned step does.
#[derive(Debug, Clone)]
pub enum StepAction {
    /// Record this action.
    Act(Action),
    /// Merge into the order of that plan (its number is known only once it is registered).
    MergeInto(usize),
}

/// One planned step of an order's life.
#[derive(Debug, Clone)]
pub struct Step {
    /// When (Unix ms).
    pub at: i64,
    /// The acting user's login.
    pub login: String,
    /// The unit the user acts for.
    pub unit: String,
    /// What is done.
    pub action: StepAction,
}

/// One planned order.
#[derive(Debug, Clone)]
pub struct PlannedTicket {
    /// Its stage of life at `now`.
    pub stage: Stage,
    /// Registration time (Unix ms).
    pub created_at: i64,
    /// What the citizen said.
    pub intake: Intake,
    /// The registering operator.
    pub creator: String,
    /// The operator's direct answer, given at registration.
    pub answer: Option<String>,
    /// The later steps, in time order.
    pub steps: Vec<Step>,
    /// The state the model derives at the end (for checks).
    pub state: TicketState,
}

/// The whole seed.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// The orders, in plan order.
    pub tickets: Vec<PlannedTicket>,
    /// Indexes of the orders printed as citizen lookup samples.
    pub samples: Vec<usize>,
}

/// Why the seed cannot be planned at this `now`.
#[derive(Debug, thiserror::Error)]
#[error("seed order {index} ({stage:?}) cannot be planned at {now_ms}: {why}")]
pub struct PlanError {
    /// The order's index.
    pub index: usize,
    /// Its stage.
    pub stage: Stage,
    /// The `now` planned at.
    pub now_ms: i64,
    /// The last start time's failure.
    pub why: String,
}

/// Plans `count` orders at `now_ms`.
pub fn plan(
    refdata: &ReferenceData,
    templates: &Templates,
    now_ms: i64,
    count: usize,
    seed: u64,
) -> Result<SeedPlan, PlanError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tickets: Vec<PlannedTicket> = Vec::with_capacity(count);
    for index in 0..count {
        let stage = STAGES[index % STAGES.len()];
        let template = pick_template(templates, stage, &mut rng);
        let planner = Planner {
            refdata,
            now: now_ms,
            index,
            stage,
            template: &template,
        };
        let ticket = planner.plan(templates, &mut rng, &tickets)?;
        tickets.push(ticket);
    }
    let samples = SAMPLE_STAGES
        .iter()
        .filter_map(|s| tickets.iter().position(|t| t.stage == *s))
        .collect();
    Ok(SeedPlan { tickets, samples })
}

fn pick_template(file: &Templates, stage: Stage, rng: &mut StdRng) -> Template {
    let wanted = |t: &&Template| match stage {
        Stage::DirectAnswer => t.request_type == RequestType::Consultation,
        Stage::TransferredToTown => t.district.as_deref() == Some("D01"),
        // Near-due orders have limits of ten working days or more: the urge point of a shorter limit
        // falls in the last day's office hours, so a demo started at night would show none.
        Stage::NearDue => matches!(
            t.request_type,
            RequestType::Complaint
                | RequestType::Report
                | RequestType::Help
                | RequestType::Suggestion
        ),
        Stage::PendingReview | Stage::SentBack | Stage::ReadyToDispatch | Stage::Merged => true,
        // Consultations are mostly answered at once; dispatched orders are the other types.
        _ => t.request_type != RequestType::Consultation,
    };
    let pool: Vec<&Template> = file.template.iter().filter(wanted).collect();
    let pool = if pool.is_empty() {
        file.template.iter().collect()
    } else {
        pool
    };
    (*pool.choose(rng).unwrap_or(&&file.template[0])).clone()
}

fn handler(unit: &str) -> String {
    format!("{}-handler", unit.to_lowercase())
}

/// Minutes since local midnight at `ms`.
fn local_minutes(ms: i64) -> i64 {
    (ms + LOCAL_OFFSET).rem_euclid(DAY) / MINUTE
}

/// When an order's life may start.
#[derive(Clone, Copy, Debug)]
enum Start {
    /// Between `lo` and `hi` minutes before now.
    Recent(i64, i64),
    /// `d` local days before today, during the day (08:00–21:00), and at least ten minutes ago.
    DaysAgo(i64),
    /// Assigned so that now lies past the urge point of the deadline (near-due orders).
    UrgePoint,
}

struct Planner<'a> {
    refdata: &'a ReferenceData,
    now: i64,
    index: usize,
    stage: Stage,
    template: &'a Template,
}

/// An order being lived through: its view as the model derives it and the steps so far.
struct Life<'a> {
    refdata: &'a ReferenceData,
    now: i64,
    view: TicketView,
    at: i64,
    steps: Vec<Step>,
}

impl<'a> Planner<'a> {
    fn calendar(&self) -> &WorkCalendar {
        &self.refdata.calendar
    }

    fn plan(
        &self,
        templates: &Templates,
        rng: &mut StdRng,
        earlier: &[PlannedTicket],
    ) -> Result<PlannedTicket, PlanError> {
        let intake = self.intake(templates, rng);
        let mut why = String::from("no start time to try");
        for (start, urgent) in self.starts(rng, intake.urgent) {
            let Some(created_at) = self.resolve(start, urgent, rng) else {
                continue;
            };
            let mut intake = intake.clone();
            intake.urgent = urgent;
            intake.call_id = (intake.channel == Channel::Phone)
                .then(|| format!("CC{}{:04}", created_at / 1000, self.index));
            match self.live(intake, created_at, rng, earlier) {
                Ok(t) => return Ok(t),
                Err(e) => why = e,
            }
        }
        Err(PlanError {
            index: self.index,
            stage: self.stage,
            now_ms: self.now,
            why,
        })
    }

    /// The start times to try, the preferred (random) one first; urgent orders fall back to normal
    /// urgency where a same-day limit cannot keep the stage's promise.
    fn starts(&self, rng: &mut StdRng, urgent: bool) -> Vec<(Start, bool)> {
        let since_midnight = local_minutes(self.now).max(3);
        let today = Start::Recent(2, since_midnight.min(600));
        let list: Vec<Start> = match self.stage {
            Stage::PendingReview => vec![today, Start::Recent(2, 600)],
            // Every other direct answer is given today, so the month's figures are never empty.
            Stage::DirectAnswer if (self.index / STAGES.len()).is_multiple_of(2) => vec![today],
            Stage::DirectAnswer => vec![Start::DaysAgo(rng.random_range(0..10))],
            Stage::SentBack | Stage::ReadyToDispatch | Stage::Merged => {
                vec![Start::Recent(30, 1800), Start::Recent(10, 30)]
            }
            // Not yet late to sign: late in the afternoon only an order dispatched within the last
            // hour is still inside its two working hours.
            Stage::Dispatched => vec![
                Start::Recent(20, 180),
                Start::Recent(25, 60),
                Start::Recent(20, 30),
                Start::Recent(180, 600),
            ],
            Stage::Handling | Stage::TransferredToTown | Stage::ExtensionAsked => vec![
                Start::DaysAgo(rng.random_range(1..6)),
                Start::DaysAgo(1),
                Start::Recent(60, 600),
                Start::Recent(240, 480),
                Start::Recent(10, 60),
            ],
            Stage::Returned => vec![
                Start::DaysAgo(rng.random_range(0..3)),
                Start::DaysAgo(3),
                Start::DaysAgo(5),
            ],
            Stage::Replied | Stage::AwaitingCallback => vec![
                Start::DaysAgo(rng.random_range(2..10)),
                Start::DaysAgo(12),
                Start::DaysAgo(20),
            ],
            Stage::Unsatisfied | Stage::Reopened | Stage::Closed => vec![
                Start::DaysAgo(rng.random_range(8..25)),
                Start::DaysAgo(30),
                Start::DaysAgo(45),
            ],
            Stage::Overdue => vec![
                Start::DaysAgo(rng.random_range(25..40)),
                Start::DaysAgo(45),
                Start::DaysAgo(60),
            ],
            Stage::NearDue => vec![Start::UrgePoint],
        };
        // Then every day of the last two weeks: after a long holiday, the last office hours (when
        // units sign and reply) may lie that far back.
        let mut list = list;
        if !matches!(
            self.stage,
            Stage::PendingReview | Stage::DirectAnswer | Stage::NearDue
        ) {
            list.extend((1..=14).map(Start::DaysAgo));
        }
        let mut out: Vec<(Start, bool)> = list.iter().map(|s| (*s, urgent)).collect();
        if urgent {
            out.extend(list.iter().map(|s| (*s, false)));
        }
        out
    }

    fn resolve(&self, start: Start, urgent: bool, rng: &mut StdRng) -> Option<i64> {
        let now = self.now;
        match start {
            Start::Recent(lo, hi) => Some(now - rng.random_range(lo.min(hi)..=hi) * MINUTE),
            Start::DaysAgo(d) => {
                let midnight = now - local_minutes(now) * MINUTE - d * DAY;
                let at = midnight + rng.random_range(8 * 60..21 * 60) * MINUTE;
                Some(at.min(now - rng.random_range(10..40) * MINUTE))
            }
            Start::UrgePoint => {
                // An assignment a whole number of days before now (shifted by a few hours) for which
                // now lies between the urge point and the deadline, the latest such; registration is
                // fifteen minutes earlier. Day steps suffice: the window is 20 % of a 10-day or longer
                // limit, two working days or more.
                let policy = AlertPolicy::default();
                let request_type = self.template.request_type;
                let shift = rng.random_range(0..6 * 60) * MINUTE;
                let calendar = self.calendar();
                (1..60i64).find_map(|days| {
                    let assigned = now - days * DAY - shift;
                    let (_, due) = self.refdata.deadlines(request_type, urgent, assigned);
                    let total = calendar.working_minutes_between(assigned, due);
                    let elapsed = calendar.working_minutes_between(assigned, now);
                    let past_point = elapsed * 100 >= total * i64::from(policy.urge_at_percent);
                    (due > now && past_point).then_some(assigned - 15 * MINUTE)
                })
            }
        }
    }

    fn intake(&self, file: &Templates, rng: &mut StdRng) -> Intake {
        let t = self.template;
        let surname = file.surnames.choose(rng).cloned().unwrap_or_default();
        let given = file.given_names.choose(rng).cloned().unwrap_or_default();
        let (address, content) = match &t.district {
            Some(d) => {
                let places = file.district_places.iter().find(|p| &p.district == d);
                let addr = places
                    .map(|p| {
                        format!(
                            "{}{}{}号{}",
                            self.refdata
                                .org
                                .get(d)
                                .map(|u| u.name.as_str())
                                .unwrap_or(""),
                            p.streets.choose(rng).cloned().unwrap_or_default(),
                            rng.random_range(1..300),
                            p.estates.choose(rng).cloned().unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                (addr.clone(), t.content.replace("{address}", &addr))
            }
            None => (String::new(), t.content.clone()),
        };
        let channels = [
            Channel::Phone,
            Channel::Phone,
            Channel::Phone,
            Channel::Web,
            Channel::Wechat,
            Channel::Sms,
            Channel::Email,
        ];
        let i = self.index;
        let area = hotline_model::topics::area_of(&self.refdata.org, &address);
        Intake {
            channel: *channels.choose(rng).unwrap_or(&Channel::Phone),
            caller_name: format!("{surname}{given}"),
            caller_phone: format!(
                "1{}{:09}",
                [3, 5, 7, 8, 9].choose(rng).unwrap_or(&3),
                rng.random_range(0..1_000_000_000u64)
            ),
            address,
            request_type: t.request_type,
            subject: t.subject.clone(),
            location: None,
            title: t.title.clone(),
            content,
            attachments: vec![],
            urgent: i.is_multiple_of(11),
            confidential: t.request_type == RequestType::Report && i.is_multiple_of(2),
            // Set with the registration time (the telephony's id of the call).
            call_id: None,
            area,
        }
    }

    /// Lives the order from `created_at` to now, or says why it cannot keep its stage's promise.
    fn live(
        &self,
        intake: Intake,
        created_at: i64,
        rng: &mut StdRng,
        earlier: &[PlannedTicket],
    ) -> Result<PlannedTicket, String> {
        let i = self.index;
        let stage = self.stage;
        let refdata = self.refdata;
        let operator = format!("op{:02}", i % 8 + 1);
        let leader = format!("sl{:02}", i % 2 + 1);
        let supervisor = format!("sv{:02}", i % 2 + 1);
        let answer = (stage == Stage::DirectAnswer).then(|| self.template.reply.clone());
        let mut life = Life::register(refdata, self.now, intake, &operator, created_at, &answer)?;
        use ActionRequest as A;
        let t = self.template;
        let default_unit = refdata
            .default_units(&t.subject)
            .first()
            .cloned()
            .unwrap_or_else(|| "B-ZJJ".into());
        // Local matters go to the district (and for some of 东湖区 on to 东湖街道); the rest to the
        // subject's default unit, with the district co-handling now and then.
        let (lead, co) = match (&t.district, stage) {
            (Some(d), Stage::TransferredToTown) => (d.clone(), vec![]),
            (_, Stage::NearDue | Stage::Overdue) => (default_unit.clone(), vec![]),
            (Some(d), _) if !i.is_multiple_of(3) => (
                d.clone(),
                if i.is_multiple_of(4) && default_unit != *d {
                    vec![default_unit.clone()]
                } else {
                    vec![]
                },
            ),
            (Some(d), _) if i.is_multiple_of(5) => (default_unit.clone(), vec![d.clone()]),
            _ => (default_unit.clone(), vec![]),
        };
        let review = |accept: bool, note: &str| A::Review {
            accept,
            note: note.into(),
            subject: None,
            request_type: None,
            title: None,
            urgent: None,
        };
        'life: {
            match stage {
                Stage::PendingReview | Stage::DirectAnswer => break 'life,
                Stage::SentBack => {
                    let at = life.centre(rng, 3, 20);
                    life.act(
                        &leader,
                        at,
                        review(false, "诉求地址不完整，请回拨来电人补充具体楼栋。"),
                    )?;
                    break 'life;
                }
                Stage::Merged => {
                    let at = life.centre(rng, 2, 15);
                    let master = earlier
                        .iter()
                        .rposition(|p| p.created_at < at && p.stage != Stage::Merged)
                        .ok_or("no earlier order to merge into")?;
                    life.merge(&leader, at, master)?;
                    break 'life;
                }
                _ => {}
            }
            let at = life.centre(rng, 2, 10);
            life.act(&leader, at, review(true, ""))?;
            if stage == Stage::ReadyToDispatch {
                break 'life;
            }
            // A near-due order is dispatched exactly when its start time was chosen for.
            let at = match stage {
                Stage::NearDue => created_at + 15 * MINUTE,
                _ => life.centre(rng, 1, 8),
            };
            life.act(
                &leader,
                at,
                A::Dispatch {
                    lead: lead.clone(),
                    co: co.clone(),
                    note: "请按时限办理并答复来电人。".into(),
                    final_assignment: false,
                },
            )?;
            if stage == Stage::Dispatched {
                break 'life;
            }
            if stage == Stage::Returned {
                let at = life.office(rng, 10, 120);
                life.act(
                    &handler(&lead),
                    at,
                    A::Return {
                        reason: "经核实该事项不属于本单位职责范围，建议派至相关主管部门。".into(),
                    },
                )?;
                break 'life;
            }
            for unit in std::iter::once(&lead).chain(co.iter()) {
                let at = life.office(rng, 5, 50);
                life.act(&handler(unit), at, A::Sign)?;
            }
            let mut handling_unit = lead.clone();
            if stage == Stage::TransferredToTown {
                let town = "D01-T01".to_string();
                let at = life.office(rng, 5, 60);
                life.act(
                    &handler(&lead),
                    at,
                    A::Transfer {
                        to: town.clone(),
                        co: vec![],
                        note: "请街道牵头处理。".into(),
                    },
                )?;
                let at = life.office(rng, 5, 50);
                life.act(&handler(&town), at, A::Sign)?;
                handling_unit = town;
            }
            match stage {
                Stage::Handling | Stage::TransferredToTown | Stage::NearDue => break 'life,
                Stage::ExtensionAsked => {
                    let at = life.before_due(&handling_unit, rng, 20, 70)?;
                    life.act(
                        &handler(&handling_unit),
                        at,
                        A::RequestExtension {
                            days: 5,
                            reason: "需协调多个部门联合执法，申请延期五个工作日。".into(),
                        },
                    )?;
                    break 'life;
                }
                Stage::Overdue => {
                    let at = life.before_due(&handling_unit, rng, 82, 95)?;
                    life.act(
                        &supervisor,
                        at,
                        A::Urge {
                            target: handling_unit.clone(),
                            note: "该工单即将超期，请抓紧办理。".into(),
                        },
                    )?;
                    let due = life.due(&handling_unit)?;
                    let at = refdata
                        .calendar
                        .add_office_time(due, rng.random_range(30..240) * MINUTE);
                    life.act(
                        &supervisor,
                        at,
                        A::Supervise {
                            target: handling_unit.clone(),
                            level: SupervisionLevel::Notice,
                            note: "该工单已超期，请于两个工作日内办结并说明原因。".into(),
                        },
                    )?;
                    break 'life;
                }
                _ => {}
            }
            for c in &co {
                let at = life.before_due(c, rng, 10, 40)?;
                life.act(
                    &handler(c),
                    at,
                    A::Reply {
                        founded: true,
                        solved: true,
                        public_reply: "已配合主办单位开展现场核查。".into(),
                        internal_note: String::new(),
                    },
                )?;
            }
            let at = life.before_due(&handling_unit, rng, 30, 80)?;
            life.act(
                &handler(&handling_unit),
                at,
                A::Reply {
                    founded: true,
                    solved: stage != Stage::Unsatisfied,
                    public_reply: t.reply.clone(),
                    internal_note: "已现场核实。".into(),
                },
            )?;
            if stage == Stage::Replied {
                break 'life;
            }
            let at = life.centre(rng, 20, 240);
            life.act(
                &supervisor,
                at,
                A::ReviewResult {
                    accept: true,
                    reason: String::new(),
                },
            )?;
            if stage == Stage::AwaitingCallback {
                break 'life;
            }
            let unsatisfied = matches!(stage, Stage::Unsatisfied | Stage::Reopened);
            let satisfaction = if unsatisfied {
                Satisfaction::Unsatisfied
            } else if i.is_multiple_of(3) {
                Satisfaction::BasicallySatisfied
            } else {
                Satisfaction::Satisfied
            };
            let at = life.centre(rng, 60, 1440);
            life.act(
                &format!("op{:02}", (i + 3) % 8 + 1),
                at,
                A::Callback {
                    satisfaction,
                    note: if unsatisfied {
                        "来电人表示问题仍未解决。".into()
                    } else {
                        "来电人认可处理结果。".into()
                    },
                },
            )?;
            match stage {
                Stage::Unsatisfied => {}
                Stage::Reopened => {
                    // Reopened recently (its new deadline runs from the reopening), not right
                    // after the callback: an order reopened long ago would be overdue again now.
                    let at = life
                        .centre(rng, 30, 600)
                        .max(self.now - rng.random_range(30..600) * MINUTE);
                    life.act(
                        &supervisor,
                        at,
                        A::Reopen {
                            reason: "回访不满意，问题反复出现，请重新办理。".into(),
                        },
                    )?;
                }
                _ => {
                    let at = life.centre(rng, 5, 120);
                    life.act(
                        &supervisor,
                        at,
                        A::Close {
                            publish: i.is_multiple_of(2),
                            note: String::new(),
                        },
                    )?;
                }
            }
        }
        self.keeps_promise(&life)?;
        Ok(PlannedTicket {
            stage,
            created_at,
            intake: life.view.intake,
            creator: operator,
            answer,
            steps: life.steps,
            state: life.view.state,
        })
    }

    /// Checks the stage's promise about now.
    fn keeps_promise(&self, life: &Life<'_>) -> Result<(), String> {
        let state = &life.view.state;
        let now = self.now;
        if state.status != self.stage.status() {
            return Err(format!("ends as {:?}", state.status));
        }
        let active = state
            .lead
            .iter()
            .chain(state.co.iter())
            .filter(|a| a.is_active());
        if self.stage.on_time() {
            for a in active {
                if a.due_at <= now || (a.signed_at.is_none() && a.sign_due_at <= now) {
                    return Err(format!("{} would be overdue", a.unit));
                }
            }
        }
        match self.stage {
            Stage::Overdue if state.due_at().is_none_or(|d| d >= now) => {
                Err("not past its deadline".into())
            }
            Stage::NearDue => {
                let alerts =
                    due_alerts(state, &self.refdata.calendar, now, &AlertPolicy::default());
                if alerts.iter().any(|a| a.kind == AlertKind::Urge) {
                    Ok(())
                } else {
                    Err("not due an urge".into())
                }
            }
            _ => Ok(()),
        }
    }
}

impl<'a> Life<'a> {
    /// The order as registered at `at` (with the operator's direct answer, if any).
    fn register(
        refdata: &'a ReferenceData,
        now: i64,
        intake: Intake,
        operator: &str,
        at: i64,
        answer: &Option<String>,
    ) -> Result<Self, String> {
        if at >= now {
            return Err("registered in the future".into());
        }
        let mut view = TicketView {
            id: "planned".into(),
            number: "planned".into(),
            created_node: "HUB".into(),
            state: TicketState::initial(&intake),
            intake,
            events: Vec::new(),
            files: Vec::new(),
        };
        let user = refdata
            .user(operator)
            .ok_or_else(|| format!("no user {operator}"))?;
        let created = std::iter::once(Action::Created).chain(
            answer
                .iter()
                .map(|a| Action::AnswerDirectly { answer: a.clone() }),
        );
        for (n, action) in created.enumerate() {
            let event = Event {
                id: format!("planned-{n}"),
                author: user.login.clone(),
                unit: user.unit.clone(),
                node: "HUB".into(),
                hlc: Hlc {
                    wall_ms: at,
                    counter: n as u32,
                },
                action,
            };
            view.state
                .apply(&event)
                .map_err(|r| format!("registration refused: {r}"))?;
        }
        Ok(Life {
            refdata,
            now,
            view,
            at,
            steps: Vec::new(),
        })
    }

    /// A centre action's time (the centre works round the clock): `lo`–`hi` minutes after the last.
    fn centre(&self, rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
        self.at + rng.random_range(lo..=hi) * MINUTE
    }

    /// A unit's action time: `lo`–`hi` minutes of office time after the last step.
    fn office(&self, rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
        self.refdata
            .calendar
            .add_office_time(self.at, rng.random_range(lo..=hi) * MINUTE)
    }

    /// The reply deadline of `unit`'s active assignment.
    fn due(&self, unit: &str) -> Result<i64, String> {
        let s = &self.view.state;
        s.lead
            .iter()
            .chain(s.co.iter())
            .find(|a| a.unit == unit && a.is_active())
            .map(|a| a.due_at)
            .ok_or_else(|| format!("{unit} has no active assignment"))
    }

    /// A time at `lo`–`hi` % of the office time from the last step to `unit`'s deadline, or to now
    /// when that comes first.
    fn before_due(&self, unit: &str, rng: &mut StdRng, lo: i64, hi: i64) -> Result<i64, String> {
        let bound = self.due(unit)?.min(self.now - 2 * MINUTE);
        let left = self
            .refdata
            .calendar
            .working_minutes_between(self.at, bound);
        if left < 4 {
            return Err(format!("no office time left before {unit}'s deadline"));
        }
        let minutes = (left * rng.random_range(lo..=hi) / 100).clamp(1, left - 2);
        Ok(self
            .refdata
            .calendar
            .add_office_time(self.at, minutes * MINUTE))
    }

    /// Checks and records an action at `at` (at least a minute after the last step, and before now).
    fn act(&mut self, login: &str, at: i64, req: ActionRequest) -> Result<(), String> {
        self.translate_and_record(login, at, req, None)
    }

    /// Checks and records a merge into plan `master`.
    fn merge(&mut self, login: &str, at: i64, master: usize) -> Result<(), String> {
        let req = ActionRequest::Merge {
            master: format!("master-{master}"),
        };
        self.translate_and_record(login, at, req, Some(master))
    }

    /// Translates a request as the API does (`master` is a merge's master plan) and records it.
    fn translate_and_record(
        &mut self,
        login: &str,
        at: i64,
        req: ActionRequest,
        master: Option<usize>,
    ) -> Result<(), String> {
        let user = self
            .refdata
            .user(login)
            .ok_or_else(|| format!("no user {login}"))?;
        let at = at.max(self.at + MINUTE);
        let action = to_action(req, user, &self.view, self.refdata, at, master.is_some())
            .map_err(|e| format!("{login}: {}", e.message))?;
        let step = match master {
            Some(m) => StepAction::MergeInto(m),
            None => StepAction::Act(action.clone()),
        };
        self.record(login, &user.unit.clone(), at, action, step)
    }

    fn record(
        &mut self,
        login: &str,
        unit: &str,
        at: i64,
        action: Action,
        step: StepAction,
    ) -> Result<(), String> {
        // A minute before now at the latest, so that the node's own next action sorts after it.
        if at > self.now - MINUTE {
            return Err(format!("{} would happen after now", action.kind().label()));
        }
        let event = Event {
            id: format!("planned-step-{}", self.steps.len()),
            author: login.into(),
            unit: unit.into(),
            node: "HUB".into(),
            hlc: Hlc::at(at),
            action,
        };
        self.view
            .state
            .apply(&event)
            .map_err(|r| format!("{login} refused: {}", r.message_zh()))?;
        self.at = at;
        self.steps.push(Step {
            at,
            login: login.into(),
            unit: unit.into(),
            action: step,
        });
        Ok(())
    }
}
