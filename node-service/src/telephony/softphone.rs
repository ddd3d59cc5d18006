//! Operators' softphones as a source of [`CtiEvent`]s: a small centre without a switch, where each
//! operator answers on a baresip softphone, or a centre's test bench. The node follows each
//! softphone's `ctrl_tcp` control port (netstring-framed JSON): `CALL_ESTABLISHED` on an incoming
//! call pops the operator's screen; `CALL_CLOSED` ends the call (its record); the softphone's two
//! recorded directions (`sndfile`: what it received and what it sent) are mixed into one stereo
//! WAV — the citizen left, the operator right — in the recordings directory, and kept as the
//! call's recording. Events carry no times: they are stamped on arrival.

pub use super::config::SoftphoneConfig;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hotline_model::call::{CallDirection, CallRecord};
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::{CtiEvent, LiveCall};
use crate::state::AppState;

/// Longest netstring accepted from a softphone.
const MAX_MESSAGE: usize = 64 * 1024;

/// Reads netstrings (`<len>:<bytes>,`) from a byte stream.
#[derive(Default)]
pub struct Netstrings {
    buf: Vec<u8>,
}

impl Netstrings {
    /// Adds bytes read.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, `Ok(None)` while incomplete, `Err` when the stream is not
    /// netstrings (the connection is then dropped and made again).
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, String> {
        let Some(colon) = self.buf.iter().position(|&b| b == b':') else {
            if self.buf.len() > 10 || self.buf.iter().any(|b| !b.is_ascii_digit()) {
                return Err("not a netstring length".into());
            }
            return Ok(None);
        };
        let len: usize = std::str::from_utf8(&self.buf[..colon])
            .ok()
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| "not a netstring length".to_owned())?;
        if len > MAX_MESSAGE {
            return Err(format!("message of {len} bytes is too long"));
        }
        if self.buf.len() < colon + 1 + len + 1 {
            return Ok(None);
        }
        if self.buf[colon + 1 + len] != b',' {
            return Err("netstring without its comma".into());
        }
        let msg = self.buf[colon + 1..colon + 1 + len].to_vec();
        self.buf.drain(..colon + 2 + len);
        Ok(Some(msg))
    }
}

