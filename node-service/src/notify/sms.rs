//! Texts through an SMS gateway: Alibaba Cloud (`SendSms`, RPC signature), Tencent Cloud (API v3,
//! TC3 signature) or a generic HTTP gateway (a carrier's or a province's platform).
//!
//! The cloud gateways send only pre-approved templates: the hotline's template has one variable,
//! `content`, that carries the whole text. Each answer is read for the provider's own result code:
//! a refusal that retrying cannot change (a bad number, a bad template, bad credentials) gives the
//! message up at once; anything else is tried again later.

use replica_store::outbox::{Outcome, Outgoing};
use serde::{Deserialize, Serialize};

use super::http::{self, Tls};
use super::sms_sign;

/// Which gateway, and its account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsConfig {
    /// Alibaba Cloud SMS.
    Aliyun {
        /// `AccessKeyId`.
        access_key_id: String,
        /// The access key secret.
        access_key_secret: String,
        /// The approved signature (签名).
        sign_name: String,
        /// The approved template, with one variable `content`.
        template_code: String,
        /// Region, default `cn-hangzhou`.
        #[serde(default = "aliyun_region")]
        region_id: String,
        /// Endpoint, default `https://dysmsapi.aliyuncs.com/`.
        #[serde(default = "aliyun_endpoint")]
        endpoint: String,
    },
    /// Tencent Cloud SMS.
    Tencent {
        /// `SecretId`.
        secret_id: String,
        /// `SecretKey`.
        secret_key: String,
        /// `SmsSdkAppId`.
        sdk_app_id: String,
        /// The approved signature (签名).
        sign_name: String,
        /// The approved template, with one variable.
        template_id: String,
        /// Region, default `ap-guangzhou`.
        #[serde(default = "tencent_region")]
        region: String,
        /// Endpoint, default `https://sms.tencentcloudapi.com/`.
        #[serde(default = "tencent_endpoint")]
        endpoint: String,
    },
    /// A generic HTTP gateway: `POST` of `{"id", "phone", "text"}` as JSON, with a bearer token
    /// when given; any 2xx is delivered, 4xx refused, anything else retried.
    Http {
        /// The gateway's URL.
        url: String,
        /// Sent as `Authorization: Bearer <token>`.
        #[serde(default)]
        token: Option<String>,
    },
}

fn aliyun_region() -> String {
    "cn-hangzhou".into()
}
fn aliyun_endpoint() -> String {
    "https://dysmsapi.aliyuncs.com/".into()
}
fn tencent_region() -> String {
    "ap-guangzhou".into()
}
fn tencent_endpoint() -> String {
    "https://sms.tencentcloudapi.com/".into()
}

pub(crate) fn failed(error: impl Into<String>, permanent: bool) -> Outcome {
    Outcome::Failed {
        error: error.into(),
        permanent,
    }
}

