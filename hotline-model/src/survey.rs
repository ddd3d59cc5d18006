//! Satisfaction by SMS (短信回访): when the centre accepts a unit's result the order waits for its
//! callback (待回访), and a citizen with a mobile number is asked by text to rate it. A reply that
//! reads as a rating is recorded as the order's callback with channel `sms`; anything else gets
//! one clarification. An order whose survey went unanswered for the configured time, whose citizen
//! could not be asked (no mobile number, a confidential report), or who answered 不满意 is on the
//! operators' **callback list** for a phone call (see [`callback_need`]).
//!
//! Pure: the texts and the rules live here; the node keeps which surveys are open.

use serde::{Deserialize, Serialize};

use crate::event::{Action, CallbackChannel, Satisfaction};
use crate::notify::is_mobile;
use crate::ticket::TicketView;
use crate::workflow::Status;

/// One answer the survey offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyOption {
    /// What the citizen texts back (`1`).
    pub reply: String,
    /// The rating it means.
    pub satisfaction: Satisfaction,
}

/// The survey's rules and texts. `{hotline}`, `{number}`, `{reply}` (the public reply, cut short)
/// and `{options}` (「回复1满意，2基本满意，3不满意」 from [`SurveyRules::options`]) are filled in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyRules {
    /// Ask citizens by text when their order's result is accepted.
    pub enabled: bool,
    /// Hours to wait for an answer before the order goes to the callback list.
    pub wait_hours: u32,
    /// The answers offered.
    pub options: Vec<SurveyOption>,
    /// The survey.
    pub text: String,
    /// The one clarification after a reply that is not a rating.
    pub clarify_text: String,
    /// The thanks after a rating (empty: none).
    pub thanks_text: String,
}

impl Default for SurveyRules {
    fn default() -> Self {
        let option = |reply: &str, satisfaction| SurveyOption {
            reply: reply.into(),
            satisfaction,
        };
        SurveyRules {
            enabled: true,
            wait_hours: 48,
            options: vec![
                option("1", Satisfaction::Satisfied),
                option("2", Satisfaction::BasicallySatisfied),
                option("3", Satisfaction::Unsatisfied),
            ],
            text: "【{hotline}】您反映的问题（工单{number}）已办理，答复：{reply} \
                   请对办理结果评价，{options}。"
                .into(),
            clarify_text: "【{hotline}】抱歉，未能识别您的评价。请对工单{number}的办理结果\
                           {options}（只需回复数字）。"
                .into(),
            thanks_text:
                "【{hotline}】感谢您的评价（{rating}）。如问题仍未解决，我们将尽快与您联系。".into(),
        }
    }
}

impl SurveyRules {
    /// 「回复1满意，2基本满意，3不满意」.
    pub fn options_text(&self) -> String {
        let parts: Vec<String> = self
            .options
            .iter()
            .map(|o| format!("{}{}", o.reply, o.satisfaction.label()))
            .collect();
        format!("回复{}", parts.join("，"))
    }

    /// How long an unanswered survey waits (ms).
    pub fn wait_ms(&self) -> i64 {
        i64::from(self.wait_hours) * 3_600_000
    }
}

/// Replies longer than this (in characters) are not read as a rating: a citizen writing at length
/// is telling the centre something, and an operator reads it.
pub const MAX_RATING_CHARS: usize = 20;

/// The rating a reply gives, if it reads as one: an offered answer (`1`, `１`, `1满意`, ` 3。`), or
/// the words 满意 / 基本满意 / 不满意 (a negation before 满意 makes it 不满意).
pub fn parse_reply(text: &str, options: &[SurveyOption]) -> Option<Satisfaction> {
    // Full-width forms (１, ！) to ASCII; spaces and punctuation dropped.
    let norm: String = text
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !"。，、！？～".contains(*c))
        .collect();
    if norm.is_empty() || norm.chars().count() > MAX_RATING_CHARS {
        return None;
    }
    // An offered answer, alone or followed by words (「3不满意」, 「1谢谢」) but no other digit.
    for o in options {
        if let Some(rest) = norm.strip_prefix(o.reply.as_str())
            && !rest.chars().any(|c| c.is_ascii_digit())
        {
            return Some(o.satisfaction);
        }
    }
    if norm.chars().any(|c| c.is_ascii_digit()) || !norm.contains("满意") {
        return None;
    }
    let negated = ["不", "没", "未", "差"].iter().any(|w| norm.contains(w));
    Some(if negated {
        Satisfaction::Unsatisfied
    } else if ["基本", "还行", "一般", "凑合"]
        .iter()
        .any(|w| norm.contains(w))
    {
        Satisfaction::BasicallySatisfied
    } else {
        Satisfaction::Satisfied
    })
}

