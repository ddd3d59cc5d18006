//! FreeSWITCH's event socket (ESL, inbound mode) as a source of [`CtiEvent`]s: the node connects
//! to the switch, authenticates, subscribes to `CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE RECORD_STOP
//! CUSTOM callcenter::info`, and turns each event into the internal interface. A dropped socket is
//! reconnected with a growing delay; a malformed event is refused, counted and logged, and the
//! events after it are taken as usual. Calls that end while the socket is down still arrive as
//! `mod_json_cdr` posts: both ways keep a call once, by its id.
//!
//! The client (`freeswitch-esl-tokio`) also sends the supervisors' live-monitoring commands
//! (`eavesdrop`, `three_way`) while connected.

use std::time::Duration;

use freeswitch_esl_tokio::{EslClient, EslEvent, EventFormat, HeaderLookup};
use hotline_model::agent::{StateChange, from_callcenter};

use super::cdr::{Posted, record_of};
use super::{CtiEvent, EslConfig, LiveCall, TelephonyConfig};
use crate::state::AppState;

/// The events subscribed to.
pub const EVENTS: &str =
    "CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE RECORD_STOP CUSTOM callcenter::info";

/// The time of an event: its `Event-Date-Timestamp` (µs), else `now`.
fn time_of(ev: &EslEvent, now: i64) -> i64 {
    ev.header_str("Event-Date-Timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .map_or(now, |us| us / 1000)
}

fn text(ev: &EslEvent, name: &str) -> Option<String> {
    ev.header_str(name)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// What an event says, as the internal interface: `Ok(None)` for events that say nothing to the
/// node (another leg, another custom action), `Err` for a malformed one.
pub fn event_of(
    ev: &EslEvent,
    cfg: &TelephonyConfig,
    is_login: impl Fn(&str) -> bool,
    now: i64,
) -> Result<Option<CtiEvent>, String> {
    let name = ev
        .header_str("Event-Name")
        .ok_or_else(|| "event without Event-Name".to_owned())?;
    let need = |h: &str| text(ev, h).ok_or_else(|| format!("{name} without {h}"));
    match name {
        "CHANNEL_ANSWER" => {
            // Queued calls pop the screen at `bridge-agent-start`; a call put through to an
            // extension pops it here.
            if text(ev, "variable_cc_side").is_some() {
                return Ok(None);
            }
            let call_id = need("Unique-ID")?;
            let dest = need("Caller-Destination-Number")?;
            let Some(operator) = cfg.extensions.get(&dest).cloned() else {
                return Ok(None);
            };
            Ok(Some(CtiEvent::Answered(LiveCall {
                call_id,
                caller: text(ev, "Caller-Caller-ID-Number").unwrap_or_default(),
                operator,
                queue: None,
                answered_at: time_of(ev, now),
            })))
        }
        "CHANNEL_HANGUP_COMPLETE" => {
            let var = |n: &str| text(ev, &format!("variable_{n}"));
            let profile = |n: &str| match n {
                "uuid" => text(ev, "Unique-ID"),
                "caller_id_number" => text(ev, "Caller-Caller-ID-Number"),
                "destination_number" => text(ev, "Caller-Destination-Number"),
                _ => None,
            };
            let var_or_header = |n: &str| {
                var(n).or_else(|| match n {
                    "direction" => text(ev, "Call-Direction"),
                    "hangup_cause" => text(ev, "Hangup-Cause"),
                    _ => None,
                })
            };
            match record_of(var_or_header, profile, &is_login, &cfg.extensions)? {
                Posted::Call(call) => Ok(Some(CtiEvent::Ended(call))),
                Posted::Skipped(_) => Ok(None),
            }
        }
        "RECORD_STOP" => Ok(Some(CtiEvent::RecordingStopped {
            call_id: need("Unique-ID")?,
            path: text(ev, "Record-File-Path")
                .or_else(|| text(ev, "variable_record_file"))
                .ok_or_else(|| "RECORD_STOP without Record-File-Path".to_owned())?,
        })),
        "CUSTOM" => {
            if ev.header_str("Event-Subclass") != Some("callcenter::info") {
                return Ok(None);
            }
            let action = need("CC-Action")?;
            match action.as_str() {
                "agent-status-change" | "agent-state-change" => {
                    let agent = need("CC-Agent")?;
                    let operator = cfg
                        .operator_of(&agent, &is_login)
                        .ok_or_else(|| format!("unknown agent {agent}"))?;
                    let state = from_callcenter(
                        ev.header_str("CC-Agent-Status"),
                        ev.header_str("CC-Agent-State"),
                    )
                    .ok_or_else(|| format!("agent {agent}: a state not understood"))?;
                    Ok(Some(CtiEvent::Agent {
                        operator,
                        change: StateChange {
                            at: time_of(ev, now),
                            state,
                        },
                    }))
                }
                "bridge-agent-start" => {
                    let agent = need("CC-Agent")?;
                    let operator = cfg
                        .operator_of(&agent, &is_login)
                        .ok_or_else(|| format!("unknown agent {agent}"))?;
                    Ok(Some(CtiEvent::Answered(LiveCall {
                        call_id: need("CC-Member-Session-UUID")?,
                        caller: text(ev, "CC-Member-CID-Number").unwrap_or_default(),
                        operator,
                        queue: text(ev, "CC-Queue")
                            .map(|q| q.split('@').next().unwrap_or_default().to_owned()),
                        answered_at: time_of(ev, now),
                    })))
                }
                _ => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// Follows the switch's event socket until the returned handle is aborted: connects, subscribes,
/// takes events; reconnects after a drop with a delay doubling from `reconnect_ms` to 30 s.
pub fn spawn(state: AppState, esl: EslConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = Duration::from_millis(esl.reconnect_ms.max(10));
        loop {
            match follow(&state, &esl).await {
                Ok(()) => delay = Duration::from_millis(esl.reconnect_ms.max(10)),
                Err(e) => {
                    tracing::warn!(host = %esl.host, port = esl.port, error = %e, "event socket failed");
                    state.cti.esl_update(|s| s.last_error = Some(e));
                }
            }
            state.cti.set_client(None);
            state.cti.esl_update(|s| s.connected = false);
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    })
}

/// One connection: returns when the switch drops it.
async fn follow(state: &AppState, esl: &EslConfig) -> Result<(), String> {
    let (client, mut events) = tokio::time::timeout(
        Duration::from_secs(10),
        EslClient::connect(&esl.host, esl.port, &esl.password),
    )
    .await
    .map_err(|_| "connecting timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    client
        .subscribe_events_raw(EventFormat::Plain, EVENTS)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(host = %esl.host, port = esl.port, "following the switch's event socket");
    state.cti.set_client(Some(client));
    state.cti.esl_update(|s| {
        s.connected = true;
        s.connects += 1;
        s.last_error = None;
    });
    while let Some(next) = events.recv().await {
        let ev = match next {
            Ok(ev) => ev,
            Err(e) => {
                // A frame the client could not read: refused, and the stream goes on.
                tracing::warn!(error = %e, "refused a malformed event-socket message");
                state.cti.esl_update(|s| s.refused += 1);
                continue;
            }
        };
        let refdata = state.refdata();
        match event_of(
            &ev,
            &state.config.telephony,
            |l| refdata.user(l).is_some(),
            state.now(),
        ) {
            Ok(Some(event)) => {
                state.cti.esl_update(|s| s.events += 1);
                if let Err(e) = super::handle(state, event).await {
                    tracing::warn!(error = %e, "a telephony event was not taken");
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "refused a malformed telephony event");
                state.cti.esl_update(|s| s.refused += 1);
            }
        }
    }
    Ok(())
}

/// Live monitoring a supervisor asks for: the switch rings the supervisor's extension and joins
/// it to call `call_id`, listening only (`eavesdrop`) or speaking too (`three_way`).
pub async fn monitor(
    client: &EslClient,
    supervisor_extension: &str,
    call_id: &str,
    barge: bool,
) -> Result<String, String> {
    let app = if barge { "three_way" } else { "eavesdrop" };
    let safe = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !safe(supervisor_extension) || !safe(call_id) {
        return Err("分机号或通话标识含不允许的字符".into());
    }
    let command = format!("originate user/{supervisor_extension} &{app}({call_id})");
    let reply = client.bgapi(&command).await.map_err(|e| e.to_string())?;
    Ok(reply
        .header_str("Job-UUID")
        .map(str::to_owned)
        .unwrap_or_default())
}
