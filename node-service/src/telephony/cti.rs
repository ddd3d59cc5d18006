//! The telephony's live side as the node holds it: calls in progress by operator, the screen pops'
//! broadcast, the event socket's state and client.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

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

    pub(crate) fn answered(&self, call: LiveCall) {
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

    pub(crate) fn ended(&self, call_id: &str) {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, c| c.call_id != call_id);
    }
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