/// What a citizen's text to an open survey does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SurveyStep {
    /// It is a rating: record it as the order's callback.
    Rate(Satisfaction),
    /// Short but not a rating, and not asked again yet: send the one clarification.
    Clarify,
    /// Not an answer to the survey (a long message, or a second miss): an operator reads it.
    NotAnAnswer,
}

/// What `text` does to a survey that was (`clarified`) or was not clarified yet.
pub fn answer_step(text: &str, clarified: bool, rules: &SurveyRules) -> SurveyStep {
    match parse_reply(text, &rules.options) {
        Some(s) => SurveyStep::Rate(s),
        None if !clarified && text.trim().chars().count() <= MAX_RATING_CHARS => {
            SurveyStep::Clarify
        }
        None => SurveyStep::NotAnAnswer,
    }
}

/// Whether the citizen of `view` may be asked by text: a mobile number, and not a confidential
/// report (the caller may not want a text).
pub fn may_survey(view: &TicketView) -> bool {
    is_mobile(&view.intake.caller_phone) && !view.intake.confidential
}

/// Why an order needs an operator's callback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackKind {
    /// A survey text went (or goes) out: the order waits for its answer before an operator calls.
    Survey,
    /// The citizen cannot be asked by text (no mobile number, a confidential report).
    Direct,
    /// The citizen answered 不满意 by text: an operator verifies it by phone.
    Verify,
}

impl CallbackKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackKind::Survey => "survey",
            CallbackKind::Direct => "direct",
            CallbackKind::Verify => "verify",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<CallbackKind> {
        [
            CallbackKind::Survey,
            CallbackKind::Direct,
            CallbackKind::Verify,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Why the operator calls, in words.
    pub fn reason(self) -> &'static str {
        match self {
            CallbackKind::Survey => "短信回访未答复",
            CallbackKind::Direct => "无法短信回访（无手机号或保密件）",
            CallbackKind::Verify => "短信回访不满意，请电话核实",
        }
    }
}

/// Why an order needs a callback, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackNeed {
    /// Since when (Unix ms): the result's acceptance, or the survey's 不满意.
    pub since: i64,
    /// Why.
    pub kind: CallbackKind,
}

impl CallbackNeed {
    /// When an operator should call: after the survey's wait for [`CallbackKind::Survey`] (when
    /// surveys are on), at once otherwise.
    pub fn call_from(&self, rules: &SurveyRules) -> i64 {
        if self.kind == CallbackKind::Survey && rules.enabled {
            self.since + rules.wait_ms()
        } else {
            self.since
        }
    }
}

