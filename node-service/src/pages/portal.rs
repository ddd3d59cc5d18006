//! The citizens' website at `/` on the hub: home, filing a request, looking an order up and
//! rating it, the published results, the monthly figures and the service commitments. Every page
//! works without JavaScript; each handler calls the operation in [`crate::citizen`] that the JSON
//! API calls, and only formats its answer.
//!
//! Why one file of this length: the citizens' website is one small face (home, filing, lookup, rating, results, figures, commitments) sharing its layout and large-print switch.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::event::Satisfaction;
use serde::Deserialize;
use web::portal::*;

use super::format::{local_date, local_time, url_encode};
use super::render;
use crate::blobs::{MAX_PHOTO_BYTES, MAX_PHOTOS, image_type};
use crate::citizen;
use crate::citizen::submit::Submission;
use crate::http_common::client::ClientAddr;
use crate::state::AppState;
use hotline_operations::OpError;

/// The cookie that keeps large print on.
const LARGE_COOKIE: &str = "portal_large";

fn large(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == format!("{LARGE_COOKIE}=1"))
}

fn layout(headers: &HeaderMap, title: &str, current: &'static str, here: &str) -> PortalLayout {
    PortalLayout {
        title: title.into(),
        current,
        large: large(headers),
        here: here.into(),
    }
}

/// Whether a request asks for large print (its `portal_large` cookie).
pub fn wants_large(headers: &HeaderMap) -> bool {
    large(headers)
}

/// The page when the citizens' pages are too busy to answer within their budget.
pub fn busy(large: bool) -> Response {
    let mut p = layout(&HeaderMap::new(), "请稍后再试", "home", "/");
    p.large = large;
    message(
        p,
        StatusCode::SERVICE_UNAVAILABLE,
        "访问的人较多",
        "请稍等一会儿再刷新页面；急事请直接拨打12345。",
    )
}

/// A refusal or failure as a citizens' page.
fn message(p: PortalLayout, status: StatusCode, heading: &str, text: &str) -> Response {
    let page = PortalMessage {
        p,
        heading: heading.into(),
        text: text.into(),
    };
    (status, render(&page)).into_response()
}

fn failure(headers: &HeaderMap, e: &OpError) -> Response {
    let heading = if crate::http_common::status_of(e.kind).is_server_error() {
        "系统繁忙"
    } else {
        "未能完成"
    };
    message(
        layout(headers, heading, "home", "/"),
        crate::http_common::status_of(e.kind),
        heading,
        &e.message,
    )
}

/// `GET /`.
pub async fn home(headers: HeaderMap) -> Response {
    render(&PortalHome {
        p: layout(&headers, "首页", "home", "/"),
    })
}

/// `POST /display`: the 大字版 switch.
#[derive(Deserialize)]
pub struct DisplayForm {
    large: String,
    #[serde(default)]
    back: String,
}

