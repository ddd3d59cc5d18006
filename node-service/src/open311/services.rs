//! Open311 services: the catalogue's subjects. Every service takes the `request_type` attribute
//! (咨询, 投诉 …: the time limit depends on it); a subject with no default handling unit is
//! triaged by the centre itself and offered as a `batch` service.

use axum::http::StatusCode;
use axum::response::Response;
use hotline_model::category::Subject;
use serde_json::{Value, json};

use super::{Format, Open311Error};
use crate::state::AppState;

/// The attribute every service takes.
pub const REQUEST_TYPE: &str = "request_type";

/// Whether a subject's requests are queued (`batch`) rather than registered at once.
pub fn is_batch(s: &Subject) -> bool {
    s.default_units.is_empty()
}

fn service(s: &Subject) -> Value {
    json!({
        "service_code": s.code,
        "service_name": s.path.last().cloned().unwrap_or_default(),
        "description": s.display(),
        "metadata": true,
        "type": if is_batch(s) { "batch" } else { "realtime" },
        "keywords": s.path.join(","),
        "group": s.path.first().cloned().unwrap_or_default(),
    })
}

/// `GET services.{fmt}`.
pub fn list(state: &AppState, fmt: Format) -> Response {
    let rd = state.refdata();
    let all: Vec<Value> = rd.catalogue.subjects().map(service).collect();
    fmt.answer(StatusCode::OK, "services", "service", &Value::Array(all))
}

/// `GET services/{code}.{fmt}`: the attribute definitions.
pub fn definition(state: &AppState, code: &str, fmt: Format) -> Result<Response, Open311Error> {
    let rd = state.refdata();
    let subject = rd
        .catalogue
        .subject(code)
        .ok_or_else(|| Open311Error::new(StatusCode::NOT_FOUND, format!("没有服务 {code}")))?;
    let values: Vec<Value> = rd
        .catalogue
        .rules()
        .map(|r| json!({ "key": r.code.code(), "name": format!("{}（{}个工作日）", r.name, r.limit_days) }))
        .collect();
    let def = json!({
        "service_code": subject.code,
        "attributes": [{
            "variable": true,
            "code": REQUEST_TYPE,
            "datatype": "singlevaluelist",
            "required": false,
            "datatype_description": "诉求类型，不填按“投诉”办理",
            "order": 1,
            "description": "诉求类型",
            "values": values,
        }],
    });
    Ok(fmt.answer(StatusCode::OK, "service_definition", "attribute", &def))
}
