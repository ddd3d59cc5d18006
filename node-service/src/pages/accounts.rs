//! The user administrator's page: the accounts of their subtree (the centre's: every unit) with
//! their state, one click to disable or enable, a new password set for a user who forgot theirs,
//! and — at the hub — new accounts. Every change is `auth::accounts::*`, as through the API.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::credential::may_manage;
use hotline_model::role::Role;
use serde::Deserialize;
use web::{AccountRow, AccountsPage, Choice};

use super::format::{code_of, unit_name, url_encode};
use super::{Done, Staff, layout, render};
use crate::auth::accounts::{NewAccount, create as create_account, reset_password, set_disabled};
use crate::config::NodeRole;
use crate::state::AppState;

/// Roles a new account may have.
const ROLES: [Role; 8] = [
    Role::Operator,
    Role::ShiftLeader,
    Role::Supervisor,
    Role::Leader,
    Role::Inspector,
    Role::UnitHandler,
    Role::UnitInfoAdmin,
    Role::Admin,
];

/// `GET /staff/accounts`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(q): Query<Done>,
) -> Response {
    let mut l = layout(&state, &user, "账号管理", "/staff/accounts");
    l.flash = q.flash();
    let rd = state.refdata();
    let rows = rd
        .users
        .values()
        .filter(|u| may_manage(&user, &u.unit, &u.login, &rd.org))
        .map(|u| {
            let credential = state.auth.credential(&u.login).map(|(_, c)| c);
            let disabled = credential.as_ref().is_some_and(|c| c.disabled);
            let state = match &credential {
                Some(c) if c.disabled => "已停用",
                Some(c) if !c.hash.is_empty() => "正常",
                _ => "未设密码",
            };
            AccountRow {
                login: u.login.clone(),
                name: u.name.clone(),
                role: u.role.label().into(),
                unit: unit_name(&rd, &u.unit),
                state: state.into(),
                disabled,
            }
        })
        .collect();
    let roles = ROLES
        .iter()
        .map(|r| Choice {
            value: code_of(r),
            label: r.label().into(),
            hint: String::new(),
            selected: false,
        })
        .collect();
    let units = super::format::unit_choices(&rd, &user.unit, false, &user.unit);
    render(&AccountsPage {
        l,
        rows,
        roles,
        units,
        may_create: user.role == Role::Admin && state.config.role == NodeRole::Hub,
    })
}

fn back(text: &str) -> Response {
    Redirect::to(&format!("/staff/accounts?done={}", url_encode(text))).into_response()
}

/// The new-account form.
#[derive(Debug, Deserialize)]
pub struct NewForm {
    login: String,
    name: String,
    role: String,
    unit: String,
    password: String,
}

/// `POST /staff/accounts`.
pub async fn create(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<NewForm>,
) -> Response {
    let Some(role) = ROLES.iter().copied().find(|r| code_of(r) == f.role) else {
        return back("新建账号未完成：岗位无效");
    };
    let new = NewAccount {
        login: f.login,
        name: f.name,
        role,
        unit: f.unit,
        password: f.password,
    };
    match create_account(&state, &user, new).await {
        Ok(u) => back(&format!("已新建账号 {}（{}）", u.login, u.name)),
        Err(e) => back(&format!("新建账号未完成：{}", e.message)),
    }
}

/// A change to one account.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    action: String,
    #[serde(default)]
    password: String,
}

/// `POST /staff/accounts/{login}/act`.
pub async fn act(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(login): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let (result, label) = match f.action.as_str() {
        "disable" => (set_disabled(&state, &user, &login, true).await, "停用"),
        "enable" => (set_disabled(&state, &user, &login, false).await, "启用"),
        "reset" => (
            reset_password(&state, &user, &login, &f.password).await,
            "重置密码",
        ),
        _ => return back("操作未完成：未知的操作"),
    };
    match result {
        Ok(()) => back(&format!("已{label}：{login}")),
        Err(e) => back(&format!("{label}未完成：{}", e.message)),
    }
}
