//! Runs the demo's planned work orders ([`crate::seed_plan`]) against a store: every registration and
//! step in time order across orders (the node's clock never runs backwards), each applied through the
//! store, which checks it against the derived state once more.

use anyhow::{Context, Result};
use hotline_model::call::{CallDirection, CallRecord};
use hotline_model::event::Action;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use replica_store::{NewEvent, NewTicket, Store};

use crate::seed_plan::{SeedPlan, StepAction};

/// What seeding produced.
pub struct Seeded {
    /// Tickets created.
    pub tickets: usize,
    /// `(number, query code, status label)` of a few tickets, for trying the citizen lookup.
    pub samples: Vec<(String, String, String)>,
    /// `(number, query code)` of every ticket.
    pub codes: Vec<(String, String)>,
}

/// The telephony's records of the call an order was registered during (its intake's call id),
/// and every seventh such caller's earlier attempt that hung up before an operator answered.
fn calls_of(p: usize, t: &crate::seed_plan::PlannedTicket) -> Vec<CallRecord> {
    let Some(call_id) = t.intake.call_id.clone() else {
        return Vec::new();
    };
    // Talked two to nine minutes; the order is registered while the call lasts.
    let talk = 120 + (p as i64 * 37) % 420;
    let started = t.created_at - 100_000;
    let answered = started + 8_000;
    let day = hotline_model::period::beijing_date(t.created_at);
    let call = CallRecord {
        recording: Some(format!(
            "/var/lib/freeswitch/recordings/{}/{:02}/{:02}/{call_id}.wav",
            day.year(),
            u8::from(day.month()),
            day.day()
        )),
        call_id: call_id.clone(),
        direction: CallDirection::Inbound,
        caller: t.intake.caller_phone.clone(),
        callee: "12345".into(),
        operator: Some(t.creator.clone()),
        queue: Some("12345".into()),
        started_at: started,
        answered_at: Some(answered),
        ended_at: answered + talk * 1000,
        talk_secs: talk as u32,
        hangup_cause: "NORMAL_CLEARING".into(),
    };
    let mut out = vec![call];
    if p % 7 == 0 {
        out.push(CallRecord {
            call_id: format!("{call_id}-missed"),
            operator: None,
            started_at: started - 600_000,
            answered_at: None,
            ended_at: started - 560_000,
            talk_secs: 0,
            hangup_cause: "ORIGINATOR_CANCEL".into(),
            recording: None,
            ..out[0].clone()
        });
    }
    out
}

/// Registers and drives the planned orders at the hub's store. `seed` draws the ids and query codes.
pub async fn run(store: &Store, plan: &SeedPlan, seed: u64) -> Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut timeline: Vec<(i64, usize, Option<usize>)> = Vec::new();
    for (p, t) in plan.tickets.iter().enumerate() {
        timeline.push((t.created_at, p, None));
        for (s, step) in t.steps.iter().enumerate() {
            timeline.push((step.at, p, Some(s)));
        }
    }
    timeline.sort();
    let mut ids: Vec<Option<(String, String)>> = vec![None; plan.tickets.len()];
    let mut codes: Vec<Option<String>> = vec![None; plan.tickets.len()];
    for (at, p, step) in timeline {
        let t = &plan.tickets[p];
        match step {
            None => {
                let mut random = [0u8; 24];
                rng.fill_bytes(&mut random);
                let then = t
                    .answer
                    .iter()
                    .map(|a| {
                        (
                            uuid::Uuid::new_v4().to_string(),
                            Action::AnswerDirectly { answer: a.clone() },
                        )
                    })
                    .collect();
                let created = store
                    .create_ticket(NewTicket {
                        intake: t.intake.clone(),
                        author: t.creator.clone(),
                        unit: "C".into(),
                        now_ms: at,
                        random,
                        then,
                    })
                    .await
                    .with_context(|| format!("seeding ticket {p} ({:?})", t.stage))?;
                codes[p] = Some(created.query_code);
                ids[p] = Some((created.ticket.id, created.ticket.number));
                for call in calls_of(p, t) {
                    store.record_call(call, at).await?;
                }
            }
            Some(s) => {
                let (id, number) = ids[p].clone().context("step before registration")?;
                let step = &t.steps[s];
                let action = match &step.action {
                    StepAction::Act(a) => a.clone(),
                    StepAction::MergeInto(m) => Action::Merge {
                        master: ids[*m].clone().context("merge before its master")?.1,
                    },
                };
                store
                    .apply(
                        id,
                        NewEvent {
                            id: uuid::Uuid::new_v4().to_string(),
                            author: step.login.clone(),
                            unit: step.unit.clone(),
                            action,
                            now_ms: at,
                        },
                    )
                    .await
                    .with_context(|| format!("seed step {} on {number}", step.login))?;
            }
        }
    }
    let mut samples = Vec::new();
    for &p in &plan.samples {
        let (Some((_, number)), Some(code)) = (&ids[p], &codes[p]) else {
            continue;
        };
        let label = store
            .ticket(number.clone())
            .await?
            .map(|v| v.state.status.label().to_string())
            .unwrap_or_default();
        samples.push((number.clone(), code.clone(), label));
    }
    let codes = ids
        .into_iter()
        .zip(codes)
        .filter_map(|(i, c)| Some((i?.1, c?)))
        .collect();
    Ok(Seeded {
        tickets: plan.tickets.len(),
        samples,
        codes,
    })
}
