//! The order page: the intake (masked as the viewer's role requires; the view is audited, as
//! `GET /api/tickets/{key}`), the units' parts with their deadlines, a readable timeline with the
//! actions that lost to another office's shown plainly, and only the actions this user may take
//! now. Actions post to `/staff/orders/{number}/act` and go through `api::tickets::act_on`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hotline_model::event::Action;
use hotline_model::refdata::ReferenceData;
use hotline_model::role::User;
use hotline_model::ticket::TicketView;
use hotline_model::workflow::{AssignmentStatus, Part};
use serde::Deserialize;
use web::{Fact, Flash, OrderPage, PartRow, TimelineItem};

use super::format::{due, local_time, unit_name, url_encode, user_name};
use super::{Staff, error_page, forms, layout, render};
use crate::state::AppState;
use hotline_operations::tickets::{act_on, view};

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.into(),
        value: value.into(),
    }
}

fn yes(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

/// What an event did, in words, with its details.
fn describe(a: &Action, rd: &ReferenceData) -> String {
    let units = |list: &mut dyn Iterator<Item = &str>| {
        list.map(|u| unit_name(rd, u))
            .collect::<Vec<_>>()
            .join("、")
    };
    match a {
        Action::Created => String::new(),
        Action::AnswerDirectly { answer } => format!("答复：{answer}"),
        Action::Review { accept, note, .. } => {
            let verdict = if *accept { "通过" } else { "退回话务员" };
            if note.is_empty() {
                verdict.into()
            } else {
                format!("{verdict}：{note}")
            }
        }
        Action::Resubmit { note } => note.clone(),
        Action::Dispatch {
            lead,
            co,
            note,
            final_assignment,
        } => {
            let mut s = format!("主办：{}", unit_name(rd, &lead.unit));
            if !co.is_empty() {
                s.push_str(&format!(
                    "；协办：{}",
                    units(&mut co.iter().map(|c| c.unit.as_str()))
                ));
            }
            s.push_str(&format!("；办理时限 {}", local_time(lead.due_at)));
            if *final_assignment {
                s.push_str("；中心审定，不得退回");
            }
            if !note.is_empty() {
                s.push_str(&format!("；{note}"));
            }
            s
        }
        Action::Transfer { to, co, note } => {
            let mut s = format!("转至：{}", unit_name(rd, &to.unit));
            if !co.is_empty() {
                s.push_str(&format!(
                    "；加派：{}",
                    units(&mut co.iter().map(|c| c.unit.as_str()))
                ));
            }
            if !note.is_empty() {
                s.push_str(&format!("；{note}"));
            }
            s
        }
        Action::Sign => String::new(),
        Action::Return { reason } => format!("理由：{reason}"),
        Action::RequestExtension { until, reason } => {
            format!("申请延至 {}；理由：{reason}", local_time(*until))
        }
        Action::ApproveExtension {
            for_unit,
            until,
            note,
        } => format!(
            "批准 {} 延至 {}{}",
            unit_name(rd, for_unit),
            local_time(*until),
            if note.is_empty() {
                String::new()
            } else {
                format!("；{note}")
            }
        ),
        Action::RejectExtension { for_unit, reason } => {
            format!("驳回 {} 的延期申请：{reason}", unit_name(rd, for_unit))
        }
        Action::Reply {
            founded,
            solved,
            public_reply,
            internal_note,
        } => {
            let mut s = format!(
                "属实：{}；解决：{}\n答复市民：{public_reply}",
                yes(*founded),
                yes(*solved)
            );
            if !internal_note.is_empty() {
                s.push_str(&format!("\n内部说明：{internal_note}"));
            }
            s
        }
        Action::ReviewResult { accept, reason, .. } => {
            if *accept {
                "通过".into()
            } else {
                format!("退回重办：{reason}")
            }
        }
        Action::Callback {
            satisfaction,
            note,
            channel,
        } => {
            if note.is_empty() {
                format!("{}回访，评价：{}", channel.label(), satisfaction.label())
            } else {
                format!(
                    "{}回访，评价：{}；{note}",
                    channel.label(),
                    satisfaction.label()
                )
            }
        }
        Action::Reopen { reason, .. } => format!("理由：{reason}"),
        Action::Rate {
            satisfaction,
            solved,
            comment,
        } => {
            let mut s = format!(
                "市民在网站评价：{}；问题{}解决",
                satisfaction.label(),
                if *solved { "已" } else { "未" }
            );
            if !comment.is_empty() {
                s.push_str(&format!("\n留言：{comment}"));
            }
            if !*solved || *satisfaction == hotline_model::event::Satisfaction::Unsatisfied {
                s.push_str("\n待中心重办审核");
            }
            s
        }
        Action::KeepClosed { reason } => format!("理由：{reason}"),
        Action::Close { publish, note } => {
            let p = if *publish {
                "公示办理结果"
            } else {
                "不公示"
            };
            if note.is_empty() {
                p.into()
            } else {
                format!("{p}；{note}")
            }
        }
        Action::Merge { master } => format!("并入 {master}"),
        Action::Urge { target, note } => format!("催办 {}：{note}", unit_name(rd, target)),
        Action::Supervise {
            target,
            level,
            note,
        } => format!("{} {}：{note}", level.label(), unit_name(rd, target)),
    }
}

fn part_status(s: AssignmentStatus) -> &'static str {
    match s {
        AssignmentStatus::AwaitingSign => "待签收",
        AssignmentStatus::Handling => "办理中",
        AssignmentStatus::Replied => "已反馈",
        AssignmentStatus::Returned => "已退回",
        AssignmentStatus::Superseded => "已转派",
    }
}

