//! What an operation refuses: a [`Kind`] (which each face maps to its own answer), a stable code,
//! the message for the user in Chinese and structured detail. Faults are logged where they happen
//! and described to nobody.

use replica_store::StoreError;
use serde_json::json;

/// Why an operation failed, in the terms every face can answer in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The request is malformed (a field of the wrong shape, a bad cursor).
    BadInput,
    /// Well-formed, but a value breaks a rule or names something unknown.
    Invalid,
    /// Nobody is signed in, or the credentials are wrong.
    Unauthenticated,
    /// The acting user may not do this.
    Forbidden,
    /// The thing asked for does not exist (or may not be seen).
    NotFound,
    /// The current state forbids it (the workflow, a duplicate).
    Conflict,
    /// It existed and is gone for good (a file past its retention).
    Gone,
    /// The request is larger than accepted.
    TooLarge,
    /// A kind of content that is not accepted.
    UnsupportedType,
    /// Too many attempts: wait and try again.
    Limited,
    /// A system this node relies on (the parent node, the telephony) failed.
    Upstream,
    /// The node cannot serve it now (stopping, busy).
    Unavailable,
    /// A fault of this node.
    Internal,
}

/// A refused or failed operation.
#[derive(Debug)]
pub struct OpError {
    /// Which kind of failure.
    pub kind: Kind,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Message for the user, in Chinese.
    pub message: String,
    /// Structured detail (the rejected field, the workflow rule).
    pub detail: serde_json::Value,
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for OpError {}

impl OpError {
    /// An error of `kind`.
    pub fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> Self {
        OpError {
            kind,
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

    /// A malformed request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Kind::BadInput, "bad_request", message)
    }

    /// Nothing of that name (or nothing the user may see).
    pub fn not_found(what: &str) -> Self {
        Self::new(Kind::NotFound, "not_found", format!("未找到：{what}"))
    }

    /// A fault, logged with what failed; the user learns nothing of it.
    pub fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "{what}");
        Self::new(Kind::Internal, "internal", "服务器内部错误，请稍后重试")
    }

    /// A role or scope refusal.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, "forbidden", message)
    }

    /// A value that names something unknown (unit, category, user).
    pub fn unknown(field: &str, value: &str) -> Self {
        Self::new(
            Kind::Invalid,
            "unknown_reference",
            format!("{field} 不存在：{value}"),
        )
        .with_detail(json!({ "field": field, "value": value }))
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => OpError::not_found(&what),
            StoreError::Rejected(r) => {
                OpError::new(Kind::Conflict, "workflow_rejected", r.message_zh())
                    .with_detail(serde_json::to_value(&r).unwrap_or_default())
            }
            StoreError::Invalid(f) => {
                OpError::new(Kind::Invalid, "invalid_field", format!("字段不合要求：{f}"))
                    .with_detail(serde_json::to_value(&f).unwrap_or_default())
            }
            StoreError::BadCursor(c) => OpError::bad_request(format!(
                "翻页参数 after 有误：{c}；请使用上一页返回的 next 值"
            )),
            StoreError::Closed => {
                OpError::new(Kind::Unavailable, "unavailable", "服务正在停止，请稍后重试")
            }
            other => OpError::internal("store failure", other),
        }
    }
}
