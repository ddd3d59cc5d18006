//! Who hears what when an order changes: the notifications (SMS and e-mail) a recorded event
//! causes, and when they may be sent.
//!
//! Pure: the node that records an event asks [`notices`] what it causes and writes the answer to
//! its outbox in the same transaction (see `replica_store::outbox`); events that arrive by sync
//! were notified by the node that recorded them. Each notice has a key unique to the event, the
//! medium and the recipient, so it is never queued twice.
//!
//! Default rules, each switchable ([`NoticeRules`]):
//! - citizens, by SMS to a mobile number: the number and query code when an order is registered
//!   (not for confidential reports: the caller may not want a text), and the public reply when it
//!   is closed;
//! - units, by SMS and e-mail to their duty contacts (`Unit::duty`): a new assignment (dispatch,
//!   transfer), an urge (催办), a supervision (督办), an extension decision, a redo (reply sent back),
//!   a reopen.
//!
//! SMS to citizens waits out the quiet hours (default 21:00–08:00 Beijing time) unless urgent.

use serde::{Deserialize, Serialize};

use crate::event::{Action, Event};
use crate::org::OrgTree;
use crate::survey::{SurveyRules, may_survey};
use crate::ticket::TicketView;

/// How a notification travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    /// 短信.
    Sms,
    /// 电子邮件.
    Email,
    /// 微信公众号 (customer-service message to an OpenID).
    Wechat,
}

impl Medium {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Sms => "sms",
            Medium::Email => "email",
            Medium::Wechat => "wechat",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Medium> {
        match s {
            "sms" => Some(Medium::Sms),
            "email" => Some(Medium::Email),
            "wechat" => Some(Medium::Wechat),
            _ => None,
        }
    }

    /// 短信 / 邮件.
    pub fn label(self) -> &'static str {
        match self {
            Medium::Sms => "短信",
            Medium::Email => "邮件",
            Medium::Wechat => "微信",
        }
    }
}

/// One notification to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Unique per event, medium and recipient: the outbox never holds it twice.
    pub key: String,
    /// How it travels.
    pub medium: Medium,
    /// A mobile number or an e-mail address.
    pub to: String,
    /// The e-mail subject (SMS: empty).
    pub subject: String,
    /// The text.
    pub body: String,
    /// The order's number.
    pub ticket: String,
    /// Sent even in the quiet hours.
    pub urgent: bool,
    /// Addressed to a citizen, not to staff.
    pub citizen: bool,
    /// Not to be sent before (Unix ms): the end of the quiet hours for a text to a citizen.
    pub not_before: i64,
    /// The satisfaction survey (短信回访): the node keeps it open for the citizen's answer.
    #[serde(default)]
    pub survey: bool,
}

/// Delivery attempts before a notification is given up (dead letter).
pub const MAX_ATTEMPTS: u32 = 8;

/// How long to wait after the `attempts`-th failed attempt before the next (doubling from 30 s,
/// at most an hour); `None` once [`MAX_ATTEMPTS`] were made: the notification is dead.
pub fn retry_delay(attempts: u32) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doubled = 30_000i64 << attempts.saturating_sub(1).min(20);
    Some(doubled.min(3_600_000))
}

/// Quiet hours, in minutes after local midnight (Beijing time): no SMS to citizens from `start`
/// until `end` (across midnight when `start > end`) unless urgent. Equal values: none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// From (minutes after midnight).
    pub start: u32,
    /// Until (minutes after midnight).
    pub end: u32,
}

impl Default for QuietHours {
    /// 21:00–08:00.
    fn default() -> Self {
        QuietHours {
            start: 21 * 60,
            end: 8 * 60,
        }
    }
}

const DAY_MS: i64 = 86_400_000;
const BEIJING_MS: i64 = 8 * 3_600_000;

impl QuietHours {
    /// The earliest time at or after `now_ms` a non-urgent SMS to a citizen may go.
    pub fn next_allowed(&self, now_ms: i64) -> i64 {
        if self.start == self.end {
            return now_ms;
        }
        let local = now_ms + BEIJING_MS;
        let minute = (local.rem_euclid(DAY_MS) / 60_000) as u32;
        let quiet = if self.start < self.end {
            minute >= self.start && minute < self.end
        } else {
            minute >= self.start || minute < self.end
        };
        if !quiet {
            return now_ms;
        }
        let midnight = local - local.rem_euclid(DAY_MS);
        let mut end = midnight + i64::from(self.end) * 60_000;
        if end <= local {
            end += DAY_MS;
        }
        end - BEIJING_MS
    }
}

