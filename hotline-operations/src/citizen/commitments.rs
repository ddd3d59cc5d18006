//! The units' service commitments (服务承诺): for each unit that takes orders from the centre
//! (the city's bureaus, the partner enterprises and the districts), what it handles, which of the
//! catalogue's subjects come to it, the time limits per request type, and how to reach it. The
//! texts are the org reference data the centre edits; the limits are the category data's.

use serde::Serialize;

use crate::Hotline;

/// A time limit of one request type.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Limit {
    /// The request type's name.
    pub request_type: String,
    /// Working days.
    pub days: u32,
    /// For urgent matters.
    pub urgent: String,
}

/// One unit's commitment.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Commitment {
    /// The unit's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// What it handles.
    pub duties: String,
    /// How to reach it.
    pub contact: String,
    /// The subjects that go to it (or a unit below it) by default.
    pub subjects: Vec<String>,
}

/// Every commitment, with the time limits (which are the same for every unit).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Commitments {
    /// The time limits per request type.
    pub limits: Vec<Limit>,
    /// The units, in the org data's order.
    pub units: Vec<Commitment>,
}

/// The commitments as the reference data says now.
pub fn all(state: &Hotline) -> Commitments {
    let rd = state.refdata();
    let limits = rd
        .catalogue
        .rules()
        .map(|r| Limit {
            request_type: r.name.clone(),
            days: r.limit_days,
            urgent: match r.urgent_limit {
                hotline_model::category::UrgentLimit::SameDay => "紧急诉求当日办结".into(),
                hotline_model::category::UrgentLimit::OneDay => "紧急诉求1个工作日内办结".into(),
            },
        })
        .collect();
    let root = rd.org.root().to_owned();
    let units = rd
        .org
        .children(&root)
        .map(|u| {
            let mut subjects: Vec<String> = rd
                .catalogue
                .subjects()
                .filter(|s| {
                    s.default_units
                        .first()
                        .is_some_and(|d| rd.org.is_within(d, &u.code))
                })
                .map(|s| s.path.last().cloned().unwrap_or_default())
                .collect();
            subjects.dedup();
            Commitment {
                code: u.code.clone(),
                name: u.name.clone(),
                duties: u.duties.clone(),
                contact: u.contact.clone(),
                subjects,
            }
        })
        .collect();
    Commitments { limits, units }
}
