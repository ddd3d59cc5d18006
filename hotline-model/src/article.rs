//! Knowledge-base articles (知识库): content, versions and lifecycle.
//!
//! An article is a question-and-answer entry owned by one unit. Its life is a list of events (like a work
//! order): the state is a pure function of that list, so every node that holds the same events computes the
//! same article. Units' 信息管理员 draft and revise entries for their own unit; the centre's shift leaders
//! and supervisors review and publish. Every version is kept; a published article stays live while a
//! revision of it is drafted and reviewed. "Expired" is not an event: it is derived from `valid_until` and
//! the day passed in.
//!
//! Why one file of this length: a third of it is the tests of the article lifecycle.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// What an article says. One version of an article is one `ArticleContent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleContent {
    /// The main question, as a citizen would ask it.
    pub question: String,
    /// Other ways of asking the same thing (同义问法).
    #[serde(default)]
    pub alternatives: Vec<String>,
    /// The answer an operator reads out or sends.
    pub answer: String,
    /// Keywords the unit wants the article found by.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Code of the owning unit (e.g. `B-RSJ`).
    pub unit: String,
    /// Subject/category code (e.g. `社保卡`).
    pub category: String,
    /// Region unit code when the answer only holds in one district (e.g. `D01`); `None` = whole city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// First day the answer holds.
    #[serde(
        default,
        with = "iso_date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    pub valid_from: Option<Date>,
    /// Last day the answer holds; after it the article is expired.
    #[serde(
        default,
        with = "iso_date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    pub valid_until: Option<Date>,
}

impl ArticleContent {
    /// A draft made from a citizen's question that found no article: the question is kept as asked,
    /// the answer is left for the unit to write.
    pub fn from_unanswered_question(
        question: &str,
        unit: &str,
        category: &str,
        region: Option<&str>,
    ) -> Self {
        ArticleContent {
            question: question.trim().to_string(),
            alternatives: Vec::new(),
            answer: String::new(),
            keywords: Vec::new(),
            unit: unit.to_string(),
            category: category.to_string(),
            region: region.map(str::to_string),
            valid_from: None,
            valid_until: None,
        }
    }

    /// Whether the content holds on `today` (between `valid_from` and `valid_until`, both inclusive).
    pub fn validity_on(&self, today: Date) -> Validity {
        if self.valid_from.is_some_and(|from| today < from) {
            Validity::NotYet
        } else if self.valid_until.is_some_and(|until| today > until) {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }

    /// The checks content must pass before it can be submitted or published.
    pub fn check_complete(&self) -> Result<(), ArticleError> {
        if self.question.trim().is_empty() {
            return Err(ArticleError::MissingField("question"));
        }
        if self.answer.trim().is_empty() {
            return Err(ArticleError::MissingField("answer"));
        }
        if self.unit.trim().is_empty() {
            return Err(ArticleError::MissingField("unit"));
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && until < from
        {
            return Err(ArticleError::ValidityReversed { from, until });
        }
        Ok(())
    }
}

/// Whether content holds on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    NotYet,
    Valid,
    Expired,
}

/// Where the article is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written by a unit (or made from an unanswered question).
    Draft,
    /// Submitted to the centre for review.
    InReview,
    /// Live: offered to operators.
    Published,
    /// Taken off by the centre.
    Withdrawn,
    /// Published, but its `valid_until` has passed (derived, never stored).
    Expired,
}

impl ArticleStatus {
    /// The status code used in data files and the API.
    pub fn code(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::InReview => "in_review",
            ArticleStatus::Published => "published",
            ArticleStatus::Withdrawn => "withdrawn",
            ArticleStatus::Expired => "expired",
        }
    }
}

/// The part a person plays for the knowledge base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleRole {
    /// 信息管理员 of a member unit: keeps the unit's entries.
    UnitInfoAdmin,
    /// 话务员 at the centre: may turn an unanswered question into a draft.
    Operator,
    /// 值班长 at the centre: edits, reviews and publishes.
    ShiftLeader,
    /// 审核督办员 at the centre: edits, reviews and publishes.
    Supervisor,
    /// Anyone else: reads only.
    Reader,
}

