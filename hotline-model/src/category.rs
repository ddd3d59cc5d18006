//! Categories (分类): the request type and the three-level subject taxonomy, with time limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::TimeLimit;

/// The kind of request a citizen makes.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestType {
    /// 咨询
    Consultation,
    /// 投诉
    Complaint,
    /// 举报
    Report,
    /// 求助
    Help,
    /// 建议
    Suggestion,
    /// 表扬
    Praise,
    /// 报修
    Repair,
}

impl RequestType {
    /// Every request type, in display order.
    pub const ALL: [RequestType; 7] = [
        RequestType::Consultation,
        RequestType::Complaint,
        RequestType::Report,
        RequestType::Help,
        RequestType::Suggestion,
        RequestType::Praise,
        RequestType::Repair,
    ];

    /// The snake_case code used in the API, the catalogue and the database.
    pub fn code(self) -> &'static str {
        match self {
            RequestType::Consultation => "consultation",
            RequestType::Complaint => "complaint",
            RequestType::Report => "report",
            RequestType::Help => "help",
            RequestType::Suggestion => "suggestion",
            RequestType::Praise => "praise",
            RequestType::Repair => "repair",
        }
    }

    /// Parses [`RequestType::code`].
    pub fn parse(code: &str) -> Option<RequestType> {
        RequestType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// The Chinese label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            RequestType::Consultation => "咨询",
            RequestType::Complaint => "投诉",
            RequestType::Report => "举报",
            RequestType::Help => "求助",
            RequestType::Suggestion => "建议",
            RequestType::Praise => "表扬",
            RequestType::Repair => "报修",
        }
    }
}

/// A request type's settings as configured by the centre.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestTypeRule {
    /// Which request type.
    pub code: RequestType,
    /// Chinese name.
    pub name: String,
    /// Normal time limit in working days.
    pub limit_days: u32,
    /// Time limit of urgent orders.
    #[serde(default = "same_day")]
    pub urgent_limit: UrgentLimit,
}

fn same_day() -> UrgentLimit {
    UrgentLimit::SameDay
}

/// How long an urgent order may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UrgentLimit {
    /// Due at the end of today's office hours (or the next workday's).
    SameDay,
    /// Due after one working day.
    OneDay,
}

/// A leaf (or inner node) of the subject taxonomy, e.g. 城乡建设 › 物业管理 › 电梯故障.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Subject {
    /// Dotted code, e.g. `CX.WY.DT`.
    pub code: String,
    /// The names from the first level down.
    pub path: Vec<String>,
    /// Units that handle this subject by default.
    #[serde(default)]
    pub default_units: Vec<String>,
}

impl Subject {
    /// The path joined for display: 城乡建设 › 物业管理 › 电梯故障.
    pub fn display(&self) -> String {
        self.path.join(" › ")
    }
}

/// Why a category catalogue is invalid.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    /// A request type has no rule.
    #[error("request type {0:?} has no time-limit rule")]
    MissingRule(RequestType),
    /// Two subjects share a code.
    #[error("subject code {0} appears twice")]
    DuplicateSubject(String),
    /// A subject path is empty or deeper than three levels.
    #[error("subject {0} must have one to three levels")]
    BadPath(String),
}

/// The category catalogue: rules per request type and the subject taxonomy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalogue {
    rules: BTreeMap<RequestType, RequestTypeRule>,
    subjects: BTreeMap<String, Subject>,
}

impl Catalogue {
    /// Builds and validates a catalogue.
    pub fn new(
        rules: Vec<RequestTypeRule>,
        subjects: Vec<Subject>,
    ) -> Result<Self, CatalogueError> {
        let rules: BTreeMap<_, _> = rules.into_iter().map(|r| (r.code, r)).collect();
        if let Some(missing) = RequestType::ALL.iter().find(|t| !rules.contains_key(t)) {
            return Err(CatalogueError::MissingRule(*missing));
        }
        let mut map = BTreeMap::new();
        for s in subjects {
            if s.path.is_empty() || s.path.len() > 3 {
                return Err(CatalogueError::BadPath(s.code));
            }
            if let Some(dup) = map.insert(s.code.clone(), s) {
                return Err(CatalogueError::DuplicateSubject(dup.code));
            }
        }
        Ok(Catalogue {
            rules,
            subjects: map,
        })
    }

    /// A subject by code.
    pub fn subject(&self, code: &str) -> Option<&Subject> {
        self.subjects.get(code)
    }

    /// All subjects by code.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.subjects.values()
    }

    /// All request-type rules.
    pub fn rules(&self) -> impl Iterator<Item = &RequestTypeRule> {
        self.rules.values()
    }

    /// The handling time limit for an order of this type and urgency.
    pub fn limit_for(&self, request_type: RequestType, urgent: bool) -> TimeLimit {
        let Some(rule) = self.rules.get(&request_type) else {
            return TimeLimit::WorkingDays(10);
        };
        if urgent {
            match rule.urgent_limit {
                UrgentLimit::SameDay => TimeLimit::SameDay,
                UrgentLimit::OneDay => TimeLimit::WorkingDays(1),
            }
        } else {
            TimeLimit::WorkingDays(rule.limit_days)
        }
    }

    /// The signing limit (签收时限): two working hours, thirty minutes' worth for urgent orders
    /// (rounded up to one working hour, the calendar's unit).
    pub fn sign_limit(&self, urgent: bool) -> TimeLimit {
        if urgent {
            TimeLimit::WorkingHours(1)
        } else {
            TimeLimit::WorkingHours(2)
        }
    }
}
