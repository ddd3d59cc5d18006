//! Reference data (基础数据): the org tree, category catalogue, users and working-day calendar, loaded
//! together from the `deploy/seed/*.toml` formats and checked against each other.
//!
//! The node loads the four texts (it does the file IO) and asks this module the questions the workflow
//! needs answered: who a login is, which units handle a subject by default, when an order is due and
//! whether one unit may hand an order down to another. Passwords in `users.toml` are seed material for
//! the node's credential store and are kept out of [`ReferenceData`]: see [`seed_users`].
//!
//! Why one file of this length: a third of it is the tests of the cross-checks.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::calendar::{CalendarError, WorkCalendar};
use crate::category::{
    Catalogue, CatalogueError, RequestType, RequestTypeRule, Subject, UrgentLimit,
};
use crate::event::AssignTo;
use crate::org::{OrgError, OrgTree, Unit, UnitKind};
use crate::role::{Role, User};

/// Which reference file a parse error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefFile {
    /// `org.toml`
    Org,
    /// `categories.toml`
    Categories,
    /// `users.toml`
    Users,
    /// `notices.toml`
    Notices,
    /// `assessment.toml`
    Assessment,
    /// `quality.toml`
    Quality,
}

impl RefFile {
    /// The seed file's name.
    pub fn name(self) -> &'static str {
        match self {
            RefFile::Org => "org.toml",
            RefFile::Categories => "categories.toml",
            RefFile::Users => "users.toml",
            RefFile::Notices => "notices.toml",
            RefFile::Assessment => "assessment.toml",
            RefFile::Quality => "quality.toml",
        }
    }
}

