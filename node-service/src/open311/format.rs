//! The two faces of every Open311 answer: XML (the specification's element names) and JSON, from
//! one JSON value; and the specification's error format.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The answer format, from the path's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.xml`
    Xml,
    /// `.json`
    Json,
}

impl Format {
    /// Splits `services.json` into (`services`, Json); refuses a missing or unknown extension.
    pub fn split(name: &str) -> Result<(&str, Format), Open311Error> {
        let (stem, ext) = name
            .rsplit_once('.')
            .ok_or_else(|| Open311Error::bad("请在路径末尾注明格式：.xml 或 .json"))?;
        match ext {
            "xml" => Ok((stem, Format::Xml)),
            "json" => Ok((stem, Format::Json)),
            _ => Err(Open311Error::bad("格式只能是 .xml 或 .json")),
        }
    }

    /// `value` as an answer: `root` is the XML root element, `item` the element of each entry of
    /// a list (an object is written as the root's children).
    pub fn answer(self, status: StatusCode, root: &str, item: &str, value: &Value) -> Response {
        let (body, content_type) = match self {
            Format::Json => (value.to_string(), "application/json; charset=utf-8"),
            Format::Xml => {
                let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
                match value {
                    Value::Array(items) => {
                        open(&mut out, root);
                        for v in items {
                            element(&mut out, item, v);
                        }
                        close(&mut out, root);
                    }
                    other => element(&mut out, root, other),
                }
                (out, "text/xml; charset=utf-8")
            }
        };
        let mut r = (status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The element an entry of a list is written as.
fn singular(list: &str) -> &str {
    match list {
        "attributes" => "attribute",
        "values" => "value",
        "keywords" => "keyword",
        "errors" => "error",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

fn element(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Object(map) => {
            open(out, name);
            for (k, v) in map {
                element(out, k, v);
            }
            close(out, name);
        }
        Value::Array(items) => {
            open(out, name);
            let each = singular(name);
            for v in items {
                element(out, each, v);
            }
            close(out, name);
        }
        Value::String(s) => {
            open(out, name);
            escape_into(out, s);
            close(out, name);
        }
        other => {
            open(out, name);
            out.push_str(&other.to_string());
            close(out, name);
        }
    }
}

/// XML text escaping; characters XML 1.0 cannot carry are dropped.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// An Open311 error: its HTTP status and a description.
#[derive(Debug, Clone)]
pub struct Open311Error {
    /// 400, 403, 404 …
    pub status: StatusCode,
    /// What is wrong, in Chinese.
    pub description: String,
}

impl Open311Error {
    /// An error with `status`.
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
        }
    }

    /// A 400.
    pub fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    /// The error in the specification's format.
    pub fn into_response_as(self, fmt: Format) -> Response {
        let body = json!([{ "code": self.status.as_u16(), "description": self.description }]);
        fmt.answer(self.status, "errors", "error", &body)
    }
}

impl From<crate::http_common::error::ApiError> for Open311Error {
    fn from(e: crate::http_common::error::ApiError) -> Self {
        Open311Error::new(e.status, e.message)
    }
}

impl From<hotline_operations::OpError> for Open311Error {
    fn from(e: hotline_operations::OpError) -> Self {
        crate::http_common::error::ApiError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names_lists_by_their_entries_and_escapes_text() {
        let v = json!([{ "service_code": "A&B", "keywords": ["电梯", "<物业>"], "empty": null }]);
        let r = Format::Xml.answer(StatusCode::OK, "services", "service", &v);
        assert_eq!(r.status(), StatusCode::OK);
        let mut out = String::new();
        for item in v.as_array().unwrap() {
            element(&mut out, "service", item);
        }
        assert_eq!(
            out,
            "<service><empty/><keywords><keyword>电梯</keyword><keyword>&lt;物业&gt;</keyword></keywords><service_code>A&amp;B</service_code></service>"
        );
        assert_eq!(
            Format::split("services.json").unwrap(),
            ("services", Format::Json)
        );
        assert!(Format::split("services.html").is_err());
        assert!(Format::split("services").is_err());
    }
}
