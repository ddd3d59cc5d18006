//! WeChat official-account (公众号) messages: `GET /api/inbound/wechat` answers WeChat's URL check,
//! `POST /api/inbound/wechat` takes a citizen's message (text, picture, voice, location), in plain
//! or safe mode (signed and AES-encrypted), and keeps it as an intake draft; subscription and
//! menu events are acknowledged and dropped. WeChat waits 5 s and retries three times, so the
//! answer is `success` at once, and a retry (the same `MsgId`) is kept once.
//!
//! Checks, each refused with a clear error: the request's signature (SHA-1 of the sorted token,
//! timestamp and nonce), a timestamp within five minutes (a replayed request is refused), in safe
//! mode the message signature over the `Encrypt` element too, the AES padding, length and the
//! account's AppID inside the plaintext, and a body of at most 64 KiB of well-formed XML.

pub use super::config::WechatConfig;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use replica_store::inbound::Received;
use serde::Deserialize;

use super::accept;
use crate::http_common::client::ClientAddr;
use crate::http_common::error::ApiError;
use crate::state::AppState;

/// Largest message body accepted.
pub const MAX_BODY: usize = 64 * 1024;
/// How far a request's timestamp may be from now (seconds).
pub const MAX_SKEW_SECS: i64 = 300;

/// SHA-1 (hex) of the sorted concatenation of `parts`: WeChat's signature.
pub fn signature(parts: &[&str]) -> String {
    let mut v: Vec<&str> = parts.to_vec();
    v.sort_unstable();
    let d = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        v.concat().as_bytes(),
    );
    hex::encode(d.as_ref())
}

fn equal(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

fn aes_key(encoding_aes_key: &str) -> Result<[u8; 32], String> {
    // 43 characters decode to 32 bytes and 2 spare bits, which WeChat's keys do not zero.
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let key = lenient
        .decode(format!("{encoding_aes_key}="))
        .map_err(|_| "EncodingAESKey 不是有效的 Base64".to_owned())?;
    key.try_into()
        .map_err(|_| "EncodingAESKey 长度应为 43 个字符".to_owned())
}

/// Encrypts `msg` for `appid` (safe mode): 16 random bytes ‖ length ‖ message ‖ AppID, PKCS#7 to
/// 32-byte blocks, AES-256-CBC with the key's first 16 bytes as IV, Base64.
pub fn encrypt(
    encoding_aes_key: &str,
    appid: &str,
    msg: &str,
    random: [u8; 16],
) -> Result<String, String> {
    let key = aes_key(encoding_aes_key)?;
    let mut plain = Vec::with_capacity(msg.len() + appid.len() + 52);
    plain.extend_from_slice(&random);
    plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    plain.extend_from_slice(msg.as_bytes());
    plain.extend_from_slice(appid.as_bytes());
    let pad = 32 - plain.len() % 32;
    plain.extend(std::iter::repeat_n(pad as u8, pad));
    let len = plain.len();
    let enc = Aes256CbcEnc::new(&key.into(), key[..16].into());
    let out = enc
        .encrypt_padded_mut::<NoPadding>(&mut plain, len)
        .map_err(|_| "加密失败".to_owned())?;
    Ok(B64.encode(out))
}

/// Decrypts an `Encrypt` element and checks it was made for `appid`; the message XML.
pub fn decrypt(encoding_aes_key: &str, appid: &str, encrypted: &str) -> Result<String, String> {
    let key = aes_key(encoding_aes_key)?;
    let mut data = B64
        .decode(encrypted.trim())
        .map_err(|_| "密文不是有效的 Base64".to_owned())?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err("密文长度不正确".into());
    }
    let dec = Aes256CbcDec::new(&key.into(), key[..16].into());
    let plain = dec
        .decrypt_padded_mut::<NoPadding>(&mut data)
        .map_err(|_| "解密失败".to_owned())?;
    let pad = usize::from(*plain.last().unwrap_or(&0));
    if pad == 0 || pad > 32 || pad > plain.len() {
        return Err("解密后填充不正确".into());
    }
    let plain = &plain[..plain.len() - pad];
    if plain.len() < 20 {
        return Err("解密后内容过短".into());
    }
    let len = u32::from_be_bytes([plain[16], plain[17], plain[18], plain[19]]) as usize;
    let rest = &plain[20..];
    if len > rest.len() {
        return Err("解密后长度字段不正确".into());
    }
    let (msg, id) = rest.split_at(len);
    if id != appid.as_bytes() {
        return Err("消息不属于本公众号（AppID 不符）".into());
    }
    String::from_utf8(msg.to_vec()).map_err(|_| "消息不是 UTF-8 文本".to_owned())
}