/// Who is acting, as far as the knowledge base cares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleActor {
    pub login: String,
    /// Code of the actor's unit.
    pub unit: String,
    /// Whether the unit is the city centre (12345 热线中心).
    pub at_centre: bool,
    pub role: ArticleRole,
}

impl ArticleActor {
    fn is_centre_editor(&self) -> bool {
        self.at_centre
            && matches!(
                self.role,
                ArticleRole::ShiftLeader | ArticleRole::Supervisor
            )
    }

    fn may_write_for(&self, unit: &str) -> bool {
        self.is_centre_editor() || (self.role == ArticleRole::UnitInfoAdmin && self.unit == unit)
    }
}

/// Where a new article came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ArticleOrigin {
    /// Written by a unit or the centre.
    Authored,
    /// Made from a citizen's question that found no article; `ticket` is the work order's number if any.
    UnansweredQuestion { ticket: Option<String> },
}

/// One step of an article's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum ArticleAction {
    /// Creates the article with its first version, as a draft.
    Create {
        content: ArticleContent,
        origin: ArticleOrigin,
    },
    /// Adds a new version. On a published article the live version stays live until the revision is published.
    Revise {
        content: ArticleContent,
        note: String,
    },
    /// Sends the newest version to the centre for review.
    Submit,
    /// The centre sends the newest version back to its author, with a reason.
    Reject { reason: String },
    /// The centre makes the newest version live.
    Publish,
    /// The centre takes the article off, with a reason.
    Withdraw { reason: String },
}

impl ArticleAction {
    /// A short code for logs and the API.
    pub fn code(&self) -> &'static str {
        match self {
            ArticleAction::Create { .. } => "create",
            ArticleAction::Revise { .. } => "revise",
            ArticleAction::Submit => "submit",
            ArticleAction::Reject { .. } => "reject",
            ArticleAction::Publish => "publish",
            ArticleAction::Withdraw { .. } => "withdraw",
        }
    }
}

/// An event in an article's history, as stored (JSON) in the article's document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleEvent {
    pub id: Uuid,
    /// Login of the person who acted.
    pub author: String,
    /// Code of the node where it happened.
    pub node: String,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    pub action: ArticleAction,
}

/// One kept version of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleVersion {
    /// 1, 2, 3 … in order of creation.
    pub number: u32,
    pub content: ArticleContent,
    pub author: String,
    pub at_ms: i64,
    /// The event that made this version.
    pub event: Uuid,
}

/// Why an action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("{login} may not {action} articles of unit {unit}")]
    NotAllowed {
        login: String,
        action: &'static str,
        unit: String,
    },
    #[error("cannot {action} an article that is {status:?}")]
    WrongStatus {
        action: &'static str,
        status: ArticleStatus,
    },
    #[error("the article does not exist yet")]
    NotCreated,
    #[error("the article already exists")]
    AlreadyCreated,
    #[error("the field {0} must not be empty")]
    MissingField(&'static str),
    #[error("valid_until {until} is before valid_from {from}")]
    ValidityReversed { from: Date, until: Date },
    #[error("a revision may not move an article from unit {from} to unit {to}")]
    UnitChanged { from: String, to: String },
}

/// An article as computed from its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArticleState {
    /// Stored status (never `Expired`; see [`ArticleState::status_on`]).
    pub status: ArticleStatus,
    /// Every version, oldest first.
    pub versions: Vec<ArticleVersion>,
    /// The version that operators see, if any has been published and not withdrawn.
    pub live_version: Option<u32>,
    pub origin: ArticleOrigin,
    /// Author of the first version.
    pub created_by: String,
    pub created_at_ms: i64,
    /// Time of the last accepted event.
    pub updated_at_ms: i64,
    /// Time the live version was published.
    pub published_at_ms: Option<i64>,
    /// Reason given with the last rejection or withdrawal.
    pub last_reason: Option<String>,
    /// Events that did not apply (e.g. two nodes published concurrently and one came second), with why.
    pub skipped: Vec<(Uuid, String)>,
}

