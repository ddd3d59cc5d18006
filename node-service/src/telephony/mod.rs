//! The centre's telephony (CTI). What the telephony tells the node arrives as [`CtiEvent`]s, one
//! internal interface whatever the switch: a call answered at an operator's extension (the screen
//! pop), a call ended (its record, kept at the hub and linked to the orders registered during it
//! by the intake's `call_id`), a recording finished, an operator's change of state. `cdr.rs` takes
//! FreeSWITCH's call records as `mod_json_cdr` posts them; `esl.rs` follows FreeSWITCH's event
//! socket; `softphone.rs` follows operators' baresip softphones; an Asterisk AMI adapter would
//! produce the same events.

pub mod cdr;
pub mod esl;
pub mod live;
pub mod softphone;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use hotline_model::agent::StateChange;
use hotline_model::call::CallRecord;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// The operator a telephony names (`op01`, `op01@default`, or an extension such as `8001`): the
/// login itself when the name is one, else the operator at that extension.
pub fn operator_named(
    name: &str,
    is_login: impl Fn(&str) -> bool,
    extensions: &BTreeMap<String, String>,
) -> Option<String> {
    let bare = name.split('@').next().unwrap_or_default();
    if is_login(bare) {
        Some(bare.to_owned())
    } else {
        extensions.get(bare).cloned()
    }
}

/// What the telephony reports, whichever switch it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CtiEvent {
    /// A call was answered at an operator's extension: the operator's screen pops.
    Answered(LiveCall),
    /// A call ended: its record.
    Ended(Box<CallRecord>),
    /// The recording of a call is complete at `path` (on storage the node shares with the switch).
    RecordingStopped { call_id: String, path: String },
    /// An operator's state changed.
    Agent {
        operator: String,
        change: StateChange,
    },
}

/// A call in progress at an operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct LiveCall {
    /// The citizen's leg's id (the call record's `call_id`).
    pub call_id: String,
    /// The calling number.
    pub caller: String,
    /// The operator's login.
    pub operator: String,
    /// The queue it came through.
    pub queue: Option<String>,
    /// When it was answered (Unix ms).
    pub answered_at: i64,
}

/// The `[telephony.esl]` section: FreeSWITCH's event socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EslConfig {
    /// Host of the switch.
    pub host: String,
    /// Its event-socket port (8021).
    #[serde(default = "default_esl_port")]
    pub port: u16,
    /// The event socket's password.
    pub password: String,
    /// First delay before reconnecting (ms); doubles up to 30 s.
    #[serde(default = "default_reconnect_ms")]
    pub reconnect_ms: u64,
}

fn default_esl_port() -> u16 {
    8021
}

fn default_reconnect_ms() -> u64 {
    500
}

/// How the event socket fares, for the health page and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EslStatus {
    /// Connected now.
    pub connected: bool,
    /// Connections made.
    pub connects: u64,
    /// Events taken.
    pub events: u64,
    /// Events refused as malformed.
    pub refused: u64,
    /// The last error.
    pub last_error: Option<String>,
}

/// The live side of the telephony at this node: calls in progress per operator, the screen pops
/// waiting to reach browsers, the event socket's state and its client for commands.
#[derive(Default)]
pub struct Cti {
    live: Mutex<HashMap<String, LiveCall>>,
    pops: Mutex<Option<tokio::sync::broadcast::Sender<LiveCall>>>,
    esl: Mutex<EslStatus>,
    client: Mutex<Option<freeswitch_esl_tokio::EslClient>>,
}

impl Cti {
    /// The call `operator` is on, if any.
    pub fn live_call(&self, operator: &str) -> Option<LiveCall> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(operator)
            .cloned()
    }

    /// A live call by its id.
    pub fn live_by_id(&self, call_id: &str) -> Option<LiveCall> {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .find(|c| c.call_id == call_id)
            .cloned()
    }

    /// Every call in progress.
    pub fn live_calls(&self) -> Vec<LiveCall> {
        let mut v: Vec<LiveCall> = self
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        v.sort_by(|a, b| a.answered_at.cmp(&b.answered_at));
        v
    }

    /// Screen pops as they happen.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<LiveCall> {
        self.pops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(|| tokio::sync::broadcast::channel(64).0)
            .subscribe()
    }

    /// The event socket's state.
    pub fn esl_status(&self) -> EslStatus {
        self.esl
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn esl_update(&self, f: impl FnOnce(&mut EslStatus)) {
        f(&mut self.esl.lock().unwrap_or_else(PoisonError::into_inner));
    }

    pub(crate) fn set_client(&self, client: Option<freeswitch_esl_tokio::EslClient>) {
        *self.client.lock().unwrap_or_else(PoisonError::into_inner) = client;
    }

    /// The event socket's client, while connected: live monitoring is offered only then.
    pub fn client(&self) -> Option<freeswitch_esl_tokio::EslClient> {
        self.client
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn answered(&self, call: LiveCall) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(call.operator.clone(), call.clone());
        if let Some(tx) = self
            .pops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = tx.send(call);
        }
    }

    fn ended(&self, call_id: &str) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, c| c.call_id != call_id);
    }
}