/// Sets or clears large print and goes back to the page it was switched on.
pub async fn display(Form(f): Form<DisplayForm>) -> Response {
    // Only a path of this site (never `//host` or a scheme).
    let back = if f.back.starts_with('/') && !f.back.starts_with("//") && !f.back.contains('\\') {
        f.back
    } else {
        "/".into()
    };
    let cookie = if f.large == "1" {
        format!("{LARGE_COOKIE}=1; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly")
    } else {
        format!("{LARGE_COOKIE}=0; Path=/; Max-Age=0; SameSite=Lax; HttpOnly")
    };
    let mut r = Redirect::to(&back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn submit_page(
    state: &AppState,
    headers: &HeaderMap,
    v: SubmitValues,
    chosen: (&str, &str),
    error: Option<String>,
) -> PortalSubmit {
    let rd = state.refdata();
    let types = rd
        .catalogue
        .rules()
        .map(|r| Opt {
            value: r.code.code().into(),
            label: format!("{}（{}个工作日内答复）", r.name, r.limit_days),
            selected: r.code.code() == chosen.0,
        })
        .collect();
    let mut subjects: Vec<OptGroup> = Vec::new();
    for s in rd.catalogue.subjects() {
        let group = s.path.first().cloned().unwrap_or_default();
        let label = s
            .path
            .iter()
            .skip(1)
            .cloned()
            .collect::<Vec<_>>()
            .join(" › ");
        let opt = Opt {
            value: s.code.clone(),
            label: if label.is_empty() {
                group.clone()
            } else {
                label
            },
            selected: s.code == chosen.1,
        };
        match subjects.last_mut() {
            Some(g) if g.label == group => g.options.push(opt),
            _ => subjects.push(OptGroup {
                label: group,
                options: vec![opt],
            }),
        }
    }
    PortalSubmit {
        p: layout(headers, "我要反映", "submit", "/submit"),
        types,
        subjects,
        v,
        error,
        form_id: uuid::Uuid::new_v4().to_string(),
        max_photo_mb: MAX_PHOTO_BYTES / (1024 * 1024),
        max_photos: MAX_PHOTOS,
    }
}

/// `GET /submit`.
pub async fn submit_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    render(&submit_page(
        &state,
        &headers,
        SubmitValues::default(),
        ("complaint", ""),
        None,
    ))
}

/// Reads the multipart form: its text fields, its photos (checked by their bytes and stored), and
/// the first reason a photo was refused. The text is kept either way, to show the form again.
async fn read_form(
    state: &AppState,
    mut form: Multipart,
) -> (
    Submission,
    Vec<hotline_model::intake::Attachment>,
    Option<String>,
) {
    let mut sub = Submission::default();
    let mut photos = Vec::new();
    let mut refused: Option<String> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                refused.get_or_insert_with(|| upload_failed(&e));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = match field.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    refused.get_or_insert_with(|| upload_failed(&e));
                    break;
                }
            };
            if bytes.is_empty() && file_name.is_empty() {
                continue; // no file chosen
            }
            if refused.is_none() {
                match check_and_store(state, &file_name, bytes.to_vec(), photos.len()).await {
                    Ok(a) => photos.push(a),
                    Err(e) => refused = Some(e),
                }
            }
            continue;
        }
        let Ok(text) = field.text().await else {
            refused.get_or_insert_with(|| "表单没有完整收到，请重新提交".into());
            break;
        };
        match name.as_str() {
            "request_type" => sub.request_type = text,
            "subject" => sub.subject = text,
            "address" => sub.address = text,
            "content" => sub.content = text,
            "name" => sub.name = text,
            "phone" => sub.phone = text,
            "confidential" => sub.confidential = text == "true",
            "website" => sub.website = text,
            "form_id" => sub.form_id = text,
            _ => {}
        }
    }
    (sub, photos, refused)
}

fn upload_failed(e: &axum::extract::multipart::MultipartError) -> String {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "照片太大了：一共最多{MAX_PHOTOS}张、每张不超过{}MB",
            MAX_PHOTO_BYTES / (1024 * 1024)
        )
    } else {
        "表单没有完整收到，请重新提交".into()
    }
}

/// Checks one photo (count, size, kind by its bytes) and stores it.
async fn check_and_store(
    state: &AppState,
    file_name: &str,
    bytes: Vec<u8>,
    already: usize,
) -> Result<hotline_model::intake::Attachment, String> {
    if already >= MAX_PHOTOS {
        return Err(format!("照片最多{MAX_PHOTOS}张"));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(format!(
            "照片“{file_name}”超过{}MB，请换一张或压缩后再传",
            MAX_PHOTO_BYTES / (1024 * 1024)
        ));
    }
    let Some(media_type) = image_type(&bytes) else {
        return Err(format!(
            "“{file_name}”不是照片（只能上传 JPG、PNG、WebP、GIF 格式的图片）"
        ));
    };
    let shown: String = file_name.chars().take(60).collect();
    let shown = if shown.trim().is_empty() {
        "照片".to_owned()
    } else {
        shown
    };
    let blobs = state.blobs.clone();
    let failed = |e: String| {
        tracing::error!(error = %e, "saving a photo failed");
        "照片保存失败，请稍后再试".to_string()
    };
    tokio::task::spawn_blocking(move || blobs.put(&shown, media_type, &bytes))
        .await
        .map_err(|e| failed(e.to_string()))?
        .map_err(|e| failed(e.to_string()))
}

