//! A call through the centre's telephony (通话记录): who called whom, which operator answered in
//! which queue, when it rang, was answered and ended, how long they talked, why it ended, and
//! where its recording is. Linked to orders by the call id the intake records.

use serde::{Deserialize, Serialize};

/// Which way the call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    /// A citizen called the hotline (呼入).
    Inbound,
    /// The centre called out: callbacks, checks (呼出).
    Outbound,
}

impl CallDirection {
    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            CallDirection::Inbound => "呼入",
            CallDirection::Outbound => "呼出",
        }
    }

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }
}

/// One call leg as the telephony reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallRecord {
    /// The telephony's id of the call (FreeSWITCH `uuid`): the intake's `call_id`.
    pub call_id: String,
    /// Which way.
    pub direction: CallDirection,
    /// The calling number.
    pub caller: String,
    /// The number or extension called.
    pub callee: String,
    /// The operator's login, when known (from the agent name or the answering extension).
    pub operator: Option<String>,
    /// The queue (technical group) the call came through.
    pub queue: Option<String>,
    /// When it started ringing (Unix ms).
    pub started_at: i64,
    /// When answered, if it was.
    pub answered_at: Option<i64>,
    /// When it ended.
    pub ended_at: i64,
    /// Seconds talked (from answer to end).
    pub talk_secs: u32,
    /// The telephony's hang-up cause (`NORMAL_CLEARING` …).
    pub hangup_cause: String,
    /// Where the telephony keeps the recording, if it recorded.
    pub recording: Option<String>,
}

/// Longest text kept of any field of a call record (characters).
pub const FIELD_MAX: usize = 200;

impl CallRecord {
    /// Checks the record makes sense: an id, times in order, fields within their lengths.
    pub fn check(&self) -> Result<(), String> {
        if self.call_id.trim().is_empty() {
            return Err("通话记录缺少通话标识（uuid）".into());
        }
        for (name, v) in [
            ("call_id", Some(&self.call_id)),
            ("caller", Some(&self.caller)),
            ("callee", Some(&self.callee)),
            ("hangup_cause", Some(&self.hangup_cause)),
            ("operator", self.operator.as_ref()),
            ("queue", self.queue.as_ref()),
            ("recording", self.recording.as_ref()),
        ] {
            if v.is_some_and(|v| v.chars().count() > FIELD_MAX || v.chars().any(char::is_control)) {
                return Err(format!("通话记录字段 {name} 过长或含控制字符"));
            }
        }
        if self.started_at <= 0 || self.ended_at < self.started_at {
            return Err("通话记录的开始、结束时间不合理".into());
        }
        if self
            .answered_at
            .is_some_and(|a| a < self.started_at || a > self.ended_at)
        {
            return Err("通话记录的接听时间不在通话期间".into());
        }
        Ok(())
    }

    /// Whether the call was answered.
    pub fn answered(&self) -> bool {
        self.answered_at.is_some()
    }
}

/// A hang-up cause in words (the common Q.850 causes FreeSWITCH reports).
pub fn hangup_label(cause: &str) -> &str {
    match cause {
        "NORMAL_CLEARING" => "正常挂机",
        "ORIGINATOR_CANCEL" => "来电方挂断（未接通）",
        "NO_ANSWER" | "NO_USER_RESPONSE" => "无人接听",
        "USER_BUSY" => "忙线",
        "CALL_REJECTED" => "拒接",
        "UNALLOCATED_NUMBER" => "空号",
        "NORMAL_TEMPORARY_FAILURE" | "RECOVERY_ON_TIMER_EXPIRE" => "线路故障",
        "LOSE_RACE" => "其他坐席已接听",
        "" => "—",
        other => other,
    }
}

/// Seconds as `m:ss` (or `h:mm:ss`).
pub fn talk_time(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> CallRecord {
        CallRecord {
            call_id: "a1".into(),
            direction: CallDirection::Inbound,
            caller: "13812345678".into(),
            callee: "12345".into(),
            operator: Some("op01".into()),
            queue: Some("12345".into()),
            started_at: 1_000,
            answered_at: Some(2_000),
            ended_at: 9_000,
            talk_secs: 7,
            hangup_cause: "NORMAL_CLEARING".into(),
            recording: None,
        }
    }

    #[test]
    fn a_call_record_is_checked_before_it_is_kept() {
        assert!(call().check().is_ok());
        assert!(
            CallRecord {
                call_id: " ".into(),
                ..call()
            }
            .check()
            .is_err()
        );
        assert!(
            CallRecord {
                ended_at: 500,
                ..call()
            }
            .check()
            .is_err()
        );
        assert!(
            CallRecord {
                answered_at: Some(10_000),
                ..call()
            }
            .check()
            .is_err()
        );
        assert!(
            CallRecord {
                caller: "1\n2".into(),
                ..call()
            }
            .check()
            .is_err()
        );
        assert!(
            CallRecord {
                queue: Some("q".repeat(201)),
                ..call()
            }
            .check()
            .is_err()
        );
    }

    #[test]
    fn talk_time_and_causes_read_as_people_say_them() {
        assert_eq!(talk_time(0), "0:00");
        assert_eq!(talk_time(288), "4:48");
        assert_eq!(talk_time(3_725), "1:02:05");
        assert_eq!(hangup_label("NORMAL_CLEARING"), "正常挂机");
        assert_eq!(hangup_label("SOMETHING_NEW"), "SOMETHING_NEW");
    }
}
