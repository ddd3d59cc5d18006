//! Open311 service requests: filing (realtime, or batch with a token), reading, searching.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use hotline_model::category::RequestType;
use hotline_model::intake::{Channel, GeoPoint, Intake};
use hotline_model::role::{Role, User};
use hotline_model::ticket::TicketView;
use hotline_model::workflow::Status;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::services::{REQUEST_TYPE, is_batch};
use super::{Format, Open311Error};
use crate::citizen::submit::register;
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// The longest date window of a search.
const MAX_WINDOW_DAYS: i64 = 90;
/// The most requests a search answers.
const MAX_RESULTS: u32 = 1000;
/// The most ids in one `service_request_id` list.
const MAX_IDS: usize = 100;

/// ISO 8601 in Beijing time: `2026-11-24T10:00:00+08:00`.
pub fn iso(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(hotline_model::number::LOCAL_OFFSET_HOURS, 0, 0)
        .unwrap_or(time::UtcOffset::UTC);
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_iso(text: &str) -> Result<i64, Open311Error> {
    time::OffsetDateTime::parse(
        text.trim(),
        &time::format_description::well_known::Iso8601::DEFAULT,
    )
    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
    .map_err(|_| {
        Open311Error::bad(format!(
            "时间“{text}”不是带时区的 ISO 8601 格式，例如 2026-11-24T10:00:00+08:00"
        ))
    })
}

/// The app a request's `api_key` names, if it is a live key of an `app` account.
fn app_of(state: &AppState, key: Option<&str>) -> Result<Option<User>, Open311Error> {
    let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let hash = crate::auth::secret_hash(key);
    let refdata = state.refdata();
    match state.auth.resolve_token(&refdata.users, &hash) {
        Ok(p) if p.user.role == Role::App => Ok(Some(p.user)),
        _ => Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            "api_key 无效或已停用",
        )),
    }
}

/// What an Open311 client sends to file a request, kept as is in the batch queue.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Filing {
    service_code: String,
    request_type: RequestType,
    location: Option<GeoPoint>,
    address: String,
    name: String,
    phone: String,
    description: String,
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn filing(state: &AppState, form: &[(String, String)]) -> Result<Filing, Open311Error> {
    let rd = state.refdata();
    let code = field(form, "service_code").ok_or_else(|| Open311Error::bad("缺少 service_code"))?;
    if rd.catalogue.subject(code).is_none() {
        return Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            format!("没有服务 {code}"),
        ));
    }
    let number = |name: &str| -> Result<Option<f64>, Open311Error> {
        field(form, name)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .map_err(|_| Open311Error::bad(format!("{name} 不是数字")))
            })
            .transpose()
    };
    let location = match (number("lat")?, number("long")?) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Some(GeoPoint { lat, lon })
        }
        (Some(_), Some(_)) => return Err(Open311Error::bad("lat/long 超出范围")),
        (None, None) => None,
        _ => return Err(Open311Error::bad("lat 和 long 须同时提供")),
    };
    let mut address = field(form, "address_string")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if let Some(id) = field(form, "address_id")
        && address.is_empty()
    {
        address = format!("地址编码 {}", id.trim());
    }
    if location.is_none() && address.is_empty() {
        return Err(Open311Error::bad(
            "缺少位置：请提供 lat 和 long，或 address_string，或 address_id",
        ));
    }
    if address.chars().count() > 200 {
        return Err(Open311Error::bad("address_string 最多200字"));
    }
    let description = field(form, "description")
        .unwrap_or_default()
        .trim()
        .to_owned();
    if description.is_empty() {
        return Err(Open311Error::bad("缺少 description：请说明诉求内容"));
    }
    if description.chars().count() > 4000 {
        return Err(Open311Error::bad("description 最多4000字"));
    }
    let request_type = match field(form, &format!("attribute[{REQUEST_TYPE}]")) {
        None => RequestType::Complaint,
        Some(t) => RequestType::parse(t.trim()).ok_or_else(|| {
            Open311Error::bad(format!("attribute[{REQUEST_TYPE}] 的取值 {t} 无效"))
        })?,
    };
    let name = format!(
        "{}{}",
        field(form, "last_name").unwrap_or_default().trim(),
        field(form, "first_name").unwrap_or_default().trim()
    );
    let phone = hotline_model::intake::normalize_phone(field(form, "phone").unwrap_or_default());
    let mut description = description;
    if let Some(url) = field(form, "media_url") {
        description.push_str(&format!("\n附图：{}", url.trim()));
    }
    Ok(Filing {
        service_code: code.to_owned(),
        request_type,
        location,
        address,
        name,
        phone,
        description,
    })
}

