//! A real SIP call on loopback. Two baresip user agents (Debian's `baresip-core`): A, a citizen's
//! phone, plays three seconds of a 440 Hz tone and hangs up when it ends; B, operator op01's
//! softphone, answers by itself and records both directions. The hub follows B's control port:
//! the answer pops op01's intake page in headless Chromium (the caller's number and the call's id
//! fill the form), op01 registers the order from it, the hang-up becomes the call record, and the
//! two recorded directions become one stereo WAV kept as the call's recording and named in the
//! order. Then the recording plays and seeks in the browser, on the order page and the call list.

#[allow(dead_code)] // the browser helpers serve several test files
mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use common::browser::{Browser, Screen};
use node_service::NodeConfig;
use node_service::telephony::softphone::SoftphoneConfig;

const PW: &str = deploy::demo::DEMO_PASSWORD;
const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/seed");
const TONE_SECS: u32 = 3;

/// A WAV of `secs` seconds of a 440 Hz tone, 8 kHz 16-bit mono (what baresip's `aufile` plays).
fn tone(secs: u32) -> Vec<u8> {
    let n = 8_000 * secs;
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(36 + n * 2).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
    v.extend_from_slice(&(n * 2).to_le_bytes());
    for i in 0..n {
        let s = (f64::from(i) * 440.0 * std::f64::consts::TAU / 8_000.0).sin() * 12_000.0;
        v.extend_from_slice(&(s as i16).to_le_bytes());
    }
    v
}

/// A port free for TCP (the kernel's choice, then released for baresip to take).
fn free_tcp() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A SIP port P with UDP P, TCP P and TCP P+1 (baresip's TLS) free.
fn free_sip() -> Result<u16> {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0")?;
        let p = udp.local_addr()?.port();
        if p < 65_000
            && TcpListener::bind(("127.0.0.1", p)).is_ok()
            && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return Ok(p);
        }
    }
    bail!("no free SIP port")
}

