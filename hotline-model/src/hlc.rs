//! Hybrid logical clock: event times that respect causality even when node clocks disagree.
//!
//! An HLC is wall-clock milliseconds plus a counter. A node ticks it for every local event and
//! observes every remote event it applies, so an event always sorts after everything its author had
//! seen. Ties between nodes are broken by node code and event id in [`crate::event::Event::order_key`].

use serde::{Deserialize, Serialize};

/// A hybrid-logical-clock time stamp.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the largest wall time seen).
    pub wall_ms: i64,
    /// Orders events within one millisecond.
    pub counter: u32,
}

impl Hlc {
    /// A time stamp at a given wall time with counter zero.
    pub fn at(wall_ms: i64) -> Self {
        Hlc {
            wall_ms,
            counter: 0,
        }
    }

    /// The time stamp of a new local event, given the last one issued and the local clock.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc::at(now_ms)
        } else {
            Hlc {
                wall_ms: self.wall_ms,
                counter: self.counter.saturating_add(1),
            }
        }
    }

    /// The clock after seeing a remote time stamp: never behind it, so the next tick sorts after it.
    pub fn observe(self, remote: Hlc) -> Hlc {
        self.max(remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_moves_forward_even_when_the_wall_clock_goes_back() {
        let a = Hlc::at(1_000).tick(1_000);
        assert_eq!(
            a,
            Hlc {
                wall_ms: 1_000,
                counter: 1
            }
        );
        let b = a.tick(500);
        assert!(b > a);
        let c = b.tick(2_000);
        assert_eq!(c, Hlc::at(2_000));
    }

    #[test]
    fn observing_a_clock_24h_ahead_keeps_later_local_events_after_it() {
        let remote = Hlc::at(1_000 + 86_400_000);
        let local = Hlc::at(1_000).observe(remote).tick(1_001);
        assert!(local > remote);
    }
}