impl ArticleState {
    /// Computes the article from its events, in any order: they are sorted by time then id, so every
    /// node gets the same result. Events that do not fit the state at their turn are skipped and listed.
    /// Returns `None` if no event creates the article.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a ArticleEvent>) -> Option<ArticleState> {
        let mut sorted: Vec<&ArticleEvent> = events.into_iter().collect();
        sorted.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then(a.id.cmp(&b.id)));
        let mut state: Option<ArticleState> = None;
        let mut early_skips = Vec::new();
        for event in sorted {
            match state.as_mut() {
                None => match ArticleState::create(event) {
                    Ok(created) => state = Some(created),
                    Err(err) => early_skips.push((event.id, err.to_string())),
                },
                Some(st) => {
                    if let Err(err) = st.apply(event) {
                        st.skipped.push((event.id, err.to_string()));
                    }
                }
            }
        }
        if let Some(st) = state.as_mut() {
            early_skips.append(&mut st.skipped);
            st.skipped = early_skips;
        }
        state
    }

    fn create(event: &ArticleEvent) -> Result<ArticleState, ArticleError> {
        let ArticleAction::Create { content, origin } = &event.action else {
            return Err(ArticleError::NotCreated);
        };
        Ok(ArticleState {
            status: ArticleStatus::Draft,
            versions: vec![ArticleVersion {
                number: 1,
                content: content.clone(),
                author: event.author.clone(),
                at_ms: event.at_ms,
                event: event.id,
            }],
            live_version: None,
            origin: origin.clone(),
            created_by: event.author.clone(),
            created_at_ms: event.at_ms,
            updated_at_ms: event.at_ms,
            published_at_ms: None,
            last_reason: None,
            skipped: Vec::new(),
        })
    }

    /// Applies one event (state transition only; who may act is checked by [`ArticleState::check`]).
    pub fn apply(&mut self, event: &ArticleEvent) -> Result<(), ArticleError> {
        let action = event.action.code();
        let wrong = |status| ArticleError::WrongStatus { action, status };
        match &event.action {
            ArticleAction::Create { .. } => return Err(ArticleError::AlreadyCreated),
            ArticleAction::Revise { content, .. } => {
                if self.status == ArticleStatus::Withdrawn && self.live_version.is_some() {
                    return Err(wrong(self.status));
                }
                let owner = &self.latest().content.unit;
                if &content.unit != owner {
                    return Err(ArticleError::UnitChanged {
                        from: owner.clone(),
                        to: content.unit.clone(),
                    });
                }
                let number = self.latest().number + 1;
                self.versions.push(ArticleVersion {
                    number,
                    content: content.clone(),
                    author: event.author.clone(),
                    at_ms: event.at_ms,
                    event: event.id,
                });
                // A withdrawn article can be revived by a revision, which starts as a draft again.
                self.status = ArticleStatus::Draft;
            }
            ArticleAction::Submit => {
                if self.status != ArticleStatus::Draft {
                    return Err(wrong(self.status));
                }
                self.latest().content.check_complete()?;
                self.status = ArticleStatus::InReview;
            }
            ArticleAction::Reject { reason } => {
                if self.status != ArticleStatus::InReview {
                    return Err(wrong(self.status));
                }
                self.status = ArticleStatus::Draft;
                self.last_reason = Some(reason.clone());
            }
            ArticleAction::Publish => {
                if self.status != ArticleStatus::InReview {
                    return Err(wrong(self.status));
                }
                self.latest().content.check_complete()?;
                self.status = ArticleStatus::Published;
                self.live_version = Some(self.latest().number);
                self.published_at_ms = Some(event.at_ms);
            }
            ArticleAction::Withdraw { reason } => {
                if self.live_version.is_none() || self.status == ArticleStatus::Withdrawn {
                    return Err(wrong(self.status));
                }
                self.status = ArticleStatus::Withdrawn;
                self.live_version = None;
                self.last_reason = Some(reason.clone());
            }
        }
        self.updated_at_ms = event.at_ms;
        Ok(())
    }

    /// The newest version (the one being worked on).
    pub fn latest(&self) -> &ArticleVersion {
        // `versions` is never empty: `create` puts the first one in and nothing removes any.
        &self.versions[self.versions.len() - 1]
    }

    /// The version operators see, if any.
    pub fn live(&self) -> Option<&ArticleVersion> {
        let n = self.live_version?;
        self.versions.iter().find(|v| v.number == n)
    }

    /// The owning unit's code.
    pub fn unit(&self) -> &str {
        &self.latest().content.unit
    }

    /// The status as seen on `today`: a live article past its `valid_until` is `Expired`.
    /// While a revision of a live article is drafted, the article's status is the revision's.
    pub fn status_on(&self, today: Date) -> ArticleStatus {
        match self.status {
            ArticleStatus::Published => match self.live() {
                Some(v) if v.content.validity_on(today) == Validity::Expired => {
                    ArticleStatus::Expired
                }
                _ => ArticleStatus::Published,
            },
            other => other,
        }
    }

    /// What search should offer on `today`: the live content and its validity, or `None` if nothing is live.
    pub fn offered_on(&self, today: Date) -> Option<(&ArticleContent, Validity)> {
        let live = self.live()?;
        Some((&live.content, live.content.validity_on(today)))
    }

    /// Whether `actor` may take `action` on this article (`None` = the article does not exist yet).
    pub fn check(
        state: Option<&ArticleState>,
        actor: &ArticleActor,
        action: &ArticleAction,
    ) -> Result<(), ArticleError> {
        let code = action.code();
        let not_allowed = |unit: &str| ArticleError::NotAllowed {
            login: actor.login.clone(),
            action: code,
            unit: unit.to_string(),
        };
        match (state, action) {
            (None, ArticleAction::Create { content, origin }) => {
                let operator_from_question = actor.at_centre
                    && actor.role == ArticleRole::Operator
                    && matches!(origin, ArticleOrigin::UnansweredQuestion { .. });
                if actor.may_write_for(&content.unit) || operator_from_question {
                    Ok(())
                } else {
                    Err(not_allowed(&content.unit))
                }
            }
            (None, _) => Err(ArticleError::NotCreated),
            (Some(_), ArticleAction::Create { .. }) => Err(ArticleError::AlreadyCreated),
            (Some(st), ArticleAction::Revise { .. } | ArticleAction::Submit) => {
                if actor.may_write_for(st.unit()) {
                    st.clone().dry_run(action)
                } else {
                    Err(not_allowed(st.unit()))
                }
            }
            (
                Some(st),
                ArticleAction::Reject { .. }
                | ArticleAction::Publish
                | ArticleAction::Withdraw { .. },
            ) => {
                if actor.is_centre_editor() {
                    st.clone().dry_run(action)
                } else {
                    Err(not_allowed(st.unit()))
                }
            }
        }
    }

    fn dry_run(mut self, action: &ArticleAction) -> Result<(), ArticleError> {
        let probe = ArticleEvent {
            id: Uuid::nil(),
            author: String::new(),
            node: String::new(),
            at_ms: self.updated_at_ms,
            action: action.clone(),
        };
        self.apply(&probe)
    }
}

