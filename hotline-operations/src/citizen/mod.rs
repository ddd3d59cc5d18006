//! The citizens' side of the hotline, served by the hub: filing a request on the website, looking
//! an order up by its number and query code, rating it, the published results (公示), the monthly
//! figures and the units' service commitments (服务承诺).
//!
//! Each operation here is called by both faces: the JSON API (`api::public`) and the citizens'
//! pages (`pages::portal`), and the Open311 interface (`open311`) files and reads through the same
//! functions. Nothing a citizen can reach shows anyone's personal data unmasked, an address or the
//! text of a complaint.

pub mod commitments;
pub mod figures;
pub mod lookup;
pub mod published;
pub mod rate;
pub mod submit;

use hotline_model::refdata::ReferenceData;
use hotline_model::role::{Role, User};

/// What the citizens' endpoints keep between requests: their slots, failed lookups, submission
/// limits and the cached monthly figures.
pub struct CitizenGuards {
    /// The public requests served at once (each face bounds its public requests with them).
    pub slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// Failed lookups per number and per client address.
    pub lookups: lookup::LookupGuard,
    /// Submissions per client address and phone, and recent ones for duplicate protection.
    pub submissions: submit::SubmitGuard,
    /// The last twelve months' figures, recomputed at most once a few minutes.
    pub figures: figures::FiguresCache,
    /// Citizens' messages per sender, gateways' pushes per address.
    pub inbound: crate::inbound::InboundGuard,
}

impl Default for CitizenGuards {
    fn default() -> Self {
        CitizenGuards {
            slots: std::sync::Arc::new(tokio::sync::Semaphore::new(public_slots())),
            lookups: Default::default(),
            submissions: Default::default(),
            figures: Default::default(),
            inbound: Default::default(),
        }
    }
}

/// The public requests served at once: one per core.
pub fn public_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().max(1))
}

/// The login under which the website records what citizens do (registering, rating).
pub const WEBSITE_LOGIN: &str = "website";

/// The website as the acting user: a system account of the centre.
pub fn website_user(refdata: &ReferenceData) -> User {
    User {
        login: WEBSITE_LOGIN.into(),
        name: "市民网站".into(),
        role: Role::System,
        unit: refdata.org.root().to_owned(),
    }
}