/// Which notifications are sent, and their texts. `{number}`, `{code}`, `{unit}`, `{title}`,
/// `{reply}`, `{what}` and `{hotline}` are filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NoticeRules {
    /// Text the citizen the number and query code on registration.
    pub citizen_registered: bool,
    /// Text the citizen the public reply on closing.
    pub citizen_closed: bool,
    /// Tell units' duty contacts of assignments, urges, supervisions, extension decisions, redos
    /// and reopens.
    pub units: bool,
    /// No SMS to citizens in these hours unless urgent.
    pub quiet_hours: QuietHours,
    /// The hotline's name in texts.
    pub hotline: String,
    /// To the citizen on registration.
    pub registered_text: String,
    /// To the citizen on closing.
    pub closed_text: String,
    /// To a unit: `{what}` is what happened (新派工单, 催办, 督办通知 …).
    pub unit_text: String,
    /// The satisfaction survey by text when a result is accepted (短信回访).
    pub survey: SurveyRules,
    /// Who gets the monthly report (月度统计报表) by e-mail on the first working day of a month:
    /// the centre's leaders' addresses. None: no report is sent.
    pub monthly_report_to: Vec<String>,
}

impl Default for NoticeRules {
    fn default() -> Self {
        NoticeRules {
            citizen_registered: true,
            citizen_closed: true,
            units: true,
            quiet_hours: QuietHours::default(),
            hotline: "12345热线".into(),
            registered_text: "【{hotline}】您反映的问题已受理，工单编号{number}，查询码{code}。\
                              可凭编号和查询码在网站查询办理进度。"
                .into(),
            closed_text: "【{hotline}】您的工单{number}已办结。答复：{reply} \
                          如有疑问请拨打12345。"
                .into(),
            unit_text: "【{hotline}】{what}：工单{number}（{title}），请登录工作台及时办理。"
                .into(),
            survey: SurveyRules::default(),
            monthly_report_to: Vec::new(),
        }
    }
}

/// `template` with every `{key}` of `pairs` replaced by its value.
pub fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in pairs {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// Whether `phone` is a mainland mobile number (texts go only there).
pub fn is_mobile(phone: &str) -> bool {
    phone.len() == 11 && phone.starts_with('1') && phone.bytes().all(|b| b.is_ascii_digit())
}

/// What units hear of `action` (what, which units, urgent), if anything; `lead` is the lead unit
/// after it.
pub(crate) fn unit_news<'a>(
    action: &'a Action,
    lead: Option<&'a str>,
) -> Option<(&'static str, Vec<&'a str>, bool)> {
    Some(match action {
        Action::Dispatch { lead, co, .. } => (
            "新派工单",
            std::iter::once(lead.unit.as_str())
                .chain(co.iter().map(|a| a.unit.as_str()))
                .collect(),
            false,
        ),
        Action::Transfer { to, co, .. } => (
            "转办工单",
            std::iter::once(to.unit.as_str())
                .chain(co.iter().map(|a| a.unit.as_str()))
                .collect(),
            false,
        ),
        Action::Urge { target, .. } => ("催办", vec![target.as_str()], false),
        Action::Supervise { target, level, .. } => (level.label(), vec![target.as_str()], true),
        Action::ApproveExtension { for_unit, .. } => {
            ("延期申请已批准", vec![for_unit.as_str()], false)
        }
        Action::RejectExtension { for_unit, .. } => {
            ("延期申请未批准", vec![for_unit.as_str()], false)
        }
        Action::ReviewResult { accept: false, .. } => ("答复被退回重办", vec![lead?], false),
        Action::Reopen { .. } => ("工单重新办理", vec![lead?], false),
        _ => return None,
    })
}

