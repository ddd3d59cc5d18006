//! Texts to a citizen's WeChat (the official account's customer-service message API): an access
//! token from `GET /cgi-bin/token`, kept until shortly before it expires, then
//! `POST /cgi-bin/message/custom/send`. WeChat delivers these only within 48 hours of the
//! citizen's last message to the account; after that the answer is final (45015), and the
//! operator sees why in the outbox.

use std::sync::Mutex;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use replica_store::outbox::{Outcome, Outgoing};
use serde_json::{Value, json};

use super::http::{self, Tls};
use super::sms::failed;
use crate::inbound::config::WechatConfig;

/// The account's access token, kept between sends.
#[derive(Default)]
pub struct Tokens(Mutex<Option<(String, i64)>>);

fn base(cfg: &WechatConfig) -> &str {
    cfg.api_base
        .as_deref()
        .unwrap_or("https://api.weixin.qq.com")
        .trim_end_matches('/')
}

impl Tokens {
    async fn get(&self, cfg: &WechatConfig, tls: &Tls, now_ms: i64) -> Result<String, Outcome> {
        if let Some((t, until)) = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
            && until > now_ms
        {
            return Ok(t);
        }
        let Some(secret) = cfg.secret.as_deref() else {
            return Err(failed("未配置公众号 AppSecret，无法通过微信回复", true));
        };
        let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let url = format!(
            "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            base(cfg),
            enc(&cfg.appid),
            enc(secret)
        );
        let (status, body) = http::send(tls, "GET", &url, &[], String::new())
            .await
            .map_err(|e| failed(e, false))?;
        let v: Value = serde_json::from_str(&body)
            .map_err(|_| failed(format!("微信接口应答无法解析（HTTP {status}）"), false))?;
        let Some(token) = v["access_token"].as_str() else {
            return Err(failed(
                format!("获取微信access_token失败：{} {}", v["errcode"], v["errmsg"]),
                false,
            ));
        };
        // Renewed five minutes early.
        let until = now_ms + v["expires_in"].as_i64().unwrap_or(7200) * 1000 - 300_000;
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((token.to_owned(), until));
        Ok(token.to_owned())
    }

    fn forget(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Sends `o` (its recipient an OpenID) once.
    pub async fn send(&self, cfg: &WechatConfig, tls: &Tls, o: &Outgoing, now_ms: i64) -> Outcome {
        let token = match self.get(cfg, tls, now_ms).await {
            Ok(t) => t,
            Err(o) => return o,
        };
        let url = format!(
            "{}/cgi-bin/message/custom/send?access_token={}",
            base(cfg),
            utf8_percent_encode(&token, NON_ALPHANUMERIC)
        );
        let body = json!({"touser": o.recipient, "msgtype": "text", "text": {"content": o.body}});
        let headers = [("content-type", "application/json".to_owned())];
        let (status, answer) = match http::send(tls, "POST", &url, &headers, body.to_string()).await
        {
            Ok(r) => r,
            Err(e) => return failed(e, false),
        };
        let Ok(v) = serde_json::from_str::<Value>(&answer) else {
            return failed(format!("微信接口应答无法解析（HTTP {status}）"), false);
        };
        match v["errcode"].as_i64().unwrap_or(-1) {
            0 => Outcome::Sent(format!("微信 {}", v["msgid"])),
            // The token expired or was replaced: fetch another next time.
            code @ (40001 | 40014 | 42001) => {
                self.forget();
                failed(format!("微信access_token失效（{code}）"), false)
            }
            45015 => failed("超过48小时未与公众号互动，微信无法送达", true),
            code @ (40003 | 43004) => {
                failed(format!("微信用户不可达（{code}：{}）", v["errmsg"]), true)
            }
            code => failed(format!("微信接口错误 {code}：{}", v["errmsg"]), false),
        }
    }
}