/// The user part of a SIP URI (`sip:13800138000@127.0.0.1` → `13800138000`).
fn user_of(uri: &str) -> String {
    let s = uri.trim().trim_start_matches('<');
    let s = s
        .strip_prefix("sips:")
        .or_else(|| s.strip_prefix("sip:"))
        .unwrap_or(s);
    s.split(['@', ';', '>'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// What a softphone's calls are doing, from its events (pure: times are passed in).
#[derive(Default)]
pub struct Calls {
    /// Per call id: when it started ringing, when it was answered.
    open: HashMap<String, (i64, Option<i64>)>,
}

impl Calls {
    /// What an event means, at `now`: the screen pop, the call's end, or nothing.
    pub fn event(&mut self, operator: &str, ev: &Value, now: i64) -> Option<CtiEvent> {
        let kind = ev.get("type")?.as_str()?;
        let id = ev
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())?;
        let incoming = ev.get("direction").and_then(Value::as_str) == Some("incoming");
        let peer = user_of(
            ev.get("peeruri")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        let own = user_of(
            ev.get("accountaor")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        match kind {
            "CALL_INCOMING" | "CALL_RINGING" => {
                self.open.entry(id.to_owned()).or_insert((now, None));
                None
            }
            "CALL_ESTABLISHED" => {
                let entry = self.open.entry(id.to_owned()).or_insert((now, None));
                entry.1 = Some(now);
                incoming.then(|| {
                    CtiEvent::Answered(LiveCall {
                        call_id: id.to_owned(),
                        caller: peer.clone(),
                        operator: operator.to_owned(),
                        queue: None,
                        answered_at: now,
                    })
                })
            }
            "CALL_CLOSED" => {
                let (started_at, answered_at) = self.open.remove(id).unwrap_or((now, None));
                let reason = ev.get("param").and_then(Value::as_str).unwrap_or_default();
                let hangup_cause = match (answered_at, reason) {
                    (Some(_), _) => "NORMAL_CLEARING".to_owned(),
                    (None, _) if incoming => "ORIGINATOR_CANCEL".to_owned(),
                    (None, r) if r.contains("refused") || r.contains("timed out") => {
                        "NORMAL_TEMPORARY_FAILURE".to_owned()
                    }
                    (None, _) => "NO_ANSWER".to_owned(),
                };
                let (caller, callee) = if incoming { (peer, own) } else { (own, peer) };
                Some(CtiEvent::Ended(Box::new(CallRecord {
                    call_id: id.to_owned(),
                    direction: if incoming {
                        CallDirection::Inbound
                    } else {
                        CallDirection::Outbound
                    },
                    caller,
                    callee,
                    operator: Some(operator.to_owned()),
                    queue: None,
                    started_at,
                    answered_at,
                    ended_at: now.max(started_at),
                    talk_secs: answered_at
                        .map_or(0, |a| u32::try_from((now - a).max(0) / 1000).unwrap_or(0)),
                    hangup_cause,
                    recording: None,
                })))
            }
            _ => None,
        }
    }
}

/// 16-bit PCM samples and their rate, from a mono WAV file's bytes.
fn pcm16(wav: &[u8]) -> Option<(u32, &[u8])> {
    if wav.len() < 12 || &wav[..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return None;
    }
    let (mut at, mut rate, mut data) = (12, None, None);
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let len = u32::from_le_bytes(wav[at + 4..at + 8].try_into().ok()?) as usize;
        let body = wav.get(at + 8..(at + 8 + len).min(wav.len()))?;
        if id == b"fmt " && body.len() >= 16 {
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            if u16::from_le_bytes([body[0], body[1]]) != 1 || channels != 1 || bits != 16 {
                return None;
            }
            rate = Some(u32::from_le_bytes(body[4..8].try_into().ok()?));
        } else if id == b"data" {
            data = Some(body);
        }
        at += 8 + len + (len & 1);
    }
    Some((rate?, data?))
}

/// One stereo WAV from the two directions of a call (left: what the softphone received — the
/// citizen; right: what it sent — the operator), the shorter padded with silence. `None` unless
/// both are 16-bit mono PCM at one rate.
pub fn stereo(received: &[u8], sent: &[u8]) -> Option<Vec<u8>> {
    let (rate_l, left) = pcm16(received)?;
    let (rate_r, right) = pcm16(sent)?;
    if rate_l != rate_r {
        return None;
    }
    let frames = left.len().max(right.len()) / 2;
    let data_len = u32::try_from(frames * 4).ok()?;
    let mut out = Vec::with_capacity(44 + frames * 4);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&rate_l.to_le_bytes());
    out.extend_from_slice(&(rate_l * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let sample = |d: &[u8], i: usize| d.get(i * 2..i * 2 + 2).map_or([0, 0], |s| [s[0], s[1]]);
    for i in 0..frames {
        out.extend_from_slice(&sample(left, i));
        out.extend_from_slice(&sample(right, i));
    }
    Some(out)
}

/// The newest pair of call dumps in `dir` written since `since` (ms): (received, sent).
fn dumps_since(dir: &Path, since: i64) -> Option<(PathBuf, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("dump-") && name.ends_with("-dec.wav")) {
            continue;
        }
        let Ok(modified) = e.metadata().and_then(|m| m.modified()) else {
            continue;
        };
        let ms = modified
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        if ms + 2_000 >= since && newest.as_ref().is_none_or(|(t, _)| modified > *t) {
            newest = Some((modified, e.path()));
        }
    }
    let dec = newest?.1;
    let enc = PathBuf::from(dec.to_string_lossy().replace("-dec.wav", "-enc.wav"));
    Some((dec, enc))
}

/// Mixes the dumps of the call that just closed into `<recordings_dir>/<call id>.wav` and removes
/// them; the softphone writes their headers as it closes them, so a few reads may be needed.
async fn collect_recording(
    dumps: &Path,
    recordings: &Path,
    call_id: &str,
    since: i64,
) -> Result<PathBuf, String> {
    let (dumps, recordings, call_id) =
        (dumps.to_owned(), recordings.to_owned(), call_id.to_owned());
    for attempt in 0..20 {
        let (d, r, c) = (dumps.clone(), recordings.clone(), call_id.clone());
        let done = tokio::task::spawn_blocking(move || {
            let (dec, enc) = dumps_since(&d, since).ok_or("no recording of the call")?;
            let (a, b) = (
                std::fs::read(&dec).map_err(|e| e.to_string())?,
                std::fs::read(&enc).map_err(|e| e.to_string())?,
            );
            let mixed = stereo(&a, &b).ok_or("recording not complete yet")?;
            let safe: String = c
                .chars()
                .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
                .collect();
            std::fs::create_dir_all(&r).map_err(|e| e.to_string())?;
            let out = r.join(format!("{safe}.wav"));
            std::fs::write(&out, mixed).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(&dec);
            let _ = std::fs::remove_file(&enc);
            Ok::<_, String>(out)
        })
        .await
        .map_err(|e| e.to_string())?;
        match done {
            Ok(p) => return Ok(p),
            Err(e) if attempt == 19 => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    Err("no recording of the call".into())
}

/// Follows every configured softphone until the returned handles are aborted.
pub fn spawn_all(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    state
        .config
        .telephony
        .softphones
        .iter()
        .cloned()
        .map(|phone| tokio::spawn(follow(state.clone(), phone)))
        .collect()
}

/// Connects to one softphone's control port (again after a drop, the delay doubling from 50 ms
/// to 5 s) and takes its events.
async fn follow(state: AppState, phone: SoftphoneConfig) {
    let mut delay = Duration::from_millis(50);
    loop {
        match tokio::net::TcpStream::connect(&phone.control).await {
            Ok(stream) => {
                delay = Duration::from_millis(50);
                tracing::info!(operator = %phone.operator, control = %phone.control, "following the softphone");
                if let Err(e) = take_events(&state, &phone, stream).await {
                    tracing::warn!(operator = %phone.operator, error = %e, "softphone connection ended");
                }
            }
            Err(e) => {
                tracing::debug!(operator = %phone.operator, error = %e, "softphone not reachable")
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn take_events(
    state: &AppState,
    phone: &SoftphoneConfig,
    mut stream: tokio::net::TcpStream,
) -> Result<(), String> {
    let _ = stream.set_nodelay(true);
    let mut frames = Netstrings::default();
    let mut calls = Calls::default();
    let mut buf = vec![0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        frames.push(&buf[..n]);
        while let Some(msg) = frames.next_message()? {
            let Ok(ev) = serde_json::from_slice::<Value>(&msg) else {
                tracing::warn!(operator = %phone.operator, "refused a softphone message that is not JSON");
                continue;
            };
            if ev.get("event") != Some(&Value::Bool(true)) {
                continue;
            }
            let now = state.now();
            let Some(event) = calls.event(&phone.operator, &ev, now) else {
                continue;
            };
            let closed = match &event {
                CtiEvent::Ended(c) if c.answered() => {
                    Some((c.call_id.clone(), c.answered_at.unwrap_or(now)))
                }
                _ => None,
            };
            if let Err(e) = super::handle(state, event).await {
                tracing::warn!(error = %e, "a softphone event was not taken");
            }
            if let Some((call_id, since)) = closed {
                let Some(dir) = state.config.telephony.recordings_dir.clone() else {
                    continue;
                };
                // Dumps are stamped by the wall clock; the node's clock may be a test's.
                let wall = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
                let since_wall = wall - (now - since);
                match collect_recording(&phone.dumps, &dir, &call_id, since_wall).await {
                    Ok(path) => {
                        let event = CtiEvent::RecordingStopped {
                            call_id,
                            path: path.display().to_string(),
                        };
                        if let Err(e) = super::handle(state, event).await {
                            tracing::warn!(error = %e, "a softphone recording was not kept");
                        }
                    }
                    Err(e) => {
                        tracing::warn!(call = %call_id, error = %e, "no recording of the call")
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn netstrings_are_split_joined_and_refused_when_malformed() {
        let mut n = Netstrings::default();
        n.push(b"5:hello,3:ab");
        assert_eq!(n.next_message().unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(n.next_message().unwrap(), None);
        n.push(b"c,");
        assert_eq!(n.next_message().unwrap().as_deref(), Some(&b"abc"[..]));
        let mut bad = Netstrings::default();
        bad.push(b"5:hellox");
        assert!(bad.next_message().is_err());
        let mut long = Netstrings::default();
        long.push(b"999999999:");
        assert!(long.next_message().is_err());
        let mut junk = Netstrings::default();
        junk.push(b"GET / HTTP/1.1\r\n");
        assert!(junk.next_message().is_err());
    }

    #[test]
    fn a_softphones_events_become_a_pop_and_a_call_record() {
        let mut calls = Calls::default();
        let ev = |kind: &str| {
            json!({"event": true, "type": kind, "class": "call", "accountaor": "sip:12345@127.0.0.1",
                   "direction": "incoming", "peeruri": "sip:13800138000@127.0.0.1", "id": "eca0c9d9",
                   "param": "Connection reset by peer"})
        };
        assert!(calls.event("op01", &ev("CALL_REMOTE_SDP"), 1_000).is_none());
        let Some(CtiEvent::Answered(live)) = calls.event("op01", &ev("CALL_ESTABLISHED"), 2_000)
        else {
            panic!("a pop")
        };
        assert_eq!(
            (live.caller.as_str(), live.operator.as_str()),
            ("13800138000", "op01")
        );
        let Some(CtiEvent::Ended(call)) = calls.event("op01", &ev("CALL_CLOSED"), 65_500) else {
            panic!("an end")
        };
        assert_eq!(call.call_id, "eca0c9d9");
        assert_eq!(call.talk_secs, 63);
        assert_eq!(call.callee, "12345");
        assert_eq!(call.hangup_cause, "NORMAL_CLEARING");
        assert!(call.check().is_ok());
        // A call that rang and was never answered.
        calls.event("op01", &ev("CALL_INCOMING"), 70_000);
        let Some(CtiEvent::Ended(missed)) = calls.event("op01", &ev("CALL_CLOSED"), 80_000) else {
            panic!("an end")
        };
        assert_eq!(
            (missed.answered_at, missed.hangup_cause.as_str()),
            (None, "ORIGINATOR_CANCEL")
        );
        assert_eq!(missed.started_at, 70_000);
    }

    fn mono(samples: &[i16]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(
            b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data",
        );
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&data);
        v
    }

    #[test]
    fn the_two_directions_make_one_stereo_recording() {
        let mixed = stereo(&mono(&[1, 2, 3]), &mono(&[-1, -2])).unwrap();
        assert_eq!(&mixed[22..24], &2u16.to_le_bytes(), "two channels");
        let frames: Vec<i16> = mixed[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(frames, [1, -1, 2, -2, 3, 0]);
        assert!(stereo(b"RIFF....WAVE", &mono(&[1])).is_none());
        assert!(stereo(&mono(&[1]), b"not a wav").is_none());
    }
}