/// When `view` needs its callback by an operator: waiting for one (待回访), or rated 不满意 by
/// text (an operator verifies it by phone). `None` otherwise. Derived from the history alone, so
/// every node lists the same orders.
pub fn callback_need(view: &TicketView) -> Option<CallbackNeed> {
    match view.state.status {
        Status::AwaitingCallback => {
            let since = view.events.iter().rev().find_map(|e| match e.action {
                Action::ReviewResult { accept: true, .. } => Some(e.hlc.wall_ms),
                _ => None,
            })?;
            Some(CallbackNeed {
                since,
                kind: if may_survey(view) {
                    CallbackKind::Survey
                } else {
                    CallbackKind::Direct
                },
            })
        }
        Status::CalledBack => view.events.iter().rev().find_map(|e| match &e.action {
            Action::Callback {
                satisfaction,
                channel,
                ..
            } => Some(
                (*channel == CallbackChannel::Sms && *satisfaction == Satisfaction::Unsatisfied)
                    .then_some(CallbackNeed {
                        since: e.hlc.wall_ms,
                        kind: CallbackKind::Verify,
                    }),
            ),
            Action::Rate { .. } => Some(None),
            _ => None,
        })?,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Vec<SurveyOption> {
        SurveyRules::default().options
    }

    #[test]
    fn offered_answers_and_words_read_as_ratings() {
        let o = options();
        for (text, want) in [
            ("1", Some(Satisfaction::Satisfied)),
            (" 1 ", Some(Satisfaction::Satisfied)),
            ("１", Some(Satisfaction::Satisfied)),
            ("1。", Some(Satisfaction::Satisfied)),
            ("1满意，谢谢", Some(Satisfaction::Satisfied)),
            ("2", Some(Satisfaction::BasicallySatisfied)),
            ("3", Some(Satisfaction::Unsatisfied)),
            ("3 不满意！", Some(Satisfaction::Unsatisfied)),
            ("满意", Some(Satisfaction::Satisfied)),
            ("非常满意", Some(Satisfaction::Satisfied)),
            ("基本满意", Some(Satisfaction::BasicallySatisfied)),
            ("不满意", Some(Satisfaction::Unsatisfied)),
            ("不太满意", Some(Satisfaction::Unsatisfied)),
            ("没有解决，不满意", Some(Satisfaction::Unsatisfied)),
            ("12", None),
            ("4", None),
            ("好的", None),
            ("", None),
            ("。", None),
            ("13900001111", None),
            (
                "小区门口的路灯又坏了好几天了晚上出门很不方便希望尽快修好满意",
                None,
            ),
        ] {
            assert_eq!(parse_reply(text, &o), want, "{text:?}");
        }
    }

    #[test]
    fn a_miss_is_clarified_once_and_a_long_text_is_for_an_operator() {
        let r = SurveyRules::default();
        assert_eq!(
            answer_step("3", false, &r),
            SurveyStep::Rate(Satisfaction::Unsatisfied)
        );
        assert_eq!(answer_step("好", false, &r), SurveyStep::Clarify);
        assert_eq!(answer_step("好", true, &r), SurveyStep::NotAnAnswer);
        assert_eq!(
            answer_step("1", true, &r),
            SurveyStep::Rate(Satisfaction::Satisfied)
        );
        let long = "我家楼下的下水道又堵了，已经三天了，请派人来看看。";
        assert_eq!(answer_step(long, false, &r), SurveyStep::NotAnAnswer);
    }

    #[test]
    fn a_configured_scale_is_read_as_configured() {
        let o = vec![
            SurveyOption {
                reply: "A".into(),
                satisfaction: Satisfaction::Satisfied,
            },
            SurveyOption {
                reply: "B".into(),
                satisfaction: Satisfaction::Unsatisfied,
            },
        ];
        assert_eq!(parse_reply("b", &o), None, "case matters: B is offered");
        assert_eq!(parse_reply("B", &o), Some(Satisfaction::Unsatisfied));
        assert_eq!(parse_reply("1", &o), None);
        let rules = SurveyRules {
            options: o,
            ..SurveyRules::default()
        };
        assert_eq!(rules.options_text(), "回复A满意，B不满意");
    }
}

/// The outbox key of the survey text caused by event `event_id`.
pub fn survey_key(event_id: &str) -> String {
    format!("{event_id}:survey:sms")
}

/// Whether an outbox key is a survey text's.
pub fn is_survey_key(key: &str) -> bool {
    key.ends_with(":survey:sms")
}

/// The number extension (扩展码) a survey text is sent from, so that the citizen's reply, pushed
/// with it, names the survey it answers: four digits from the survey's key.
pub fn extend_code(key: &str) -> String {
    // FNV-1a: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:04}", h % 10_000)
}

#[cfg(test)]
mod extend_tests {
    use super::*;

    #[test]
    fn a_survey_has_a_stable_four_digit_extension() {
        let k = survey_key("e1");
        assert!(is_survey_key(&k));
        assert!(!is_survey_key("e1:registered:sms"));
        let c = extend_code(&k);
        assert_eq!(c.len(), 4);
        assert!(c.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(c, extend_code(&k));
        assert_ne!(extend_code(&survey_key("e2")), c);
    }
}