/// The page of `view` for `user` at `now`.
pub fn build(
    state: &AppState,
    user: &User,
    view: &TicketView,
    now: i64,
    flash: Option<Flash>,
    unit_phrases: &[replica_store::phrases_doc::Phrase],
) -> OrderPage {
    let rd = state.refdata();
    let s = &view.state;
    let i = &view.intake;
    let mut l = layout(state, user, &format!("工单 {}", view.number), "");
    l.flash = flash;
    let mut intake = vec![
        fact(
            "来电人",
            if i.caller_name.is_empty() {
                "（未留姓名）".to_owned()
            } else {
                i.caller_name.clone()
            },
        ),
        fact("来电号码", i.caller_phone.clone()),
        fact("事发地址", i.address.clone()),
        fact("来源渠道", i.channel.label()),
        fact("诉求类型", s.request_type.label()),
        fact(
            "诉求类别",
            rd.catalogue
                .subject(&s.subject)
                .map_or_else(|| s.subject.clone(), |c| c.display()),
        ),
        fact("紧急", yes(s.urgent)),
        fact("保密", yes(i.confidential)),
        fact(
            "登记",
            s.created_at.map(local_time).unwrap_or_default()
                + &format!("，{}节点", view.created_node),
        ),
    ];
    if !i.area.is_empty() {
        let names: Vec<String> = i.area.iter().map(|u| rd.unit_name(u)).collect();
        intake.insert(3, fact("所属区域", names.join(" › ")));
    }
    if let Some(call) = &i.call_id {
        intake.push(fact("来电通话", format!("通话标识 {call}（见通话记录）")));
    }
    let returns = s.returns();
    let mut figures = Vec::new();
    if returns > 0 {
        figures.push(fact("被退回次数", format!("{returns} 次")));
    }
    if s.lead.as_ref().is_some_and(|a| a.final_assignment) {
        figures.push(fact("派单方式", "中心审定，承办单位不得退回"));
    }
    if s.redo_count > 0 {
        figures.push(fact("重办次数", format!("{} 次", s.redo_count)));
    }
    if let Some(sat) = s.satisfaction {
        figures.push(fact("市民评价", sat.label()));
    }
    let parts = s
        .lead
        .iter()
        .chain(s.co.iter())
        .chain(s.past.iter())
        .map(|a| {
            let (countdown, mark) = if a.is_active() {
                due(&rd, now, a.due_at)
            } else {
                (String::new(), "")
            };
            let mut notes = Vec::new();
            if a.extensions > 0 {
                notes.push(format!("已延期 {} 次", a.extensions));
            }
            if let Some(r) = &a.extension_request {
                notes.push(format!("申请延期至 {}", local_time(r.until)));
            }
            if a.urges > 0 {
                notes.push(format!("催办 {} 次", a.urges));
            }
            if let Some(level) = a.supervision {
                notes.push(level.label().to_owned());
            }
            if let Some(r) = &a.return_reason {
                notes.push(format!("退回理由：{r}"));
            }
            PartRow {
                unit: unit_name(&rd, &a.unit),
                part: if a.part == Part::Lead {
                    "主办"
                } else {
                    "协办"
                }
                .into(),
                status: part_status(a.status).into(),
                due: local_time(a.due_at),
                countdown,
                mark,
                notes: notes.join("；"),
            }
        })
        .collect();
    let lost: std::collections::BTreeMap<&str, String> = s
        .conflicts
        .iter()
        .map(|c| (c.event_id.as_str(), c.rejection.message_zh()))
        .collect();
    let timeline = view
        .events
        .iter()
        .map(|e| TimelineItem {
            when: local_time(e.hlc.wall_ms),
            who: user_name(&rd, &e.author),
            place: format!("{} · {}节点", unit_name(&rd, &e.unit), e.node),
            what: e.action.kind().label().into(),
            detail: describe(&e.action, &rd),
            conflict: lost.get(e.id.as_str()).cloned(),
        })
        .collect();
    let reply = s.public_reply();
    OrderPage {
        l,
        number: view.number.clone(),
        title: s.title.clone(),
        status: s.status.label().into(),
        intake,
        content: i.content.clone(),
        figures,
        parts,
        timeline,
        conflicts: s.conflicts.len(),
        files: file_rows(view, &rd),
        actions: forms::available(user, view, &rd, now, &state.config.node_code, unit_phrases),
        reply,
    }
}

