//! The 12345 hotline domain model: what a work order is, how its workflow moves, who the units and
//! users are and how deadlines are counted in working days.
//!
//! Nothing here does IO, reads a clock or draws randomness: time and random bytes are passed in, so every
//! function is deterministic and every node computes the same answer from the same inputs.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod agent;
pub mod alerts;
pub mod article;
pub mod assessment;
pub mod buckets;
pub mod calendar;
pub mod call;
pub mod category;
pub mod countdown;
pub mod credential;
pub mod event;
pub mod file;
pub mod hlc;
pub mod inbox;
pub mod intake;
pub mod notify;
pub mod number;
pub mod org;
pub mod period;
pub mod privacy;
pub mod public;
pub mod quality;
pub mod refdata;
pub mod report;
pub mod role;
pub mod survey;
pub mod ticket;
pub mod topics;
pub mod workflow;

#[cfg(test)]
mod test_support;
