//! Messages citizens send in: texts to the hotline number (pushed by the SMS gateway), WeChat
//! official-account messages, e-mails to the hotline's mailbox (delivered by its mail server). Each is kept once (gateways retry); a text that answers
//! the sender's open satisfaction survey settles it (the rating recorded as the order's callback,
//! or the one clarification sent); everything else is an **intake draft** for the operators
//! (`replica_store::inbound`), never an order by itself.
//!
//! Limits: a sender's messages beyond [`InboundConfig::per_sender_per_hour`] are kept but set
//! aside (an operator can still read them); a client address pushing too often is refused with
//! 429 (gateways retry later, so nothing is lost).

use crate::Kind;
use std::net::IpAddr;

use hotline_model::event::{Action, CallbackChannel, Satisfaction};
use hotline_model::notify::{Medium, Notice, fill};
use hotline_model::survey::{SurveyStep, answer_step};
use replica_store::inbound::{Handling, Received};
use replica_store::{NewEvent, StoreError, SurveyAnswer};

use crate::Hotline;
use crate::throttle::Failures;

/// Messages per sender and pushes per client address.
pub struct InboundGuard {
    senders: Failures<(String, String)>,
    peers: Failures<IpAddr>,
}

impl InboundGuard {
    /// At most `per_sender_per_hour` drafts per sender an hour, `per_peer_per_minute` pushes per
    /// client address a minute.
    pub fn new(per_sender_per_hour: u32, per_peer_per_minute: u32) -> InboundGuard {
        InboundGuard {
            senders: Failures::new(per_sender_per_hour.max(1), 3_600_000),
            peers: Failures::new(per_peer_per_minute.max(1), 60_000),
        }
    }

    /// Counts a push from `peer`; `false` when it is over the limit.
    pub fn admit_peer(&self, peer: IpAddr, now: i64) -> bool {
        if self.peers.locked(&peer, now) {
            return false;
        }
        self.peers.fail(peer, now);
        true
    }
}

impl Default for InboundGuard {
    fn default() -> Self {
        InboundGuard::new(20, 600)
    }
}

/// What became of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// Delivered before: nothing done.
    Duplicate,
    /// It answered a survey: a rating recorded, or the clarification sent (`None`).
    Survey {
        /// The order.
        ticket: String,
        /// The rating recorded.
        rating: Option<Satisfaction>,
    },
    /// An intake draft for the operators.
    Draft(i64),
    /// Kept, but set aside: the sender is over the limit.
    SetAside(i64),
}

/// Admits a push to a secret address: the path's secret matches the configured one (constant
/// time; none configured or a wrong one is answered 404 like any unknown path), and the client
/// address is within its rate (429: the gateway tries again later).
pub fn admit(
    state: &Hotline,
    configured: Option<&str>,
    given: &str,
    peer: Option<IpAddr>,
) -> Result<(), crate::OpError> {
    use subtle::ConstantTimeEq;
    let known = configured
        .is_some_and(|s| !s.is_empty() && bool::from(s.as_bytes().ct_eq(given.as_bytes())));
    if !known {
        return Err(crate::OpError::not_found("接口"));
    }
    if let Some(p) = peer
        && !state.citizens.inbound.admit_peer(p, state.now())
    {
        return Err(crate::OpError::new(
            Kind::Limited,
            "too_many_requests",
            "推送过于频繁，请稍后重试",
        ));
    }
    Ok(())
}

/// A mainland mobile number without its country code (`+86`, `86`, `0086`) or spaces.
pub fn normalize_phone(raw: &str) -> String {
    let digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let d = digits.trim_start_matches('+');
    for prefix in ["0086", "86"] {
        if let Some(rest) = d.strip_prefix(prefix)
            && rest.len() == 11
        {
            return rest.to_owned();
        }
    }
    d.to_owned()
}

/// A text to a citizen who wrote in, sent now (an answer to their own message).
pub fn reply_notice(
    key: String,
    medium: Medium,
    to: &str,
    ticket: &str,
    body: String,
    now: i64,
) -> Notice {
    Notice {
        key,
        medium,
        to: to.to_owned(),
        subject: if medium == Medium::Email {
            "【12345热线】答复".into()
        } else {
            String::new()
        },
        body,
        ticket: ticket.to_owned(),
        urgent: false,
        citizen: true,
        not_before: now,
        survey: false,
    }
}

