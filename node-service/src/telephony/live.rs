//! Calls in progress as staff see them, and a supervisor's listening in (监听) or barging in (强插)
//! through the switch's event socket: the telephony's live side, which the JSON API and the call
//! pages both call.

use hotline_model::role::User;
use hotline_operations::calls::{MonitorStarted, reach, supervises};
use hotline_operations::{Kind, OpError};
use serde::Serialize;

use crate::state::AppState;

/// Calls in progress, and whether the telephony takes live-monitoring commands now.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LiveCalls {
    /// The calls, oldest first.
    pub calls: Vec<crate::telephony::LiveCall>,
    /// Live monitoring (监听/强插) is offered: the event socket is connected.
    pub monitoring: bool,
}

/// The calls in progress `user` may see (the API and the page).
pub fn live_for(state: &AppState, user: &User) -> Result<LiveCalls, OpError> {
    let only = reach(user, None, "通话记录")?;
    let calls = state
        .cti
        .live_calls()
        .into_iter()
        .filter(|c| only.as_ref().is_none_or(|o| *o == c.operator))
        .collect();
    Ok(LiveCalls {
        calls,
        monitoring: supervises(user) && state.cti.client().is_some(),
    })
}

/// Live monitoring (the API and the page): the switch rings the supervisor's extension and joins
/// it to the call. Recorded in the audit log first.
pub async fn monitor_call(
    state: &AppState,
    user: &User,
    call_id: &str,
    barge: bool,
) -> Result<MonitorStarted, OpError> {
    if !supervises(user) {
        return Err(OpError::forbidden("只有值班长和监督员可以监听或强插通话"));
    }
    let call = state
        .cti
        .live_by_id(call_id)
        .ok_or_else(|| OpError::not_found("进行中的通话"))?;
    let client = state.cti.client().ok_or_else(|| {
        OpError::new(
            Kind::Unavailable,
            "unavailable",
            "话务系统未连接，暂不能监听",
        )
    })?;
    let extension = state
        .config
        .telephony
        .extension_of(&user.login)
        .ok_or_else(|| OpError::bad_request("您没有配置分机号（telephony.extensions），无法监听"))?
        .to_owned();
    hotline_operations::tickets::record_access(
        state,
        user,
        if barge { "barge_call" } else { "monitor_call" },
        "",
        &format!("{} {} → 分机 {extension}", call.call_id, call.operator),
    )
    .await?;
    let job = crate::telephony::esl::monitor(&client, &extension, &call.call_id, barge)
        .await
        .map_err(|e| {
            OpError::new(
                Kind::Upstream,
                "telephony",
                format!("话务系统未能执行监听：{e}"),
            )
        })?;
    Ok(MonitorStarted { job, extension })
}
