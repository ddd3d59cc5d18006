//! The demo seed is planned and checked against the model at every day of 2025–2027, at 00:30, 10:00
//! and 23:30 Beijing time and at one more time of day that changes daily: no step is refused, and
//! every stage keeps its promise about that moment.

use deploy::seed_plan::{SeedPlan, Stage, StepAction};
use hotline_model::alerts::{AlertKind, AlertPolicy, due_alerts};
use hotline_model::event::{Action, Event};
use hotline_model::hlc::Hlc;
use hotline_model::refdata::ReferenceData;
use hotline_model::workflow::{Status, TicketState};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// 2025-01-01 00:00 Beijing time.
const FIRST_DAY: i64 = 1_735_660_800_000;
/// 2025-01-01 through 2027-12-31.
const DAYS: i64 = 365 + 365 + 365;

fn refdata() -> ReferenceData {
    deploy::demo::seed_refdata().unwrap()
}

/// Re-derives every planned order from its events alone and checks it against what the plan
/// promises at `now`; returns a description of the first breach.
fn check(plan: &SeedPlan, refdata: &ReferenceData, now: i64) -> Result<(), String> {
    let mut statuses = std::collections::BTreeSet::new();
    let month = refdata.calendar.month_of(now);
    let (mut received_this_month, mut closed_this_month) = (0, 0);
    for (i, t) in plan.tickets.iter().enumerate() {
        let mut events = vec![Event {
            id: "created".into(),
            author: t.creator.clone(),
            unit: "C".into(),
            node: "HUB".into(),
            hlc: Hlc::at(t.created_at),
            action: Action::Created,
        }];
        if let Some(answer) = &t.answer {
            events.push(Event {
                id: "answer".into(),
                hlc: Hlc {
                    wall_ms: t.created_at,
                    counter: 1,
                },
                action: Action::AnswerDirectly {
                    answer: answer.clone(),
                },
                ..events[0].clone()
            });
        }
        let mut last = t.created_at;
        for (n, s) in t.steps.iter().enumerate() {
            if s.at <= last || s.at >= now {
                return Err(format!("order {i}: step {n} at {} is out of order", s.at));
            }
            last = s.at;
            let action = match &s.action {
                StepAction::Act(a) => a.clone(),
                StepAction::MergeInto(m) => {
                    if plan.tickets[*m].created_at >= s.at {
                        return Err(format!("order {i} merges into a later order"));
                    }
                    Action::Merge {
                        master: format!("master-{m}"),
                    }
                }
            };
            events.push(Event {
                id: format!("step-{n}"),
                author: s.login.clone(),
                unit: s.unit.clone(),
                node: "HUB".into(),
                hlc: Hlc::at(s.at),
                action,
            });
        }
        let state = TicketState::derive(&t.intake, &events);
        if !state.conflicts.is_empty() {
            return Err(format!("order {i} ({:?}): {:?}", t.stage, state.conflicts));
        }
        if state != t.state || state.status != t.stage.status() {
            return Err(format!(
                "order {i} ({:?}) derives {:?}",
                t.stage, state.status
            ));
        }
        let late = |a: &hotline_model::workflow::Assignment| {
            a.due_at <= now || (a.signed_at.is_none() && a.sign_due_at <= now)
        };
        let active: Vec<_> = state
            .lead
            .iter()
            .chain(state.co.iter())
            .filter(|a| a.is_active())
            .collect();
        match t.stage {
            Stage::Overdue if !active.iter().any(|a| late(a)) => {
                return Err(format!("order {i} is not overdue"));
            }
            Stage::NearDue => {
                let alerts = due_alerts(&state, &refdata.calendar, now, &AlertPolicy::default());
                if active.iter().any(|a| late(a))
                    || !alerts.iter().any(|a| a.kind == AlertKind::Urge)
                {
                    return Err(format!("order {i} is not near its deadline"));
                }
            }
            Stage::Handling | Stage::ExtensionAsked | Stage::Dispatched
                if active.iter().any(|a| late(a)) =>
            {
                return Err(format!("order {i} ({:?}) is overdue", t.stage));
            }
            _ => {}
        }
        if t.stage == Stage::ExtensionAsked {
            let asked = active
                .iter()
                .find_map(|a| a.extension_request.as_ref())
                .ok_or(format!("order {i} has no pending extension"))?;
            if asked.until <= state.due_at().unwrap_or(i64::MAX) {
                return Err(format!("order {i} asks for an earlier deadline"));
            }
        }
        statuses.insert(state.status);
        received_this_month += usize::from(refdata.calendar.month_of(t.created_at) == month);
        closed_this_month += usize::from(
            state
                .closed_at
                .is_some_and(|c| refdata.calendar.month_of(c) == month),
        );
    }
    if let Some(missing) = Status::ALL.iter().find(|s| !statuses.contains(s)) {
        return Err(format!("no order is {missing:?}"));
    }
    // Ten minutes into a month, its public figures show orders received and closed.
    let month_start = month
        .and_then(|(y, m)| refdata.calendar.month_bounds(y, m))
        .map_or(0, |b| b.0);
    if now - month_start >= 10 * MINUTE && (received_this_month == 0 || closed_this_month == 0) {
        return Err("the month's public figures would be empty".into());
    }
    if plan.samples.len() != 5 {
        return Err(format!("{} lookup samples", plan.samples.len()));
    }
    Ok(())
}