fn to_intake(state: &AppState, f: &Filing) -> Result<Intake, Open311Error> {
    let rd = state.refdata();
    let subject = rd
        .catalogue
        .subject(&f.service_code)
        .ok_or_else(|| Open311Error::new(StatusCode::NOT_FOUND, "没有这个服务"))?;
    let intake = Intake {
        channel: Channel::Open311,
        caller_name: f.name.clone(),
        caller_phone: f.phone.clone(),
        address: f.address.clone(),
        request_type: f.request_type,
        subject: subject.code.clone(),
        location: f.location,
        title: subject
            .path
            .last()
            .cloned()
            .unwrap_or_else(|| subject.display()),
        content: f.description.clone(),
        attachments: Vec::new(),
        urgent: false,
        confidential: false,
        call_id: None,
        area: Vec::new(),
    }
    .normalized();
    intake
        .validate()
        .map_err(|e| Open311Error::bad(format!("请求内容不合要求：{e}")))?;
    Ok(intake)
}

const NOTICE: &str = "已受理，市12345中心将审核后转交办理单位，在承诺时限内答复。";

/// `POST requests.{fmt}`.
pub async fn create(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (name, fmt) = match Format::split(&resource) {
        Ok(x) => x,
        Err(e) => return e.into_response_as(Format::Xml),
    };
    if name != "requests" {
        return Open311Error::new(StatusCode::NOT_FOUND, "没有这个接口").into_response_as(fmt);
    }
    let answer = async {
        let Form(form) = form.map_err(|_| {
            Open311Error::bad("请求须为 application/x-www-form-urlencoded 表单")
        })?;
        let app = app_of(&state, field(&form, "api_key"))?
            .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "缺少 api_key"))?;
        let f = filing(&state, &form)?;
        let intake = to_intake(&state, &f)?;
        let account = field(&form, "account_id").map(str::to_owned);
        let batch = state
            .refdata()
            .catalogue
            .subject(&f.service_code)
            .is_some_and(is_batch);
        let entry = if batch {
            let token = uuid::Uuid::new_v4().to_string();
            let text = serde_json::to_string(&f).map_err(|e| Open311Error::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let (t, a, now) = (token.clone(), app.login.clone(), state.now());
            state
                .store
                .write(move |ctx| replica_store::intake_queue::insert(ctx.conn, &t, &a, &text, now))
                .await
                .map_err(crate::http_common::error::ApiError::from)?;
            let s = state.clone();
            tokio::spawn(async move { drain(&s).await });
            json!({ "token": token, "service_notice": NOTICE, "account_id": account })
        } else {
            let done = register(&state, &app, intake).await?;
            json!({ "service_request_id": done.number, "service_notice": NOTICE, "account_id": account })
        };
        Ok::<Value, Open311Error>(Value::Array(vec![entry]))
    }
    .await;
    match answer {
        Ok(v) => fmt.answer(StatusCode::OK, "service_requests", "request", &v),
        Err(e) => e.into_response_as(fmt),
    }
}

