//! Demo work orders: about 120 tickets drawn from `seed/tickets.toml`, driven through the real
//! workflow (the same checks as the API) to every status, with times spread over the past weeks.
//!
//! Everything is deterministic for a given random seed and `now`, except ids drawn per run.

use anyhow::{Context, Result};
use hotline_model::category::RequestType;
use hotline_model::event::{Satisfaction, SupervisionLevel};
use hotline_model::intake::{Channel, Intake};
use hotline_model::refdata::ReferenceData;
use hotline_model::role::User;
use node_service::api::action_request::{ActionRequest, to_action};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore, SeedableRng};
use replica_store::{NewEvent, NewTicket, Store};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct TemplatesFile {
    surnames: Vec<String>,
    given_names: Vec<String>,
    district_places: Vec<DistrictPlaces>,
    template: Vec<Template>,
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

/// How far along its life a seeded ticket is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    PendingReview,
    SentBack,
    ReadyToDispatch,
    Dispatched,
    Handling,
    TransferredToTown,
    ExtensionAsked,
    Returned,
    Replied,
    AwaitingCallback,
    Unsatisfied,
    Reopened,
    Closed,
    DirectAnswer,
    Merged,
    Overdue,
}

const STAGES: [Stage; 16] = [
    Stage::PendingReview,
    Stage::SentBack,
    Stage::ReadyToDispatch,
    Stage::Dispatched,
    Stage::Handling,
    Stage::TransferredToTown,
    Stage::ExtensionAsked,
    Stage::Returned,
    Stage::Replied,
    Stage::AwaitingCallback,
    Stage::Unsatisfied,
    Stage::Reopened,
    Stage::Closed,
    Stage::DirectAnswer,
    Stage::Merged,
    Stage::Overdue,
];

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// One seeded ticket's plan.
struct Plan {
    created_at: i64,
    intake: Intake,
    creator: String,
    answer: Option<String>,
    steps: Vec<(i64, String, Step)>,
}

/// A step; `Merge` names the plan whose ticket is the master.
enum Step {
    Act(ActionRequest),
    MergeInto(usize),
}

/// What seeding produced.
pub struct Seeded {
    /// Tickets created.
    pub tickets: usize,
    /// `(number, query code, status label)` of a few tickets, for trying the citizen lookup.
    pub samples: Vec<(String, String, String)>,
}

fn handler(unit: &str) -> String {
    format!("{}-handler", unit.to_lowercase())
}

/// Plans and runs the seed at the hub's store.
pub async fn seed(
    store: &Store,
    refdata: &ReferenceData,
    templates: &str,
    now_ms: i64,
    count: usize,
    seed: u64,
) -> Result<Seeded> {
    let file: TemplatesFile = toml::from_str(templates).context("parsing tickets.toml")?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut plans: Vec<Plan> = Vec::new();
    for i in 0..count {
        let stage = STAGES[i % STAGES.len()];
        let t = pick_template(&file, stage, &mut rng);
        plans.push(plan(i, stage, &t, &file, refdata, now_ms, &mut rng, &plans));
    }
    run(store, refdata, plans, &mut rng).await
}

