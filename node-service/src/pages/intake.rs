//! The operator's intake page: keyboard-only, phone number first (the caller's earlier orders and
//! likely duplicates come up), the category picked by typing, the knowledge base searched live from
//! what is typed, one key to answer from it, and the number and query code large on screen.
//! Registration is `api::tickets::register`, as for `POST /api/tickets`.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use hotline_model::category::RequestType;
use hotline_model::intake::{Channel, Intake, normalize_phone};
use hotline_model::refdata::ReferenceData;
use hotline_operations::Kind;
use replica_store::TicketFilter;
use serde::Deserialize;
use web::{CallerOrder, CallerPanel, Choice, IntakePage, IntakeValues, KbHit, KbPanel, Registered};

use super::format::{code_of, local_time};
use super::{Staff, error_page, layout, render};
use crate::state::AppState;
use hotline_operations::tickets::{CreateRequest, list_for, register};

const CHANNELS: [Channel; 5] = [
    Channel::Phone,
    Channel::Web,
    Channel::Sms,
    Channel::Email,
    Channel::Wechat,
];

/// The intake form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    request_type: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    urgent: Option<String>,
    #[serde(default)]
    confidential: Option<String>,
    /// Set when the operator used a knowledge-base answer (直接办结).
    #[serde(default)]
    answer_id: Option<String>,
    /// The citizen's message being registered (`/staff/drafts`).
    #[serde(default)]
    draft: Option<i64>,
    /// Where it came from, to show the operator.
    #[serde(default)]
    draft_note: String,
    /// The call being taken (from the screen pop).
    #[serde(default)]
    call_id: String,
}

/// A select's value as the enum it names.
fn parse<T: serde::de::DeserializeOwned>(field: &str, v: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| format!("{field}取值无效"))
}

/// The subject code a typed value names: a code, a full name, or the last part of a name.
fn resolve_subject(refdata: &ReferenceData, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if refdata.catalogue.subject(typed).is_some() {
        return Some(typed.to_owned());
    }
    refdata
        .catalogue
        .subjects()
        .find(|s| s.display() == typed || s.path.last().is_some_and(|p| p == typed))
        .map(|s| s.code.clone())
}

fn page(
    state: &AppState,
    user: &hotline_model::role::User,
    f: &IntakeForm,
    error: Option<String>,
    registered: Option<Registered>,
) -> IntakePage {
    let refdata = state.refdata();
    let subjects = refdata
        .catalogue
        .subjects()
        .map(|s| Choice {
            value: s.code.clone(),
            label: s.display(),
            hint: s
                .path
                .iter()
                .filter_map(|p| search::phonetic::initials(p))
                .collect::<Vec<_>>()
                .join(" "),
            selected: false,
        })
        .collect();
    let request_types = RequestType::ALL
        .iter()
        .map(|t| Choice {
            value: code_of(t),
            label: t.label().into(),
            hint: String::new(),
            selected: code_of(t) == f.request_type,
        })
        .collect();
    let channels = CHANNELS
        .iter()
        .map(|c| Choice {
            value: code_of(c),
            label: c.label().into(),
            hint: String::new(),
            selected: code_of(c) == f.channel,
        })
        .collect();
    IntakePage {
        l: layout(state, user, "来电受理", "/staff/intake"),
        subjects,
        request_types,
        channels,
        v: IntakeValues {
            phone: f.phone.clone(),
            name: f.name.clone(),
            address: f.address.clone(),
            title: f.title.clone(),
            content: f.content.clone(),
            subject: f.subject.clone(),
            confidential: f.confidential.is_some(),
            urgent: f.urgent.is_some(),
            draft: f.draft.map(|id| (id, f.draft_note.clone())),
            call_id: f.call_id.clone(),
        },
        error,
        registered,
    }
}

/// `GET /staff/intake` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    /// A citizen's message to register (`/staff/drafts`).
    draft: Option<i64>,
    /// The call just answered (the screen pop): its caller's number fills the form.
    call: Option<String>,
}

