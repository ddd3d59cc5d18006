//! Request signing for the two SMS gateways the hotline can send through: Alibaba Cloud SMS
//! (`SendSms`, RPC style, HMAC-SHA1) and Tencent Cloud SMS (API v3, TC3-HMAC-SHA256).
//!
//! Pure functions: the caller supplies clock readings, nonces and secrets and does the HTTP. The
//! verifiers are for a local test gateway, which must itself check timestamp freshness.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use ring::{digest, hmac};

/// Everything but the RFC 3986 unreserved characters gets percent-encoded.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes `s` the way Alibaba Cloud signatures require: the UTF-8 bytes of everything
/// except `A-Z a-z 0-9 - _ . ~` become `%XX` with uppercase hex (so a space is `%20`, `*` is
/// `%2A` and `~` stays as it is).
pub fn aliyun_percent_encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// The parameters sorted by key (byte order), percent-encoded and joined as `k=v&k=v`.
fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", aliyun_percent_encode(k), aliyun_percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn aliyun_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let query = canonical_query(params);
    format!("{method}&%2F&{}", aliyun_percent_encode(&query))
}

fn aliyun_key(access_key_secret: &str) -> hmac::Key {
    let key = format!("{access_key_secret}&");
    hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes())
}

/// Computes the Alibaba Cloud RPC signature (`SignatureMethod=HMAC-SHA1`,
/// `SignatureVersion=1.0`) of `params`, which must not include `Signature` itself.
///
/// `method` is the HTTP method as sent, e.g. `GET`. Returns the base64 signature, not yet
/// percent-encoded.
pub fn aliyun_sign(method: &str, params: &[(String, String)], access_key_secret: &str) -> String {
    let key = aliyun_key(access_key_secret);
    let tag = hmac::sign(&key, aliyun_string_to_sign(method, params).as_bytes());
    BASE64.encode(tag)
}

/// Alibaba Cloud SMS account settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliyunSms {
    /// The access key id (`AccessKeyId`).
    pub access_key_id: String,
    /// The access key secret; only used to sign, never sent.
    pub access_key_secret: String,
    /// The approved SMS signature (the sender name shown in brackets).
    pub sign_name: String,
    /// The region, e.g. `cn-hangzhou`.
    pub region_id: String,
}

/// Builds the complete, signed and percent-encoded query string of a `SendSms` GET request, to be
/// appended after `?` to `https://dysmsapi.aliyuncs.com/`.
///
/// `template_param_json` is the template variables as a JSON object, `extend_code` the number
/// extension replies come back to (`SmsUpExtendCode`; empty: none), `nonce` must be unique per
/// request and `timestamp_utc` is ISO 8601 UTC, e.g. `2017-07-12T02:42:19Z`.
#[allow(clippy::too_many_arguments)]
pub fn aliyun_send_sms_query(
    cfg: &AliyunSms,
    phone: &str,
    template_code: &str,
    template_param_json: &str,
    out_id: &str,
    extend_code: &str,
    nonce: &str,
    timestamp_utc: &str,
) -> String {
    let mut params: Vec<(String, String)> = [
        ("AccessKeyId", cfg.access_key_id.as_str()),
        ("Action", "SendSms"),
        ("Format", "JSON"),
        ("OutId", out_id),
        ("PhoneNumbers", phone),
        ("RegionId", cfg.region_id.as_str()),
        ("SignName", cfg.sign_name.as_str()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", nonce),
        ("SignatureVersion", "1.0"),
        ("TemplateCode", template_code),
        ("TemplateParam", template_param_json),
        ("Timestamp", timestamp_utc),
        ("Version", "2017-05-25"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if !extend_code.is_empty() {
        params.push(("SmsUpExtendCode".into(), extend_code.into()));
    }
    let signature = aliyun_percent_encode(&aliyun_sign("GET", &params, &cfg.access_key_secret));
    format!("Signature={signature}&{}", canonical_query(&params))
}

/// Percent-decodes one query component; `+` is read as a space, as form decoding does.
fn query_decode(s: &str) -> Option<String> {
    let s = s.replace('+', " ");
    Some(percent_decode_str(&s).decode_utf8().ok()?.into_owned())
}

/// Checks the `Signature` of a GET query string as produced by [`aliyun_send_sms_query`] (a
/// leading `?` is allowed): decodes every parameter, recomputes the signature over all but
/// `Signature` and compares in constant time. A missing, repeated or malformed `Signature`, or
/// a component that is not valid percent-encoded UTF-8, fails.
pub fn aliyun_verify_query(query: &str, access_key_secret: &str) -> bool {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut params = Vec::new();
    let mut signature = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (query_decode(k), query_decode(v)) else {
            return false;
        };
        if k == "Signature" {
            if signature.replace(v).is_some() {
                return false;
            }
        } else {
            params.push((k, v));
        }
    }
    let Some(tag) = signature.and_then(|s| BASE64.decode(s).ok()) else {
        return false;
    };
    let key = aliyun_key(access_key_secret);
    hmac::verify(&key, aliyun_string_to_sign("GET", &params).as_bytes(), &tag).is_ok()
}

const TC3_ALGORITHM: &str = "TC3-HMAC-SHA256";
const TC3_SIGNED_HEADERS: &str = "content-type;host";

/// A Tencent Cloud API v3 signature and the intermediate values worth logging or testing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Signed {
    /// The value of the `Authorization` header.
    pub authorization: String,
    /// The hex signature (also inside `authorization`).
    pub signature: String,
    /// Hex SHA-256 of the canonical request.
    pub hashed_canonical_request: String,
    /// The UTC date of the timestamp, `YYYY-MM-DD` (part of the credential scope).
    pub date: String,
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, data))
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg)
}