/// Does what a telephony event says: pops the operator's screen, keeps the call record or the
/// recording, records the operator's state. Errors are the store's or the recording's; the
/// caller logs them.
pub async fn handle(state: &AppState, event: CtiEvent) -> Result<(), String> {
    match event {
        CtiEvent::Answered(call) => {
            tracing::info!(call = %call.call_id, operator = %call.operator, "call answered: screen pop");
            state.cti.answered(call);
            Ok(())
        }
        CtiEvent::Ended(call) => {
            state.cti.ended(&call.call_id);
            let id = call.call_id.clone();
            let kept = state
                .store
                .record_call(*call, state.now())
                .await
                .map_err(|e| e.to_string())?;
            if kept {
                tracing::info!(call = %id, "call record kept");
            }
            Ok(())
        }
        CtiEvent::RecordingStopped { call_id, path } => {
            let bytes = read_recording(&state.config.telephony, &path).await?;
            crate::files::keep_recording(state, &call_id, bytes)
                .await
                .map(|_| ())
                .map_err(|e| e.message)
        }
        CtiEvent::Agent { operator, change } => state
            .store
            .write(move |ctx| replica_store::calls::record_state(ctx.conn, &operator, change))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

/// Reads a finished recording the switch names: only files inside the configured recordings
/// directory (the storage shared with the switch), never anything else a message names.
async fn read_recording(cfg: &TelephonyConfig, path: &str) -> Result<Vec<u8>, String> {
    let Some(dir) = &cfg.recordings_dir else {
        return Err("未配置录音目录（telephony.recordings_dir），录音需由话务系统上传".into());
    };
    let (dir, path) = (dir.clone(), PathBuf::from(path));
    tokio::task::spawn_blocking(move || {
        let root = dir
            .canonicalize()
            .map_err(|e| format!("录音目录不可用：{e}"))?;
        let file = path
            .canonicalize()
            .map_err(|e| format!("录音文件不可读：{e}"))?;
        if !file.starts_with(&root) {
            return Err(format!(
                "录音文件不在录音目录内，已拒绝：{}",
                path.display()
            ));
        }
        let len = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();
        if len > hotline_operations::files::MAX_RECORDING as u64 {
            return Err("录音文件过大".into());
        }
        std::fs::read(&file).map_err(|e| format!("录音文件不可读：{e}"))
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The node's telephony settings (`[telephony]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonyConfig {
    /// The secret path segment of the call-record posts (`/api/telephony/cdr/{secret}`); none:
    /// off.
    pub cdr_secret: Option<String>,
    /// Operators by extension (`"8001" = "op01"`), for call records whose agent name is not a
    /// login.
    pub extensions: BTreeMap<String, String>,
    /// FreeSWITCH's event socket, followed when set.
    pub esl: Option<EslConfig>,
    /// Where the switch writes its recordings (shared storage), read when a recording stops.
    pub recordings_dir: Option<PathBuf>,
    /// Operators' softphones followed directly (`[[telephony.softphones]]`).
    pub softphones: Vec<softphone::SoftphoneConfig>,
}

impl TelephonyConfig {
    /// The operator at an extension, or the login itself when the name is one.
    pub fn operator_of(&self, name: &str, is_login: impl Fn(&str) -> bool) -> Option<String> {
        operator_named(name, is_login, &self.extensions)
    }

    /// The extension of an operator or supervisor, if they have one.
    pub fn extension_of(&self, login: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(_, l)| l.as_str() == login)
            .map(|(e, _)| e.as_str())
    }
}
