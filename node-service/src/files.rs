//! Files of orders as the web faces serve them: with range requests, so a recording plays and seeks.
//! Who may open, attach and keep files is the core's (`hotline_operations::files`, re-exported).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use hotline_model::file::clean_name;
pub use hotline_operations::files::*;
use tower::ServiceExt;

use crate::http_common::error::ApiError;

/// Serves an opened file to a browser: its type from the order, shown inline, with range
/// requests (a recording plays and seeks), cached privately (the content never changes).
pub async fn serve(opened: Opened, headers: &HeaderMap) -> Response {
    let mut req = Request::new(Body::empty());
    for name in [header::RANGE, header::IF_RANGE, header::IF_MODIFIED_SINCE] {
        if let Some(v) = headers.get(&name) {
            req.headers_mut().insert(name, v.clone());
        }
    }
    let service = tower_http::services::ServeFile::new_with_mime(
        &opened.path,
        &opened.named.file.media_type.parse().unwrap_or(mime_octet()),
    );
    let mut res = match service.oneshot(req).await {
        Ok(r) => r.map(Body::new),
        Err(e) => return ApiError::internal("serving a file", e).into_response(),
    };
    let name = clean_name(&opened.named.file.name, "附件");
    let disposition = format!(
        "inline; filename*=UTF-8''{}",
        percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC)
    );
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn mime_octet() -> mime::Mime {
    mime::APPLICATION_OCTET_STREAM
}