/// Registers every queued batch request (one at a time; a later call picks up what is left).
pub async fn drain(state: &AppState) {
    static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = RUNNING.lock().await;
    loop {
        let pending = match state
            .store
            .read(|c| replica_store::intake_queue::pending(c, 50))
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the intake queue");
                return;
            }
        };
        if pending.is_empty() {
            return;
        }
        for q in pending {
            let outcome: Result<String, String> = async {
                let f: Filing = serde_json::from_str(&q.request).map_err(|e| e.to_string())?;
                let app = state
                    .refdata()
                    .user(&q.app)
                    .cloned()
                    .ok_or_else(|| format!("应用账号 {} 已不存在", q.app))?;
                let intake = to_intake(state, &f).map_err(|e| e.description)?;
                register(state, &app, intake)
                    .await
                    .map(|d| d.number)
                    .map_err(|e| e.message)
            }
            .await;
            let token = q.token.clone();
            let settled = state
                .store
                .write(move |ctx| {
                    replica_store::intake_queue::settle(
                        ctx.conn,
                        &token,
                        outcome.as_deref().map_err(|e| e.as_str()),
                    )
                })
                .await;
            if let Err(e) = settled {
                tracing::error!(error = %e, "cannot settle a queued request");
                return;
            }
        }
    }
}

/// `GET tokens/{token}.{fmt}`.
pub async fn token(state: &AppState, token: &str, fmt: Format) -> Result<Response, Open311Error> {
    let t = token.to_owned();
    let q = if t.len() > 64 {
        None
    } else {
        state
            .store
            .read(move |c| replica_store::intake_queue::get(c, &t))
            .await
            .map_err(crate::http_common::error::ApiError::from)?
    };
    let q = q.ok_or_else(|| Open311Error::new(StatusCode::NOT_FOUND, "没有这个 token"))?;
    let entry = match (&q.number, &q.failure) {
        (Some(n), _) => json!({ "service_request_id": n, "token": q.token }),
        (None, Some(f)) => return Err(Open311Error::bad(format!("该请求未能受理：{f}"))),
        (None, None) => json!({ "token": q.token }),
    };
    Ok(fmt.answer(
        StatusCode::OK,
        "service_requests",
        "request",
        &json!([entry]),
    ))
}

/// Whether the public (or `app`) may see an order through Open311: published results, and the
/// requests the app filed itself.
fn visible(v: &TicketView, app: Option<&User>) -> bool {
    let public = v.state.published && !v.intake.confidential && v.state.status == Status::Closed;
    let own = app.is_some_and(|a| {
        v.intake.channel == Channel::Open311
            && v.events.first().is_some_and(|e| e.author == a.login)
    });
    public || own
}

/// What Open311 shows of an order: public fields only.
fn public_request(state: &AppState, v: &TicketView) -> Value {
    let rd = state.refdata();
    let s = &v.state;
    let subject = rd.catalogue.subject(&s.subject);
    let closed = s.status.is_final();
    let reply = s.public_reply();
    json!({
        "service_request_id": v.number,
        "status": if closed { "closed" } else { "open" },
        "status_notes": if closed { reply.unwrap_or_else(|| crate::citizen::lookup::plain_status(s.status).into()) }
                        else { crate::citizen::lookup::plain_status(s.status).into() },
        "service_name": subject.and_then(|x| x.path.last().cloned()).unwrap_or_default(),
        "service_code": s.subject,
        "agency_responsible": s.lead.as_ref().map(|l| rd.unit_name(&l.unit)).unwrap_or_default(),
        "service_notice": NOTICE,
        "requested_datetime": s.created_at.map(iso),
        "updated_datetime": iso(s.updated_at),
        "expected_datetime": s.due_at().map(iso),
    })
}

/// `GET requests/{id}.{fmt}`.
pub async fn one(
    state: &AppState,
    query: &[(String, String)],
    id: &str,
    fmt: Format,
) -> Result<Response, Open311Error> {
    let app = app_of(state, field(query, "api_key"))?;
    let missing = || Open311Error::new(StatusCode::NOT_FOUND, format!("没有服务请求 {id}"));
    let number = hotline_model::number::normalize_ticket_number(id);
    if number.is_empty() || number.len() > 40 {
        return Err(missing());
    }
    let v = state
        .store
        .ticket(number)
        .await
        .map_err(crate::http_common::error::ApiError::from)?
        .filter(|v| visible(v, app.as_ref()))
        .ok_or_else(missing)?;
    Ok(fmt.answer(
        StatusCode::OK,
        "service_requests",
        "request",
        &json!([public_request(state, &v)]),
    ))
}

