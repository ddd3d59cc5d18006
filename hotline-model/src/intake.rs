//! What the citizen told us (来电信息): the data recorded when a work order is created, and its checks.

use serde::{Deserialize, Serialize};

use crate::category::RequestType;

/// How the request reached the centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 电话
    Phone,
    /// 网站
    Web,
    /// 短信
    Sms,
    /// 电子邮件
    Email,
    /// 微信
    Wechat,
    /// A member unit's own intake (部门自受理).
    Unit,
    /// An outside app through the Open311 GeoReport v2 interface.
    Open311,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 7] = [
        Channel::Phone,
        Channel::Web,
        Channel::Sms,
        Channel::Email,
        Channel::Wechat,
        Channel::Unit,
        Channel::Open311,
    ];

    /// The code as in JSON (`phone`, `wechat` …).
    pub fn code(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Wechat => "wechat",
            Channel::Unit => "unit",
            Channel::Open311 => "open311",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Phone => "电话",
            Channel::Web => "网站",
            Channel::Sms => "短信",
            Channel::Email => "电子邮件",
            Channel::Wechat => "微信",
            Channel::Unit => "部门受理",
            Channel::Open311 => "开放接口",
        }
    }
}

/// A place on the map (WGS-84).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GeoPoint {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// A file attached to the order, kept by content hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attachment {
    /// The file name shown to users.
    pub name: String,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type, e.g. `audio/mpeg` for a call recording.
    pub media_type: String,
}

/// The citizen's request as registered. It does not change after creation: corrections
/// (category, summary) are workflow events, so every node derives the same current values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Intake {
    /// Channel of intake.
    pub channel: Channel,
    /// Caller's name as given (may be empty for anonymous reports).
    #[serde(default)]
    pub caller_name: String,
    /// Caller's phone number.
    #[serde(default)]
    pub caller_phone: String,
    /// Address of the matter.
    #[serde(default)]
    pub address: String,
    /// Request type.
    pub request_type: RequestType,
    /// Subject code from the catalogue.
    pub subject: String,
    /// Where, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// One-line summary.
    pub title: String,
    /// What the caller said.
    pub content: String,
    /// Attachments by content hash.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Urgent orders get same-day limits.
    #[serde(default)]
    pub urgent: bool,
    /// Confidential orders (保密件) hide the reporter from handling units.
    #[serde(default)]
    pub confidential: bool,
    /// The call-centre system's call id, linking the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<String>,
    /// Where the matter is (所属区域): the district and, as far as known, the town and the
    /// community below it, as unit codes from the district down. Filled from the address at
    /// registration when not chosen; what the statistics count places by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub area: Vec<String>,
}

/// Size limits, in characters (not bytes).
pub mod limits {
    /// Caller name.
    pub const NAME: usize = 50;
    /// Phone number.
    pub const PHONE: usize = 20;
    /// Address.
    pub const ADDRESS: usize = 200;
    /// Title.
    pub const TITLE: usize = 100;
    /// Content.
    pub const CONTENT: usize = 5_000;
    /// Free-text fields of workflow actions (reasons, replies, notes).
    pub const TEXT: usize = 5_000;
    /// Number of attachments.
    pub const ATTACHMENTS: usize = 20;
    /// Any short code (subject, unit, call id, file name, media type).
    pub const CODE: usize = 100;
}

/// Why an intake or an action's text is refused.
#[derive(
    Debug, thiserror::Error, PartialEq, Eq, Clone, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldError {
    /// A required field is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The field's name.
        field: String,
    },
    /// A field is longer than allowed.
    #[error("{field} is {len} characters, at most {max} allowed")]
    TooLong {
        /// The field's name.
        field: String,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A field holds control or invisible formatting characters (bidi overrides, zero-width).
    #[error("{field} contains control or invisible formatting characters")]
    ControlCharacters {
        /// The field's name.
        field: String,
    },
    /// A phone number is not digits (with optional + - and spaces), 3 to 20 of them.
    #[error("{field} is not a phone number")]
    BadPhone {
        /// The field's name.
        field: String,
    },
    /// Some other malformed value.
    #[error("{field} is invalid: {reason}")]
    Invalid {
        /// The field's name.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// Checks a free-text field: length in characters and no hidden control characters
/// (newlines and tabs are allowed in multi-line fields).
pub fn check_text(
    field: &str,
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<(), FieldError> {
    if required && value.trim().is_empty() {
        return Err(FieldError::Empty {
            field: field.into(),
        });
    }
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::TooLong {
            field: field.into(),
            len,
            max,
        });
    }
    if value.chars().any(|c| is_hidden_control(c, multiline)) {
        return Err(FieldError::ControlCharacters {
            field: field.into(),
        });
    }
    Ok(())
}

fn is_hidden_control(c: char, multiline: bool) -> bool {
    if multiline && (c == '\n' || c == '\r' || c == '\t') {
        return false;
    }
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

impl Intake {
    /// Checks every field's size and form. Whether the subject exists is checked against the
    /// catalogue by the caller.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_text("caller_name", &self.caller_name, limits::NAME, false, false)?;
        check_text(
            "caller_phone",
            &self.caller_phone,
            limits::PHONE,
            false,
            false,
        )?;
        if !self.caller_phone.is_empty() && !is_phone(&self.caller_phone) {
            return Err(FieldError::BadPhone {
                field: "caller_phone".into(),
            });
        }
        check_text("address", &self.address, limits::ADDRESS, false, false)?;
        check_text("subject", &self.subject, limits::CODE, true, false)?;
        check_text("title", &self.title, limits::TITLE, true, false)?;
        check_text("content", &self.content, limits::CONTENT, true, true)?;
        if let Some(call_id) = &self.call_id {
            check_text("call_id", call_id, limits::CODE, true, false)?;
        }
        if self.attachments.len() > limits::ATTACHMENTS {
            return Err(FieldError::TooLong {
                field: "attachments".into(),
                len: self.attachments.len(),
                max: limits::ATTACHMENTS,
            });
        }
        for a in &self.attachments {
            check_text("attachments.name", &a.name, limits::CODE, true, false)?;
            check_text(
                "attachments.media_type",
                &a.media_type,
                limits::CODE,
                true,
                false,
            )?;
            if a.sha256.len() != 64
                || !a
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(FieldError::Invalid {
                    field: "attachments.sha256".into(),
                    reason: "not 64 lower-case hex digits".into(),
                });
            }
        }
        if let Some(p) = self.location
            && (!(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon))
        {
            return Err(FieldError::Invalid {
                field: "location".into(),
                reason: "latitude or longitude out of range".into(),
            });
        }
        Ok(())
    }
}

