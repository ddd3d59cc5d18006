//! A citizen files a request (网上诉求): checked, limited and registered as an order in the
//! operators' review queue, like a call. The answer carries the ticket number, the query code and
//! when a reply can be expected.
//!
//! Abuse resistance without a picture CAPTCHA: a honeypot field people never see, limits per
//! client address (10 an hour) and per phone (5 a day), the same form sent twice answered with the
//! same order, and the same text from the same phone within a day refused as a duplicate.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use crate::Kind;
use hotline_model::category::RequestType;
use hotline_model::intake::{Attachment, Channel, GeoPoint, Intake};
use hotline_model::role::User;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Hotline;
use crate::OpError;
use crate::throttle::Failures;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Submissions per client address per hour (a service hall's terminal files for many people).
const PER_ADDR_PER_HOUR: u32 = 10;
/// Submissions per phone number per day.
const PER_PHONE_PER_DAY: u32 = 5;
/// Recent submissions remembered for duplicate protection.
const REMEMBERED: usize = 20_000;

/// What a citizen sends.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Request type code (`complaint`, `consultation` …).
    pub request_type: String,
    /// Subject code from the catalogue.
    pub subject: String,
    /// Where (address or place description).
    #[serde(default)]
    pub address: String,
    /// What happened, in the citizen's words.
    pub content: String,
    /// How to address the citizen.
    #[serde(default)]
    pub name: String,
    /// Their phone number (required: the centre calls back).
    pub phone: String,
    /// 保密: the reporter's name and phone are hidden from the handling units.
    #[serde(default)]
    pub confidential: bool,
    /// The honeypot: a field people never see; anything in it marks a robot.
    #[serde(default)]
    pub website: String,
    /// The form's one-time id: the same form sent twice registers one order.
    #[serde(default)]
    pub form_id: String,
    /// Where, on the map (Open311).
    #[serde(default, skip)]
    pub location: Option<GeoPoint>,
}

/// The answer to a registered request.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Submitted {
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub query_code: String,
    /// The request type, in Chinese.
    pub request_type: String,
    /// Its time limit in working days.
    pub limit_days: u32,
    /// The reply is expected by then if the order is dispatched today (Unix ms).
    pub expected_by: i64,
}

/// Limits and recent submissions.
pub struct SubmitGuard {
    by_addr: Failures<IpAddr>,
    by_phone: Failures<String>,
    recent: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    /// form id → the answer it got.
    forms: HashMap<String, Submitted>,
    /// hash of phone and text → ticket number.
    texts: HashMap<String, String>,
    /// (when, form id, text key), oldest first.
    order: VecDeque<(i64, String, String)>,
}

impl Recent {
    fn expire(&mut self, now: i64) {
        while let Some((at, form, text)) = self.order.front().cloned() {
            if now - at < DAY_MS && self.order.len() < REMEMBERED {
                break;
            }
            self.order.pop_front();
            self.forms.remove(&form);
            self.texts.remove(&text);
        }
    }
}

impl Default for SubmitGuard {
    fn default() -> Self {
        SubmitGuard {
            by_addr: Failures::new(PER_ADDR_PER_HOUR, HOUR_MS),
            by_phone: Failures::new(PER_PHONE_PER_DAY, DAY_MS),
            recent: Mutex::new(Recent::default()),
        }
    }
}

fn text_key(phone: &str, content: &str) -> String {
    let squeezed: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    hex::encode(Sha256::digest(format!("{phone}\n{squeezed}").as_bytes()))
}

fn invalid(message: impl Into<String>) -> OpError {
    OpError::new(Kind::Invalid, "invalid_field", message)
}

