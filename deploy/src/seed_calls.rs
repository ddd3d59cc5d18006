//! The demo's telephony history, after its orders are seeded: the recordings of the latest phone
//! calls (a synthetic voice-like sound, named in their orders as the telephony's would be), each
//! operator's states over the days they took calls (signed in, on calls, after-call work, a
//! lunch break, signed out), and supervisors' scores of part of each day's random sample.

use anyhow::Result;
use hotline_model::agent::{AgentState, StateChange};
use hotline_model::period::{Period, PeriodKind, beijing_date, ymd};
use hotline_model::quality::{CallScore, sampled};
use hotline_model::role::Role;
use node_service::AppState;
use replica_store::calls::CallFilter;

use crate::seed_plan::SeedPlan;

/// Recordings kept in the demo (the newest phone orders').
const RECORDINGS: usize = 30;
/// Days of operators' states and scores.
const DAYS: i64 = 7;

/// A few seconds of a voice-like sound: syllables of rising and falling pitch with pauses, 8 kHz
/// 16-bit mono WAV, different per `n`.
pub fn voice(n: usize, secs: u32) -> Vec<u8> {
    let rate = 8_000u32;
    let total = rate * secs;
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(36 + total * 2).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
    v.extend_from_slice(&(total * 2).to_le_bytes());
    let mut phase = 0.0f64;
    for i in 0..total {
        let t = f64::from(i) / f64::from(rate);
        // Syllables of ~0.25 s, a pause every fourth; pitch wanders like a speaking voice.
        let syllable = (t / 0.25) as u64;
        let within = (t % 0.25) / 0.25;
        let voiced = (syllable + n as u64) % 4 != 3;
        let envelope = if voiced {
            (within * std::f64::consts::PI).sin()
        } else {
            0.0
        };
        let pitch = 140.0 + 40.0 * ((syllable as f64 * 1.7 + n as f64).sin()) + 30.0 * within;
        phase += pitch * std::f64::consts::TAU / f64::from(rate);
        let s = envelope * (phase.sin() + 0.5 * (2.0 * phase).sin() + 0.25 * (3.0 * phase).sin());
        v.extend_from_slice(&((s * 7_000.0) as i16).to_le_bytes());
    }
    v
}

/// What was seeded.
#[derive(Debug, Default)]
pub struct SeededCalls {
    pub recordings: usize,
    pub states: usize,
    pub scores: usize,
}

/// Seeds the recordings, operators' states and scores at the hub as of `now`.
pub async fn run(state: &AppState, plan: &SeedPlan, now: i64) -> Result<SeededCalls> {
    let mut out = SeededCalls::default();
    // The newest phone orders' recordings.
    let mut phoned: Vec<(i64, String)> = plan
        .tickets
        .iter()
        .filter_map(|t| Some((t.created_at, t.intake.call_id.clone()?)))
        .collect();
    phoned.sort_by(|a, b| b.cmp(a));
    for (n, (_, call_id)) in phoned.iter().take(RECORDINGS).enumerate() {
        let secs = 5 + (n % 4) as u32;
        node_service::files::keep_recording(state, call_id, voice(n, secs))
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        out.recordings += 1;
    }
    let refdata = state.refdata();
    let operators: Vec<String> = refdata
        .users
        .values()
        .filter(|u| u.role == Role::Operator)
        .map(|u| u.login.clone())
        .collect();
    let form = refdata.quality.clone();
    let today = beijing_date(now);
    for back in 0..DAYS {
        let day = today - time::Duration::days(back);
        let (from, to) = Period::new(PeriodKind::Day, day, None)
            .map_err(anyhow::Error::msg)?
            .range_ms();
        let at = |h: i64, m: i64| from + (h * 60 + m) * 60_000;
        for op in &operators {
            let who = op.clone();
            let calls = state
                .store
                .read(move |c| {
                    replica_store::calls::list(
                        c,
                        &CallFilter {
                            operator: Some(who.clone()),
                            caller: None,
                            from,
                            to,
                            before: None,
                            limit: 500,
                        },
                    )
                })
                .await?;
            if calls.is_empty() {
                continue;
            }
            // Signed in from 08:30 (earlier for an early call) to 17:30 (later for a late one).
            let first = calls.iter().map(|c| c.started_at).min().unwrap_or(from);
            let last = calls.iter().map(|c| c.ended_at).max().unwrap_or(from);
            let mut changes = vec![
                (at(8, 30).min(first - 600_000), AgentState::Ready),
                (at(12, 0), AgentState::Break),
                (at(12, 45), AgentState::Ready),
                (at(17, 30).max(last + 300_000), AgentState::SignedOut),
            ];
            for c in &calls {
                if let Some(a) = c.answered_at {
                    changes.push((a, AgentState::Busy));
                    changes.push((c.ended_at, AgentState::AfterCall));
                    changes.push((c.ended_at + 45_000, AgentState::Ready));
                }
            }
            changes.retain(|(t, _)| *t <= now);
            let who = op.clone();
            out.states += changes.len();
            state
                .store
                .write(move |ctx| {
                    for (at, s) in changes {
                        replica_store::calls::record_state(
                            ctx.conn,
                            &who,
                            StateChange { at, state: s },
                        )?;
                    }
                    Ok(())
                })
                .await?;
            // The supervisor scored some of the day's sample (not today's: still to do).
            if back == 0 {
                continue;
            }
            for (i, c) in calls.iter().enumerate() {
                if !c.answered()
                    || !sampled(&c.call_id, &ymd(day), form.sample_percent)
                    || i % 3 == 2
                {
                    continue;
                }
                let items = form
                    .items
                    .iter()
                    .enumerate()
                    .map(|(k, item)| {
                        let off = ((i + k) % 3) as u32;
                        (
                            item.code.clone(),
                            item.points.saturating_sub(off * item.points / 10),
                        )
                    })
                    .collect();
                let comment = if i % 2 == 0 {
                    "用语规范，记录完整。".to_owned()
                } else {
                    "问清诉求要素后再登记，注意复述地址。".to_owned()
                };
                let percent = hotline_model::quality::percent(&form, &items, &comment)
                    .map_err(anyhow::Error::msg)?;
                let score = CallScore {
                    call_id: c.call_id.clone(),
                    operator: op.clone(),
                    scorer: "sv01".into(),
                    at: (c.ended_at + 86_400_000).min(now),
                    items,
                    comment,
                    percent,
                };
                let started = c.started_at;
                state
                    .store
                    .write(move |ctx| replica_store::quality::put(ctx.conn, &score, started))
                    .await?;
                out.scores += 1;
            }
        }
    }
    Ok(out)
}
