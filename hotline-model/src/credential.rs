//! Staff credentials and sessions: the rules, without hashing, storage or clocks.
//!
//! A user's credential (password hash, disabled flag, when it last changed) is replicated to the
//! nodes that serve the user's unit, so a town office signs its staff in while its district is
//! unreachable. A session stays valid only while the credential it was opened under is unchanged:
//! disabling a user or changing their password ends every session at every node as soon as the
//! change arrives there.

use serde::{Deserialize, Serialize};

use crate::org::OrgTree;
use crate::role::{Role, User};

/// A user's credential as replicated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Credential {
    /// The password's PHC string (argon2id), or empty when no password was ever set.
    pub hash: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// When the password or the disabled flag last changed (Unix ms): sessions opened before end.
    pub changed_ms: i64,
}

/// Session lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends (ms).
    pub idle_ms: i64,
    /// A session ends this long after sign-in whatever its use (ms).
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours at most: one shift.
    fn default() -> Self {
        SessionPolicy {
            idle_ms: 30 * 60_000,
            absolute_ms: 12 * 3_600_000,
        }
    }
}

/// Why a session is no longer valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// Unused for longer than the idle timeout.
    Idle,
    /// Older than the absolute lifetime.
    Expired,
    /// The account is disabled, unknown here, or has no credential.
    Disabled,
    /// The password changed after sign-in.
    CredentialChanged,
}

impl SessionEnd {
    /// The message shown to the user.
    pub fn message_zh(self) -> &'static str {
        match self {
            SessionEnd::Idle => "长时间未操作，请重新登录",
            SessionEnd::Expired => "登录已超过有效期，请重新登录",
            SessionEnd::Disabled => "账号已停用，请联系管理员",
            SessionEnd::CredentialChanged => "密码已更改，请重新登录",
        }
    }
}

/// A session as kept by a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The user's login.
    pub login: String,
    /// Sign-in time (Unix ms).
    pub created_ms: i64,
    /// Last use (Unix ms).
    pub last_ms: i64,
}

impl Session {
    /// Whether the session may serve a request at `now`, given the user's current credential.
    pub fn check(
        &self,
        now: i64,
        policy: SessionPolicy,
        credential: Option<&Credential>,
    ) -> Result<(), SessionEnd> {
        let Some(c) = credential else {
            return Err(SessionEnd::Disabled);
        };
        if c.disabled {
            return Err(SessionEnd::Disabled);
        }
        if c.changed_ms > self.created_ms {
            return Err(SessionEnd::CredentialChanged);
        }
        if now - self.created_ms >= policy.absolute_ms {
            return Err(SessionEnd::Expired);
        }
        if now - self.last_ms >= policy.idle_ms {
            return Err(SessionEnd::Idle);
        }
        Ok(())
    }
}

/// Why a new password is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    TooLong,
    /// Only digits, or only letters.
    OneKind,
    /// The same as the login.
    IsLogin,
}

impl PasswordProblem {
    /// The message shown to the user.
    pub fn message_zh(self) -> String {
        match self {
            PasswordProblem::TooShort => format!("密码至少 {MIN_PASSWORD_CHARS} 位"),
            PasswordProblem::TooLong => format!("密码最多 {MAX_PASSWORD_CHARS} 位"),
            PasswordProblem::OneKind => "密码须同时包含字母和数字".to_owned(),
            PasswordProblem::IsLogin => "密码不能与账号相同".to_owned(),
        }
    }
}

/// Shortest accepted password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password, in characters (hashing cost stays bounded).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks a new password for `login`.
pub fn check_new_password(login: &str, password: &str) -> Result<(), PasswordProblem> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    if password.eq_ignore_ascii_case(login) {
        return Err(PasswordProblem::IsLogin);
    }
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password.chars().any(|c| !c.is_ascii_digit());
    if !(digits && others) {
        return Err(PasswordProblem::OneKind);
    }
    Ok(())
}