/// A phone number as typed through a Chinese IME, made plain: full-width digits and signs become
/// ASCII, and spaces (half- and full-width), hyphens and dashes between digits are dropped.
/// `１３８ ００１３－８０００` → `13800138000`.
pub fn normalize_phone(s: &str) -> String {
    s.trim()
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')),
            '＋' => Some('+'),
            ' ' | '\u{3000}' | '-' | '－' | '—' | '–' | '(' | ')' | '（' | '）' => None,
            other => Some(other),
        })
        .collect()
}

impl Intake {
    /// The intake as it is stored: the phone number normalised (see [`normalize_phone`]) and the
    /// one-line fields trimmed.
    pub fn normalized(mut self) -> Self {
        self.caller_phone = normalize_phone(&self.caller_phone);
        for f in [
            &mut self.caller_name,
            &mut self.address,
            &mut self.title,
            &mut self.subject,
        ] {
            let t = f.trim();
            if t.len() != f.len() {
                *f = t.to_owned();
            }
        }
        self
    }
}

/// Digits with optional leading `+`, spaces and hyphens; 3 to 20 digits (110-style short numbers included).
pub fn is_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let rest_ok = s
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (c == '+' && i == 0));
    rest_ok && (3..=20).contains(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Intake {
        Intake {
            channel: Channel::Phone,
            caller_name: "张三".into(),
            caller_phone: "13812348000".into(),
            address: "东湖区翠湖花园3栋".into(),
            request_type: RequestType::Complaint,
            subject: "CX.WY.DT".into(),
            location: None,
            title: "电梯频繁停运".into(),
            content: "3号楼电梯一个月停了五次。\n物业不修。".into(),
            attachments: vec![],
            urgent: false,
            confidential: false,
            call_id: None,
            area: Vec::new(),
        }
    }

    #[test]
    fn a_good_intake_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let mut i = sample();
        i.title = "𠮷".repeat(limits::TITLE);
        assert_eq!(i.validate(), Ok(()));
        i.title.push('𠮷');
        assert!(matches!(
            i.validate(),
            Err(FieldError::TooLong { len: 101, .. })
        ));
    }

    #[test]
    fn hidden_characters_and_bad_phones_are_refused() {
        let mut i = sample();
        i.caller_name = "张\u{202E}三".into();
        assert!(matches!(
            i.validate(),
            Err(FieldError::ControlCharacters { .. })
        ));
        let mut i = sample();
        i.title = "电梯\u{200B}停运".into();
        assert!(matches!(
            i.validate(),
            Err(FieldError::ControlCharacters { .. })
        ));
        let mut i = sample();
        i.caller_phone = "１３８".into(); // full-width digits are not a phone until normalised
        assert!(matches!(i.validate(), Err(FieldError::BadPhone { .. })));
        let i = i.normalized();
        assert_eq!(i.caller_phone, "138");
        assert!(i.validate().is_ok());
        assert_eq!(
            normalize_phone(" １３８ ００１３－８０００ "),
            "13800138000"
        );
        assert_eq!(normalize_phone("＋86 138-0013-8000"), "+8613800138000");
        assert_eq!(normalize_phone("0571（8888）1234"), "057188881234");
        let mut i = sample();
        i.caller_phone = "138abc".into();
        assert!(matches!(
            i.normalized().validate(),
            Err(FieldError::BadPhone { .. })
        ));
        let mut i = sample();
        i.title = "  ".into();
        assert!(matches!(i.validate(), Err(FieldError::Empty { .. })));
    }
}