/// `?done=` after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /staff/orders/{number}`.
pub async fn page(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(number): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    // The unit's templates are read while the order is read and its view audited.
    let (viewed, phrases) = tokio::join!(
        view(&state, &user, &number),
        state.store.phrases(user.unit.clone())
    );
    match viewed {
        Ok(v) => {
            let flash = q.done.map(|d| Flash {
                kind: "ok",
                text: format!("已办理：{d}"),
            });
            let phrases = phrases.unwrap_or_default();
            render(&build(&state, &user, &v, state.now(), flash, &phrases))
        }
        Err(e) => error_page(layout(&state, &user, "工单", ""), &e),
    }
}

/// The order's files as its page lists them: the citizen's photos, then the files named later.
fn file_rows(view: &TicketView, rd: &ReferenceData) -> Vec<web::FileRow> {
    let size = |n: u64| {
        if n >= 1024 * 1024 {
            format!("{:.1} MB", n as f64 / 1_048_576.0)
        } else {
            format!("{} KB", n.div_ceil(1024))
        }
    };
    let href = |sha: &str| format!("/staff/orders/{}/files/{}", view.number, sha);
    let citizen = view.intake.attachments.iter().map(|a| {
        let kind = hotline_model::file::kind_of_type(&a.media_type);
        web::FileRow {
            href: href(&a.sha256),
            name: a.name.clone(),
            kind: kind.as_str().into(),
            kind_label: kind.label().into(),
            size: size(a.size),
            added: "市民提交".into(),
            removed: None,
        }
    });
    let later = view.files.iter().map(|f| web::FileRow {
        href: href(&f.file.sha256),
        name: f.file.name.clone(),
        kind: f.kind.as_str().into(),
        kind_label: f.kind.label().into(),
        size: size(f.file.size),
        added: if f.added_by == "telephony" {
            format!("话务系统 {}", local_time(f.added_at))
        } else {
            format!(
                "{} · {} {}",
                unit_name(rd, &f.unit),
                user_name(rd, &f.added_by),
                local_time(f.added_at)
            )
        },
        removed: f
            .removed
            .as_ref()
            .map(|r| format!("已于 {} 删除：{}", local_time(r.at), r.reason)),
    });
    citizen.chain(later).collect()
}