/// ISO 8601 UTC of Unix ms, as Alibaba's `Timestamp` wants it.
fn iso_utc(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Sends the text `o` through the gateway `cfg` at `now_ms`.
pub async fn send(cfg: &SmsConfig, tls: &Tls, o: &Outgoing, now_ms: i64) -> Outcome {
    let content = serde_json::json!({ "content": o.body }).to_string();
    // A survey goes out from its own number extension, so the reply names the survey it answers.
    let extend = if hotline_model::survey::is_survey_key(&o.key) {
        hotline_model::survey::extend_code(&o.key)
    } else {
        String::new()
    };
    match cfg {
        SmsConfig::Aliyun {
            access_key_id,
            access_key_secret,
            sign_name,
            template_code,
            region_id,
            endpoint,
        } => {
            let account = sms_sign::AliyunSms {
                access_key_id: access_key_id.clone(),
                access_key_secret: access_key_secret.clone(),
                sign_name: sign_name.clone(),
                region_id: region_id.clone(),
            };
            let query = sms_sign::aliyun_send_sms_query(
                &account,
                &o.recipient,
                template_code,
                &content,
                &o.key,
                &extend,
                &uuid::Uuid::new_v4().to_string(),
                &iso_utc(now_ms),
            );
            let url = format!("{endpoint}?{query}");
            match http::send(tls, "GET", &url, &[], String::new()).await {
                Err(e) => failed(e, false),
                Ok((status, body)) => aliyun_outcome(status, &body),
            }
        }
        SmsConfig::Tencent {
            secret_id,
            secret_key,
            sdk_app_id,
            sign_name,
            template_id,
            region,
            endpoint,
        } => {
            let body = sms_sign::tencent_send_sms_body(
                sdk_app_id,
                sign_name,
                template_id,
                &format!("+86{}", o.recipient),
                std::slice::from_ref(&o.body),
                &o.key,
                &extend,
            );
            let host = endpoint
                .parse::<hyper::Uri>()
                .ok()
                .and_then(|u| u.host().map(str::to_owned))
                .unwrap_or_default();
            let content_type = "application/json; charset=utf-8";
            let seconds = now_ms.div_euclid(1000);
            let signed = sms_sign::tc3_authorization(
                secret_id,
                secret_key,
                "sms",
                &host,
                content_type,
                &body,
                seconds,
            );
            let headers = [
                ("Authorization", signed.authorization),
                ("Content-Type", content_type.to_owned()),
                ("X-TC-Action", "SendSms".to_owned()),
                ("X-TC-Version", "2021-01-11".to_owned()),
                ("X-TC-Timestamp", seconds.to_string()),
                ("X-TC-Region", region.clone()),
            ];
            match http::send(tls, "POST", endpoint, &headers, body).await {
                Err(e) => failed(e, false),
                Ok((status, body)) => tencent_outcome(status, &body),
            }
        }
        SmsConfig::Http { url, token } => {
            let body = serde_json::json!({ "id": o.key, "phone": o.recipient, "text": o.body })
                .to_string();
            let mut headers = vec![("Content-Type", "application/json".to_owned())];
            if let Some(t) = token {
                headers.push(("Authorization", format!("Bearer {t}")));
            }
            match http::send(tls, "POST", url, &headers, body).await {
                Err(e) => failed(e, false),
                Ok((status, body)) if (200..300).contains(&status) => {
                    Outcome::Sent(format!("HTTP {status} {}", short(&body)))
                }
                Ok((status, body)) => {
                    failed(format!("HTTP {status} {}", short(&body)), status < 500)
                }
            }
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Alibaba's answer: `{"Code": "OK", "BizId": …}` when accepted. Its `isv.*` codes are refusals
/// of the request itself (number, template, signature, account), except its flow control.
fn aliyun_outcome(status: u16, body: &str) -> Outcome {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = v["Code"].as_str().unwrap_or_default();
    if status == 200 && code == "OK" {
        return Outcome::Sent(format!("BizId {}", v["BizId"].as_str().unwrap_or_default()));
    }
    let permanent = code.starts_with("isv.") && !code.contains("LIMIT_CONTROL")
        || code.starts_with("SignatureDoesNotMatch")
        || code.starts_with("InvalidAccessKeyId");
    failed(
        format!(
            "阿里云短信 HTTP {status} {code} {}",
            v["Message"].as_str().unwrap_or_default()
        ),
        permanent,
    )
}

/// Tencent's answer: `{"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": …}]}}` when
/// accepted, `{"Response": {"Error": {"Code", "Message"}}}` when the request failed.
fn tencent_outcome(status: u16, body: &str) -> Outcome {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let r = &v["Response"];
    if let Some(code) = r["Error"]["Code"].as_str() {
        let transient = code.starts_with("InternalError")
            || code.starts_with("LimitExceeded")
            || code.starts_with("RequestLimitExceeded");
        return failed(
            format!(
                "腾讯云短信 {code} {}",
                r["Error"]["Message"].as_str().unwrap_or_default()
            ),
            !transient,
        );
    }
    let s = &r["SendStatusSet"][0];
    match s["Code"].as_str() {
        Some("Ok") if status == 200 => Outcome::Sent(format!(
            "SerialNo {}",
            s["SerialNo"].as_str().unwrap_or_default()
        )),
        Some(code) => failed(
            format!(
                "腾讯云短信 {code} {}",
                s["Message"].as_str().unwrap_or_default()
            ),
            !code.starts_with("LimitExceeded"),
        ),
        None => failed(format!("腾讯云短信 HTTP {status} {}", short(body)), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_answers_are_read_for_their_own_codes() {
        assert_eq!(
            aliyun_outcome(200, r#"{"Code":"OK","BizId":"9001","Message":"OK"}"#),
            Outcome::Sent("BizId 9001".into())
        );
        assert!(matches!(
            aliyun_outcome(
                200,
                r#"{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"非法手机号"}"#
            ),
            Outcome::Failed {
                permanent: true,
                ..
            }
        ));
        assert!(matches!(
            aliyun_outcome(
                200,
                r#"{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发流控"}"#
            ),
            Outcome::Failed {
                permanent: false,
                ..
            }
        ));
        assert!(matches!(
            aliyun_outcome(502, "bad gateway"),
            Outcome::Failed {
                permanent: false,
                ..
            }
        ));
        assert_eq!(
            tencent_outcome(
                200,
                r#"{"Response":{"SendStatusSet":[{"Code":"Ok","SerialNo":"5000:1"}],"RequestId":"r"}}"#
            ),
            Outcome::Sent("SerialNo 5000:1".into())
        );
        assert!(matches!(
            tencent_outcome(
                200,
                r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"x"}}}"#
            ),
            Outcome::Failed {
                permanent: true,
                ..
            }
        ));
        assert!(matches!(
            tencent_outcome(
                200,
                r#"{"Response":{"Error":{"Code":"InternalError.Timeout","Message":"x"}}}"#
            ),
            Outcome::Failed {
                permanent: false,
                ..
            }
        ));
        assert_eq!(iso_utc(1_499_826_139_000), "2017-07-12T02:22:19Z");
    }
}
