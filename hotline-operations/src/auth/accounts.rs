//! Account management: one operation each for the pages and the JSON API.
//!
//! - Anyone signed in changes their own password, with the old one (their other sessions end).
//! - A user administrator (用户管理员) resets passwords and disables or re-enables accounts of
//!   their subtree (the centre's: every unit), at any node that holds the account — a town office
//!   can lock a lost account while cut off; the change reaches the other nodes by sync and ends
//!   the user's sessions there as it arrives.
//! - New accounts join a unit's user list, which is reference data: created at the hub only.

use crate::Kind;
use hotline_model::credential::{Credential, check_new_password, may_manage};
use hotline_model::role::{Role, User};
use replica_store::refdata_doc;
use serde::Deserialize;

use super::password;
use crate::Hotline;
use crate::OpError;
use crate::settings::NodeRole;

fn weak(problem: hotline_model::credential::PasswordProblem) -> OpError {
    OpError::new(Kind::Invalid, "weak_password", problem.message_zh())
}

fn internal(e: impl std::fmt::Display) -> OpError {
    OpError::internal("account change failed", e)
}

/// Writes `login`'s credential and makes it live here.
async fn write_credential(
    state: &Hotline,
    unit: &str,
    login: &str,
    credential: Credential,
) -> Result<(), OpError> {
    state
        .store
        .put_credential(unit.to_owned(), login.to_owned(), credential, state.now())
        .await?;
    state.auth.reload_credentials(&state.store).await;
    Ok(())
}

/// Changes the signed-in user's own password; their sessions here end and a new one opens,
/// whose id is returned.
pub async fn change_own_password(
    state: &Hotline,
    user: &User,
    old: &str,
    new: &str,
) -> Result<String, OpError> {
    let (unit, current) = state
        .auth
        .credential(&user.login)
        .ok_or_else(|| OpError::forbidden("本节点没有该账号的登录信息，请在本单位节点修改密码"))?;
    if !password::verify_async(old.to_owned(), Some(current.hash.clone())).await {
        return Err(OpError::new(
            Kind::Invalid,
            "wrong_password",
            "原密码不正确",
        ));
    }
    check_new_password(&user.login, new).map_err(weak)?;
    let hash = password::hash_async(new.to_owned())
        .await
        .map_err(internal)?;
    let now = state.now();
    write_credential(
        state,
        &unit,
        &user.login,
        Credential {
            hash,
            disabled: current.disabled,
            changed_ms: now,
        },
    )
    .await?;
    state
        .auth
        .end_sessions_of(&state.store, &user.login)
        .await
        .map_err(internal)?;
    // Opened a millisecond after the change, so the credential check lets it through.
    state
        .auth
        .open_session(&state.store, &user.login, "", now + 1)
        .await
        .map_err(internal)
}

/// The account `login` if `admin` may manage it here.
fn managed(state: &Hotline, admin: &User, login: &str) -> Result<User, OpError> {
    let refdata = state.refdata();
    let target = refdata
        .user(login)
        .cloned()
        .ok_or_else(|| OpError::not_found(&format!("账号 {login}")))?;
    if !may_manage(admin, &target.unit, login, &refdata.org) {
        return Err(OpError::forbidden("无权管理该账号"));
    }
    Ok(target)
}

/// Changes `login`'s credential for a user administrator: a new hash, a new disabled flag, or
/// both; a new password or disabling ends the user's sessions here (elsewhere, as it arrives).
async fn change_credential(
    state: &Hotline,
    admin: &User,
    login: &str,
    hash: Option<String>,
    disabled: Option<bool>,
) -> Result<(), OpError> {
    let target = managed(state, admin, login)?;
    let current = state.auth.credential(login).map(|(_, c)| c);
    let credential = Credential {
        disabled: disabled.unwrap_or_else(|| current.as_ref().is_some_and(|c| c.disabled)),
        hash: match hash {
            Some(h) => h,
            None => current.map(|c| c.hash).unwrap_or_default(),
        },
        changed_ms: state.now(),
    };
    let ends = credential.disabled || disabled.is_none();
    write_credential(state, &target.unit, login, credential).await?;
    if ends {
        state
            .auth
            .end_sessions_of(&state.store, login)
            .await
            .map_err(internal)?;
    }
    tracing::info!(%login, ?disabled, by = %admin.login, "account changed");
    Ok(())
}

/// Sets a new password for `login` (a user administrator); the user's sessions end.
pub async fn reset_password(
    state: &Hotline,
    admin: &User,
    login: &str,
    new: &str,
) -> Result<(), OpError> {
    // Refused before the (deliberately slow) hashing, so no one else makes the node hash.
    managed(state, admin, login)?;
    check_new_password(login, new).map_err(weak)?;
    let hash = password::hash_async(new.to_owned())
        .await
        .map_err(internal)?;
    change_credential(state, admin, login, Some(hash), None).await
}

/// Disables (or re-enables) `login` (a user administrator); disabling ends their sessions.
pub async fn set_disabled(
    state: &Hotline,
    admin: &User,
    login: &str,
    disabled: bool,
) -> Result<(), OpError> {
    change_credential(state, admin, login, None, Some(disabled)).await
}

/// A new account.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Login name.
    pub login: String,
    /// Chinese name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
    /// Initial password.
    pub password: String,
}

#[derive(serde::Serialize)]
struct UsersFile<'a> {
    user: Vec<&'a User>,
}

/// Creates an account (a user administrator, at the hub): joins the unit's user list and sets the
/// initial password.
pub async fn create(state: &Hotline, admin: &User, new: NewAccount) -> Result<User, OpError> {
    if state.settings.role != NodeRole::Hub {
        return Err(OpError::forbidden(
            "账号名单属于基础数据，新建账号请在市中心节点办理",
        ));
    }
    let refdata = state.refdata();
    let login = new.login.trim().to_owned();
    if login.is_empty()
        || login.chars().count() > 32
        || login.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(OpError::bad_request("账号须为 1–32 个字符，不含空格"));
    }
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 20 {
        return Err(OpError::bad_request("姓名须为 1–20 个字"));
    }
    if new.role == Role::System {
        return Err(OpError::bad_request("不能新建系统账号"));
    }
    if !refdata.org.contains(&new.unit) {
        return Err(OpError::unknown("unit", &new.unit));
    }
    if !may_manage(admin, &new.unit, &login, &refdata.org) {
        return Err(OpError::forbidden("无权在该单位新建账号"));
    }
    if refdata.user(&login).is_some() {
        return Err(OpError::new(
            Kind::Conflict,
            "login_taken",
            format!("账号 {login} 已存在"),
        ));
    }
    check_new_password(&login, &new.password).map_err(weak)?;
    let user = User {
        login: login.clone(),
        name,
        role: new.role,
        unit: new.unit.clone(),
    };
    let mut members: Vec<&User> = refdata
        .users
        .values()
        .filter(|u| u.unit == new.unit)
        .collect();
    members.push(&user);
    let text = toml::to_string(&UsersFile { user: members }).map_err(internal)?;
    let hash = password::hash_async(new.password.clone())
        .await
        .map_err(internal)?;
    // The credential first: an account listed without one cannot sign in, never the reverse.
    write_credential(
        state,
        &new.unit,
        &login,
        Credential {
            hash,
            disabled: false,
            changed_ms: state.now(),
        },
    )
    .await?;
    state
        .store
        .put_refdata(
            vec![(refdata_doc::users_name(&new.unit), text)],
            state.now(),
        )
        .await?;
    state.reload_refdata().await;
    tracing::info!(%login, unit = %new.unit, by = %admin.login, "account created");
    Ok(user)
}
