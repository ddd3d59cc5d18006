//! Citizens' messages and the callback list in headless Chromium at the demo's hub: an operator
//! finds a text in 市民来信, registers it through the intake form it pre-fills, answers another,
//! and sees the orders to call back. Screenshotted at desktop and phone size.

#[allow(dead_code)] // the browser helpers serve several test files
mod common;

use std::time::Duration;

use anyhow::Result;
use common::browser::{Browser, CONTROL, ENTER, Screen, TAB};
use fantoccini::Locator;
use replica_store::inbound::Received;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = deploy::demo::DEMO_PASSWORD;

fn text(n: i64, phone: &str, content: &str) -> Received {
    Received {
        channel: "sms".into(),
        external_id: format!("aliyun:{n}"),
        sender: phone.into(),
        subject: String::new(),
        content: content.into(),
        received_at: NOW - n * 60_000,
        extend: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_registers_one_text_answers_another_and_sees_whom_to_call_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let hub = demo.nodes[0].url();
    let store = demo.nodes[0].state.store.clone();
    for m in [
        text(
            1,
            "13912345678",
            "春晖路18号楼下的路灯坏了一个星期了，晚上很黑，老人出门不安全。",
        ),
        text(2, "13812340010", "请问办理居住证需要带什么材料？"),
    ] {
        assert!(store.receive(m, None, vec![]).await?.is_some());
    }

    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&hub, "op01", PW).await?;
    b.goto(&format!("{hub}/staff/drafts")).await?;
    b.wait_for(".draft", 10).await?;
    b.shot("20-drafts").await?;
    b.assert_clean_console("drafts").await?;
    assert!(b.text(".tabs a[aria-current]").await?.contains('2'));

    // 登记为工单: the intake form comes filled with the sender and the text.
    b.client
        .find(Locator::Css("li.draft:has(.content) a.button.primary"))
        .await?
        .click()
        .await?;
    b.wait_for("#draft-note", 10).await?;
    assert_eq!(
        b.client
            .find(Locator::Id("phone"))
            .await?
            .prop("value")
            .await?
            .as_deref(),
        Some("13812340010")
    );
    b.shot("21-intake-from-draft").await?;
    b.client.find(Locator::Id("subject")).await?.click().await?;
    b.keys(&format!(
        "ZA.ZS.SH{TAB}东湖区{TAB}咨询居住证办理材料{CONTROL}{ENTER}{CONTROL}"
    ))
    .await?;
    let number = b.wait_for("#reg-number", 10).await?.text().await?;
    assert!(number.contains("-HUB-"), "{number}");

    // The other is answered by text from the queue.
    b.goto(&format!("{hub}/staff/drafts")).await?;
    b.wait_for(".draft", 10).await?;
    let draft = b.client.find(Locator::Css("li.draft")).await?;
    draft
        .find(Locator::Css("details summary"))
        .await?
        .click()
        .await?;
    draft
        .find(Locator::Css("textarea[name=text]"))
        .await?
        .send_keys("您好，路灯维修已转城管部门，预计三个工作日内修复。")
        .await?;
    draft
        .find(Locator::Css("form[action$=answer] button"))
        .await?
        .click()
        .await?;
    b.wait_for_text("flash", "答复已排队发送", 10).await?;
    assert!(b.text(".empty").await?.contains("没有待处理"));
    b.goto(&format!("{hub}/staff/drafts?state=registered"))
        .await?;
    b.wait_for(".draft", 10).await?;
    assert!(b.text(".draft .meta").await?.contains(&number));

    // The callback list: the demo's orders awaiting a callback (no SMS gateway: no survey wait).
    b.goto(&format!("{hub}/staff/callbacks")).await?;
    b.wait_for("#callback-count", 10).await?;
    let count: i64 = b.text("#callback-count").await?.parse()?;
    assert!(count > 0, "the demo has orders to call back");
    b.shot("22-callbacks").await?;
    b.assert_clean_console("callbacks").await?;

    // A district handler's messages: the unread count beside the entry, opening one reads it.
    let d = Browser::start(Screen::Desktop).await?;
    d.sign_in(&hub, "d01-handler", PW).await?;
    d.goto(&format!("{hub}/staff/messages")).await?;
    d.wait_for("#unread-count", 10).await?;
    let unread: i64 = d.text("#unread-count").await?.parse()?;
    assert!(unread > 0, "the demo's assignments and urges to 东湖区");
    d.wait_for("#unread-badge:not(:empty)", 10).await?;
    assert_eq!(d.text("#unread-badge").await?, unread.min(99).to_string());
    d.shot("23-messages").await?;
    d.assert_clean_console("messages").await?;
    d.client
        .find(Locator::Css("tr.unread a"))
        .await?
        .click()
        .await?;
    d.wait_for(".status-line", 10).await?;
    d.goto(&format!("{hub}/staff/messages")).await?;
    d.wait_for("#unread-count", 10).await?;
    assert_eq!(d.text("#unread-count").await?, (unread - 1).to_string());

    let p = Browser::start(Screen::Phone).await?;
    p.sign_in(&hub, "op01", PW).await?;
    p.goto(&format!("{hub}/staff/callbacks")).await?;
    p.wait_for("#callback-count", 10).await?;
    p.shot("22-callbacks").await?;
    p.goto(&format!("{hub}/staff/drafts?state=answered"))
        .await?;
    p.wait_for(".draft", 10).await?;
    p.shot("20-drafts").await?;
    for browser in [b, d, p] {
        browser.close().await?;
    }
    Ok(())
}