/// Whether `admin` may manage (create, disable, reset) the account of a user of `unit`: a centre
/// user administrator every account, a unit's user administrator those of its own subtree. Nobody
/// manages their own account this way (they change their own password with the old one).
pub fn may_manage(admin: &User, unit: &str, login: &str, org: &OrgTree) -> bool {
    admin.role == Role::Admin && admin.login != login && org.is_within(unit, &admin.unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(disabled: bool, changed_ms: i64) -> Credential {
        Credential {
            hash: "$argon2id$x".into(),
            disabled,
            changed_ms,
        }
    }

    #[test]
    fn a_session_ends_idle_expired_disabled_or_changed() {
        let p = SessionPolicy {
            idle_ms: 100,
            absolute_ms: 1000,
        };
        let s = Session {
            login: "a".into(),
            created_ms: 500,
            last_ms: 900,
        };
        let c = cred(false, 400);
        assert_eq!(s.check(950, p, Some(&c)), Ok(()));
        assert_eq!(s.check(1000, p, Some(&c)), Err(SessionEnd::Idle));
        let fresh = Session {
            last_ms: 1490,
            ..s.clone()
        };
        assert_eq!(fresh.check(1499, p, Some(&c)), Ok(()));
        assert_eq!(fresh.check(1500, p, Some(&c)), Err(SessionEnd::Expired));
        assert_eq!(s.check(950, p, None), Err(SessionEnd::Disabled));
        assert_eq!(
            s.check(950, p, Some(&cred(true, 400))),
            Err(SessionEnd::Disabled)
        );
        assert_eq!(
            s.check(950, p, Some(&cred(false, 501))),
            Err(SessionEnd::CredentialChanged)
        );
        // Changed in the same millisecond as the sign-in: the session was opened under it.
        assert_eq!(s.check(950, p, Some(&cred(false, 500))), Ok(()));
    }

    #[test]
    fn new_passwords_are_checked() {
        assert_eq!(
            check_new_password("a", "abc123"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check_new_password("a", "12345678"),
            Err(PasswordProblem::OneKind)
        );
        assert_eq!(
            check_new_password("a", "abcdefgh"),
            Err(PasswordProblem::OneKind)
        );
        assert_eq!(
            check_new_password("abcd1234", "ABCD1234"),
            Err(PasswordProblem::IsLogin)
        );
        assert_eq!(
            check_new_password("a", &"a1".repeat(65)),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(check_new_password("a", "热线2026工作"), Ok(()));
        assert_eq!(check_new_password("a", "12345demo"), Ok(()));
    }

    #[test]
    fn admins_manage_their_subtree_only() {
        let org = crate::refdata::parse_org(
            "[[unit]]\ncode=\"C\"\nname=\"中心\"\nkind=\"centre\"\n\
             [[unit]]\ncode=\"D01\"\nname=\"区\"\nkind=\"district\"\nparent=\"C\"\n\
             [[unit]]\ncode=\"D01-T01\"\nname=\"镇\"\nkind=\"town\"\nparent=\"D01\"\n\
             [[unit]]\ncode=\"D02\"\nname=\"区二\"\nkind=\"district\"\nparent=\"C\"\n",
        );
        let org = match org {
            Ok(o) => o,
            Err(e) => panic!("{e}"),
        };
        let user = |role, unit: &str| User {
            login: "adm".into(),
            name: "管".into(),
            role,
            unit: unit.into(),
        };
        let centre = user(Role::Admin, "C");
        let district = user(Role::Admin, "D01");
        assert!(may_manage(&centre, "D02", "x", &org));
        assert!(may_manage(&district, "D01-T01", "x", &org));
        assert!(!may_manage(&district, "D02", "x", &org));
        assert!(!may_manage(&district, "C", "x", &org));
        assert!(!may_manage(&centre, "C", "adm", &org), "not oneself");
        assert!(!may_manage(&user(Role::Supervisor, "C"), "D01", "x", &org));
    }
}
