//! Roles and users: who may take which workflow action.

use serde::{Deserialize, Serialize};

use crate::event::ActionKind;

/// A user's role (岗位).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 话务员: answers calls, creates orders, calls citizens back.
    Operator,
    /// 值班长: reviews and dispatches orders, handles hard calls.
    ShiftLeader,
    /// 审核督办员: reviews results, urges and supervises, statistics.
    Supervisor,
    /// 市领导: reads figures, may order named supervision (挂牌督办).
    Leader,
    /// 纪委电子监察: reads everything, changes nothing.
    Inspector,
    /// A member unit's 业务管理员: signs, handles, replies.
    UnitHandler,
    /// A member unit's 信息管理员: keeps the unit's knowledge-base entries.
    UnitInfoAdmin,
    /// 用户管理员: creates and disables accounts and resets passwords, for the centre (unit `C`:
    /// every unit) or for its own unit's subtree. Takes no workflow action.
    Admin,
    /// The platform itself (automatic urging, the citizens' website).
    System,
    /// 接口应用: an outside app filing requests through Open311 with its api_key. Files orders
    /// and reads what it filed there; no staff route is open to it.
    App,
}

impl Role {
    /// The Chinese label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Operator => "话务员",
            Role::ShiftLeader => "值班长",
            Role::Supervisor => "审核督办员",
            Role::Leader => "市领导",
            Role::Inspector => "纪委电子监察",
            Role::UnitHandler => "业务管理员",
            Role::UnitInfoAdmin => "信息管理员",
            Role::Admin => "用户管理员",
            Role::System => "系统",
            Role::App => "接口应用",
        }
    }

    /// Whether this role acts for the centre (as opposed to a member unit).
    pub fn is_centre(self) -> bool {
        matches!(
            self,
            Role::Operator | Role::ShiftLeader | Role::Supervisor | Role::Leader | Role::Inspector
        )
    }

    /// Whether this role may take an action at all (the workflow then checks the ticket's state and
    /// that the acting unit is the one assigned).
    pub fn may(self, action: ActionKind) -> bool {
        use ActionKind as A;
        use Role as R;
        match action {
            // System: the citizens' website and other intake channels; App: Open311 apps.
            A::Created => matches!(
                self,
                R::Operator | R::ShiftLeader | R::UnitHandler | R::System | R::App
            ),
            A::AnswerDirectly | A::Resubmit => matches!(self, R::Operator | R::ShiftLeader),
            A::Review | A::Dispatch | A::Merge => matches!(self, R::ShiftLeader),
            A::Transfer | A::Sign | A::Return | A::RequestExtension | A::Reply => {
                matches!(self, R::UnitHandler)
            }
            A::ApproveExtension
            | A::RejectExtension
            | A::ReviewResult
            | A::Reopen
            | A::KeepClosed
            | A::Close => {
                matches!(self, R::ShiftLeader | R::Supervisor)
            }
            A::Callback => matches!(self, R::Operator | R::Supervisor),
            A::Urge => matches!(self, R::Supervisor | R::System),
            // The citizen rates through the website, which acts as the system.
            A::Rate => matches!(self, R::System),
            A::Supervise => matches!(self, R::Supervisor | R::Leader | R::System),
        }
    }
}

/// A user account as reference data (credentials are kept by the node, not here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct User {
    /// Login name, unique.
    pub login: String,
    /// Chinese name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The unit the user works for.
    pub unit: String,
}
