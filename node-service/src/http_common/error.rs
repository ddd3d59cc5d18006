//! API errors: a status code and a JSON body `{ "error": code, "message": 中文说明, "detail": … }`.
//! Server faults are logged and not described to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hotline_operations::{Kind, OpError};
use replica_store::StoreError;
use serde_json::json;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Message for the user, in Chinese.
    pub message: String,
    /// Structured detail (the rejected field, the workflow rule).
    pub detail: serde_json::Value,
}

impl ApiError {
    /// A 4xx error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: serde_json::Value::Null,
        }
    }

    /// Adds structured detail.
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        OpError::bad_request(message).into()
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        OpError::not_found(what).into()
    }

    /// 500 for a fault, logged with `what` failed; the client learns nothing of it.
    pub fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        OpError::internal(what, e).into()
    }

    /// 403 for a role or scope refusal.
    pub fn forbidden(message: impl Into<String>) -> Self {
        OpError::forbidden(message).into()
    }

    /// 422 for a value that names something unknown (unit, category, user).
    pub fn unknown(field: &str, value: &str) -> Self {
        OpError::unknown(field, value).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "message": self.message, "detail": self.detail });
        (self.status, Json(body)).into_response()
    }
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        ApiError {
            status: status_of(e.kind),
            code: e.code,
            message: e.message,
            detail: e.detail,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        OpError::from(e).into()
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request(format!("查询参数有误：{}", r.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "unsupported_media_type"
        } else {
            "invalid_json"
        };
        let message = match code {
            "payload_too_large" => "请求内容过大".to_string(),
            "unsupported_media_type" => "请求须为 application/json".to_string(),
            _ => "请求内容不是有效的 JSON 或缺少必填字段".to_string(),
        };
        ApiError::new(status, code, message).with_detail(json!({ "reason": r.body_text() }))
    }
}

/// The HTTP status of an operation's failure.
pub fn status_of(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadInput => StatusCode::BAD_REQUEST,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::Gone => StatusCode::GONE,
        Kind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Limited => StatusCode::TOO_MANY_REQUESTS,
        Kind::Upstream => StatusCode::BAD_GATEWAY,
        Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