/// `GET requests.{fmt}`.
pub async fn search(
    state: &AppState,
    query: &[(String, String)],
    fmt: Format,
) -> Result<Response, Open311Error> {
    let q: HashMap<&str, &str> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = app_of(state, q.get("api_key").copied())?;
    let status = match q.get("status").map(|s| s.trim()) {
        None | Some("") => None,
        Some(s) => {
            let wanted: Vec<&str> = s.split(',').map(str::trim).collect();
            if wanted.iter().any(|w| *w != "open" && *w != "closed") {
                return Err(Open311Error::bad("status 只能是 open 或 closed"));
            }
            Some(wanted)
        }
    };
    let code = q
        .get("service_code")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    if let Some(c) = code
        && state.refdata().catalogue.subject(c).is_none()
    {
        return Err(Open311Error::new(
            StatusCode::NOT_FOUND,
            format!("没有服务 {c}"),
        ));
    }
    let found: Vec<TicketView> =
        if let Some(ids) = q.get("service_request_id").filter(|s| !s.trim().is_empty()) {
            let ids: Vec<String> = ids
                .split(',')
                .map(hotline_model::number::normalize_ticket_number)
                .filter(|s| !s.is_empty())
                .collect();
            if ids.len() > MAX_IDS {
                return Err(Open311Error::bad(format!(
                    "service_request_id 一次最多{MAX_IDS}个"
                )));
            }
            let mut out = Vec::new();
            for id in ids.into_iter().filter(|i| i.len() <= 40) {
                if let Some(v) = state
                    .store
                    .ticket(id)
                    .await
                    .map_err(crate::http_common::error::ApiError::from)?
                    .filter(|v| visible(v, app.as_ref()))
                {
                    out.push(v);
                }
            }
            out
        } else {
            let now = state.now();
            let end = q.get("end_date").map(|t| parse_iso(t)).transpose()?;
            let start = q.get("start_date").map(|t| parse_iso(t)).transpose()?;
            let (start, end) = match (start, end) {
                (Some(s), Some(e)) => (s, e),
                (Some(s), None) => (s, (s + MAX_WINDOW_DAYS * DAY_MS).min(now.max(s) + 1)),
                (None, Some(e)) => (e - MAX_WINDOW_DAYS * DAY_MS, e),
                (None, None) => (now + 1 - MAX_WINDOW_DAYS * DAY_MS, now + 1),
            };
            if end <= start {
                return Err(Open311Error::bad("end_date 须晚于 start_date"));
            }
            if end - start > MAX_WINDOW_DAYS * DAY_MS {
                return Err(Open311Error::bad("start_date 与 end_date 相隔不能超过90天"));
            }
            let subject = code.map(str::to_owned);
            state
                .store
                .read(move |c| {
                    replica_store::projection::published_registered(
                        c,
                        start,
                        end,
                        subject.as_deref(),
                        MAX_RESULTS,
                    )
                })
                .await
                .map_err(crate::http_common::error::ApiError::from)?
                .into_iter()
                .filter(|v| visible(v, app.as_ref()))
                .collect()
        };
    let items: Vec<Value> = found
        .iter()
        .filter(|v| code.is_none_or(|c| v.state.subject == c))
        .map(|v| public_request(state, v))
        .filter(|r| {
            status
                .as_ref()
                .is_none_or(|w| w.contains(&r["status"].as_str().unwrap_or_default()))
        })
        .collect();
    Ok(fmt.answer(
        StatusCode::OK,
        "service_requests",
        "request",
        &Value::Array(items),
    ))
}