/// The child elements of an `<xml>` document, as (name, text).
pub fn fields(xml: &str) -> Result<Vec<(String, String)>, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(xml, opts)
        .map_err(|e| format!("XML 格式错误：{e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "xml" {
        return Err("根元素应为 <xml>".into());
    }
    Ok(root
        .children()
        .filter(|n| n.is_element())
        .map(|n| {
            let text: String = n
                .children()
                .filter_map(|c| c.text())
                .collect::<Vec<_>>()
                .concat();
            (n.tag_name().name().to_owned(), text)
        })
        .collect())
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A message as WeChat sent it, turned into what an operator reads; `None` for events (subscribe,
/// menu clicks) and kinds with nothing to read.
pub fn to_received(f: &[(String, String)], now: i64) -> Result<Option<Received>, String> {
    let from = field(f, "FromUserName");
    if from.is_empty() || from.len() > 64 {
        return Err("缺少发送者 FromUserName".into());
    }
    let content = match field(f, "MsgType") {
        "text" => field(f, "Content").to_owned(),
        "image" => format!("[图片] {}", field(f, "PicUrl")),
        "voice" => match field(f, "Recognition") {
            "" => format!("[语音] 媒体编号 {}", field(f, "MediaId")),
            words => format!("[语音] {words}"),
        },
        "video" | "shortvideo" => format!("[视频] 媒体编号 {}", field(f, "MediaId")),
        "location" => format!(
            "[位置] {}（纬度 {}，经度 {}）",
            field(f, "Label"),
            field(f, "Location_X"),
            field(f, "Location_Y")
        ),
        "link" => format!("[链接] {} {}", field(f, "Title"), field(f, "Url")),
        "event" => return Ok(None),
        "" => return Err("缺少 MsgType".into()),
        other => return Err(format!("不支持的消息类型：{other}")),
    };
    if content.trim().is_empty() {
        return Err("消息内容为空".into());
    }
    let id = match field(f, "MsgId") {
        "" => format!("{from}:{}", field(f, "CreateTime")),
        id => id.to_owned(),
    };
    Ok(Some(Received {
        channel: "wechat".into(),
        external_id: id,
        sender: from.to_owned(),
        subject: String::new(),
        content,
        received_at: now,
        extend: None,
    }))
}

/// The query WeChat signs.
#[derive(Debug, Default, Deserialize)]
pub struct Signed {
    #[serde(default)]
    signature: String,
    #[serde(default)]
    timestamp: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    echostr: String,
    #[serde(default)]
    encrypt_type: String,
    #[serde(default)]
    msg_signature: String,
    #[serde(default)]
    #[allow(dead_code)]
    openid: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    tracing::warn!(%message, "WeChat request refused");
    ApiError::new(status, "wechat_refused", message).into_response()
}

/// The account's settings, and the request's signature and age checked.
fn checked<'a>(state: &'a AppState, q: &Signed) -> Result<&'a WechatConfig, Response> {
    let Some(cfg) = state.config.notify.inbound.wechat.as_ref() else {
        return Err(ApiError::not_found("接口").into_response());
    };
    if !equal(
        &signature(&[&cfg.token, &q.timestamp, &q.nonce]),
        &q.signature,
    ) {
        return Err(refuse(StatusCode::FORBIDDEN, "签名校验失败"));
    }
    let Ok(ts) = q.timestamp.parse::<i64>() else {
        return Err(refuse(StatusCode::BAD_REQUEST, "时间戳格式错误"));
    };
    if (state.now() / 1000 - ts).abs() > MAX_SKEW_SECS {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "请求已过期（时间戳相差超过五分钟）",
        ));
    }
    Ok(cfg)
}

