//! Notifications that really arrive: a real SMTP server (aiosmtpd, STARTTLS with a certificate
//! from the project's CA, a login) receives the units' e-mails, and a local SMS gateway that
//! recomputes each provider's signature receives the texts; gateways that fail, refuse or never
//! answer are retried or given up as they deserve.

mod gateway;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use gateway::*;
use node_service::notify::sms::SmsConfig;
use node_service::notify::{NotifyConfig, email::SmtpConfig};
use serde_json::json;

/// aiosmtpd with STARTTLS required and a login, its certificate from the project's CA.
struct Smtp {
    child: Child,
    port: u16,
    maildir: std::path::PathBuf,
    ca: std::path::PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp(dir: &std::path::Path) -> Smtp {
    let now = time::OffsetDateTime::from_unix_timestamp(NOW / 1000).unwrap();
    let now = now.max(time::OffsetDateTime::now_utc());
    let ca = sync_protocol::pki::CertificateAuthority::create("测试CA", now, 30, [7; 16]).unwrap();
    let (cert, key) = ca
        .issue_web(&["localhost".into()], now, 30, [8; 16])
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.cert_pem()).unwrap();
    std::fs::write(dir.join("smtp.pem"), cert).unwrap();
    std::fs::write(dir.join("smtp.key"), key).unwrap();
    let maildir = dir.join("maildir");
    let mut child = Command::new("/usr/bin/python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py"))
        .args([&maildir, &dir.join("smtp.pem"), &dir.join("smtp.key")])
        .args(["notice", "s3cret"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 with aiosmtpd (scripts/test installs python3-aiosmtpd)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("smtp server said {line:?}"))
        .parse()
        .unwrap();
    Smtp {
        child,
        port,
        maildir,
        ca: dir.join("ca.pem"),
    }
}

/// The hub's settings for the test's mail server.
fn smtp_config(server: &Smtp) -> SmtpConfig {
    SmtpConfig {
        host: "localhost".into(),
        port: server.port,
        starttls: true,
        ca_cert: Some(server.ca.clone()),
        username: Some("notice".into()),
        password: Some("s3cret".into()),
        from: "临江市12345热线 <notice@12345.linjiang.example>".into(),
    }
}

/// The messages in the Maildir: (recipient, subject, body), decoded.
fn mails(maildir: &std::path::Path) -> Vec<(String, String, String)> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|e| {
            let raw = std::fs::read(e.unwrap().path()).unwrap();
            let text = String::from_utf8_lossy(&raw).to_string();
            // A header with its folded continuation lines.
            let header = |name: &str| {
                let mut lines = text
                    .lines()
                    .skip_while(|l| !l.starts_with(&format!("{name}: ")));
                let mut value = lines
                    .next()
                    .map(|l| l[name.len() + 2..].to_owned())
                    .unwrap_or_default();
                for l in lines.take_while(|l| l.starts_with([' ', '\t'])) {
                    value.push(' ');
                    value.push_str(l.trim());
                }
                value
            };
            let body = text.split("\r\n\r\n").nth(1).or(text.split("\n\n").nth(1));
            (
                header("To"),
                decode_words(&header("Subject")),
                decode_body(&text, body.unwrap_or_default()),
            )
        })
        .collect()
}

/// RFC 2047 `=?utf-8?b?…?=` words, as lettre writes Chinese subjects.
fn decode_words(s: &str) -> String {
    use base64::Engine as _;
    s.split_whitespace()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            match lower
                .strip_prefix("=?utf-8?b?")
                .and_then(|r| r.strip_suffix("?="))
            {
                Some(_) => {
                    let b64 = &w[10..w.len() - 2];
                    String::from_utf8(
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .unwrap(),
                    )
                    .unwrap()
                }
                None => w.to_owned(),
            }
        })
        .collect()
}

fn decode_body(text: &str, body: &str) -> String {
    use base64::Engine as _;
    if text.contains("Content-Transfer-Encoding: base64") {
        let clean: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(clean)
                .unwrap(),
        )
        .unwrap()
    } else {
        body.to_owned()
    }
}

