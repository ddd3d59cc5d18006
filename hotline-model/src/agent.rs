//! Operators' states as the telephony reports them (坐席状态): signed in and ready, busy on a call,
//! after-call work (话后处理), on a break, signed out; and an operator's day from those changes and
//! their calls: when they signed in and out, how long in each state.

use serde::{Deserialize, Serialize};

/// An operator's state at the telephony.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Signed in, waiting for a call (示闲).
    Ready,
    /// On a call (通话中).
    Busy,
    /// After-call work: writing up the call (话后处理).
    AfterCall,
    /// On a break (小休/示忙).
    Break,
    /// Signed out (签出).
    SignedOut,
}

impl AgentState {
    /// Every state, in the order pages show them.
    pub const ALL: [AgentState; 5] = [
        AgentState::Ready,
        AgentState::Busy,
        AgentState::AfterCall,
        AgentState::Break,
        AgentState::SignedOut,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Ready => "ready",
            AgentState::Busy => "busy",
            AgentState::AfterCall => "after_call",
            AgentState::Break => "break",
            AgentState::SignedOut => "signed_out",
        }
    }

    /// From its stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            AgentState::Ready => "示闲",
            AgentState::Busy => "通话中",
            AgentState::AfterCall => "话后处理",
            AgentState::Break => "小休",
            AgentState::SignedOut => "签出",
        }
    }

    /// Whether the operator is signed in.
    pub fn signed_in(self) -> bool {
        self != AgentState::SignedOut
    }
}

/// The state of FreeSWITCH `mod_callcenter`'s agent, from its status (`Logged Out`, `Available`,
/// `Available (On Demand)`, `On Break`) and, when available, its state (`Waiting`, `Receiving`,
/// `In a queue call`, `Idle`: after a call, during its wrap-up time).
pub fn from_callcenter(status: Option<&str>, state: Option<&str>) -> Option<AgentState> {
    match status {
        Some("Logged Out") => return Some(AgentState::SignedOut),
        Some("On Break") => return Some(AgentState::Break),
        _ => {}
    }
    match state {
        Some("In a queue call") | Some("Receiving") => Some(AgentState::Busy),
        Some("Idle") => Some(AgentState::AfterCall),
        Some("Waiting") => Some(AgentState::Ready),
        _ => match status {
            Some("Available") | Some("Available (On Demand)") => Some(AgentState::Ready),
            _ => None,
        },
    }
}

/// One change of state, at a time (Unix ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateChange {
    /// When.
    pub at: i64,
    /// The state entered.
    pub state: AgentState,
}

/// An operator's day (or any period) from their state changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct AgentDay {
    /// The first sign-in in the period.
    pub first_sign_in: Option<i64>,
    /// The last sign-out in the period (none while still signed in).
    pub last_sign_out: Option<i64>,
    /// Seconds signed in.
    pub signed_in_secs: u64,
    /// Seconds in each state, in [`AgentState::ALL`] order (signed out included).
    pub secs: [u64; 5],
    /// The periods in each state, clipped to the period: (from, to, state).
    pub spans: Vec<(i64, i64, AgentState)>,
}

impl AgentDay {
    /// Seconds in `state`.
    pub fn in_state(&self, state: AgentState) -> u64 {
        self.secs[AgentState::ALL
            .iter()
            .position(|s| *s == state)
            .unwrap_or(4)]
    }
}