/// The UTC calendar date of Unix time `timestamp` as `YYYY-MM-DD` (Howard Hinnant's
/// `civil_from_days`, proleptic Gregorian calendar).
fn utc_date(timestamp: i64) -> String {
    let z = timestamp.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146_096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // year of era
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year, March-based
    let mp = (5 * doy + 2) / 153; // month, March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Signs a Tencent Cloud API v3 POST to `/` (TC3-HMAC-SHA256) whose signed headers are
/// `content-type` and `host`.
///
/// `payload` is the exact request body, `timestamp` the Unix time also sent as
/// `X-TC-Timestamp`; for SMS, `service` is `sms` and `host` is `sms.tencentcloudapi.com`.
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    content_type: &str,
    payload: &str,
    timestamp: i64,
) -> Tc3Signed {
    let date = utc_date(timestamp);
    // Canonical header values are trimmed and lowercased, as the v3 specification requires.
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{}\nhost:{}\n\n{TC3_SIGNED_HEADERS}\n{}",
        content_type.trim().to_ascii_lowercase(),
        host.trim().to_ascii_lowercase(),
        sha256_hex(payload.as_bytes()),
    );
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let scope = format!("{date}/{service}/tc3_request");
    let string_to_sign =
        format!("{TC3_ALGORITHM}\n{timestamp}\n{scope}\n{hashed_canonical_request}");
    let k_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac_sha256(k_date.as_ref(), service.as_bytes());
    let k_signing = hmac_sha256(k_service.as_ref(), b"tc3_request");
    let signature = hex::encode(hmac_sha256(k_signing.as_ref(), string_to_sign.as_bytes()));
    Tc3Signed {
        authorization: format!(
            "{TC3_ALGORITHM} Credential={secret_id}/{scope}, \
             SignedHeaders={TC3_SIGNED_HEADERS}, Signature={signature}"
        ),
        signature,
        hashed_canonical_request,
        date,
    }
}

/// The secret id in the credential of a TC3-HMAC-SHA256 `Authorization` header, so that a
/// gateway can look up the matching secret key before calling [`tc3_verify`].
pub fn tc3_secret_id(authorization: &str) -> Option<&str> {
    let (id, _) = authorization
        .strip_prefix(TC3_ALGORITHM)?
        .strip_prefix(" Credential=")?
        .split_once('/')?;
    Some(id)
}