#[tokio::test]
async fn texts_and_mails_reach_citizens_and_units_through_real_servers() {
    let dir = tempfile::tempdir().unwrap();
    let server = smtp(dir.path());
    let (gw, url) = gateway().await;
    let notify = NotifyConfig {
        smtp: Some(smtp_config(&server)),
        sms: Some(aliyun_account(url)),
        send_timeout_secs: 2,
        ..NotifyConfig::default()
    };
    let h = hub(dir, notify).await;
    let (s, created) = h
        .client
        .call(
            "POST",
            "/api/tickets",
            Some("op01"),
            Some(&json!({"intake": {
                "channel": "phone", "caller_name": "张三", "caller_phone": "13812348000",
                "address": "东湖区翠湖花园3栋", "request_type": "complaint", "subject": "CX.WY.DT",
                "title": "电梯频繁停运", "content": "3号楼电梯一个月停了五次。", "urgent": false
            }})),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let number = created["ticket"]["number"].as_str().unwrap().to_owned();
    let code = created["query_code"].as_str().unwrap().to_owned();
    // The citizen's text: number and query code, through a correctly signed request.
    until(&h, "the citizen's text", || {
        !gw.got.lock().unwrap().is_empty()
    })
    .await;
    {
        let got = gw.got.lock().unwrap();
        assert_eq!(got[0].0, "aliyun");
        assert_eq!(got[0].1, "13812348000");
        assert!(
            got[0].2.contains(&number) && got[0].2.contains(&code),
            "{}",
            got[0].2
        );
        assert!(got[0].3, "signature checked by the gateway");
    }

    // Dispatched to 东湖区: its duty mailbox gets the e-mail over STARTTLS with a login, its duty
    // phone the text.
    act(
        &h,
        &number,
        "sl01",
        json!({"action": "review", "accept": true}),
    )
    .await;
    act(
        &h,
        &number,
        "sl01",
        json!({"action": "dispatch", "lead": "D01", "note": "请核实处理"}),
    )
    .await;
    until(&h, "the unit's e-mail", || {
        !mails(&server.maildir).is_empty()
    })
    .await;
    let m = mails(&server.maildir);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].0, "zhiban@donghu.linjiang.example");
    assert!(
        m[0].1.contains("新派工单") && m[0].1.contains(&number),
        "{:?}",
        m[0]
    );
    assert!(m[0].2.contains("电梯频繁停运"), "{:?}", m[0]);
    assert!(!m[0].2.contains("张三") && !m[0].2.contains("13812348000"));
    until(&h, "the unit's text", || gw.got.lock().unwrap().len() == 2).await;
    assert_eq!(gw.got.lock().unwrap()[1].1, "13807991001");

    // A gateway that fails is tried again later; one that refuses the number gives the text up
    // at once; one that never answers is cut off at the attempt's time limit.
    gw.mode.store(FAIL_500, Ordering::SeqCst);
    act(
        &h,
        &number,
        "sv01",
        json!({"action": "urge", "target": "D01", "note": "请加快办理"}),
    )
    .await;
    until(&h, "a failed attempt", || gw.got.lock().unwrap().len() == 3).await;
    let mut w = Waiter::new(&h);
    loop {
        let o = outbox(&h).await;
        if let Some(x) = o
            .iter()
            .find(|x| x.2.contains("催办") && x.0 == "13807991001")
        {
            if x.3 == 1 {
                assert_eq!(x.1, "pending", "retried later: {x:?}");
                assert!(x.4.as_deref().unwrap_or_default().contains("500"), "{x:?}");
                break;
            }
        }
        w.next("the failed attempt").await;
    }
    // A refused number is given up at once: visible to the administrator, who sends it again
    // once the gateway accepts; operators may not look.
    gw.mode.store(REFUSE, Ordering::SeqCst);
    act(
        &h,
        &number,
        "leader01",
        json!({"action": "supervise", "target": "D01", "level": "named", "note": "挂牌督办"}),
    )
    .await;
    let mut w = Waiter::new(&h);
    let dead = loop {
        let (s, v) = h
            .client
            .call("GET", "/api/outbox?state=dead", Some("admin"), None)
            .await
            .unwrap();
        assert_eq!(s, StatusCode::OK, "{v}");
        if let Some(item) = v["items"].as_array().and_then(|a| a.first()) {
            break item.clone();
        }
        w.next("a given-up text").await;
    };
    assert_eq!(dead["notification"]["recipient"], "13807991001");
    assert!(
        dead["attempts"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("MOBILE_NUMBER_ILLEGAL"),
        "{dead}"
    );
    let id = dead["notification"]["id"].as_i64().unwrap();
    let (s, _) = h
        .client
        .call("GET", "/api/outbox", Some("op01"), None)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = h
        .client
        .call(
            "POST",
            &format!("/api/outbox/{id}/retry"),
            Some("sv01"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "supervisors look, administrators resend"
    );
    // The citizen's delivered text keeps no query code; their number shows masked.
    let (_, all) = h
        .client
        .call("GET", "/api/outbox?state=sent", Some("admin"), None)
        .await
        .unwrap();
    let text = all.to_string();
    assert!(
        !text.contains(&code) && !text.contains("13812348000"),
        "{text}"
    );
    assert!(text.contains("138****8000"), "{text}");
    gw.mode.store(ACCEPT, Ordering::SeqCst);
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/outbox/{id}/retry"),
            Some("admin"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    let store = h.node.state.store.clone();
    let mut w = Waiter::new(&h);
    loop {
        let page = store
            .outbox_list(Some("sent".into()), None, 100)
            .await
            .unwrap();
        if page.iter().any(|(o, _)| o.id == id) {
            break;
        }
        w.next("the text sent again after the retry").await;
    }
    let (s, v) = h
        .client
        .call(
            "POST",
            &format!("/api/outbox/{id}/retry"),
            Some("admin"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // The same on the administrator's page: totals, the masked citizen, no query code.
    let app = node_service::http::app(h.node.state.clone());
    let page = |login: &'static str| {
        let app = app.clone();
        let client = &h.client;
        async move {
            let id = client.session(login).await.unwrap();
            let resp = tower::ServiceExt::oneshot(
                app,
                axum::http::Request::get("/staff/outbox")
                    .header(
                        axum::http::header::COOKIE,
                        format!("{}={id}", node_service::auth::COOKIE),
                    )
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
            let status = resp.status();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let (s, html) = page("admin").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("消息发送") && html.contains("138****8000"),
        "{html}"
    );
    assert!(html.contains("挂牌督办") && !html.contains(&code));
    let (s, _) = page("op01").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    drop(server);
}

fn tencent_account(secret_key: &str, endpoint: &str) -> SmsConfig {
    SmsConfig::Tencent {
        secret_id: "AKIDtest".into(),
        secret_key: secret_key.into(),
        sdk_app_id: "1400000000".into(),
        sign_name: "临江12345".into(),
        template_id: "100001".into(),
        region: "ap-guangzhou".into(),
        endpoint: endpoint.into(),
    }
}

#[tokio::test]
async fn each_provider_signs_as_its_gateway_checks_and_refusals_are_final() {
    let (gw, url) = gateway().await;
    let tls = node_service::notify::http::Tls::new(None).unwrap();
    let o = replica_store::outbox::Outgoing {
        id: 1,
        key: "e1:citizen:sms".into(),
        medium: hotline_model::notify::Medium::Sms,
        recipient: "13812348000".into(),
        subject: String::new(),
        body: "【12345热线】您的工单已办结。".into(),
        ticket: "20261124-HUB-00001".into(),
        urgent: false,
        citizen: true,
        created_at: NOW,
        state: "pending".into(),
        attempts: 0,
        next_at: NOW,
        last_error: None,
        sent_at: None,
    };
    let tencent = tencent_account(SECRET, &url);
    use replica_store::outbox::Outcome;
    let sent = node_service::notify::sms::send(&tencent, &tls, &o, NOW).await;
    assert_eq!(sent, Outcome::Sent("SerialNo 5000:1".into()));
    {
        let got = gw.got.lock().unwrap();
        assert_eq!(
            got[0],
            (
                "tencent".into(),
                "+8613812348000".into(),
                o.body.clone(),
                true
            )
        );
    }
    // A wrong key: the gateway's check fails.
    let wrong = tencent_account("other", &url);
    node_service::notify::sms::send(&wrong, &tls, &o, NOW).await;
    assert!(!gw.got.lock().unwrap()[1].3);
    // Refused numbers are final; a gateway down is not.
    gw.mode.store(REFUSE, Ordering::SeqCst);
    assert!(matches!(
        node_service::notify::sms::send(&tencent, &tls, &o, NOW).await,
        Outcome::Failed {
            permanent: true,
            ..
        }
    ));
    gw.mode.store(FAIL_500, Ordering::SeqCst);
    let generic = SmsConfig::Http {
        url: url.clone(),
        token: Some("t".into()),
    };
    assert!(matches!(
        node_service::notify::sms::send(&generic, &tls, &o, NOW).await,
        Outcome::Failed {
            permanent: false,
            ..
        }
    ));
    // A gateway that never answers: the attempt's time limit ends it, to be tried again.
    gw.mode.store(HANG, Ordering::SeqCst);
    let channels = node_service::notify::Channels::new(&NotifyConfig {
        sms: Some(tencent),
        send_timeout_secs: 1,
        ..NotifyConfig::default()
    })
    .unwrap();
    assert!(matches!(
        channels.send(&o, None, NOW).await,
        Outcome::Failed { permanent: false, ref error } if error.contains("超时")
    ));
    // With no mail server configured, an e-mail is given up with the reason.
    let mail = replica_store::outbox::Outgoing {
        medium: hotline_model::notify::Medium::Email,
        recipient: "zhiban@donghu.linjiang.example".into(),
        ..o.clone()
    };
    assert!(matches!(
        channels.send(&mail, None, NOW).await,
        Outcome::Failed { permanent: true, ref error } if error.contains("未配置邮件服务器")
    ));
}

/// The raw messages in the Maildir, parsed.
fn raw_mails(maildir: &std::path::Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect()
}

#[tokio::test]
async fn the_monthly_report_reaches_the_leaders_once_a_month_with_its_workbook() {
    use calamine::{Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let server = smtp(dir.path());
    let notify = NotifyConfig {
        smtp: Some(smtp_config(&server)),
        send_timeout_secs: 5,
        ..NotifyConfig::default()
    };
    let h = hub(dir, notify).await;
    let state = h.node.state.clone();
    let leaders = state.refdata().notices.monthly_report_to.clone();
    assert_eq!(leaders.len(), 2, "the seed names two leaders");
    for (subject, title) in [
        ("CX.WY.DT", "电梯停运"),
        ("CX.WY.DT", "电梯又停"),
        ("ST.ZS.GY", "工厂噪声"),
    ] {
        let (s, v) = h
            .client
            .call(
                "POST",
                "/api/tickets",
                Some("op01"),
                Some(&json!({"intake": {
                    "channel": "phone", "caller_name": "张三", "caller_phone": "",
                    "address": "东湖区翠湖花园3栋", "request_type": "complaint", "subject": subject,
                    "title": title, "content": "请尽快处理。", "urgent": false
                }})),
            )
            .await
            .unwrap();
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // 24 November: October's report is due (its first workday has passed), once per address.
    let queued = node_service::report::queue_due(&state, NOW).await.unwrap();
    assert_eq!(queued, 2);
    assert_eq!(
        node_service::report::queue_due(&state, NOW).await.unwrap(),
        0
    );
    // 1 December 10:00 (a Tuesday, a workday): November's.
    let december = NOW + 7 * 86_400_000;
    h.clock.store(december, Ordering::SeqCst);
    assert_eq!(
        node_service::report::queue_due(&state, december)
            .await
            .unwrap(),
        2
    );
    until(&h, "four reports delivered", || {
        raw_mails(&server.maildir).len() == 4
    })
    .await;
    let outbox = outbox(&h).await;
    assert!(
        outbox
            .iter()
            .filter(|o| o.0.starts_with("report:"))
            .all(|o| o.1 == "sent"),
        "{outbox:?}"
    );
    let mut november = 0;
    for raw in raw_mails(&server.maildir) {
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let subject = m.subject().unwrap_or_default().to_owned();
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned();
        assert!(leaders.contains(&to), "{to}");
        let text = m.body_text(0).unwrap_or_default().to_string();
        let file = m.attachments().next().expect("the workbook is attached");
        let name = mail_parser::MimeHeaders::attachment_name(file)
            .unwrap_or_default()
            .to_owned();
        if !subject.contains("2026年11月") {
            assert!(subject.contains("2026年10月"), "{subject}");
            assert!(text.contains("受理 0 件"), "{text}");
            continue;
        }
        november += 1;
        assert_eq!(subject, "【12345热线】2026年11月统计报表");
        assert!(text.contains("受理 3 件"), "{text}");
        assert_eq!(name, "12345热线统计报表-2026年11月.xlsx");
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(file.contents().to_vec()))
                .unwrap();
        assert!(book.worksheet_range("单位考核").is_ok());
        let topics = book.worksheet_range("热点难点").unwrap();
        let row = |r: u32| {
            (
                topics.get_value((r, 0)).cloned().unwrap_or(Data::Empty),
                topics.get_value((r, 1)).cloned().unwrap_or(Data::Empty),
            )
        };
        // The subjects as the hot-topics page ranks them: two elevator reports, one of noise.
        assert_eq!(
            row(3),
            (
                Data::String("城乡建设 › 物业管理 › 电梯故障".into()),
                Data::Float(2.0)
            )
        );
        assert_eq!(row(4).1, Data::Float(1.0));
        assert!(book.worksheet_range("重复诉求").is_ok());
    }
    assert_eq!(november, 2, "each leader got November's report once");
}