/// The notifications the events `events` (just recorded on `view`, which includes them) cause.
/// `query_code` is the plain query code, known only when the order was registered just now.
pub fn notices(
    view: &TicketView,
    events: &[Event],
    query_code: Option<&str>,
    org: &OrgTree,
    rules: &NoticeRules,
    now_ms: i64,
) -> Vec<Notice> {
    let mut out = Vec::new();
    let title = view.state.title.as_str();
    let phone = view.intake.caller_phone.as_str();
    let citizen_sms = |key: String, body: String, survey: bool, out: &mut Vec<Notice>| {
        if is_mobile(phone) {
            out.push(Notice {
                key,
                medium: Medium::Sms,
                to: phone.to_owned(),
                subject: String::new(),
                body,
                ticket: view.number.clone(),
                urgent: false,
                citizen: true,
                not_before: rules.quiet_hours.next_allowed(now_ms),
                survey,
            });
        }
    };
    let reply = || -> String {
        let reply = view.state.public_reply().unwrap_or_default();
        reply.chars().take(200).collect()
    };
    for e in events {
        match &e.action {
            Action::Created if rules.citizen_registered && !view.intake.confidential => {
                if let Some(code) = query_code {
                    let body = fill(
                        &rules.registered_text,
                        &[
                            ("hotline", &rules.hotline),
                            ("number", &view.number),
                            ("code", code),
                        ],
                    );
                    citizen_sms(format!("{}:citizen:sms", e.id), body, false, &mut out);
                }
            }
            Action::ReviewResult { accept: true, .. }
                if rules.survey.enabled && may_survey(view) =>
            {
                let body = fill(
                    &rules.survey.text,
                    &[
                        ("hotline", &rules.hotline),
                        ("number", &view.number),
                        ("reply", &reply()),
                        ("options", &rules.survey.options_text()),
                    ],
                );
                citizen_sms(crate::survey::survey_key(&e.id), body, true, &mut out);
            }
            Action::Close { .. } if rules.citizen_closed => {
                let reply = reply();
                let body = fill(
                    &rules.closed_text,
                    &[
                        ("hotline", &rules.hotline),
                        ("number", &view.number),
                        ("reply", &reply),
                    ],
                );
                citizen_sms(format!("{}:citizen:sms", e.id), body, false, &mut out);
            }
            action if rules.units => {
                let lead = view.state.lead.as_ref().map(|l| l.unit.as_str());
                let Some((what, units, urgent)) = unit_news(action, lead) else {
                    continue;
                };
                for unit in units {
                    let Some(u) = org.get(unit) else { continue };
                    for to in &u.duty {
                        let medium = if to.contains('@') {
                            Medium::Email
                        } else if is_mobile(to) {
                            Medium::Sms
                        } else {
                            continue;
                        };
                        let body = fill(
                            &rules.unit_text,
                            &[
                                ("hotline", &rules.hotline),
                                ("what", what),
                                ("number", &view.number),
                                ("title", title),
                                ("unit", &u.name),
                            ],
                        );
                        out.push(Notice {
                            key: format!("{}:{}:{}:{}", e.id, unit, medium.as_str(), to),
                            medium,
                            to: to.clone(),
                            subject: if medium == Medium::Email {
                                format!("【{}】{}：工单{}", rules.hotline, what, view.number)
                            } else {
                                String::new()
                            },
                            body,
                            ticket: view.number.clone(),
                            urgent,
                            citizen: false,
                            not_before: now_ms,
                            survey: false,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{AssignTo, SupervisionLevel};
    use crate::test_support::intake;

    /// 2026-11-24 10:00 Beijing.
    const NOW: i64 = 1_795_485_600_000;

    fn org() -> OrgTree {
        crate::refdata::parse_org(include_str!("../../deploy/seed/org.toml")).expect("org")
    }

    /// The view after `actions`, from [`NOW`].
    fn view(intake: crate::intake::Intake, actions: Vec<Action>) -> TicketView {
        crate::test_support::view_at(intake, NOW, actions)
    }

    fn dispatch(unit: &str) -> Action {
        Action::Dispatch {
            lead: AssignTo {
                unit: unit.into(),
                sign_due_at: 1_795_485_600_000 + 200_000,
                due_at: 1_796_500_000_000,
            },
            co: vec![],
            note: String::new(),
            final_assignment: false,
        }
    }

    #[test]
    fn the_citizen_gets_number_and_code_and_a_unit_its_assignment_and_urges() {
        let rules = NoticeRules::default();
        let v = view(intake(), vec![]);
        let n = notices(&v, &v.events, Some("ABCD-1234"), &org(), &rules, NOW);
        assert_eq!(n.len(), 1);
        assert_eq!(
            (n[0].medium, n[0].to.as_str()),
            (Medium::Sms, "13900001111")
        );
        assert!(n[0].body.contains("20261124-HUB-00001") && n[0].body.contains("ABCD-1234"));
        assert!(n[0].citizen);
        assert_eq!(n[0].not_before, NOW);
        // At 23:00 the text waits for 08:00.
        let late = notices(
            &v,
            &v.events,
            Some("ABCD-1234"),
            &org(),
            &rules,
            NOW + 13 * 3_600_000,
        );
        assert_eq!(late[0].not_before, NOW + 22 * 3_600_000);
        // Confidential reports get no text; nor do landlines.
        let mut secret = intake();
        secret.confidential = true;
        let v = view(secret, vec![]);
        assert!(notices(&v, &v.events, Some("X"), &org(), &rules, NOW).is_empty());
        let mut landline = intake();
        landline.caller_phone = "079986110001".into();
        let v = view(landline, vec![]);
        assert!(notices(&v, &v.events, Some("X"), &org(), &rules, NOW).is_empty());

        // D01's duty phone and mailbox hear of the dispatch, then of an urge and a supervision.
        let v = view(
            intake(),
            vec![
                Action::accept_review(""),
                dispatch("D01"),
                Action::Urge {
                    target: "D01".into(),
                    note: String::new(),
                },
                Action::Supervise {
                    target: "D01".into(),
                    level: SupervisionLevel::Notice,
                    note: String::new(),
                },
            ],
        );
        let n = notices(&v, &v.events[2..], None, &org(), &rules, NOW);
        let got: Vec<(Medium, &str, bool)> = n
            .iter()
            .map(|n| (n.medium, n.to.as_str(), n.urgent))
            .collect();
        assert_eq!(
            got,
            vec![
                (Medium::Sms, "13807991001", false),
                (Medium::Email, "zhiban@donghu.linjiang.example", false),
                (Medium::Sms, "13807991001", false),
                (Medium::Email, "zhiban@donghu.linjiang.example", false),
                (Medium::Sms, "13807991001", true),
                (Medium::Email, "zhiban@donghu.linjiang.example", true),
            ]
        );
        assert!(n[0].body.contains("新派工单") && n[2].body.contains("催办"));
        assert!(n[5].subject.contains("督办通知"));
        // Every key differs: the outbox keeps each once.
        let keys: std::collections::HashSet<&str> = n.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys.len(), n.len());
        // Switched off, units hear nothing.
        let off = NoticeRules {
            units: false,
            ..NoticeRules::default()
        };
        assert!(notices(&v, &v.events[2..], None, &org(), &off, NOW).is_empty());
    }

    /// Handled by D01 and replied: the centre's review of the reply is next.
    fn replied() -> Vec<(&'static str, Action)> {
        vec![
            ("C", Action::accept_review("")),
            ("C", dispatch("D01")),
            ("D01", Action::Sign),
            (
                "D01",
                Action::Reply {
                    founded: true,
                    solved: true,
                    public_reply: "已责令施工方夜间停工。".into(),
                    internal_note: String::new(),
                },
            ),
        ]
    }

    fn view_by(intake: crate::intake::Intake, actions: Vec<(&str, Action)>) -> TicketView {
        crate::test_support::view_by(intake, NOW, actions)
    }

    #[test]
    fn an_accepted_result_asks_the_citizen_to_rate_it_and_the_answer_decides_the_callback_list() {
        use crate::event::{CallbackChannel, Satisfaction};
        use crate::survey::{CallbackKind, CallbackNeed, callback_need};
        let rules = NoticeRules::default();
        let mut actions = replied();
        actions.push((
            "C",
            Action::ReviewResult {
                accept: true,
                reason: String::new(),
                redo_due_at: None,
            },
        ));
        let v = view_by(intake(), actions.clone());
        let accepted_at = v.events.last().expect("event").hlc.wall_ms;
        let n = notices(
            &v,
            &v.events[v.events.len() - 1..],
            None,
            &org(),
            &rules,
            NOW,
        );
        let survey: Vec<&Notice> = n.iter().filter(|n| n.survey).collect();
        assert_eq!(survey.len(), 1);
        assert_eq!(survey[0].to, "13900001111");
        assert!(survey[0].body.contains("已责令施工方夜间停工"));
        assert!(survey[0].body.contains("回复1满意，2基本满意，3不满意"));
        assert_eq!(
            callback_need(&v),
            Some(CallbackNeed {
                since: accepted_at,
                kind: CallbackKind::Survey
            })
        );
        // A confidential report is not surveyed by text: straight to the operators' list.
        let mut secret = intake();
        secret.confidential = true;
        let s = view_by(secret, actions.clone());
        assert!(
            notices(
                &s,
                &s.events[s.events.len() - 1..],
                None,
                &org(),
                &rules,
                NOW
            )
            .is_empty()
        );
        assert_eq!(
            callback_need(&s).map(|c| c.kind),
            Some(CallbackKind::Direct)
        );
        // Surveys switched off: no text.
        let mut off = NoticeRules::default();
        off.survey.enabled = false;
        assert!(
            !notices(&v, &v.events[v.events.len() - 1..], None, &org(), &off, NOW)
                .iter()
                .any(|n| n.survey)
        );
        // Answered 满意 by text: off the list; 不满意 by text: on it, for a phone call to verify,
        // until an operator's callback.
        let answered = |satisfaction, channel| {
            let mut a = actions.clone();
            a.push((
                "C",
                Action::Callback {
                    satisfaction,
                    note: String::new(),
                    channel,
                },
            ));
            view_by(intake(), a)
        };
        assert_eq!(
            callback_need(&answered(Satisfaction::Satisfied, CallbackChannel::Sms)),
            None
        );
        let unhappy = answered(Satisfaction::Unsatisfied, CallbackChannel::Sms);
        assert_eq!(
            callback_need(&unhappy),
            Some(CallbackNeed {
                since: unhappy.events.last().expect("event").hlc.wall_ms,
                kind: CallbackKind::Verify
            })
        );
        assert_eq!(
            callback_need(&answered(Satisfaction::Unsatisfied, CallbackChannel::Phone)),
            None,
            "an operator's own callback needs no other"
        );
        let mut a = actions;
        for (satisfaction, channel) in [
            (Satisfaction::Unsatisfied, CallbackChannel::Sms),
            (Satisfaction::BasicallySatisfied, CallbackChannel::Phone),
        ] {
            a.push((
                "C",
                Action::Callback {
                    satisfaction,
                    note: String::new(),
                    channel,
                },
            ));
        }
        assert_eq!(callback_need(&view_by(intake(), a)), None);
        // Before the result is accepted: no callback yet.
        assert_eq!(callback_need(&view_by(intake(), replied())), None);
    }

    #[test]
    fn the_seed_notices_file_is_the_defaults_and_a_misspelt_key_is_refused() {
        let seed = crate::refdata::parse_notices(include_str!("../../deploy/seed/notices.toml"))
            .expect("seed notices");
        // The demo city names its leaders for the monthly report; nobody is named by default.
        assert_eq!(seed.monthly_report_to.len(), 2);
        assert_eq!(
            NoticeRules {
                monthly_report_to: Vec::new(),
                ..seed
            },
            NoticeRules::default()
        );
        let err = crate::refdata::parse_notices("quiet_hour = { start = 0, end = 0 }")
            .expect_err("misspelt");
        assert!(err.to_string().contains("notices.toml"), "{err}");
        let custom = crate::refdata::parse_notices("[survey]\nwait_hours = 72\n").expect("partial");
        assert_eq!(custom.survey.wait_hours, 72);
        assert_eq!(custom.survey.options.len(), 3, "the rest stays default");
    }

    #[test]
    fn failed_deliveries_back_off_then_die() {
        let delays: Vec<Option<i64>> = (1..=MAX_ATTEMPTS).map(retry_delay).collect();
        assert_eq!(delays[0], Some(30_000));
        assert_eq!(delays[1], Some(60_000));
        assert_eq!(delays[6], Some(1_920_000));
        assert_eq!(delays[7], None);
        assert!(delays.windows(2).all(|w| w[1].is_none() || w[0] <= w[1]));
    }

    #[test]
    fn quiet_hours_hold_a_text_until_they_end_at_every_minute_of_a_day() {
        let q = QuietHours::default();
        // 2026-11-24 00:00 Beijing.
        let midnight = 1_795_449_600_000;
        for m in 0..(24 * 60) {
            let now = midnight + m * 60_000;
            let next = q.next_allowed(now);
            let minute = m as u32;
            if (8 * 60..21 * 60).contains(&minute) {
                assert_eq!(next, now, "minute {m}");
            } else if minute < 8 * 60 {
                assert_eq!(next, midnight + 8 * 3_600_000, "minute {m}");
            } else {
                assert_eq!(next, midnight + 32 * 3_600_000, "minute {m}");
            }
        }
        // No quiet hours at all.
        let none = QuietHours { start: 0, end: 0 };
        assert_eq!(none.next_allowed(midnight + 60_000), midnight + 60_000);
        // A window within one day.
        let lunch = QuietHours {
            start: 12 * 60,
            end: 14 * 60,
        };
        assert_eq!(
            lunch.next_allowed(midnight + 13 * 3_600_000),
            midnight + 14 * 3_600_000
        );
    }
}