/// `GET /staff/intake`: an empty form, or one filled from a citizen's message.
pub async fn form(
    State(state): State<AppState>,
    Staff(user): Staff,
    Query(p): Query<Prefill>,
) -> Response {
    let mut f = IntakeForm {
        channel: "phone".into(),
        request_type: "complaint".into(),
        ..IntakeForm::default()
    };
    if let Some(call) = p.call.filter(|c| !c.is_empty() && c.len() <= 200) {
        if let Some(live) = state.cti.live_by_id(&call) {
            f.phone = live.caller;
        }
        f.call_id = call;
    }
    if let Some(id) = p.draft {
        let m = match hotline_operations::drafts::waiting_draft(&state, &user, id).await {
            Ok(m) => m,
            Err(e) => return error_page(layout(&state, &user, "来电受理", "/staff/intake"), &e),
        };
        f.channel = m.channel.clone();
        if m.channel == "sms" {
            f.phone = m.sender.clone();
        }
        f.title = m.subject.chars().take(50).collect();
        f.content = m.content.clone();
        f.draft = Some(m.id);
        f.draft_note = format!(
            "{}来信（{}）",
            super::drafts::channel_label(&m.channel),
            m.sender
        );
    }
    render(&page(&state, &user, &f, None, None))
}

/// `POST /staff/intake`: registers the order (or answers it at once from the knowledge base).
pub async fn submit(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<IntakeForm>,
) -> Response {
    let refdata = state.refdata();
    // The form again, as typed, with what to correct.
    let refuse = |msg: String| render(&page(&state, &user, &f, Some(msg), None));
    let Some(subject) = resolve_subject(&refdata, &f.subject) else {
        return refuse("请从列表中选择诉求类别（可输入名称、编码或拼音首字母）".into());
    };
    let (channel, request_type) = match (
        parse::<Channel>("来源渠道", &f.channel),
        parse::<RequestType>("诉求类型", &f.request_type),
    ) {
        (Ok(c), Ok(t)) => (c, t),
        (Err(e), _) | (_, Err(e)) => return refuse(e),
    };
    let answer = match &f.answer_id {
        Some(id) if !id.is_empty() => match state.store.article(id.clone()).await {
            Ok(Some(a)) if a.state.live().is_some() => {
                a.state.live().map(|v| v.content.answer.clone())
            }
            _ => return refuse("所选知识库答复已不存在或已撤回，请重新检索".into()),
        },
        _ => None,
    };
    let intake = Intake {
        channel,
        caller_name: f.name.clone(),
        caller_phone: f.phone.clone(),
        address: f.address.clone(),
        request_type,
        subject,
        location: None,
        title: f.title.clone(),
        content: f.content.clone(),
        attachments: Vec::new(),
        urgent: f.urgent.is_some(),
        confidential: f.confidential.is_some(),
        call_id: Some(f.call_id.trim().to_owned()).filter(|c| !c.is_empty()),
        area: Vec::new(),
    };
    let answered = answer.is_some();
    let draft = f.draft;
    match register(
        &state,
        &user,
        CreateRequest {
            intake,
            answer,
            draft,
        },
    )
    .await
    {
        Ok(created) => {
            // A fresh form for the next call, with what to read out to this caller.
            let next = IntakeForm {
                channel: f.channel.clone(),
                request_type: "complaint".into(),
                ..IntakeForm::default()
            };
            render(&page(
                &state,
                &user,
                &next,
                None,
                Some(Registered {
                    number: created.ticket.number.clone(),
                    code: created.query_code.clone(),
                    answered,
                }),
            ))
        }
        Err(e)
            if !matches!(
                e.kind,
                Kind::Forbidden | Kind::Internal | Kind::Unavailable | Kind::Upstream
            ) =>
        {
            refuse(format!("未保存：{}", field_message(&e)))
        }
        Err(e) => error_page(layout(&state, &user, "来电受理", "/staff/intake"), &e),
    }
}

/// A refused field, in words an operator understands.
fn field_message(e: &hotline_operations::OpError) -> String {
    let name = match e.detail["field"].as_str().unwrap_or_default() {
        "caller_phone" => return "来电号码格式不正确（应为 3–20 位数字）".into(),
        "caller_name" => "市民姓名",
        "address" => "事发地址",
        "title" => "标题",
        "content" => "诉求内容",
        "subject" => "诉求类别",
        _ => return e.message.clone(),
    };
    format!("{name}不符合要求（{}）", e.message)
}

/// What the caller panel is asked with.
#[derive(Debug, Deserialize)]
pub struct CallerForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    subject: String,
}

/// Days within which an order of the same caller is a likely duplicate.
const DUPLICATE_DAYS: i64 = 7;

