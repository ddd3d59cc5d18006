//! The citizens' lookup: ticket number + query code → what may be shown publicly.
//!
//! Only status, handling unit, dates and the public reply are shown; the caller's name is masked and
//! the phone number, address and complaint text never leave. Codes are compared by their salted hash.
//! Five wrong codes for a number within 15 minutes lock that number's lookups for 15 minutes; 30
//! failed lookups from one client address within 15 minutes lock that address out for 15 minutes.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hotline_model::number::query_code_hash;
use hotline_model::privacy::mask_name;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use crate::state::AppState;
use crate::throttle::Failures;

/// Wrong codes allowed per number per window.
const MAX_FAILURES: u32 = 5;
/// Failed lookups allowed per client address per window (one office's public terminal may serve
/// many citizens; one guesser tries many numbers).
const MAX_ADDR_FAILURES: u32 = 30;
/// The window and lock time.
const WINDOW_MS: i64 = 15 * 60_000;

/// Failed lookups per ticket number and per client address.
pub struct LookupGuard {
    by_number: Failures<String>,
    by_addr: Failures<IpAddr>,
}

impl Default for LookupGuard {
    fn default() -> Self {
        LookupGuard {
            by_number: Failures::new(MAX_FAILURES, WINDOW_MS),
            by_addr: Failures::new(MAX_ADDR_FAILURES, WINDOW_MS),
        }
    }
}

impl LookupGuard {
    fn locked(&self, number: &str, now: i64) -> bool {
        self.by_number.locked(&number.to_owned(), now)
    }

    fn addr_locked(&self, addr: Option<IpAddr>, now: i64) -> bool {
        addr.is_some_and(|a| self.by_addr.locked(&a, now))
    }

    fn fail(&self, number: &str, addr: Option<IpAddr>, now: i64) {
        self.by_number.fail(number.to_owned(), now);
        if let Some(a) = addr {
            self.by_addr.fail(a, now);
        }
    }
}

/// The client's address, when the server knows it (in-process calls have none). Behind a
/// trusted reverse proxy, the address the proxy appended last to `X-Forwarded-For`.
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<crate::tls::TlsPeer>>()
                    .map(|c| c.0.0.ip())
            });
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back()
        };
        Ok(ClientAddr(match peer {
            Some(p) if state.config.trusted_proxies.contains(&p) => forwarded().or(Some(p)),
            other => other,
        }))
    }
}

/// `POST /api/public/lookup` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub code: String,
}

/// What a citizen sees.
#[derive(Debug, Serialize)]
pub struct PublicTicket {
    /// 工单编号.
    pub number: String,
    /// 状态.
    pub status: String,
    /// 诉求类型.
    pub request_type: String,
    /// 诉求标题.
    pub title: String,
    /// 来电人 (masked).
    pub caller: String,
    /// 承办单位.
    pub handling_unit: Option<String>,
    /// 登记时间 (Unix ms).
    pub created_at: Option<i64>,
    /// 办理时限 (Unix ms).
    pub due_at: Option<i64>,
    /// 办结时间 (Unix ms).
    pub closed_at: Option<i64>,
    /// 答复内容 (the public reply, once accepted).
    pub reply: Option<String>,
}

/// Looks a ticket up by number and query code.
pub async fn lookup(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    body: Result<Json<LookupRequest>, JsonRejection>,
) -> Result<Json<PublicTicket>, ApiError> {
    let Json(req) = body?;
    let now = state.now();
    let number = req.number.trim().to_string();
    if number.chars().count() > 40 || req.code.chars().count() > 40 {
        return Err(ApiError::bad_request("工单编号或查询码格式不正确"));
    }
    if state.lookups.addr_locked(addr, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "查询失败次数过多，请15分钟后再试",
        ));
    }
    if state.lookups.locked(&number, now) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked",
            "查询码错误次数过多，请15分钟后再试",
        ));
    }
    let wrong = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "工单编号或查询码不正确");
    let Some(view) = state.store.ticket(number.clone()).await? else {
        state.lookups.fail(&number, addr, now);
        return Err(wrong());
    };
    let Some(stored) = state.store.query_code_hash(view.id.clone()).await? else {
        return Err(wrong());
    };
    if view.number != number || query_code_hash(&view.id, &req.code) != stored {
        state.lookups.fail(&number, addr, now);
        return Err(wrong());
    }
    let refdata = state.refdata();
    let s = &view.state;
    let reply = s
        .final_reply
        .as_ref()
        .map(|r| r.public_reply.clone())
        .or_else(|| s.direct_answer.clone());
    Ok(Json(PublicTicket {
        number: view.number.clone(),
        status: s.status.label().to_string(),
        request_type: s.request_type.label().to_string(),
        title: s.title.clone(),
        caller: mask_name(&view.intake.caller_name),
        handling_unit: s.lead.as_ref().map(|l| {
            refdata
                .org
                .get(&l.unit)
                .map(|u| u.name.clone())
                .unwrap_or_else(|| l.unit.clone())
        }),
        created_at: s.created_at,
        due_at: s.due_at(),
        closed_at: s.closed_at,
        reply,
    }))
}
