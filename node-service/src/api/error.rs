//! API errors: a status code and a JSON body `{ "error": code, "message": 中文说明, "detail": … }`.
//! Server faults are logged and not described to the client.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
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
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未找到：{what}"),
        )
    }

    /// 500 for a fault, logged with `what` failed; the client learns nothing of it.
    pub fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "{what}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试",
        )
    }

    /// 403 for a role or scope refusal.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 422 for a value that names something unknown (unit, category, user).
    pub fn unknown(field: &str, value: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_reference",
            format!("{field} 不存在：{value}"),
        )
        .with_detail(json!({ "field": field, "value": value }))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "message": self.message, "detail": self.detail });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(&what),
            StoreError::Rejected(r) => {
                ApiError::new(StatusCode::CONFLICT, "workflow_rejected", r.message_zh())
                    .with_detail(serde_json::to_value(&r).unwrap_or_default())
            }
            StoreError::Invalid(f) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("字段不合要求：{f}"),
            )
            .with_detail(serde_json::to_value(&f).unwrap_or_default()),
            StoreError::BadCursor(c) => ApiError::bad_request(format!(
                "翻页参数 after 有误：{c}；请使用上一页返回的 next 值"
            )),
            StoreError::Closed => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "服务正在停止，请稍后重试",
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器内部错误，请稍后重试",
                )
            }
        }
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