#[test]
fn the_demo_seed_plans_on_every_day_of_three_years_at_any_hour() {
    let refdata = refdata();
    let text = std::fs::read_to_string(deploy::demo::seed_dir().join("tickets.toml")).unwrap();
    let templates = deploy::seed_plan::Templates::parse(&text).unwrap();
    // 00:30, 10:00 and 23:30, and a fourth moment that moves through the day from one day to the
    // next (97 minutes later each day), so that a thousand different clock times are tried too.
    let nows: Vec<i64> = (0..DAYS)
        .flat_map(|d| {
            [30, 10 * 60, 23 * 60 + 30, (d * 97) % 1440]
                .into_iter()
                .map(move |m| FIRST_DAY + d * DAY + m * MINUTE)
        })
        .collect();
    assert_eq!(nows.len(), 4 * 1095);
    // Two halves on two threads: the machine has two cores.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let (a, b) = nows.split_at(nows.len() / 2);
        let (refdata, templates) = (&refdata, &templates);
        let run = |nows: &[i64]| {
            let nows = nows.to_vec();
            scope.spawn(move || {
                let mut failures = Vec::new();
                for now in nows {
                    let outcome = deploy::demo::plan_seed(refdata, now)
                        .map_err(|e| format!("{e:#}"))
                        .and_then(|plan| check(&plan, refdata, now))
                        // Other random seeds too (the hub-scale benchmark plans with many).
                        .and_then(|()| {
                            let seed = now.rem_euclid(1_000_003) as u64;
                            deploy::seed_plan::plan(refdata, &templates, now, 128, seed)
                                .map_err(|e| format!("seed {seed}: {e}"))
                                .and_then(|plan| check(&plan, refdata, now))
                        });
                    if let Err(e) = outcome {
                        failures.push(format!("at {now}: {e}"));
                    }
                }
                failures
            })
        };
        let (ha, hb) = (run(a), run(b));
        let mut all = ha.join().unwrap();
        all.extend(hb.join().unwrap());
        all
    });
    assert!(
        failures.is_empty(),
        "{} of {} moments fail, first: {:#?}",
        failures.len(),
        nows.len(),
        &failures[..failures.len().min(5)]
    );
}

#[test]
fn the_plan_is_the_same_for_the_same_moment() {
    let refdata = refdata();
    let now = FIRST_DAY + 500 * DAY + 10 * 60 * MINUTE;
    let a = deploy::demo::plan_seed(&refdata, now).unwrap();
    let b = deploy::demo::plan_seed(&refdata, now).unwrap();
    let times = |p: &SeedPlan| -> Vec<(i64, Vec<i64>)> {
        p.tickets
            .iter()
            .map(|t| (t.created_at, t.steps.iter().map(|s| s.at).collect()))
            .collect()
    };
    assert_eq!(times(&a), times(&b));
    assert_eq!(a.tickets.len(), deploy::demo::SEED_TICKETS);
}