/// `POST /submit`.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let again = |sub: &Submission, error: String| {
        let v = SubmitValues {
            address: sub.address.clone(),
            content: sub.content.clone(),
            name: sub.name.clone(),
            phone: sub.phone.clone(),
            confidential: sub.confidential,
        };
        let page = submit_page(
            &state,
            &headers,
            v,
            (&sub.request_type, &sub.subject),
            Some(error),
        );
        (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
    };
    let Ok(form) = form else {
        return again(
            &Submission::default(),
            "表单格式不对，请在本页重新填写".into(),
        );
    };
    let (sub, photos, refused) = read_form(&state, form).await;
    if let Some(e) = refused {
        return again(&sub, e);
    }
    match citizen::submit::submit(&state, addr, sub.clone(), photos).await {
        Ok(done) => render(&PortalSubmitted {
            p: layout(&headers, "提交成功", "submit", "/submit"),
            number: done.number,
            code: done.query_code,
            request_type: done.request_type,
            limit_days: done.limit_days,
            expected_by: local_date(done.expected_by),
        }),
        Err(e) if crate::http_common::status_of(e.kind).is_server_error() => failure(&headers, &e),
        Err(e) => {
            let mut r = again(&sub, e.message.clone());
            *r.status_mut() = crate::http_common::status_of(e.kind);
            r
        }
    }
}

fn card(t: citizen::lookup::PublicTicket) -> OrderCard {
    OrderCard {
        done: t.status_code == "closed",
        number: t.number,
        status: t.status,
        request_type: t.request_type,
        title: t.title,
        caller: t.caller,
        phone: t.phone,
        unit: t.handling_unit.unwrap_or_default(),
        created: t.created_at.map(local_time).unwrap_or_default(),
        due: t.due_at.map(local_date).unwrap_or_default(),
        closed: t.closed_at.map(local_time).unwrap_or_default(),
        reply: t.reply.unwrap_or_default(),
        steps: t
            .steps
            .into_iter()
            .map(|s| StepRow {
                at: local_time(s.at),
                label: s.label,
            })
            .collect(),
        may_rate: t.may_rate,
        rating: t.rating.unwrap_or_default(),
    }
}

fn lookup_page(headers: &HeaderMap) -> PortalLookup {
    PortalLookup {
        p: layout(headers, "办理查询", "lookup", "/lookup"),
        number: String::new(),
        code: String::new(),
        error: None,
        notice: None,
        order: None,
    }
}

/// `GET /lookup`.
pub async fn lookup_form(headers: HeaderMap) -> Response {
    render(&lookup_page(&headers))
}

/// The lookup form.
#[derive(Deserialize)]
pub struct LookupForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
}

/// `POST /lookup`: the order, on the same page (the code never goes into a URL).
pub async fn lookup(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LookupForm>,
) -> Response {
    let mut page = lookup_page(&headers);
    let status = match citizen::lookup::lookup(&state, addr, &f.number, &f.code).await {
        Ok(t) => {
            page.code = f.code;
            page.order = Some(card(t));
            StatusCode::OK
        }
        Err(e) => {
            page.number = f.number;
            page.error = Some(e.message);
            crate::http_common::status_of(e.kind)
        }
    };
    (status, render(&page)).into_response()
}

/// The rating form.
#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    solved: String,
    #[serde(default)]
    comment: String,
}

