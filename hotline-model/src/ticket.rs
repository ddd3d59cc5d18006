//! A work order as stored: its fixed header, the citizen's intake and the event list.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::file::TicketFile;
use crate::intake::Intake;
use crate::workflow::TicketState;

/// Everything a ticket document holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ticket {
    /// UUID text; the document id.
    pub id: String,
    /// The ticket number, e.g. `20261124-D01-00037`.
    pub number: String,
    /// The salted hash of the citizen's query code.
    pub query_code_hash: String,
    /// The node that registered it.
    pub created_node: String,
    /// What the citizen told us.
    pub intake: Intake,
    /// The workflow events, in no particular order.
    pub events: Vec<Event>,
    /// Files named after registration (recordings, units' photos and documents), by hash.
    #[serde(default)]
    pub files: Vec<TicketFile>,
}

impl Ticket {
    /// The current state, derived from the events.
    pub fn state(&self) -> TicketState {
        TicketState::derive(&self.intake, &self.events)
    }

    /// The events in the order every node applies them.
    pub fn sorted_events(&self) -> Vec<&Event> {
        crate::event::canonical_order(&self.events)
    }
}

/// A ticket as shown to staff: header, intake, derived state and the ordered history.
/// The query code's hash is left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TicketView {
    /// Document id.
    pub id: String,
    /// Ticket number.
    pub number: String,
    /// Registering node.
    pub created_node: String,
    /// What the citizen told us.
    pub intake: Intake,
    /// Current state.
    pub state: TicketState,
    /// Events in applied order (conflicting ones included; see `state.conflicts`).
    pub events: Vec<Event>,
    /// Files named after registration, oldest first.
    #[serde(default)]
    pub files: Vec<TicketFile>,
}

impl Ticket {
    /// The staff view, with its state derived once.
    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id.clone(),
            number: self.number.clone(),
            created_node: self.created_node.clone(),
            intake: self.intake.clone(),
            state: self.state(),
            events: self.sorted_events().into_iter().cloned().collect(),
            files: self.files.clone(),
        }
    }
}