/// An operator's period `[from, to)` from their changes (any order; the last change before `from`
/// sets the state at its start; none: signed out). `now` ends a period still running.
pub fn day(changes: &[StateChange], from: i64, to: i64, now: i64) -> AgentDay {
    let end = to.min(now).max(from);
    let mut sorted: Vec<StateChange> = changes.to_vec();
    sorted.sort_by_key(|c| c.at);
    let mut state = sorted
        .iter()
        .rev()
        .find(|c| c.at < from)
        .map_or(AgentState::SignedOut, |c| c.state);
    let mut since = from;
    let mut out = AgentDay::default();
    let close = |out: &mut AgentDay, a: i64, b: i64, s: AgentState| {
        if b > a {
            let secs = u64::try_from((b - a) / 1000).unwrap_or(0);
            out.secs[AgentState::ALL.iter().position(|x| *x == s).unwrap_or(4)] += secs;
            if s.signed_in() {
                out.signed_in_secs += secs;
            }
            out.spans.push((a, b, s));
        }
    };
    for c in sorted.iter().filter(|c| c.at >= from && c.at < end) {
        if c.state == state {
            continue;
        }
        close(&mut out, since, c.at, state);
        if !state.signed_in() && c.state.signed_in() && out.first_sign_in.is_none() {
            out.first_sign_in = Some(c.at);
        }
        if state.signed_in() && !c.state.signed_in() {
            out.last_sign_out = Some(c.at);
        }
        state = c.state;
        since = c.at;
    }
    close(&mut out, since, end, state);
    if state.signed_in() {
        out.last_sign_out = None;
        if out.first_sign_in.is_none() {
            // Signed in before the period began.
            out.first_sign_in = Some(from);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn at(h: f64, state: AgentState) -> StateChange {
        StateChange {
            at: (h * H as f64) as i64,
            state,
        }
    }

    #[test]
    fn callcenter_states_map_to_ours() {
        assert_eq!(
            from_callcenter(Some("Logged Out"), Some("Waiting")),
            Some(AgentState::SignedOut)
        );
        assert_eq!(
            from_callcenter(Some("On Break"), None),
            Some(AgentState::Break)
        );
        assert_eq!(
            from_callcenter(Some("Available"), Some("In a queue call")),
            Some(AgentState::Busy)
        );
        assert_eq!(
            from_callcenter(None, Some("Idle")),
            Some(AgentState::AfterCall)
        );
        assert_eq!(
            from_callcenter(Some("Available (On Demand)"), None),
            Some(AgentState::Ready)
        );
        assert_eq!(from_callcenter(Some("Sleeping"), Some("Dreaming")), None);
        for s in AgentState::ALL {
            assert_eq!(AgentState::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn a_day_adds_up_and_is_clipped_to_its_period() {
        use AgentState::*;
        let changes = [
            at(9.0, Ready),
            at(9.5, Busy),
            at(9.75, AfterCall),
            at(10.0, Ready),
            at(12.0, Break),
            at(13.0, Ready),
            at(17.0, SignedOut),
            // Unordered input is fine.
            at(8.0, SignedOut),
        ];
        let d = day(&changes, 0, 24 * H, 30 * H);
        assert_eq!(d.first_sign_in, Some(9 * H));
        assert_eq!(d.last_sign_out, Some(17 * H));
        assert_eq!(d.signed_in_secs, 8 * 3600);
        assert_eq!(d.in_state(Busy), 900);
        assert_eq!(d.in_state(AfterCall), 900);
        assert_eq!(d.in_state(Break), 3600);
        assert_eq!(d.in_state(Ready), 1800 + 2 * 3600 + 4 * 3600);
        assert_eq!(
            d.secs.iter().sum::<u64>(),
            24 * 3600,
            "every second is in some state"
        );
        // A period starting mid-shift begins in the state then held; one still running ends now.
        let d = day(&changes, 11 * H, 24 * H, 14 * H);
        assert_eq!(d.first_sign_in, Some(11 * H));
        assert_eq!(d.last_sign_out, None);
        assert_eq!(d.secs.iter().sum::<u64>(), 3 * 3600);
        assert_eq!(d.in_state(Break), 3600);
        // Nothing reported: signed out all along.
        let d = day(&[], 0, H, 2 * H);
        assert_eq!(d.in_state(SignedOut), 3600);
        assert_eq!(d.first_sign_in, None);
    }
}