/// `POST /staff/intake/caller`: the caller's earlier orders (the search is audited, as in the API)
/// and the same subject reported lately by anyone.
pub async fn caller(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<CallerForm>,
) -> Response {
    let now = state.now();
    let typed = normalize_phone(&f.phone);
    let digits = typed.chars().filter(char::is_ascii_digit).count();
    let mut note = None;
    let mut phone = String::new();
    let mut orders: Vec<CallerOrder> = Vec::new();
    if digits < 7 {
        if !typed.is_empty() {
            note = Some("号码输入完整后显示历史工单。".to_owned());
        }
    } else if !hotline_model::privacy::needs_contact(user.role) || !user.role.is_centre() {
        note = Some("只有中心话务人员可以按来电号码查询历史工单。".to_owned());
    } else {
        let filter = TicketFilter {
            phone: Some(typed.clone()),
            limit: Some(20),
            ..TicketFilter::default()
        };
        match list_for(&state, &user, filter).await {
            Ok((rows, _)) => {
                let title = f.title.trim();
                orders = rows
                    .into_iter()
                    .map(|r| {
                        let recent = now - r.created_at < DUPLICATE_DAYS * 86_400_000;
                        let open = !matches!(r.status.as_str(), "closed" | "merged");
                        let same = !title.is_empty()
                            && (r.title.contains(title) || title.contains(r.title.as_str()));
                        CallerOrder {
                            duplicate: recent && (open || same),
                            number: r.number,
                            title: r.title,
                            status: r.status_label,
                            created: local_time(r.created_at),
                        }
                    })
                    .collect();
                phone = typed;
            }
            Err(e) => note = Some(e.message),
        }
    }
    // The same matter reported lately by anyone: likely the same incident (a burst main, a
    // blocked road), which the shift leader may merge instead of dispatching twice.
    let refdata = state.refdata();
    let mut same_subject = Vec::new();
    if let Some(subject) = resolve_subject(&refdata, &f.subject) {
        let filter = TicketFilter {
            subject: Some(subject),
            created_after: Some(now - SAME_SUBJECT_DAYS * 86_400_000),
            limit: Some(5),
            ..TicketFilter::default()
        };
        if let Ok((rows, _)) = list_for(&state, &user, filter).await {
            same_subject = rows
                .into_iter()
                .filter(|r| !orders.iter().any(|o| o.number == r.number))
                .map(|r| CallerOrder {
                    duplicate: true,
                    number: r.number,
                    title: r.title,
                    status: r.status_label,
                    created: local_time(r.created_at),
                })
                .collect();
        }
    }
    render(&CallerPanel {
        phone,
        orders,
        note,
        same_subject,
    })
}

/// Days within which another caller's report of the same subject is shown as a likely duplicate.
const SAME_SUBJECT_DAYS: i64 = 3;

/// What the knowledge-base panel is asked with.
#[derive(Debug, Deserialize)]
pub struct KbForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    title: String,
}

/// `POST /staff/kb/panel`: the knowledge base searched with what the operator typed (any length).
pub async fn kb_panel(
    State(state): State<AppState>,
    Staff(user): Staff,
    Form(f): Form<KbForm>,
) -> Response {
    let q = format!("{} {}", f.title.trim(), f.content.trim());
    let q = q.trim().to_owned();
    if q.is_empty() {
        return render(&KbPanel {
            hits: Vec::new(),
            asked: false,
        });
    }
    let params = search::SearchParams {
        q,
        limit: Some(5),
        ..search::SearchParams::default()
    };
    let resp = match hotline_operations::articles::search_for(&state, &user, params).await {
        Ok(r) => r,
        Err(_) => {
            return render(&KbPanel {
                hits: Vec::new(),
                asked: true,
            });
        }
    };
    let mut hits = Vec::new();
    // Operators are offered published answers only (the search's default), read from the index.
    for h in resp.hits {
        let answer = h.answer.clone();
        let snippet_html = h
            .answer_snippet
            .as_ref()
            .or(h.question_snippet.as_ref())
            .map(|s| s.html.replace("<em>", "<mark>").replace("</em>", "</mark>"))
            .unwrap_or_default();
        hits.push(KbHit {
            id: h.id,
            title: h.question,
            snippet_html,
            answer,
        });
    }
    render(&KbPanel { hits, asked: true })
}