/// A phone a citizen can be called back on: 11-digit mobile, or a landline of 7–12 digits with an
/// optional area code.
fn callable(phone: &str) -> bool {
    let digits = phone.trim_start_matches('+');
    let digits = digits
        .strip_prefix("86")
        .filter(|d| d.len() == 11)
        .unwrap_or(digits);
    (7..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a submission and makes it an intake (the title is the subject's own name, so nothing
/// the citizen wrote shows in lists or on the public pages).
pub fn to_intake(
    state: &Hotline,
    sub: &Submission,
    channel: Channel,
    attachments: Vec<Attachment>,
) -> Result<Intake, OpError> {
    let refdata = state.refdata();
    let request_type =
        RequestType::parse(sub.request_type.trim()).ok_or_else(|| invalid("请选择诉求类型"))?;
    let subject = refdata
        .catalogue
        .subject(sub.subject.trim())
        .ok_or_else(|| invalid("请选择诉求事项（问题分类）"))?;
    let phone = hotline_model::intake::normalize_phone(&sub.phone);
    if !callable(&phone) {
        return Err(invalid(
            "请填写正确的联系电话（手机号11位，或带区号的固定电话），以便回复您",
        ));
    }
    let name = sub.name.trim();
    if name.chars().count() > 20 {
        return Err(invalid("称呼请不要超过20个字"));
    }
    let content = sub.content.trim();
    let n = content.chars().count();
    if n < 5 {
        return Err(invalid("请把问题描述得具体一些（至少5个字）"));
    }
    if n > 2000 {
        return Err(invalid(format!("问题描述最多2000字，现在是{n}字")));
    }
    let address = sub.address.trim();
    if address.chars().count() > 200 {
        return Err(invalid("地点最多200字"));
    }
    let title = subject
        .path
        .last()
        .cloned()
        .unwrap_or_else(|| subject.display());
    let intake = Intake {
        channel,
        caller_name: name.to_owned(),
        caller_phone: phone,
        address: address.to_owned(),
        request_type,
        subject: subject.code.clone(),
        location: sub.location,
        title,
        content: content.to_owned(),
        attachments,
        urgent: false,
        confidential: sub.confidential,
        call_id: None,
        area: Vec::new(),
    };
    intake.validate().map_err(|e| {
        invalid(format!(
            "内容含有不能识别的字符，请删去后再提交（{}）",
            e.to_string().split(' ').next().unwrap_or_default()
        ))
    })?;
    Ok(intake)
}

/// Registers `intake` as an order by `user` (the website, or an Open311 app), and says when a
/// reply is expected.
pub async fn register(state: &Hotline, user: &User, intake: Intake) -> Result<Submitted, OpError> {
    let refdata = state.refdata();
    let request_type = intake.request_type;
    let created = crate::tickets::register(
        state,
        user,
        crate::tickets::CreateRequest {
            draft: None,
            intake,
            answer: None,
        },
    )
    .await?;
    let limit_days = refdata
        .catalogue
        .rules()
        .find(|r| r.code == request_type)
        .map_or(10, |r| r.limit_days);
    Ok(Submitted {
        number: created.ticket.number,
        query_code: created.query_code,
        request_type: request_type.label().into(),
        limit_days,
        expected_by: refdata.deadlines(request_type, false, state.now()).1,
    })
}

/// The website's face: checks the honeypot, the limits and duplicates, then registers.
pub async fn submit(
    state: &Hotline,
    addr: Option<IpAddr>,
    sub: Submission,
    attachments: Vec<Attachment>,
) -> Result<Submitted, OpError> {
    let now = state.now();
    let guard = &state.citizens.submissions;
    if !sub.website.trim().is_empty() {
        tracing::warn!(?addr, "website submission refused: honeypot filled");
        return Err(OpError::bad_request("提交未成功，请刷新页面后重新填写"));
    }
    let form_id = sub.form_id.trim().to_owned();
    if form_id.chars().count() > 64 {
        return Err(OpError::bad_request("提交未成功，请刷新页面后重新填写"));
    }
    {
        let mut recent = guard.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.expire(now);
        if let Some(done) = recent.forms.get(&form_id).filter(|_| !form_id.is_empty()) {
            // The same form sent again (a double click, a refresh): the same order.
            return Ok(done.clone());
        }
    }
    let intake = to_intake(state, &sub, Channel::Web, attachments)?;
    let busy = |what: &str| {
        OpError::new(
            Kind::Limited,
            "too_many_submissions",
            format!("{what}提交次数过多，请稍后再试；紧急情况请直接拨打12345"),
        )
    };
    if addr.is_some_and(|a| guard.by_addr.locked(&a, now)) {
        return Err(busy("本网络一小时内"));
    }
    if guard.by_phone.locked(&intake.caller_phone, now) {
        return Err(busy("该电话号码今天"));
    }
    let key = text_key(&intake.caller_phone, &intake.content);
    if let Some(number) = guard
        .recent
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .texts
        .get(&key)
    {
        return Err(OpError::new(
            Kind::Conflict,
            "duplicate",
            format!(
                "您已提交过相同内容的诉求（工单编号 {number}），请勿重复提交；可凭编号和查询码查询办理进度"
            ),
        ));
    }
    if let Some(a) = addr {
        guard.by_addr.fail(a, now);
    }
    guard.by_phone.fail(intake.caller_phone.clone(), now);
    let user = super::website_user(&state.refdata());
    let done = register(state, &user, intake).await?;
    let mut recent = guard.recent.lock().unwrap_or_else(|p| p.into_inner());
    recent.texts.insert(key.clone(), done.number.clone());
    if !form_id.is_empty() {
        recent.forms.insert(form_id.clone(), done.clone());
    }
    recent.order.push_back((now, form_id, key));
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_numbers() {
        for ok in ["13800138000", "+8613800138000", "057188001234", "88001234"] {
            assert!(callable(ok), "{ok}");
        }
        for bad in ["", "12345", "1380013800a", "1234567890123"] {
            assert!(!callable(bad), "{bad}");
        }
    }

    #[test]
    fn remembered_submissions_expire_and_stay_bounded() {
        let mut r = Recent::default();
        for i in 0..(REMEMBERED + 10) {
            r.forms.insert(
                format!("f{i}"),
                Submitted {
                    number: String::new(),
                    query_code: String::new(),
                    request_type: String::new(),
                    limit_days: 0,
                    expected_by: 0,
                },
            );
            r.order.push_back((0, format!("f{i}"), format!("t{i}")));
            r.expire(1);
        }
        assert!(r.order.len() <= REMEMBERED && r.forms.len() <= REMEMBERED);
        r.expire(DAY_MS + 1);
        assert!(r.order.is_empty() && r.forms.is_empty());
    }
}