/// Why the reference data was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RefDataError {
    /// A file is not valid TOML, has unknown keys or values of the wrong kind.
    #[error("{}: {message}", file.name())]
    Parse {
        /// The file.
        file: RefFile,
        /// The parser's message.
        message: String,
    },
    /// The units do not form a tree.
    #[error("org.toml: {0}")]
    Org(#[from] OrgError),
    /// The catalogue is invalid.
    #[error("categories.toml: {0}")]
    Catalogue(#[from] CatalogueError),
    /// The calendar is invalid.
    #[error("calendar.toml: {0}")]
    Calendar(#[from] CalendarError),
    /// A subject names a default unit that is not in the org tree.
    #[error("subject {subject} names unknown default unit {unit}")]
    UnknownSubjectUnit {
        /// The subject's code.
        subject: String,
        /// The missing unit code.
        unit: String,
    },
    /// A user works for a unit that is not in the org tree.
    #[error("user {login} works for unknown unit {unit}")]
    UnknownUserUnit {
        /// The user's login.
        login: String,
        /// The missing unit code.
        unit: String,
    },
    /// Two users share a login.
    #[error("login {0} appears twice")]
    DuplicateLogin(String),
    /// A login is empty or contains whitespace or control characters.
    #[error("login {0:?} is empty or contains whitespace or control characters")]
    BadLogin(String),
    /// A unit's user list names a user of another unit.
    #[error("user {login} works for {unit}, not for {list_unit}")]
    UserOfAnotherUnit {
        /// The user's login.
        login: String,
        /// The unit the user works for.
        unit: String,
        /// The unit whose list it is.
        list_unit: String,
    },
    /// Reference data carries a password (credentials never leave the node that holds them).
    #[error("user {0} has a password in reference data")]
    PasswordInReference(String),
}

/// A user as listed in `users.toml`, with the demo password the node may use to seed its credential store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedUser {
    /// The account as reference data.
    pub user: User,
    /// The initial password, when the file gives one.
    pub password: Option<String>,
}

/// All reference data a node needs to run the workflow, validated as a whole. Carries no secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceData {
    /// The organisation tree.
    pub org: OrgTree,
    /// Request-type rules and the subject taxonomy.
    pub catalogue: Catalogue,
    /// User accounts by login.
    pub users: BTreeMap<String, User>,
    /// The working-day calendar.
    pub calendar: WorkCalendar,
    /// Who hears what, and the texts (`notices.toml`, edited by the centre; defaults if absent).
    pub notices: crate::notify::NoticeRules,
    /// The composite score's weights (`assessment.toml`, the centre's; defaults if absent).
    pub score_weights: crate::assessment::ScoreWeights,
    /// The call-scoring form (`quality.toml`, the centre's; defaults if absent).
    pub quality: crate::quality::QualityForm,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct OrgFile {
    #[serde(default)]
    unit: Vec<UnitRow>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct UnitRow {
    code: String,
    name: String,
    kind: UnitKind,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    duties: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    duty: Vec<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    #[serde(default)]
    request_type: Vec<RuleRow>,
    #[serde(default)]
    subject: Vec<SubjectRow>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleRow {
    code: RequestType,
    name: String,
    limit_days: u32,
    #[serde(default = "same_day")]
    urgent_limit: UrgentLimit,
}

fn same_day() -> UrgentLimit {
    UrgentLimit::SameDay
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct SubjectRow {
    code: String,
    path: Vec<String>,
    #[serde(default)]
    default_units: Vec<String>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserRow>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct UserRow {
    login: String,
    name: String,
    role: Role,
    unit: String,
    #[serde(default)]
    password: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(file: RefFile, text: &str) -> Result<T, RefDataError> {
    toml::from_str(text).map_err(|e| RefDataError::Parse {
        file,
        message: e.to_string(),
    })
}

/// Parses an `org.toml` text into a validated tree.
/// Parses `notices.toml`: the notification rules and texts (unknown keys refused, so a misspelt
/// setting is not silently ignored).
pub fn parse_notices(text: &str) -> Result<crate::notify::NoticeRules, RefDataError> {
    parse(RefFile::Notices, text)
}

/// Parses `assessment.toml`: the composite score's weights (unknown keys and negative weights
/// refused).
pub fn parse_score_weights(text: &str) -> Result<crate::assessment::ScoreWeights, RefDataError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        weights: crate::assessment::ScoreWeights,
    }
    let f: File = parse(RefFile::Assessment, text)?;
    f.weights.check().map_err(|message| RefDataError::Parse {
        file: RefFile::Assessment,
        message,
    })?;
    Ok(f.weights)
}

/// Parses `quality.toml`: the call-scoring form (checked: items, points, sample share).
pub fn parse_quality(text: &str) -> Result<crate::quality::QualityForm, RefDataError> {
    let f: crate::quality::QualityForm = parse(RefFile::Quality, text)?;
    f.check().map_err(|message| RefDataError::Parse {
        file: RefFile::Quality,
        message,
    })?;
    Ok(f)
}

/// Parses `org.toml`.
pub fn parse_org(text: &str) -> Result<OrgTree, RefDataError> {
    let file: OrgFile = parse(RefFile::Org, text)?;
    let units = file
        .unit
        .into_iter()
        .map(|u| Unit {
            code: u.code,
            name: u.name,
            kind: u.kind,
            parent: u.parent,
            duties: u.duties,
            contact: u.contact,
            duty: u.duty,
        })
        .collect();
    Ok(OrgTree::new(units)?)
}

/// Parses a `categories.toml` text into a validated catalogue (its units are not checked here).
pub fn parse_catalogue(text: &str) -> Result<Catalogue, RefDataError> {
    let file: CategoriesFile = parse(RefFile::Categories, text)?;
    let rules = file
        .request_type
        .into_iter()
        .map(|r| RequestTypeRule {
            code: r.code,
            name: r.name,
            limit_days: r.limit_days,
            urgent_limit: r.urgent_limit,
        })
        .collect();
    let subjects = file
        .subject
        .into_iter()
        .map(|s| Subject {
            code: s.code,
            path: s.path,
            default_units: s.default_units,
        })
        .collect();
    Ok(Catalogue::new(rules, subjects)?)
}

/// Reads the user list of one unit, as reference data: every user works for `unit`, and no
/// password is given.
pub fn unit_users(text: &str, unit: &str) -> Result<Vec<User>, RefDataError> {
    let mut out = Vec::new();
    for SeedUser { user, password } in seed_users(text)? {
        if password.is_some() {
            return Err(RefDataError::PasswordInReference(user.login));
        }
        if user.unit != unit {
            return Err(RefDataError::UserOfAnotherUnit {
                login: user.login,
                unit: user.unit,
                list_unit: unit.to_owned(),
            });
        }
        out.push(user);
    }
    Ok(out)
}

/// Parses a `users.toml` text, passwords included, checking logins are well-formed and unique (their
/// units are checked by [`ReferenceData::from_toml`]). The order of the file is kept.
pub fn seed_users(text: &str) -> Result<Vec<SeedUser>, RefDataError> {
    let file: UsersFile = parse(RefFile::Users, text)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(file.user.len());
    for row in file.user {
        if row.login.is_empty()
            || row
                .login
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(RefDataError::BadLogin(row.login));
        }
        if !seen.insert(row.login.clone()) {
            return Err(RefDataError::DuplicateLogin(row.login));
        }
        out.push(SeedUser {
            user: User {
                login: row.login,
                name: row.name,
                role: row.role,
                unit: row.unit,
            },
            password: row.password,
        });
    }
    Ok(out)
}

impl ReferenceData {
    /// A stand-in for a node that waits for its reference data from upstream: no unit, subject or
    /// user (so nobody can act yet), and an unloaded calendar.
    pub fn unloaded() -> Self {
        ReferenceData {
            org: OrgTree::default(),
            catalogue: Catalogue::default(),
            users: BTreeMap::new(),
            calendar: WorkCalendar::unloaded(),
            notices: Default::default(),
            quality: Default::default(),
            score_weights: Default::default(),
        }
    }

    /// Whether this is real reference data, not the stand-in of [`ReferenceData::unloaded`].
    pub fn is_loaded(&self) -> bool {
        self.org.contains(self.org.root())
    }

    /// Loads the four seed texts (`org.toml`, `categories.toml`, `users.toml`, `calendar.toml`) and
    /// checks them against each other: every subject's default units and every user's unit exist in
    /// the org tree, and no login appears twice. Passwords are read and dropped.
    pub fn from_toml(
        org: &str,
        categories: &str,
        users: &str,
        calendar: &str,
    ) -> Result<Self, RefDataError> {
        let org = parse_org(org)?;
        let catalogue = parse_catalogue(categories)?;
        let calendar = WorkCalendar::from_toml(calendar)?;
        for subject in catalogue.subjects() {
            if let Some(unit) = subject.default_units.iter().find(|u| !org.contains(u)) {
                return Err(RefDataError::UnknownSubjectUnit {
                    subject: subject.code.clone(),
                    unit: unit.clone(),
                });
            }
        }
        let mut map = BTreeMap::new();
        for SeedUser { user, .. } in seed_users(users)? {
            if !org.contains(&user.unit) {
                return Err(RefDataError::UnknownUserUnit {
                    login: user.login,
                    unit: user.unit,
                });
            }
            map.insert(user.login.clone(), user);
        }
        Ok(ReferenceData {
            org,
            catalogue,
            users: map,
            calendar,
            notices: Default::default(),
            quality: Default::default(),
            score_weights: Default::default(),
        })
    }

    /// A unit's name, or its code when unknown.
    pub fn unit_name(&self, code: &str) -> String {
        self.org
            .get(code)
            .map_or_else(|| code.to_owned(), |u| u.name.clone())
    }

    /// A user by login.
    pub fn user(&self, login: &str) -> Option<&User> {
        self.users.get(login)
    }

    /// The units that handle a subject by default, the lead first; empty for an unknown subject.
    pub fn default_units(&self, subject: &str) -> &[String] {
        self.catalogue
            .subject(subject)
            .map(|s| s.default_units.as_slice())
            .unwrap_or(&[])
    }

    /// The signing and reply deadlines `(sign_due_at, due_at)` (Unix ms) of an order of this type and
    /// urgency assigned at `start_ms`, from the catalogue's limits and the working-day calendar.
    ///
    /// The signing deadline never lies after the reply deadline: an urgent order dispatched shortly
    /// before closing is due at closing, and must be signed by then too.
    pub fn deadlines(&self, request_type: RequestType, urgent: bool, start_ms: i64) -> (i64, i64) {
        let due_at = self
            .calendar
            .due_at(start_ms, self.catalogue.limit_for(request_type, urgent));
        let sign_due_at = self
            .calendar
            .due_at(start_ms, self.catalogue.sign_limit(urgent))
            .min(due_at);
        (sign_due_at, due_at)
    }

    /// An assignment of `unit` with the deadlines of [`ReferenceData::deadlines`], ready for a
    /// dispatch or transfer event.
    pub fn assign_to(
        &self,
        unit: &str,
        request_type: RequestType,
        urgent: bool,
        start_ms: i64,
    ) -> AssignTo {
        let (sign_due_at, due_at) = self.deadlines(request_type, urgent, start_ms);
        AssignTo {
            unit: unit.to_string(),
            sign_due_at,
            due_at,
        }
    }

    /// Whether `from_unit` may hand an order down (转派/加派) to `to_unit`: the target must be a strict
    /// descendant of the source in the org tree. Unknown codes are never allowed.
    pub fn may_transfer(&self, from_unit: &str, to_unit: &str) -> bool {
        self.org.contains(from_unit) && self.org.is_below(to_unit, from_unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::TimeLimit;

    const ORG: &str = include_str!("../../deploy/seed/org.toml");
    const CATEGORIES: &str = include_str!("../../deploy/seed/categories.toml");
    const USERS: &str = include_str!("../../deploy/seed/users.toml");
    const CALENDAR: &str = include_str!("../../deploy/seed/calendar.toml");

    fn seed() -> ReferenceData {
        ReferenceData::from_toml(ORG, CATEGORIES, USERS, CALENDAR).expect("seed data loads")
    }

    /// Unix ms of a Beijing-time wall clock.
    fn local(dt: time::PrimitiveDateTime) -> i64 {
        dt.assume_offset(time::UtcOffset::from_hms(8, 0, 0).expect("offset"))
            .unix_timestamp()
            * 1000
    }

    fn count(text: &str, header: &str) -> usize {
        text.lines().filter(|l| l.trim() == header).count()
    }

    #[test]
    fn the_seed_files_load_completely() {
        let r = seed();
        assert_eq!(r.org.units().count(), count(ORG, "[[unit]]"));
        assert_eq!(
            r.catalogue.subjects().count(),
            count(CATEGORIES, "[[subject]]")
        );
        assert_eq!(r.catalogue.rules().count(), RequestType::ALL.len());
        assert_eq!(r.users.len(), count(USERS, "[[user]]"));
        assert_eq!(r.org.root(), "C");
        assert_eq!(r.org.get("C").map(|u| u.kind), Some(UnitKind::Centre));
        let op = r.user("op01").expect("op01");
        assert_eq!(
            (op.name.as_str(), op.role, op.unit.as_str()),
            ("王丽", Role::Operator, "C")
        );
        assert!(r.user("nobody").is_none());
        // Every unit handler works for a unit, and every role in the file is reachable.
        assert!(
            r.users
                .values()
                .any(|u| u.role == Role::UnitHandler && u.unit != "C")
        );
        assert!(r.users.values().any(|u| u.role == Role::ShiftLeader));
        assert!(r.calendar.covers(2026));
    }

    #[test]
    fn a_units_user_list_holds_its_own_users_and_no_passwords() {
        let row = |login: &str, unit: &str| {
            format!(
                "[[user]]\nlogin = \"{login}\"\nname = \"甲\"\nrole = \"unit_handler\"\nunit = \"{unit}\"\n"
            )
        };
        let ok = format!("{}{}", row("a", "D01"), row("b", "D01"));
        assert_eq!(unit_users(&ok, "D01").expect("own users").len(), 2);
        assert_eq!(unit_users("", "D01").expect("no users").len(), 0);
        let mixed = format!("{}{}", row("a", "D01"), row("c", "D02"));
        assert!(matches!(
            unit_users(&mixed, "D01"),
            Err(RefDataError::UserOfAnotherUnit { login, .. }) if login == "c"
        ));
        let secret = format!("{}password = \"x\"\n", row("a", "D01"));
        assert!(matches!(
            unit_users(&secret, "D01"),
            Err(RefDataError::PasswordInReference(login)) if login == "a"
        ));
    }

    #[test]
    fn seed_users_keep_passwords_apart() {
        let users = seed_users(USERS).expect("users");
        assert_eq!(users.len(), count(USERS, "[[user]]"));
        assert_eq!(users[0].user.login, "op01");
        assert_eq!(users[0].password.as_deref(), Some("12345demo"));
        let r = seed();
        for s in &users {
            assert_eq!(r.user(&s.user.login), Some(&s.user));
        }
        let no_password = seed_users(
            "[[user]]\nlogin = \"a\"\nname = \"甲\"\nrole = \"operator\"\nunit = \"C\"\n",
        )
        .expect("user without password");
        assert_eq!(no_password[0].password, None);
    }

    #[test]
    fn default_units_follow_the_catalogue() {
        let r = seed();
        assert_eq!(r.default_units("SB.LD.QX"), ["B-RSJ".to_string()]);
        assert!(r.default_units("NO.SUCH").is_empty());
        for s in r.catalogue.subjects() {
            for u in r.default_units(&s.code) {
                assert!(r.org.contains(u), "{u}");
            }
        }
    }

    #[test]
    fn deadlines_use_limits_and_the_calendar() {
        let r = seed();
        // Tuesday 2026-11-24 10:00: a complaint (15 working days) signs within 2 working hours.
        let start = local(time::macros::datetime!(2026-11-24 10:00));
        let (sign, due) = r.deadlines(RequestType::Complaint, false, start);
        assert_eq!(sign, local(time::macros::datetime!(2026-11-24 12:00)));
        assert_eq!(due, r.calendar.due_at(start, TimeLimit::WorkingDays(15)));
        assert_eq!(due, local(time::macros::datetime!(2026-12-15 17:30)));
        // A consultation: 2 working days.
        let (_, due) = r.deadlines(RequestType::Consultation, false, start);
        assert_eq!(due, local(time::macros::datetime!(2026-11-26 17:30)));
        // Urgent: same day, one working hour to sign.
        let (sign, due) = r.deadlines(RequestType::Complaint, true, start);
        assert_eq!(sign, local(time::macros::datetime!(2026-11-24 11:00)));
        assert_eq!(due, local(time::macros::datetime!(2026-11-24 17:30)));
        // Urgent at 17:00: the hour to sign would end tomorrow, but the order is due at 17:30 today.
        let late = local(time::macros::datetime!(2026-11-24 17:00));
        let (sign, due) = r.deadlines(RequestType::Repair, true, late);
        assert_eq!(due, local(time::macros::datetime!(2026-11-24 17:30)));
        assert_eq!(sign, due);
        let a = r.assign_to("B-RSJ", RequestType::Repair, true, late);
        assert_eq!(
            (a.unit.as_str(), a.sign_due_at, a.due_at),
            ("B-RSJ", sign, due)
        );
        // Both deadlines always lie after the start, so a dispatch carrying them is accepted.
        for t in RequestType::ALL {
            for urgent in [false, true] {
                for s in [
                    start,
                    late,
                    local(time::macros::datetime!(2026-11-28 23:59)),
                ] {
                    let (sign, due) = r.deadlines(t, urgent, s);
                    assert!(s < sign && sign <= due, "{t:?} {urgent} {s}");
                }
            }
        }
    }

    #[test]
    fn transfers_go_strictly_down_the_tree() {
        let r = seed();
        assert!(r.may_transfer("D01", "D01-T01"));
        assert!(r.may_transfer("D01", "D01-T01-C01"));
        assert!(r.may_transfer("D01-T01", "D01-T01-C01"));
        assert!(r.may_transfer("C", "D01"));
        assert!(!r.may_transfer("D01", "D01"));
        assert!(!r.may_transfer("D01-T01", "D01"));
        assert!(!r.may_transfer("D01", "D02-T01"));
        assert!(!r.may_transfer("D01", "NOPE"));
        assert!(!r.may_transfer("NOPE", "D01"));
    }

    const TINY_ORG: &str = "[[unit]]\ncode = \"C\"\nname = \"中心\"\nkind = \"centre\"\n\
        [[unit]]\ncode = \"B1\"\nname = \"局\"\nkind = \"bureau\"\nparent = \"C\"\n";

    fn rules() -> String {
        RequestType::ALL
            .iter()
            .map(|t| {
                let code = serde_json::to_string(t).expect("json");
                format!("[[request_type]]\ncode = {code}\nname = \"x\"\nlimit_days = 5\n")
            })
            .collect()
    }

    fn with_subject(units: &str) -> String {
        format!(
            "{}[[subject]]\ncode = \"A.B\"\npath = [\"甲\", \"乙\"]\ndefault_units = {units}\n",
            rules()
        )
    }

    fn user(login: &str, unit: &str) -> String {
        format!(
            "[[user]]\nlogin = \"{login}\"\nname = \"某\"\nrole = \"unit_handler\"\nunit = \"{unit}\"\n"
        )
    }

    #[test]
    fn a_tiny_consistent_set_loads() {
        let users = user("u1", "B1") + &user("u2", "C");
        let r = ReferenceData::from_toml(TINY_ORG, &with_subject("[\"B1\"]"), &users, CALENDAR)
            .expect("loads");
        assert_eq!(r.users.len(), 2);
        assert_eq!(r.default_units("A.B"), ["B1".to_string()]);
    }

    #[test]
    fn bad_input_is_refused() {
        let load = |org: &str, cat: &str, users: &str, cal: &str| {
            ReferenceData::from_toml(org, cat, users, cal)
        };
        let cat = with_subject("[\"B1\"]");
        let ok_users = user("u1", "B1");
        assert_eq!(
            load(TINY_ORG, &with_subject("[\"B9\"]"), &ok_users, CALENDAR),
            Err(RefDataError::UnknownSubjectUnit {
                subject: "A.B".into(),
                unit: "B9".into()
            })
        );
        assert_eq!(
            load(TINY_ORG, &cat, &user("u1", "B9"), CALENDAR),
            Err(RefDataError::UnknownUserUnit {
                login: "u1".into(),
                unit: "B9".into()
            })
        );
        assert_eq!(
            load(
                TINY_ORG,
                &cat,
                &(user("u1", "B1") + &user("u1", "C")),
                CALENDAR
            ),
            Err(RefDataError::DuplicateLogin("u1".into()))
        );
        assert_eq!(
            load(TINY_ORG, &cat, &user("u 1", "B1"), CALENDAR),
            Err(RefDataError::BadLogin("u 1".into()))
        );
        assert_eq!(
            load(TINY_ORG, &cat, &user("", "B1"), CALENDAR),
            Err(RefDataError::BadLogin(String::new()))
        );
        // Broken org tree.
        let orphan = format!(
            "{TINY_ORG}[[unit]]\ncode = \"X\"\nname = \"x\"\nkind = \"town\"\nparent = \"Y\"\n"
        );
        assert!(matches!(
            load(&orphan, &cat, &ok_users, CALENDAR),
            Err(RefDataError::Org(OrgError::UnknownParent { .. }))
        ));
        // A missing request-type rule.
        let missing_rule = rules().replacen("code = \"praise\"", "code = \"complaint\"", 1);
        assert!(matches!(
            load(TINY_ORG, &missing_rule, &ok_users, CALENDAR),
            Err(RefDataError::Catalogue(CatalogueError::MissingRule(
                RequestType::Praise
            )))
        ));
        // Calendar errors come through.
        assert!(matches!(
            load(TINY_ORG, &cat, &ok_users, "[[year]]\nyear = 2026\n"),
            Err(RefDataError::Calendar(CalendarError::Parse { .. }))
        ));
        // Unknown keys, unknown enum values and plain syntax errors name their file.
        let typo = TINY_ORG.replace("parent", "parnet");
        assert!(matches!(
            load(&typo, &cat, &ok_users, CALENDAR),
            Err(RefDataError::Parse {
                file: RefFile::Org,
                ..
            })
        ));
        let bad_role = ok_users.replace("unit_handler", "janitor");
        assert!(matches!(
            load(TINY_ORG, &cat, &bad_role, CALENDAR),
            Err(RefDataError::Parse {
                file: RefFile::Users,
                ..
            })
        ));
        assert!(matches!(
            load(TINY_ORG, "[[subject]\n", &ok_users, CALENDAR),
            Err(RefDataError::Parse {
                file: RefFile::Categories,
                ..
            })
        ));
        assert!(matches!(
            load(TINY_ORG, &cat, &ok_users.replace("login", "user"), CALENDAR),
            Err(RefDataError::Parse {
                file: RefFile::Users,
                ..
            })
        ));
    }
}
