//! E-mail over SMTP (`lettre`): STARTTLS required unless switched off for a trusted local relay,
//! authentication when configured, the server's certificate checked against the system's roots
//! and an optional private CA.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use replica_store::outbox::{Outcome, Outgoing};
use serde::{Deserialize, Serialize};

/// The mail server the node sends through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Server host name (checked against its certificate).
    pub host: String,
    /// Port, default 587 (submission).
    #[serde(default = "submission")]
    pub port: u16,
    /// STARTTLS required (default). Off only for a relay on the same machine.
    #[serde(default = "yes")]
    pub starttls: bool,
    /// A PEM file of a private CA that signed the server's certificate.
    #[serde(default)]
    pub ca_cert: Option<std::path::PathBuf>,
    /// Login, when the server asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password.
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. `临江市12345热线 <notice@12345.linjiang.example>`.
    pub from: String,
}

fn submission() -> u16 {
    587
}
fn yes() -> bool {
    true
}

/// A file sent with an e-mail (the monthly report's workbook).
#[derive(Clone, Debug)]
pub struct Attachment {
    /// File name as the reader sees it.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// A configured mail transport (a small pool of connections).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl Mailer {
    /// Builds the transport; fails on a bad sender or an unreadable CA file.
    pub fn new(cfg: &SmtpConfig) -> anyhow::Result<Mailer> {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host).port(cfg.port);
        if cfg.starttls {
            let mut tls = TlsParameters::builder(cfg.host.clone());
            if let Some(path) = &cfg.ca_cert {
                tls = tls.add_root_certificate(Certificate::from_pem(&std::fs::read(path)?)?);
            }
            builder = builder.tls(Tls::Required(tls.build_rustls()?));
        }
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            transport: builder
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build(),
            from: cfg.from.parse()?,
        })
    }

    /// Sends notification `o`; its outbox key is the message's `Message-ID`, so a message sent
    /// twice (in flight at a crash) is recognisable as the same one.
    pub async fn send(&self, o: &Outgoing, attachment: Option<&Attachment>) -> Outcome {
        let to = match o.recipient.parse::<lettre::message::Mailbox>() {
            Ok(to) => to,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("收件地址无效：{e}"),
                    permanent: true,
                };
            }
        };
        let id: String = o
            .key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '.'
                }
            })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&o.subject)
            .message_id(Some(format!("<{id}@outbox.hotline>")));
        let message = match attachment {
            None => message.header(ContentType::TEXT_PLAIN).body(o.body.clone()),
            Some(a) => {
                let kind = ContentType::parse(&a.media_type).unwrap_or(ContentType::TEXT_PLAIN);
                message.multipart(
                    lettre::message::MultiPart::mixed()
                        .singlepart(lettre::message::SinglePart::plain(o.body.clone()))
                        .singlepart(
                            lettre::message::Attachment::new(a.name.clone())
                                .body(a.bytes.clone(), kind),
                        ),
                )
            }
        };
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                return Outcome::Failed {
                    error: format!("邮件无法生成：{e}"),
                    permanent: true,
                };
            }
        };
        match self.transport.send(message).await {
            Ok(r) => Outcome::Sent(format!(
                "SMTP {} {}",
                r.code(),
                r.message().collect::<Vec<_>>().join(" ")
            )),
            Err(e) => Outcome::Failed {
                error: format!("SMTP：{e}"),
                permanent: e.is_permanent(),
            },
        }
    }
}