/// `GET /staff/orders/{number}/files/{sha256}`: a file of the order, for those who may see the
/// order; fetched from the parent node the first time; range requests for playing and seeking.
pub async fn file(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path((number, sha)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Response {
    match crate::files::open(&state, &user, &number, &sha).await {
        Ok(opened) => crate::files::serve(opened, &headers).await,
        Err(e) => error_page(layout(&state, &user, "附件", ""), &e),
    }
}

/// `POST /staff/orders/{number}/files`: a unit's photo or PDF from the order page.
pub async fn upload(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(number): Path<String>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        let mut form = form.map_err(|e| hotline_operations::OpError::bad_request(e.body_text()))?;
        let too_large = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                hotline_operations::OpError::new(
                    hotline_operations::Kind::TooLarge,
                    "too_large",
                    "文件太大：照片不超过 10 MB，PDF 文件不超过 20 MB",
                )
            } else {
                hotline_operations::OpError::bad_request("文件没有完整收到，请重新上传")
            }
        };
        while let Some(field) = form.next_field().await.map_err(too_large)? {
            if field.name() != Some("file") {
                continue;
            }
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(too_large)?;
            if bytes.is_empty() {
                break;
            }
            return crate::files::attach(&state, &user, &number, &name, bytes.to_vec()).await;
        }
        Err(hotline_operations::OpError::bad_request(
            "请选择要上传的文件",
        ))
    }
    .await;
    match result {
        Ok(v) => Redirect::to(&format!(
            "/staff/orders/{}?done={}",
            v.number,
            url_encode("上传文件")
        ))
        .into_response(),
        Err(e) => match view(&state, &user, &number).await {
            Ok(v) => {
                let flash = Flash {
                    kind: "error",
                    text: format!("上传未完成：{}", e.message),
                };
                let mut resp = render(&build(&state, &user, &v, state.now(), Some(flash), &[]));
                *resp.status_mut() = crate::http_common::status_of(e.kind);
                resp
            }
            Err(e2) => error_page(layout(&state, &user, "工单", ""), &e2),
        },
    }
}

/// `POST /staff/orders/{number}/act`: one action from the order page or a list's button.
pub async fn act(
    State(state): State<AppState>,
    Staff(user): Staff,
    Path(number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let back = pairs
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.clone())
        .filter(|b| b.starts_with("/staff/") && !b.starts_with("//"));
    let label = pairs
        .iter()
        .find(|(k, _)| k == "action")
        .and_then(|(_, v)| {
            serde_json::from_value::<hotline_model::event::ActionKind>(v.clone().into()).ok()
        })
        .map_or("操作", |k| k.label());
    let result = match forms::to_request(&pairs) {
        Ok(req) => act_on(&state, &user, &number, req)
            .await
            .map_err(|e| (crate::http_common::status_of(e.kind), e.message)),
        Err(msg) => Err((StatusCode::UNPROCESSABLE_ENTITY, msg)),
    };
    match result {
        Ok(v) => {
            let to = match back {
                Some(b) => b,
                // Returned or handed on out of this user's reach: back to their list.
                None if !hotline_operations::tickets::may_see(&state, &user, &v) => format!(
                    "{}?done={}",
                    super::home_of(user.role),
                    url_encode(&format!(
                        "已办理：{label}（工单 {} 已移出本单位）",
                        v.number
                    ))
                ),
                None => format!("/staff/orders/{}?done={}", v.number, url_encode(label)),
            };
            Redirect::to(&to).into_response()
        }
        Err((status, msg)) => match view(&state, &user, &number).await {
            Ok(v) => {
                let flash = Flash {
                    kind: "error",
                    text: format!("{label}未完成：{msg}"),
                };
                // The page again with the reason: a refusal is no failed load, a fault is.
                let status = if status.is_server_error() {
                    status
                } else {
                    StatusCode::OK
                };
                let phrases = state
                    .store
                    .phrases(user.unit.clone())
                    .await
                    .unwrap_or_default();
                let page = build(&state, &user, &v, state.now(), Some(flash), &phrases);
                (status, render(&page)).into_response()
            }
            Err(e) => error_page(layout(&state, &user, "工单", ""), &e),
        },
    }
}
