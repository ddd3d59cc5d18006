//! A citizen rates an order (评价) with its number and query code, once, after the reply was
//! accepted: on the callback's scale, saying whether the problem was solved, with a comment. The
//! rating is an event of the order (its history and the units' assessment); "not solved" or 不满意
//! puts the order in the centre's redo review (重办审核).

use std::net::IpAddr;

use hotline_model::event::Satisfaction;
use serde::Deserialize;

use super::lookup::{PublicTicket, find, public_view};
use crate::Hotline;
use crate::Kind;
use crate::OpError;
use crate::tickets::ask::ActionRequest;

/// What a citizen sends to rate an order.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub code: String,
    /// `satisfied`, `basically_satisfied` or `unsatisfied`.
    pub satisfaction: Satisfaction,
    /// Whether the problem was solved.
    pub solved: bool,
    /// A comment (at most 500 characters).
    #[serde(default)]
    pub comment: String,
}

/// Records the rating; answers what the citizen now sees of the order.
pub async fn rate(
    state: &Hotline,
    addr: Option<IpAddr>,
    req: RateRequest,
) -> Result<PublicTicket, OpError> {
    let view = find(state, addr, &req.number, &req.code).await?;
    if req.satisfaction == Satisfaction::Unreachable {
        return Err(OpError::bad_request("请选择满意、基本满意或不满意"));
    }
    if req.comment.chars().count() > 500 {
        return Err(OpError::bad_request("留言最多500字"));
    }
    if view.state.citizen_rating.is_some() {
        return Err(OpError::new(
            Kind::Conflict,
            "already_rated",
            "该工单已评价过，每件工单只能评价一次",
        ));
    }
    if !hotline_model::public::may_rate(&view) {
        return Err(OpError::new(
            Kind::Conflict,
            "not_yet",
            "工单答复后才能评价，请在收到答复后再来",
        ));
    }
    let user = super::website_user(&state.refdata());
    let updated = crate::tickets::act_on(
        state,
        &user,
        &view.id,
        ActionRequest::Rate {
            satisfaction: req.satisfaction,
            solved: req.solved,
            comment: req.comment.trim().to_owned(),
        },
    )
    .await?;
    tracing::info!(number = %updated.number, "citizen rated an order");
    Ok(public_view(&updated, &state.refdata()))
}
