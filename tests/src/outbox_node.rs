//! A child node for the outbox crash test and the `notify` benchmark: a hub whose texts go to
//! the generic HTTP gateway at GATEWAY (and e-mails to the SMTP server of `--smtp`, when given).
//! With COUNT > 0 it registers COUNT orders (each texts its caller the number and code) and,
//! with `--dispatch`, dispatches each to 东湖区 (a text and an e-mail to its duty contacts);
//! it prints `queued N` once they are all recorded, `all sent S dead D` once its outbox is
//! empty, and runs until it is killed.
//!
//! Usage: outbox-node DATA_DIR GATEWAY COUNT [--dispatch] [--smtp PORT CA_PEM]

use std::sync::Arc;

use node_service::NodeConfig;
use node_service::notify::NotifyConfig;
use node_service::notify::email::SmtpConfig;
use node_service::notify::sms::SmsConfig;
use rand::SeedableRng;

/// Runs the child with `args` (`args[0]` is the program name).
pub async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let (Some(dir), Some(gateway), Some(count)) = (args.get(1), args.get(2), args.get(3)) else {
        anyhow::bail!(
            "usage: outbox-node DATA_DIR GATEWAY COUNT [--dispatch] [--smtp PORT CA_PEM]"
        );
    };
    let count: u64 = count.parse()?;
    let dispatch = args.iter().any(|a| a == "--dispatch");
    let smtp = args
        .iter()
        .position(|a| a == "--smtp")
        .map(|i| -> anyhow::Result<SmtpConfig> {
            Ok(SmtpConfig {
                host: "localhost".into(),
                port: args
                    .get(i + 1)
                    .ok_or_else(|| anyhow::anyhow!("--smtp PORT"))?
                    .parse()?,
                starttls: true,
                ca_cert: args.get(i + 2).map(Into::into),
                username: Some("notice".into()),
                password: Some("s3cret".into()),
                from: "临江市12345热线 <notice@12345.linjiang.example>".into(),
            })
        })
        .transpose()?;
    let notify = NotifyConfig {
        sms: Some(SmsConfig::Http {
            url: gateway.clone(),
            token: None,
        }),
        smtp,
        ..NotifyConfig::default()
    };
    let config = NodeConfig {
        data_dir: dir.into(),
        seed_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed").into()),
        alert_sweep_secs: 0,
        notify,
        ..NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node = node_service::start(config, listener, Arc::new(crate::fixtures::now_ms)).await?;
    // Texts go at once, whatever the hour of the run (the centre's rules: no quiet hours).
    let rules = "quiet_hours = { start = 0, end = 0 }\n";
    node.state
        .store
        .put_refdata(
            vec![("notices".into(), rules.into())],
            crate::fixtures::now_ms(),
        )
        .await?;
    node.state.reload_refdata().await;
    let store = node.state.store.clone();
    let mut rng = rand::rngs::StdRng::seed_from_u64(count);
    let mut tasks = Vec::new();
    for client in 0..8u64 {
        let store = store.clone();
        let mut rng = rand::rngs::StdRng::seed_from_u64(rand::RngCore::next_u64(&mut rng));
        tasks.push(tokio::spawn(async move {
            for i in (client..count).step_by(8) {
                crate::fixtures::register_and_dispatch(&store, i, dispatch, &mut rng).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    println!("queued {count}");
    // Then says once everything queued was delivered (or given up), looking after each commit.
    let mut commits = store.committed();
    loop {
        let (pending, sent, dead) = store.outbox_counts().await?;
        if pending == 0 {
            println!("all sent {sent} dead {dead}");
            break;
        }
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), commits.changed()).await;
    }
    std::future::pending::<()>().await;
    Ok(())
}