/// `POST /rate`: records the rating and shows the order again.
pub async fn rate(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<RateForm>,
) -> Response {
    let mut page = lookup_page(&headers);
    let satisfaction = match f.satisfaction.as_str() {
        "satisfied" => Some(Satisfaction::Satisfied),
        "basically_satisfied" => Some(Satisfaction::BasicallySatisfied),
        "unsatisfied" => Some(Satisfaction::Unsatisfied),
        _ => None,
    };
    let solved = match f.solved.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let result = match (satisfaction, solved) {
        (Some(satisfaction), Some(solved)) => {
            citizen::rate::rate(
                &state,
                addr,
                citizen::rate::RateRequest {
                    number: f.number.clone(),
                    code: f.code.clone(),
                    satisfaction,
                    solved,
                    comment: f.comment.clone(),
                },
            )
            .await
        }
        _ => Err(OpError::bad_request("请选择问题是否解决，以及是否满意")),
    };
    let status = match result {
        Ok(t) => {
            let unhappy = solved == Some(false) || satisfaction == Some(Satisfaction::Unsatisfied);
            page.notice = Some(if unhappy {
                "感谢您的评价。您反映问题没有解决或不满意，市12345中心会审核是否需要重新办理，并与您联系。".into()
            } else {
                "感谢您的评价！".into()
            });
            page.code = f.code;
            page.order = Some(card(t));
            StatusCode::OK
        }
        Err(e) => {
            // Show the order again with the reason when the number and code were right (a
            // wrong code or a lockout was already counted: no second lookup).
            page.error = Some(e.message.clone());
            let code_was_right = !matches!(e.code, "not_found" | "locked" | "too_many_attempts");
            if !code_was_right {
                page.number = f.number;
            } else if let Ok(t) = citizen::lookup::lookup(&state, addr, &f.number, &f.code).await {
                page.code = f.code;
                page.order = Some(card(t));
            } else {
                page.number = f.number;
            }
            crate::http_common::status_of(e.kind)
        }
    };
    (status, render(&page)).into_response()
}

/// `?q=&after=` of the results list.
#[derive(Deserialize)]
pub struct ResultsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: Option<String>,
}

fn result_row(r: citizen::published::PublicResult) -> ResultRow {
    ResultRow {
        number: r.number,
        request_type: r.request_type,
        subject: r.subject,
        title: r.title,
        unit: r.handling_unit.unwrap_or_default(),
        created: r.created_at.map(local_date).unwrap_or_default(),
        closed: r.closed_at.map(local_date).unwrap_or_default(),
        reply: r.reply.unwrap_or_default(),
    }
}

/// `GET /results`.
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ResultsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return message(
            layout(&headers, "办理公示", "results", "/results"),
            StatusCode::BAD_REQUEST,
            "链接有误",
            "请从“办理公示”重新打开。",
        );
    };
    let words = (!q.q.trim().is_empty()).then(|| q.q.trim().to_owned());
    let later = q.after.is_some();
    match citizen::published::page(&state, words, q.after, 20).await {
        Ok(page) => {
            let base = if q.q.trim().is_empty() {
                "/results?".to_owned()
            } else {
                format!("/results?q={}&", url_encode(q.q.trim()))
            };
            render(&PortalResults {
                p: layout(&headers, "办理公示", "results", "/results"),
                q: q.q.trim().to_owned(),
                rows: page.results.into_iter().map(result_row).collect(),
                next: page.next.map(|n| format!("{base}after={}", url_encode(&n))),
                first: later.then(|| base.trim_end_matches(['?', '&']).to_owned()),
            })
        }
        Err(e) => failure(&headers, &e),
    }
}

/// `GET /results/{number}`.
pub async fn result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Response {
    match citizen::published::one(&state, &number).await {
        Ok(r) => render(&PortalResult {
            p: layout(
                &headers,
                &r.title.clone(),
                "results",
                &format!("/results/{}", url_encode(&r.number)),
            ),
            r: result_row(r),
        }),
        Err(e) if crate::http_common::status_of(e.kind) == StatusCode::NOT_FOUND => message(
            layout(&headers, "办理公示", "results", "/results"),
            StatusCode::NOT_FOUND,
            "没有这条公示",
            "这条办理结果不存在或没有公示。",
        ),
        Err(e) => failure(&headers, &e),
    }
}

