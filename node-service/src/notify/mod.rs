//! Notifications that reach people: what an event causes is queued in the node's outbox with the
//! event (`hotline_model::notify` decides, `replica_store::outbox` keeps), and the sender here
//! delivers it by SMS or e-mail, retrying with backoff until it is sent or given up.
//!
//! Exactly one node sends a notification: the node that recorded the event (events that arrive
//! by sync were notified where they were recorded; automatic urges and supervisions are recorded
//! by the hub only).

pub mod config;
pub mod email;
pub mod http;
pub mod sms;
pub mod sms_sign;
pub mod wechat;
pub use config::NotifyConfig;

use std::sync::Arc;
use std::time::Duration;

use hotline_model::notify::Medium;
use replica_store::outbox::{Outcome, Outgoing};

use crate::state::AppState;

/// The configured ways out.
pub struct Channels {
    mailer: Option<email::Mailer>,
    sms: Option<sms::SmsConfig>,
    wechat: Option<crate::inbound::config::WechatConfig>,
    wechat_tokens: wechat::Tokens,
    tls: http::Tls,
    timeout: Duration,
}

impl Channels {
    /// Builds the channels of `cfg`.
    pub fn new(cfg: &NotifyConfig) -> anyhow::Result<Channels> {
        Ok(Channels {
            mailer: cfg.smtp.as_ref().map(email::Mailer::new).transpose()?,
            sms: cfg.sms.clone(),
            wechat: cfg.inbound.wechat.clone(),
            wechat_tokens: wechat::Tokens::default(),
            tls: http::Tls::new(cfg.sms_ca_cert.as_deref())?,
            timeout: Duration::from_secs(match cfg.send_timeout_secs {
                0 => 30,
                s => s,
            }),
        })
    }

    /// Tries to deliver `o` once (an e-mail with `attachment`), within the attempt's time limit.
    pub async fn send(
        &self,
        o: &Outgoing,
        attachment: Option<&email::Attachment>,
        now_ms: i64,
    ) -> Outcome {
        let attempt = async {
            match o.medium {
                Medium::Email => match &self.mailer {
                    Some(m) => m.send(o, attachment).await,
                    None => Outcome::Failed {
                        error: "未配置邮件服务器".into(),
                        permanent: true,
                    },
                },
                Medium::Wechat => match &self.wechat {
                    Some(cfg) => self.wechat_tokens.send(cfg, &self.tls, o, now_ms).await,
                    None => Outcome::Failed {
                        error: "未配置微信公众号".into(),
                        permanent: true,
                    },
                },
                Medium::Sms => match &self.sms {
                    Some(cfg) => sms::send(cfg, &self.tls, o, now_ms).await,
                    None => Outcome::Failed {
                        error: "未配置短信通道".into(),
                        permanent: true,
                    },
                },
            }
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or_else(|_| Outcome::Failed {
                error: format!("发送超时（{}秒）", self.timeout.as_secs()),
                permanent: false,
            })
    }
}

/// Makes the store queue what every event recorded here causes, by the centre's rules (the
/// reference document `notices`, read at each event, so an edit applies at once).
pub fn install(state: &AppState) {
    let refdata = state.refdata.clone();
    state
        .store
        .set_notifier(Arc::new(move |view, events, code| {
            let rd = refdata.read().unwrap_or_else(|p| p.into_inner()).clone();
            let now = events.last().map_or(0, |e| e.hlc.wall_ms);
            hotline_model::notify::notices(view, events, code, &rd.org, &rd.notices, now)
        }));
}

/// Delivers what falls due, for as long as the node runs: wakes when notifications are queued or
/// when the next one falls due, and records every attempt.
pub async fn run_sender(state: AppState, channels: Arc<Channels>) {
    loop {
        match deliver_due(&state, &channels).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "outbox: cannot read or record"),
        }
        let wait = match state.store.outbox_next_due().await {
            Ok(Some(at)) => (at - state.now()).clamp(0, 60_000),
            Ok(None) => 60_000,
            Err(_) => 5_000,
        };
        if wait == 0 {
            continue;
        }
        tokio::select! {
            _ = state.store.outbox_queued_wait() => {}
            _ = tokio::time::sleep(Duration::from_millis(wait as u64)) => {}
        }
    }
}

/// Delivers one batch of due notifications; `true` when there may be more due now.
async fn deliver_due(
    state: &AppState,
    channels: &Channels,
) -> Result<bool, replica_store::StoreError> {
    const BATCH: u32 = 32;
    let due = state.store.outbox_due(state.now(), BATCH).await?;
    let attempts = due.iter().map(|o| async move {
        // The monthly report's workbook is made when it is sent (and again at a retry).
        let outcome = match crate::report::attachment(state, &o.key).await {
            Ok(attachment) => channels.send(o, attachment.as_ref(), state.now()).await,
            Err(error) => Outcome::Failed {
                error,
                permanent: false,
            },
        };
        if let Outcome::Failed { error, .. } = &outcome {
            tracing::warn!(key = %o.key, error = %error, "notification not delivered");
        }
        state.store.outbox_record(o.id, state.now(), outcome).await
    });
    for r in futures::future::join_all(attempts).await {
        r?;
    }
    Ok(due.len() as u32 == BATCH)
}