fn pick_template(file: &TemplatesFile, stage: Stage, rng: &mut StdRng) -> Template {
    let wanted = |t: &&Template| match stage {
        Stage::DirectAnswer => t.request_type == RequestType::Consultation,
        Stage::TransferredToTown => t.district.as_deref() == Some("D01"),
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

#[allow(clippy::too_many_arguments)]
fn plan(
    i: usize,
    stage: Stage,
    t: &Template,
    file: &TemplatesFile,
    refdata: &ReferenceData,
    now: i64,
    rng: &mut StdRng,
    earlier: &[Plan],
) -> Plan {
    // Older tickets got further; overdue ones are five weeks old.
    let age_days = match stage {
        Stage::PendingReview | Stage::SentBack | Stage::ReadyToDispatch => rng.random_range(0..2),
        Stage::Overdue => 35,
        Stage::Closed | Stage::Unsatisfied | Stage::Reopened => rng.random_range(8..25),
        _ => rng.random_range(1..12),
    };
    let start_of_day = now - age_days * DAY - (now % DAY);
    let created_at =
        (start_of_day + HOUR + rng.random_range(0..8) * HOUR + rng.random_range(0..60) * 60_000)
            .min(now - 60 * 60_000);
    let surname = file.surnames.choose(rng).cloned().unwrap_or_default();
    let given = file.given_names.choose(rng).cloned().unwrap_or_default();
    let (address, content) = match &t.district {
        Some(d) => {
            let places = file.district_places.iter().find(|p| &p.district == d);
            let addr = places
                .map(|p| {
                    format!(
                        "{}{}{}号{}",
                        refdata.org.get(d).map(|u| u.name.as_str()).unwrap_or(""),
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
    let intake = Intake {
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
        call_id: Some(format!("CC{}{:04}", created_at / 1000, i)),
    };
    let operator = format!("op{:02}", i % 8 + 1);
    let leader = format!("sl{:02}", i % 2 + 1);
    let supervisor = format!("sv{:02}", i % 2 + 1);
    // Local matters go to the district (and for some of 东湖区 on to 东湖街道); the rest to the
    // subject's default unit, with the district co-handling now and then.
    let default_unit = refdata
        .default_units(&t.subject)
        .first()
        .cloned()
        .unwrap_or_else(|| "B-ZJJ".into());
    let (lead, co) = match (&t.district, stage) {
        (Some(d), Stage::TransferredToTown) => (d.clone(), vec![]),
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
    let span = (now - created_at).max(HOUR);
    let mut steps: Vec<(i64, String, Step)> = Vec::new();
    let mut at = created_at;
    let mut push = |user: &str, step: Step, frac: f64, steps: &mut Vec<(i64, String, Step)>| {
        at = (at + ((span as f64) * frac) as i64).min(now - 60_000);
        steps.push((at, user.to_string(), step));
    };
    use ActionRequest as A;
    let review = || {
        Step::Act(A::Review {
            accept: true,
            note: String::new(),
            subject: None,
            request_type: None,
            title: None,
            urgent: None,
        })
    };
    let dispatch = || {
        Step::Act(A::Dispatch {
            lead: lead.clone(),
            co: co.clone(),
            note: "请按时限办理并答复来电人。".into(),
        })
    };
    let sign = |u: &str| (handler(u), Step::Act(A::Sign));
    let reply = |solved: bool| {
        Step::Act(A::Reply {
            founded: true,
            solved,
            public_reply: t.reply.clone(),
            internal_note: "已现场核实。".into(),
        })
    };
    let answer = (stage == Stage::DirectAnswer).then(|| t.reply.clone());
    // Each stage stops the order's life where it stands.
    'steps: {
        if stage == Stage::DirectAnswer {
            break 'steps;
        }
        if stage == Stage::Merged {
            if let Some(master) = earlier.iter().rposition(|p| p.created_at < created_at) {
                push(&leader, Step::MergeInto(master), 0.05, &mut steps);
            }
            break 'steps;
        }
        if stage == Stage::PendingReview {
            break 'steps;
        }
        if stage == Stage::SentBack {
            push(
                &leader,
                Step::Act(A::Review {
                    accept: false,
                    note: "诉求地址不完整，请回拨来电人补充具体楼栋。".into(),
                    subject: None,
                    request_type: None,
                    title: None,
                    urgent: None,
                }),
                0.1,
                &mut steps,
            );
            break 'steps;
        }
        push(&leader, review(), 0.02, &mut steps);
        if stage == Stage::ReadyToDispatch {
            break 'steps;
        }
        push(&leader, dispatch(), 0.02, &mut steps);
        if stage == Stage::Dispatched {
            break 'steps;
        }
        if stage == Stage::Returned {
            push(
                &handler(&lead),
                Step::Act(A::Return {
                    reason: "经核实该事项不属于本单位职责范围，建议派至相关主管部门。".into(),
                }),
                0.05,
                &mut steps,
            );
            break 'steps;
        }
        let (u, s) = sign(&lead);
        push(&u, s, 0.01, &mut steps);
        for c in &co {
            let (u, s) = sign(c);
            push(&u, s, 0.01, &mut steps);
        }
        let mut handling_unit = lead.clone();
        if stage == Stage::TransferredToTown {
            let town = "D01-T01".to_string();
            push(
                &handler(&lead),
                Step::Act(A::Transfer {
                    to: town.clone(),
                    co: vec![],
                    note: "请街道牵头处理。".into(),
                }),
                0.02,
                &mut steps,
            );
            let (u, s) = sign(&town);
            push(&u, s, 0.01, &mut steps);
            handling_unit = town;
            if i.is_multiple_of(2) {
                break 'steps;
            }
        }
        match stage {
            Stage::Handling | Stage::TransferredToTown => {
                break 'steps;
            }
            Stage::ExtensionAsked => {
                push(
                    &handler(&handling_unit),
                    Step::Act(A::RequestExtension {
                        days: 5,
                        reason: "需协调多个部门联合执法，申请延期五个工作日。".into(),
                    }),
                    0.05,
                    &mut steps,
                );
                break 'steps;
            }
            Stage::Overdue => {
                push(
                    &supervisor,
                    Step::Act(A::Urge {
                        target: handling_unit.clone(),
                        note: "该工单即将超期，请抓紧办理。".into(),
                    }),
                    0.4,
                    &mut steps,
                );
                push(
                    &supervisor,
                    Step::Act(A::Supervise {
                        target: handling_unit.clone(),
                        level: SupervisionLevel::Notice,
                        note: "该工单已超期，请于两个工作日内办结并说明原因。".into(),
                    }),
                    0.5,
                    &mut steps,
                );
                break 'steps;
            }
            _ => {}
        }
        for c in &co {
            push(
                &handler(c),
                Step::Act(A::Reply {
                    founded: true,
                    solved: true,
                    public_reply: "已配合主办单位开展现场核查。".into(),
                    internal_note: String::new(),
                }),
                0.05,
                &mut steps,
            );
        }
        push(
            &handler(&handling_unit),
            reply(stage != Stage::Unsatisfied),
            0.1,
            &mut steps,
        );
        if stage == Stage::Replied {
            break 'steps;
        }
        push(
            &supervisor,
            Step::Act(A::ReviewResult {
                accept: true,
                reason: String::new(),
            }),
            0.05,
            &mut steps,
        );
        if stage == Stage::AwaitingCallback {
            break 'steps;
        }
        let unsatisfied = matches!(stage, Stage::Unsatisfied | Stage::Reopened);
        let satisfaction = if unsatisfied {
            Satisfaction::Unsatisfied
        } else if i.is_multiple_of(3) {
            Satisfaction::BasicallySatisfied
        } else {
            Satisfaction::Satisfied
        };
        push(
            &format!("op{:02}", (i + 3) % 8 + 1),
            Step::Act(A::Callback {
                satisfaction,
                note: if unsatisfied {
                    "来电人表示问题仍未解决。".into()
                } else {
                    "来电人认可处理结果。".into()
                },
            }),
            0.1,
            &mut steps,
        );
        match stage {
            Stage::Unsatisfied => {}
            Stage::Reopened => push(
                &supervisor,
                Step::Act(A::Reopen {
                    reason: "回访不满意，问题反复出现，请重新办理。".into(),
                }),
                0.05,
                &mut steps,
            ),
            _ => push(
                &supervisor,
                Step::Act(A::Close {
                    publish: i.is_multiple_of(2),
                    note: String::new(),
                }),
                0.05,
                &mut steps,
            ),
        }
    }
    Plan {
        created_at,
        intake,
        creator: operator,
        answer,
        steps,
    }
}

async fn run(
    store: &Store,
    refdata: &ReferenceData,
    plans: Vec<Plan>,
    rng: &mut StdRng,
) -> Result<Seeded> {
    // Every create and step, in time order across tickets (the node's clock never runs backwards).
    let mut timeline: Vec<(i64, usize, Option<usize>)> = Vec::new();
    for (p, plan) in plans.iter().enumerate() {
        timeline.push((plan.created_at, p, None));
        for (s, (at, _, _)) in plan.steps.iter().enumerate() {
            timeline.push((*at, p, Some(s)));
        }
    }
    timeline.sort();
    let mut ids: Vec<Option<(String, String)>> = vec![None; plans.len()];
    let mut samples = Vec::new();
    for (at, p, step) in timeline {
        let plan = &plans[p];
        match step {
            None => {
                let mut random = [0u8; 24];
                rng.fill_bytes(&mut random);
                let then = plan
                    .answer
                    .iter()
                    .map(|a| {
                        (
                            uuid::Uuid::new_v4().to_string(),
                            hotline_model::event::Action::AnswerDirectly { answer: a.clone() },
                        )
                    })
                    .collect();
                let created = store
                    .create_ticket(NewTicket {
                        intake: plan.intake.clone(),
                        author: plan.creator.clone(),
                        unit: "C".into(),
                        now_ms: at,
                        random,
                        then,
                    })
                    .await
                    .with_context(|| format!("seeding ticket {p}"))?;
                if samples.len() < 5 && p % 7 == 3 {
                    samples.push((created.ticket.number.clone(), created.query_code.clone(), p));
                }
                ids[p] = Some((created.ticket.id, created.ticket.number));
            }
            Some(s) => {
                let Some((id, _)) = ids[p].clone() else {
                    continue;
                };
                let (_, login, step) = &plan.steps[s];
                let user: User = refdata
                    .user(login)
                    .cloned()
                    .with_context(|| format!("seed user {login} missing"))?;
                let view = store
                    .ticket(id.clone())
                    .await?
                    .context("seeded ticket vanished")?;
                let (req, master_exists) = match step {
                    Step::Act(r) => (r.clone(), false),
                    Step::MergeInto(m) => match &ids[*m] {
                        Some((_, number)) => (
                            ActionRequest::Merge {
                                master: number.clone(),
                            },
                            true,
                        ),
                        None => continue,
                    },
                };
                let action =
                    to_action(req, &user, &view, refdata, at, master_exists).map_err(|e| {
                        anyhow::anyhow!("seed step {login} on {}: {}", view.number, e.message)
                    })?;
                store
                    .apply(
                        id,
                        NewEvent {
                            id: uuid::Uuid::new_v4().to_string(),
                            author: user.login.clone(),
                            unit: user.unit.clone(),
                            action,
                            now_ms: at,
                        },
                    )
                    .await
                    .with_context(|| format!("seed step {login} on {}", view.number))?;
            }
        }
    }
    let mut out = Vec::new();
    for (number, code, _) in samples {
        let label = store
            .ticket(number.clone())
            .await?
            .map(|v| v.state.status.label().to_string())
            .unwrap_or_default();
        out.push((number, code, label));
    }
    Ok(Seeded {
        tickets: plans.len(),
        samples: out,
    })
}