/// Makes an event after checking that `actor` may take `action`; `id` and `at_ms` are passed in.
pub fn decide(
    state: Option<&ArticleState>,
    actor: &ArticleActor,
    node: &str,
    id: Uuid,
    at_ms: i64,
    action: ArticleAction,
) -> Result<ArticleEvent, ArticleError> {
    ArticleState::check(state, actor, &action)?;
    Ok(ArticleEvent {
        id,
        author: actor.login.clone(),
        node: node.to_string(),
        at_ms,
        action,
    })
}

/// Serde for `Option<Date>` as an ISO day string (`2025-12-31`).
mod iso_date_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::macros::format_description;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(value: &Option<Date>, ser: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => {
                let text = d.format(FORMAT).map_err(serde::ser::Error::custom)?;
                ser.serialize_some(&text)
            }
            None => ser.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Date>, D::Error> {
        let text: Option<String> = Option::deserialize(de)?;
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => Date::parse(t, FORMAT)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// Parses an ISO day (`2025-12-31`).
pub fn parse_day(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn content(unit: &str) -> ArticleContent {
        ArticleContent {
            question: "社保卡丢了怎么补办？".into(),
            alternatives: vec!["社会保障卡挂失".into()],
            answer: "携带身份证到任一社保卡服务网点办理挂失和补办。".into(),
            keywords: vec!["社保卡".into(), "补办".into()],
            unit: unit.into(),
            category: "社保卡".into(),
            region: None,
            valid_from: Some(date!(2024 - 01 - 01)),
            valid_until: Some(date!(2025 - 12 - 31)),
        }
    }

    fn admin(unit: &str) -> ArticleActor {
        ArticleActor {
            login: format!("admin-{unit}"),
            unit: unit.into(),
            at_centre: false,
            role: ArticleRole::UnitInfoAdmin,
        }
    }

    fn leader() -> ArticleActor {
        ArticleActor {
            login: "leader".into(),
            unit: "C".into(),
            at_centre: true,
            role: ArticleRole::ShiftLeader,
        }
    }

    fn event(n: u128, at_ms: i64, author: &str, action: ArticleAction) -> ArticleEvent {
        ArticleEvent {
            id: Uuid::from_u128(n),
            author: author.into(),
            node: "hub".into(),
            at_ms,
            action,
        }
    }

    #[test]
    fn full_lifecycle_keeps_versions_and_live_copy() {
        let create = event(
            1,
            10,
            "a",
            ArticleAction::Create {
                content: content("B-RSJ"),
                origin: ArticleOrigin::Authored,
            },
        );
        let submit = event(2, 20, "a", ArticleAction::Submit);
        let publish = event(3, 30, "leader", ArticleAction::Publish);
        let mut revised = content("B-RSJ");
        revised.answer = "新的答案".into();
        let revise = event(
            4,
            40,
            "a",
            ArticleAction::Revise {
                content: revised,
                note: "update".into(),
            },
        );
        let events = vec![
            revise.clone(),
            publish.clone(),
            create.clone(),
            submit.clone(),
        ];
        let st = ArticleState::fold(&events).expect("created");
        assert_eq!(st.versions.len(), 2);
        assert_eq!(st.status, ArticleStatus::Draft);
        assert_eq!(st.live_version, Some(1));
        assert_eq!(
            st.live().map(|v| v.content.answer.as_str()),
            Some("携带身份证到任一社保卡服务网点办理挂失和补办。")
        );
        assert_eq!(st.latest().content.answer, "新的答案");
        assert!(st.skipped.is_empty());
    }

    #[test]
    fn expired_is_derived_from_the_day() {
        let events = [
            event(
                1,
                10,
                "a",
                ArticleAction::Create {
                    content: content("B-RSJ"),
                    origin: ArticleOrigin::Authored,
                },
            ),
            event(2, 20, "a", ArticleAction::Submit),
            event(3, 30, "l", ArticleAction::Publish),
        ];
        let st = ArticleState::fold(&events).expect("created");
        assert_eq!(
            st.status_on(date!(2025 - 06 - 01)),
            ArticleStatus::Published
        );
        assert_eq!(st.status_on(date!(2026 - 01 - 01)), ArticleStatus::Expired);
        assert_eq!(
            st.offered_on(date!(2026 - 01 - 01)).map(|(_, v)| v),
            Some(Validity::Expired)
        );
        assert_eq!(
            st.offered_on(date!(2023 - 06 - 01)).map(|(_, v)| v),
            Some(Validity::NotYet)
        );
    }

    #[test]
    fn permissions_follow_roles_and_units() {
        let c = content("B-RSJ");
        let create = ArticleAction::Create {
            content: c.clone(),
            origin: ArticleOrigin::Authored,
        };
        assert!(ArticleState::check(None, &admin("B-RSJ"), &create).is_ok());
        assert!(matches!(
            ArticleState::check(None, &admin("B-YBJ"), &create),
            Err(ArticleError::NotAllowed { .. })
        ));
        assert!(ArticleState::check(None, &leader(), &create).is_ok());
        let operator = ArticleActor {
            login: "op".into(),
            unit: "C".into(),
            at_centre: true,
            role: ArticleRole::Operator,
        };
        assert!(ArticleState::check(None, &operator, &create).is_err());
        let from_question = ArticleAction::Create {
            content: ArticleContent::from_unanswered_question(
                "垃圾分类积分怎么兑换",
                "B-CGJ",
                "垃圾分类",
                Some("D02"),
            ),
            origin: ArticleOrigin::UnansweredQuestion {
                ticket: Some("T-1".into()),
            },
        };
        assert!(ArticleState::check(None, &operator, &from_question).is_ok());

        let ev =
            decide(None, &admin("B-RSJ"), "d01", Uuid::from_u128(1), 1, create).expect("allowed");
        let mut st = ArticleState::fold([&ev]).expect("created");
        assert!(ArticleState::check(Some(&st), &admin("B-RSJ"), &ArticleAction::Publish).is_err());
        assert!(matches!(
            ArticleState::check(Some(&st), &leader(), &ArticleAction::Publish),
            Err(ArticleError::WrongStatus { .. })
        ));
        let submit = decide(
            Some(&st),
            &admin("B-RSJ"),
            "d01",
            Uuid::from_u128(2),
            2,
            ArticleAction::Submit,
        )
        .expect("ok");
        st.apply(&submit).expect("applies");
        let publish = decide(
            Some(&st),
            &leader(),
            "hub",
            Uuid::from_u128(3),
            3,
            ArticleAction::Publish,
        )
        .expect("ok");
        st.apply(&publish).expect("applies");
        assert_eq!(st.status, ArticleStatus::Published);
    }

    #[test]
    fn an_unanswered_question_cannot_be_submitted_without_an_answer() {
        let c = ArticleContent::from_unanswered_question(
            "  电动车上牌在哪里办？ ",
            "B-GAJ",
            "车辆",
            None,
        );
        assert_eq!(c.question, "电动车上牌在哪里办？");
        let events = [
            event(
                1,
                1,
                "op",
                ArticleAction::Create {
                    content: c,
                    origin: ArticleOrigin::UnansweredQuestion { ticket: None },
                },
            ),
            event(2, 2, "a", ArticleAction::Submit),
        ];
        let st = ArticleState::fold(&events).expect("created");
        assert_eq!(st.status, ArticleStatus::Draft);
        assert_eq!(st.skipped.len(), 1);
    }

    #[test]
    fn concurrent_publish_applies_once_and_withdraw_clears_live() {
        let events = [
            event(
                1,
                1,
                "a",
                ArticleAction::Create {
                    content: content("B-RSJ"),
                    origin: ArticleOrigin::Authored,
                },
            ),
            event(2, 2, "a", ArticleAction::Submit),
            event(4, 3, "l2", ArticleAction::Publish),
            event(3, 3, "l1", ArticleAction::Publish),
            event(
                5,
                5,
                "l1",
                ArticleAction::Withdraw {
                    reason: "政策调整".into(),
                },
            ),
        ];
        let st = ArticleState::fold(&events).expect("created");
        assert_eq!(
            st.skipped.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            vec![Uuid::from_u128(4)]
        );
        assert_eq!(st.status, ArticleStatus::Withdrawn);
        assert_eq!(st.live_version, None);
        assert_eq!(st.last_reason.as_deref(), Some("政策调整"));
    }

    #[test]
    fn content_round_trips_through_json_with_iso_days() {
        let c = content("B-RSJ");
        let json = serde_json::to_string(&c).expect("serializes");
        assert!(json.contains("\"valid_until\":\"2025-12-31\""));
        let back: ArticleContent = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, c);
        let ev = event(
            1,
            1,
            "a",
            ArticleAction::Create {
                content: c,
                origin: ArticleOrigin::Authored,
            },
        );
        let back: ArticleEvent =
            serde_json::from_str(&serde_json::to_string(&ev).expect("ser")).expect("de");
        assert_eq!(back, ev);
    }

    #[test]
    fn revision_cannot_change_owner() {
        let events = [
            event(
                1,
                1,
                "a",
                ArticleAction::Create {
                    content: content("B-RSJ"),
                    origin: ArticleOrigin::Authored,
                },
            ),
            event(
                2,
                2,
                "a",
                ArticleAction::Revise {
                    content: content("B-YBJ"),
                    note: String::new(),
                },
            ),
        ];
        let st = ArticleState::fold(&events).expect("created");
        assert_eq!(st.versions.len(), 1);
        assert_eq!(st.skipped.len(), 1);
    }
}