struct Agent {
    child: Child,
    ctrl: u16,
    sip: u16,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a baresip user agent in `dir` and waits until it says it is ready (its control port
/// listens by then); a port taken meanwhile is retried with new ones.
fn agent(dir: &Path, account: &str, source: &str, module: &str, dumps: &Path) -> Result<Agent> {
    let baresip = Path::new("/usr/bin/baresip");
    if !baresip.exists() {
        bail!(
            "baresip is not installed: run the test command in README.md, which installs baresip-core"
        );
    }
    std::fs::create_dir_all(dir)?;
    std::fs::create_dir_all(dumps)?;
    for _ in 0..5 {
        let (ctrl, sip) = (free_tcp()?, free_sip()?);
        let extra = if module == "ausine.so" {
            "ausrc_srate 48000\nausrc_channels 2\n"
        } else {
            ""
        };
        let config = format!(
            "poll_method epoll\nsip_listen 127.0.0.1:{sip}\nnet_interface 127.0.0.1\ncall_local_timeout 120\n\
             call_max_calls 4\naudio_player aubridge,nil\naudio_alert aubridge,nil\naudio_source {source}\n{extra}\
             audio_level no\nausrc_format s16\nauplay_format s16\nauenc_format s16\naudec_format s16\n\
             audio_buffer 20-160\nrtcp_mux no\njitter_buffer_delay 5-10\nrtp_stats no\n\
             module_path /usr/lib/baresip/modules\nmodule g711.so\nmodule sndfile.so\nmodule aubridge.so\n\
             module {module}\nmodule_tmp uuid.so\nmodule_tmp account.so\nmodule_app menu.so\n\
             module_app ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\nsnd_path {}\n\
             ringback_disabled yes\nstatmode_default off\n",
            dumps.display()
        );
        std::fs::write(dir.join("config"), config)?;
        std::fs::write(dir.join("accounts"), format!("{account}\n"))?;
        let mut child = Command::new(baresip)
            .args(["-f", &dir.display().to_string(), "-t", "120"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting baresip")?;
        let out = child.stdout.take().context("baresip's output")?;
        let mut lines = BufReader::new(out).lines();
        let mut failed = false;
        let mut ready = false;
        for line in lines.by_ref() {
            let line = line?;
            if line.contains("failed to listen") || line.contains("init failed") {
                failed = true;
            }
            if line.contains("baresip is ready") {
                ready = true;
                break;
            }
        }
        // The rest of its output is drained (and dropped) so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        if ready && !failed {
            return Ok(Agent { child, ctrl, sip });
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    bail!("baresip did not start")
}

/// Sends one command to a user agent's control port (a netstring of JSON).
fn command(port: u16, cmd: &str, params: &str) -> Result<()> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    let body = serde_json::json!({"command": cmd, "params": params, "token": "t"}).to_string();
    s.write_all(format!("{}:{body},", body.len()).as_bytes())?;
    Ok(())
}

/// 16-bit samples of one channel of a PCM WAV (`channel` of `channels`).
fn samples(wav: &[u8], channel: usize, channels: usize) -> Vec<i16> {
    let at = wav
        .windows(4)
        .position(|w| w == b"data")
        .map_or(wav.len(), |p| p + 8);
    wav[at..]
        .chunks_exact(2 * channels)
        .map(|f| i16::from_le_bytes([f[2 * channel], f[2 * channel + 1]]))
        .collect()
}

fn rms(s: &[i16]) -> f64 {
    (s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_sip_call_pops_the_screen_and_its_recording_plays_with_the_order() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::fs::write(root.join("caller.wav"), tone(TONE_SECS))?;
    let softphone = agent(
        &root.join("b"),
        "\"Hotline\" <sip:12345@127.0.0.1>;regint=0;answermode=auto",
        "ausine,1000",
        "ausine.so",
        &root.join("b-dumps"),
    )?;
    let recordings: PathBuf = root.join("recordings");
    let config = NodeConfig {
        data_dir: root.join("hub"),
        seed_dir: Some(SEED.into()),
        alert_sweep_secs: 0,
        telephony: node_service::telephony::TelephonyConfig {
            extensions: [("8001".to_owned(), "op01".to_owned())].into(),
            recordings_dir: Some(recordings.clone()),
            softphones: vec![SoftphoneConfig {
                operator: "op01".into(),
                control: format!("127.0.0.1:{}", softphone.ctrl),
                dumps: root.join("b-dumps"),
            }],
            ..Default::default()
        },
        ..NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hub = node_service::start(config, listener, node_service::system_clock()).await?;
    let base = hub.url();

    // op01 waits at the intake page; the browser listens for screen pops.
    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&base, "op01", PW).await?;
    b.goto(&format!("{base}/staff/intake")).await?;
    b.wait_for("#phone", 10).await?;
    let mut pops = hub.state.cti.subscribe();

    // The citizen calls: the softphone answers, the hub pops op01's screen.
    let phone = agent(
        &root.join("a"),
        "\"市民\" <sip:13800138000@127.0.0.1>;regint=0",
        &format!("aufile,{}", root.join("caller.wav").display()),
        "aufile.so",
        &root.join("a-dumps"),
    )?;
    // The hub may still be connecting to the softphone's control port: the first pop tells.
    command(
        phone.ctrl,
        "dial",
        &format!("sip:12345@127.0.0.1:{}", softphone.sip),
    )?;
    let pop = tokio::time::timeout(Duration::from_secs(20), pops.recv())
        .await
        .context("the softphone's answer reached the hub")??;
    assert_eq!(pop.caller, "13800138000");
    assert_eq!(pop.operator, "op01");
    let call_id = pop.call_id.clone();
    // The page took the number and the call from the pop, and asked for the caller's history.
    b.wait_for("#call-note:not([hidden])", 10).await?;
    let value = b
        .client
        .execute("return document.getElementById('call_id').value", vec![])
        .await?;
    assert_eq!(
        value,
        call_id.as_str(),
        "the intake form holds the call's id"
    );
    let number_typed = b
        .client
        .execute("return document.getElementById('phone').value", vec![])
        .await?;
    assert_eq!(number_typed, "13800138000");
    b.wait_for("#caller", 10).await?;
    b.shot("31-screen-pop").await?;

    // op01 registers the order while the citizen talks.
    b.client
        .execute(
            "document.getElementById('name').value = '王女士';
             document.getElementById('address').value = '东湖区翠湖花园3栋';
             document.getElementById('subject').value = 'CX.WY.DT';
             document.getElementById('title').value = '小区电梯停运';
             document.getElementById('content').value = '电梯停运两天，老人上下楼困难。';
             document.getElementById('intake-form').requestSubmit();",
            vec![],
        )
        .await?;
    b.wait_for("#reg-number", 10).await?;
    let number = b.text("#reg-number").await?;

    // The citizen's phone hangs up when its three seconds end: the call is kept, its recording
    // too, and the order names it.
    let store = hub.state.store.clone();
    let mut committed = store.committed();
    let recording = loop {
        let v = store.ticket(number.clone()).await?.context("the order")?;
        if let Some(f) = v
            .files
            .iter()
            .find(|f| f.kind == hotline_model::file::FileKind::Recording)
        {
            break f.clone();
        }
        tokio::time::timeout(Duration::from_secs(30), committed.changed())
            .await
            .context("the call's recording reached the order")??;
    };
    assert_eq!(recording.call_id.as_deref(), Some(call_id.as_str()));
    assert_eq!(recording.file.media_type, "audio/wav");
    let id = call_id.clone();
    let call = store
        .read(move |c| replica_store::calls::get(c, &id))
        .await?
        .context("the call record")?;
    assert_eq!(call.operator.as_deref(), Some("op01"));
    assert_eq!(call.caller, "13800138000");
    assert!(call.answered());
    assert!(
        (2..=4).contains(&call.talk_secs),
        "talked {} s",
        call.talk_secs
    );
    // One stereo WAV: the citizen's tone on the left, the softphone's on the right, both heard.
    let wav = hub
        .state
        .blobs
        .get(&recording.file.sha256)?
        .context("the recording's bytes")?;
    assert_eq!(&wav[22..24], &2u16.to_le_bytes(), "stereo");
    let (left, right) = (samples(&wav, 0, 2), samples(&wav, 1, 2));
    let secs = left.len() as f64 / 8_000.0;
    assert!((2.0..4.5).contains(&secs), "{secs} s recorded");
    assert!(
        rms(&left) > 2_000.0,
        "the citizen is heard: rms {}",
        rms(&left)
    );
    assert!(
        rms(&right) > 2_000.0,
        "the operator's side is heard: rms {}",
        rms(&right)
    );
    assert!(
        std::fs::read_dir(root.join("b-dumps"))?.next().is_none(),
        "the softphone's dumps were taken in"
    );

    // The recording plays and seeks in the browser, from the order page.
    b.goto(&format!("{base}/staff/orders/{number}")).await?;
    b.wait_for("li.file.recording audio", 10).await?;
    let played = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const a = document.querySelector('li.file.recording audio');
             a.scrollIntoView({block: 'center'});
             a.addEventListener('error', () => done({error: String(a.error && a.error.code)}));
             a.addEventListener('loadedmetadata', () => {
               a.addEventListener('seeked', () => done({duration: a.duration, at: a.currentTime, state: a.readyState}), {once: true});
               a.currentTime = 1.5;
             }, {once: true});
             a.preload = 'auto';
             a.load();",
            vec![],
        )
        .await?;
    assert!(played.get("error").is_none(), "{played}");
    let duration = played["duration"].as_f64().unwrap_or_default();
    assert!((2.0..4.5).contains(&duration), "{played}");
    assert!(
        (played["at"].as_f64().unwrap_or_default() - 1.5).abs() < 0.1,
        "{played}"
    );
    b.shot("32-order-recording").await?;
    b.assert_clean_console("the order page").await?;
    // And from the call list, where op01 sees their own call.
    b.goto(&format!("{base}/staff/calls")).await?;
    let audio = b.wait_for("#calls-table audio", 10).await?;
    let src = audio.attr("src").await?.unwrap_or_default();
    assert_eq!(src, format!("/staff/calls/{call_id}/recording"));
    let status = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {headers: {Range: 'bytes=0-43'}}).then(r => done(r.status));",
            vec![serde_json::json!(src)],
        )
        .await?;
    assert_eq!(status, 206);
    b.shot("33-calls-recording").await?;
    let listened = hub
        .state
        .store
        .audit_log(None, 100)
        .await?
        .0
        .into_iter()
        .filter(|e| e.action == "open_recording" && e.actor == "op01")
        .count();
    assert!(listened >= 2, "every opening is audited: {listened}");
    b.close().await?;
    command(softphone.ctrl, "quit", "")?;
    command(phone.ctrl, "quit", "")?;
    drop((phone, softphone));
    hub.shutdown().await?;
    Ok(())
}