fn rate_text(r: Option<f64>) -> (String, u32) {
    match r {
        Some(x) => (
            format!("{:.1}%", x * 100.0),
            (x * 20.0).round().clamp(0.0, 20.0) as u32,
        ),
        None => ("—".into(), 0),
    }
}

fn figure_row(
    label: String,
    received: u32,
    max: u32,
    closed: u32,
    on_time: Option<f64>,
    sat: Option<f64>,
) -> FigureRow {
    let (on_time, on_time_bar) = rate_text(on_time);
    let (satisfaction, satisfaction_bar) = rate_text(sat);
    FigureRow {
        label,
        received,
        received_bar: if max == 0 {
            0
        } else {
            ((f64::from(received) / f64::from(max)) * 20.0).round() as u32
        },
        closed,
        on_time,
        on_time_bar,
        satisfaction,
        satisfaction_bar,
    }
}

/// `GET /figures`.
pub async fn figures(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let r = match citizen::figures::recent(&state).await {
        Ok(r) => r,
        Err(e) => return failure(&headers, &e),
    };
    let month_label = |m: &str| {
        let (y, mm) = m.split_once('-').unwrap_or((m, ""));
        format!("{y}年{}月", mm.trim_start_matches('0'))
    };
    let max_month = r
        .months
        .iter()
        .map(|m| m.figures.received)
        .max()
        .unwrap_or(0);
    let max_type = r
        .by_type
        .iter()
        .map(|m| m.figures.received)
        .max()
        .unwrap_or(0);
    let max_unit = r
        .by_unit
        .iter()
        .map(|m| m.figures.as_lead)
        .max()
        .unwrap_or(0);
    let page = PortalFigures {
        p: layout(&headers, "数据公开", "figures", "/figures"),
        period: format!("{}至{}", month_label(&r.from), month_label(&r.to)),
        tables: vec![
            FigureTable {
                title: "按月".into(),
                heads: ["月份", "受理", "办结"],
                rows: r
                    .months
                    .iter()
                    .map(|m| {
                        let f = &m.figures;
                        figure_row(
                            month_label(&m.month),
                            f.received,
                            max_month,
                            f.closed,
                            f.on_time_rate,
                            f.satisfaction_rate,
                        )
                    })
                    .collect(),
            },
            FigureTable {
                title: "按诉求类型（近12个月）".into(),
                heads: ["类型", "受理", "办结"],
                rows: r
                    .by_type
                    .iter()
                    .map(|t| {
                        let f = &t.figures;
                        figure_row(
                            t.name.clone(),
                            f.received,
                            max_type,
                            f.closed,
                            f.on_time_rate,
                            f.satisfaction_rate,
                        )
                    })
                    .collect(),
            },
            FigureTable {
                title: "按承办单位（近12个月）".into(),
                heads: ["单位", "承办", "已答复"],
                rows: r
                    .by_unit
                    .iter()
                    .map(|u| {
                        let f = &u.figures;
                        figure_row(
                            u.name.clone(),
                            f.as_lead,
                            max_unit,
                            f.replied,
                            f.on_time_rate,
                            f.satisfaction_rate,
                        )
                    })
                    .collect(),
            },
        ],
        note: r.note.into(),
        computed: local_time(r.computed_at),
    };
    render(&page)
}

/// `GET /commitments`.
pub async fn commitments(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let c = citizen::commitments::all(&state);
    render(&PortalCommitments {
        p: layout(&headers, "服务承诺", "commitments", "/commitments"),
        limits: c
            .limits
            .into_iter()
            .map(|l| LimitRow {
                request_type: l.request_type,
                days: l.days,
                urgent: l.urgent,
            })
            .collect(),
        units: c
            .units
            .into_iter()
            .map(|u| CommitmentRow {
                name: u.name,
                duties: u.duties,
                contact: u.contact,
                subjects: u.subjects.join("、"),
            })
            .collect(),
    })
}