/// Keeps `msg` and does what it asks (see the module's description).
pub async fn accept(state: &Hotline, msg: Received) -> Result<Receipt, StoreError> {
    let refdata = state.refdata();
    let rules = &refdata.notices;
    if msg.channel == "sms" && rules.survey.enabled {
        let (phone, extend) = (msg.sender.clone(), msg.extend.clone());
        let open = state
            .store
            .read(move |c| replica_store::surveys::open_for(c, &phone, extend.as_deref()))
            .await?;
        if let Some(s) = open {
            let step = answer_step(&msg.content, s.state == "clarifying", &rules.survey);
            let fill_survey = |template: &str, rating: &str| {
                fill(
                    template,
                    &[
                        ("hotline", &rules.hotline),
                        ("number", &s.ticket),
                        ("options", &rules.survey.options_text()),
                        ("rating", rating),
                    ],
                )
            };
            let text = |suffix: &str, body: String| {
                reply_notice(
                    format!("{}:{suffix}", s.key),
                    Medium::Sms,
                    &s.phone,
                    &s.ticket,
                    body,
                    msg.received_at,
                )
            };
            let (answer, replies, rating) = match step {
                SurveyStep::Rate(satisfaction) => {
                    let centre = state.refdata().org.root().to_string();
                    let event = NewEvent {
                        id: uuid::Uuid::new_v4().to_string(),
                        author: crate::alerts::SYSTEM_USER.into(),
                        unit: centre,
                        action: Action::Callback {
                            satisfaction,
                            note: format!("短信回复：{}", msg.content.trim()),
                            channel: CallbackChannel::Sms,
                        },
                        now_ms: msg.received_at,
                    };
                    let thanks = (!rules.survey.thanks_text.is_empty()).then(|| {
                        text(
                            "thanks",
                            fill_survey(&rules.survey.thanks_text, satisfaction.label()),
                        )
                    });
                    (
                        SurveyAnswer {
                            key: s.key.clone(),
                            ticket: s.ticket.clone(),
                            state: "answered",
                            event: Some(event),
                        },
                        thanks.into_iter().collect(),
                        Some(satisfaction),
                    )
                }
                SurveyStep::Clarify => (
                    SurveyAnswer {
                        key: s.key.clone(),
                        ticket: s.ticket.clone(),
                        state: "clarifying",
                        event: None,
                    },
                    vec![text("clarify", fill_survey(&rules.survey.clarify_text, ""))],
                    None,
                ),
                SurveyStep::NotAnAnswer => return draft(state, msg).await,
            };
            match state
                .store
                .receive(msg.clone(), Some(answer), replies)
                .await
            {
                Ok(Some(_)) => {
                    tracing::info!(number = %s.ticket, ?rating, "survey answered by text");
                    return Ok(Receipt::Survey {
                        ticket: s.ticket,
                        rating,
                    });
                }
                Ok(None) => return Ok(Receipt::Duplicate),
                // The order moved on (called back by phone, closed): the survey is over, and an
                // operator reads the text.
                Err(StoreError::Rejected(r)) => {
                    tracing::info!(number = %s.ticket, %r, "survey answer too late");
                    let closed = SurveyAnswer {
                        key: s.key,
                        ticket: s.ticket,
                        state: "closed",
                        event: None,
                    };
                    return Ok(
                        match state.store.receive(msg, Some(closed), vec![]).await? {
                            Some(id) => Receipt::Draft(id),
                            None => Receipt::Duplicate,
                        },
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
    draft(state, msg).await
}

/// Keeps `msg` as an intake draft (set aside when its sender is over the limit).
async fn draft(state: &Hotline, msg: Received) -> Result<Receipt, StoreError> {
    let guard = &state.citizens.inbound;
    let key = (msg.channel.clone(), msg.sender.clone());
    let now = msg.received_at;
    let flooding = guard.senders.locked(&key, now);
    let Some(id) = state.store.receive(msg, None, vec![]).await? else {
        return Ok(Receipt::Duplicate);
    };
    guard.senders.fail(key, now);
    if flooding {
        state
            .store
            .handle_draft(
                id,
                Handling::Dismissed("同一发送方一小时内消息过多，自动归档".into()),
                crate::alerts::SYSTEM_USER.into(),
                now,
                vec![],
            )
            .await?;
        return Ok(Receipt::SetAside(id));
    }
    Ok(Receipt::Draft(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_lose_their_country_code() {
        assert_eq!(normalize_phone("+8613900001111"), "13900001111");
        assert_eq!(normalize_phone("8613900001111"), "13900001111");
        assert_eq!(normalize_phone("008613900001111"), "13900001111");
        assert_eq!(normalize_phone("139 0000 1111"), "13900001111");
        assert_eq!(normalize_phone("13900001111"), "13900001111");
        assert_eq!(normalize_phone("86123"), "86123");
    }
}