/// Checks an `Authorization` header against the one [`tc3_authorization`] computes for the
/// given request and the secret id in the header, in constant time.
///
/// The secret id is not covered by the signature: the caller must check that `secret_key`
/// belongs to [`tc3_secret_id`] of the header.
pub fn tc3_verify(
    authorization: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    content_type: &str,
    payload: &str,
    timestamp: i64,
) -> bool {
    let Some(id) = tc3_secret_id(authorization) else {
        return false;
    };
    let expected = tc3_authorization(
        id,
        secret_key,
        service,
        host,
        content_type,
        payload,
        timestamp,
    );
    // Compare HMACs of both under a key the caller cannot know, so timing reveals nothing.
    let blind = hmac::Key::new(hmac::HMAC_SHA256, secret_key.as_bytes());
    let expected_tag = hmac::sign(&blind, expected.authorization.as_bytes());
    hmac::verify(&blind, authorization.as_bytes(), expected_tag.as_ref()).is_ok()
}

/// The JSON body of a Tencent Cloud SMS `SendSms` request (API version 2021-01-11) to one phone
/// number in E.164 form (e.g. `+8613800000000`), with the template parameters in order and the
/// number extension replies come back to (`ExtendCode`; empty: none).
pub fn tencent_send_sms_body(
    sdk_app_id: &str,
    sign_name: &str,
    template_id: &str,
    phone_e164: &str,
    params: &[String],
    session_context: &str,
    extend_code: &str,
) -> String {
    let mut body = serde_json::json!({
        "PhoneNumberSet": [phone_e164],
        "SmsSdkAppId": sdk_app_id,
        "SignName": sign_name,
        "TemplateId": template_id,
        "TemplateParamSet": params,
        "SessionContext": session_context,
    });
    if !extend_code.is_empty() {
        body["ExtendCode"] = serde_json::Value::from(extend_code);
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn alibaba_vector() -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ])
    }

    fn cfg() -> AliyunSms {
        AliyunSms {
            access_key_id: "testId".into(),
            access_key_secret: "testSecret".into(),
            sign_name: "阿里云短信测试专用".into(),
            region_id: "cn-hangzhou".into(),
        }
    }

    fn query() -> String {
        aliyun_send_sms_query(
            &cfg(),
            "15300000001",
            "SMS_71390007",
            r#"{"code":"1234 5+6*7~"}"#,
            "case-42",
            "",
            "45e25e9b-0a6f-4070-8c85-2956eda1b466",
            "2017-07-12T02:42:19Z",
        )
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(aliyun_percent_encode("a+b*c~d e"), "a%2Bb%2Ac~d%20e");
        assert_eq!(aliyun_percent_encode("-_.~AZaz09"), "-_.~AZaz09");
        assert_eq!(
            aliyun_percent_encode("阿里云"),
            "%E9%98%BF%E9%87%8C%E4%BA%91"
        );
        assert_eq!(aliyun_percent_encode("/=&:"), "%2F%3D%26%3A");
    }

    #[test]
    fn alibaba_published_vector() {
        // Parameter order must not matter.
        let mut params = alibaba_vector();
        params.reverse();
        assert_eq!(
            aliyun_sign("GET", &params, "testSecret"),
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="
        );
    }

    #[test]
    fn alibaba_verify_accepts_vector_query() {
        let q = format!(
            "?Signature={}&{}",
            aliyun_percent_encode("zJDF+Lrzhj/ThnlvIToysFRq6t4="),
            canonical_query(&alibaba_vector())
        );
        assert!(aliyun_verify_query(&q, "testSecret"));
        assert!(!aliyun_verify_query(&q, "otherSecret"));
    }

    #[test]
    fn alibaba_query_round_trips() {
        let q = query();
        assert!(q.starts_with("Signature="));
        for part in [
            "AccessKeyId=testId",
            "Action=SendSms",
            "Format=JSON",
            "OutId=case-42",
            "SignatureVersion=1.0",
            "Version=2017-05-25",
            "TemplateParam=%7B%22code%22%3A%221234%205%2B6%2A7~%22%7D",
        ] {
            assert!(q.split('&').any(|p| p == part), "{part} missing in {q}");
        }
        assert!(aliyun_verify_query(&q, "testSecret"));
        assert!(aliyun_verify_query(&format!("?{q}"), "testSecret"));
        // Form-style `+` for a space is accepted too.
        assert!(q.contains("%20"));
        assert!(aliyun_verify_query(&q.replace("%20", "+"), "testSecret"));
    }

    #[test]
    fn alibaba_verify_rejects_tampering() {
        let q = query();
        assert!(!aliyun_verify_query(&q, "testSecreT"));
        let changed = q.replace("PhoneNumbers=15300000001", "PhoneNumbers=15300000002");
        assert_ne!(changed, q);
        assert!(!aliyun_verify_query(&changed, "testSecret"));
        let extra = format!("{q}&OutId=again");
        assert!(!aliyun_verify_query(&extra, "testSecret"));
        let (_, unsigned) = q.split_once('&').unwrap_or_default();
        assert!(!aliyun_verify_query(unsigned, "testSecret"));
        let twice = format!("{q}&{}", q.split('&').next().unwrap_or_default());
        assert!(!aliyun_verify_query(&twice, "testSecret"));
        assert!(!aliyun_verify_query(&format!("{q}&Bad=%FF"), "testSecret"));
    }

    const TC_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
    const TC_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
    const TC_CT: &str = "application/json; charset=utf-8";
    const TC_PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;

    #[test]
    fn tencent_published_vector() {
        let signed = tc3_authorization(
            TC_ID,
            TC_KEY,
            "cvm",
            "cvm.tencentcloudapi.com",
            TC_CT,
            TC_PAYLOAD,
            1_551_113_065,
        );
        assert_eq!(signed.date, "2019-02-25");
        assert_eq!(
            signed.hashed_canonical_request,
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            signed.signature,
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
        assert_eq!(
            signed.authorization,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/\
             tc3_request, SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn tencent_verify() {
        let host = "sms.tencentcloudapi.com";
        let body = tencent_send_sms_body(
            "1400000000",
            "12345热线",
            "449739",
            "+8613800000000",
            &["1234".into()],
            "case-42",
            "",
        );
        let ts = 1_700_000_000;
        let auth = tc3_authorization(TC_ID, TC_KEY, "sms", host, TC_CT, &body, ts).authorization;
        let verify = |auth: &str, key: &str, service: &str, body: &str, ts: i64| {
            tc3_verify(auth, key, service, host, TC_CT, body, ts)
        };
        assert!(verify(&auth, TC_KEY, "sms", &body, ts));
        assert_eq!(tc3_secret_id(&auth), Some(TC_ID));
        assert!(!verify(
            &auth,
            TC_KEY,
            "sms",
            &body.replace("1234", "1235"),
            ts
        ));
        assert!(!verify(&auth, "wrong", "sms", &body, ts));
        assert!(!verify(&auth, TC_KEY, "cvm", &body, ts));
        assert!(!verify(&auth, TC_KEY, "sms", &body, ts + 1));
        // The next day also changes the credential scope.
        assert!(!verify(&auth, TC_KEY, "sms", &body, ts + 86_400));
        let fewer_headers = auth.replace("content-type;host", "host");
        assert!(!verify(&fewer_headers, TC_KEY, "sms", &body, ts));
        assert!(!verify("garbage", TC_KEY, "sms", &body, ts));
        assert_eq!(tc3_secret_id("garbage"), None);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(-1), "1969-12-31");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(951_868_799), "2000-02-29");
        assert_eq!(utc_date(951_868_800), "2000-03-01");
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(4_102_444_800), "2100-01-01");
    }

    #[test]
    fn tencent_body() {
        let body = tencent_send_sms_body(
            "1400000000",
            "12345热线",
            "449739",
            "+8613800000000",
            &["1234".into(), "5".into()],
            "case-42",
            "",
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({
                "PhoneNumberSet": ["+8613800000000"],
                "SmsSdkAppId": "1400000000",
                "SignName": "12345热线",
                "TemplateId": "449739",
                "TemplateParamSet": ["1234", "5"],
                "SessionContext": "case-42",
            })
        );
    }
}