/// `GET /api/inbound/wechat`: the URL check; answers `echostr` when the signature holds.
pub async fn verify_url(State(state): State<AppState>, Query(q): Query<Signed>) -> Response {
    match checked(&state, &q) {
        Ok(_) => q.echostr.into_response(),
        Err(r) => r,
    }
}

/// `POST /api/inbound/wechat`: a citizen's message.
pub async fn message(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    Query(q): Query<Signed>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match super::body_or_refusal(body) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let cfg = match checked(&state, &q) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(p) = peer
        && !state.citizens.inbound.admit_peer(p, state.now())
    {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "推送过于频繁，请稍后重试");
    }
    if body.len() > MAX_BODY {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "消息过大（超过 64 KiB）");
    }
    let Ok(xml) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "消息不是 UTF-8 文本");
    };
    let outer = match fields(xml) {
        Ok(f) => f,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let inner = if q.encrypt_type == "aes" {
        let Some(aes) = cfg.encoding_aes_key.as_deref() else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "未配置安全模式密钥（EncodingAESKey）",
            );
        };
        let encrypted = field(&outer, "Encrypt");
        if !equal(
            &signature(&[&cfg.token, &q.timestamp, &q.nonce, encrypted]),
            &q.msg_signature,
        ) {
            return refuse(StatusCode::FORBIDDEN, "消息签名校验失败");
        }
        match decrypt(aes, &cfg.appid, encrypted).and_then(|x| fields(&x)) {
            Ok(f) => f,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
        }
    } else if cfg.encoding_aes_key.is_some() && !field(&outer, "Encrypt").is_empty() {
        return refuse(StatusCode::BAD_REQUEST, "密文消息缺少 encrypt_type=aes");
    } else {
        outer
    };
    let msg = match to_received(&inner, state.now()) {
        Ok(Some(m)) => m,
        Ok(None) => return "success".into_response(),
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    match accept(&state, msg).await {
        Ok(receipt) => {
            tracing::info!(?receipt, "WeChat message received");
            "success".into_response()
        }
        // Not kept: WeChat retries.
        Err(e) => ApiError::from(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_url_check_vector_holds() {
        assert_eq!(
            signature(&["AAAAA", "1714037059", "486452656"]),
            "899cf89e464efb63f54ddac96b0a0a235f53aa78"
        );
    }

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn safe_mode_round_trips_and_refuses_another_account_or_tampering() {
        let xml = "<xml><FromUserName><![CDATA[oUser1]]></FromUserName><MsgType>text</MsgType><Content>路灯坏了</Content><MsgId>1001</MsgId></xml>";
        let e = encrypt(KEY, "wxAPP", xml, [7; 16]).expect("encrypt");
        assert_eq!(decrypt(KEY, "wxAPP", &e).expect("decrypt"), xml);
        assert!(decrypt(KEY, "wxOTHER", &e).unwrap_err().contains("AppID"));
        let mut bytes = B64.decode(&e).expect("b64");
        let n = bytes.len();
        bytes[n - 1] ^= 0x55;
        assert!(decrypt(KEY, "wxAPP", &B64.encode(&bytes)).is_err());
        assert!(decrypt(KEY, "wxAPP", "abc").is_err());
        assert!(decrypt("short", "wxAPP", &e).is_err());
    }

    #[test]
    fn messages_become_what_an_operator_reads_and_events_nothing() {
        let f = fields("<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>location</MsgType><Location_X>28.68</Location_X><Location_Y>115.89</Location_Y><Label>翠屏街道</Label><MsgId>9</MsgId></xml>").expect("xml");
        let r = to_received(&f, 0).expect("ok").expect("message");
        assert_eq!(r.content, "[位置] 翠屏街道（纬度 28.68，经度 115.89）");
        assert_eq!(r.external_id, "9");
        let f = fields("<xml><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>subscribe</Event></xml>").expect("xml");
        assert_eq!(to_received(&f, 0), Ok(None));
        assert!(fields("<xml><a>").is_err());
        assert!(
            fields("<!DOCTYPE x [<!ENTITY a 'b'>]><xml/>").is_err(),
            "no DTDs"
        );
        assert!(fields("<root/>").is_err());
        let f = fields("<xml><MsgType>text</MsgType><Content>x</Content></xml>").expect("xml");
        assert!(to_received(&f, 0).is_err(), "no sender");
    }
}
