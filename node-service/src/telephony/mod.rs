//! The centre's telephony (CTI). What the telephony tells the node arrives as [`CtiEvent`]s, one
//! internal interface whatever the switch: a call answered at an operator's extension (the screen
//! pop), a call ended (its record, kept at the hub and linked to the orders registered during it
//! by the intake's `call_id`), a recording finished, an operator's change of state. `cdr.rs` takes
//! FreeSWITCH's call records as `mod_json_cdr` posts them; `esl.rs` follows FreeSWITCH's event
//! socket; `softphone.rs` follows operators' baresip softphones; an Asterisk AMI adapter would
//! produce the same events.

pub mod cdr;
pub mod config;
pub mod cti;
pub mod esl;
pub mod live;
pub mod softphone;
pub use config::{EslConfig, SoftphoneConfig, TelephonyConfig, operator_named};
pub use cti::{Cti, EslStatus, LiveCall};

use std::path::PathBuf;

use hotline_model::agent::StateChange;
use hotline_model::call::CallRecord;

use crate::state::AppState;

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
