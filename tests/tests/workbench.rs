//! The staff workbench end to end in headless Chromium, across the demo's real nodes (hub,
//! district, town; SQLite files, QUIC with TLS on loopback): an operator takes a call at the hub
//! with the keyboard only, the shift leader dispatches to the district, the district hands it to
//! a town, the town — cut off from its district — signs and replies through its own pages, the
//! link returns and the centre reviews, calls back and closes. Every main page is screenshotted at
//! desktop and phone size, and no page may log a console error (CSP violations included).

mod common;

use std::time::Duration;

use anyhow::Result;
use common::browser::{Browser, CONTROL, ENTER, Screen, TAB};
use fantoccini::Locator;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = deploy::demo::DEMO_PASSWORD;

/// Opens an action's form on the order page, fills it and submits it; returns the flash text.
async fn act(b: &Browser, action: &str, fill: &[(&str, &str)]) -> Result<String> {
    let details = b
        .client
        .find(Locator::Css(&format!(
            "details.action:has(input[name=action][value={action}])"
        )))
        .await?;
    if details.attr("open").await?.is_none() {
        details.find(Locator::Css("summary")).await?.click().await?;
    }
    for (name, value) in fill {
        let el = b
            .client
            .find(Locator::Css(&format!("#{action}-{name}")))
            .await?;
        if el.tag_name().await? == "select" {
            el.select_by_value(value).await?;
        } else {
            el.clear().await?;
            el.send_keys(value).await?;
        }
    }
    details
        .find(Locator::Css("button[type=submit].primary"))
        .await?
        .click()
        .await?;
    let flash = b.wait_for(".flash", 10).await?;
    Ok(flash.text().await?)
}

async fn open_order(b: &Browser, base: &str, number: &str) -> Result<()> {
    b.goto(&format!("{base}/staff/orders/{number}")).await?;
    b.wait_for(".status-line", 10).await?;
    Ok(())
}

async fn status_of(b: &Browser) -> Result<String> {
    b.text(".status-line .tag").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_travels_down_three_tiers_and_back_through_the_pages() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let [hub, district, town] = [0, 1, 3].map(|i| demo.nodes[i].url());
    let b = Browser::start(Screen::Desktop).await?;

    // The sign-in page, and a wrong password.
    b.goto(&format!("{hub}/staff/login")).await?;
    b.wait_for("#login", 10).await?;
    b.shot("01-login").await?;
    b.keys(&format!("op01{TAB}wrong-password{ENTER}")).await?;
    assert_eq!(b.text(".flash.error").await?, "账号或密码错误");
    b.assert_clean_console("sign-in").await?;

    // The operator takes a call, keyboard only: phone first (typed through a Chinese IME with
    // full-width digits), then the fields in tab order, Ctrl+Enter to save.
    b.sign_in(&hub, "op01", PW).await?;
    assert!(b.client.current_url().await?.path().ends_with("/staff/intake"));
    b.shot("02-intake-empty").await?;
    b.keys(&format!(
        "１３９ ０５７１ ２２３３{TAB}赵建国{TAB}{TAB}{TAB}ZA.ZS.SH{TAB}东湖区春晖路18号{TAB}\
         楼下饭店夜间噪声扰民{TAB}每天晚上十一点后楼下饭店排风机噪声很大，影响休息，希望尽快处理。"
    ))
    .await?;
    b.wait_for("#kb[data-asked]", 10).await?;
    b.shot("03-intake-filled").await?;
    b.keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await?;
    let number = b.wait_for("#reg-number", 10).await?.text().await?;
    let code = b.text("#reg-code").await?;
    assert!(number.contains("-HUB-"), "{number}");
    assert!(code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
    b.shot("04-intake-registered").await?;
    b.assert_clean_console("intake").await?;
    // The caller's number was normalised, and the next call's form is empty again.
    let view = demo.nodes[0]
        .state
        .store
        .ticket(number.clone())
        .await?
        .expect("registered");
    assert_eq!(view.intake.caller_phone, "13905712233");
    assert_eq!(
        b.client
            .find(Locator::Css("#phone"))
            .await?
            .prop("value")
            .await?
            .unwrap_or_default(),
        ""
    );
    b.sign_out().await?;

    // The shift leader reviews it from the queue and dispatches it to the district.
    b.sign_in(&hub, "sl01", PW).await?;
    b.wait_for("nav.tabs", 10).await?;
    b.shot("05-queue").await?;
    b.client
        .find(Locator::LinkText(&number))
        .await?
        .click()
        .await?;
    b.wait_for(".status-line", 10).await?;
    assert_eq!(act(&b, "review", &[]).await?, "✓ 已办理：审核".replace("✓ ", ""));
    let flash = act(&b, "dispatch", &[("lead", "D01"), ("note", "请属地核查处理")]).await?;
    assert!(flash.contains("派单"), "{flash}");
    assert_eq!(status_of(&b).await?, "待签收");
    b.shot("06-order-dispatched").await?;
    b.assert_clean_console("order page").await?;
    b.sign_out().await?;

    // The district signs and hands it down to the town.
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    b.sign_in(&district, "d01-handler", PW).await?;
    assert!(b.client.current_url().await?.path().ends_with("/staff/inbox"));
    b.wait_for(&format!("a[href='/staff/orders/{number}']"), 10).await?;
    b.shot("07-district-inbox").await?;
    open_order(&b, &district, &number).await?;
    act(&b, "sign", &[]).await?;
    assert_eq!(status_of(&b).await?, "办理中");
    act(&b, "transfer", &[("to", "D01-T01"), ("note", "请街道处理")]).await?;
    b.sign_out().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    // The town is cut off from its district; it signs and replies through its own pages.
    demo.nodes[3].suspend_sync().await;
    b.sign_in(&town, "d01-t01-handler", PW).await?;
    assert_eq!(
        b.text(".banner.offline").await?,
        "离线工作中，恢复连接后自动同步"
    );
    b.wait_for(&format!("a[href='/staff/orders/{number}']"), 10).await?;
    b.shot("08-town-inbox-offline").await?;
    open_order(&b, &town, &number).await?;
    act(&b, "sign", &[]).await?;
    act(
        &b,
        "reply",
        &[
            ("public_reply", "经现场核查，饭店已加装排风机消声设备，夜间噪声已达标。"),
            ("internal_note", "已联系区生态环境分局复测"),
        ],
    )
    .await?;
    assert_eq!(status_of(&b).await?, "待审核结果");
    b.shot("09-town-replied-offline").await?;
    b.assert_clean_console("town order page").await?;
    b.sign_out().await?;

    // The link returns; the hub shows the reply, and the centre reviews, calls back and closes.
    demo.nodes[3].resume_sync().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    b.sign_in(&hub, "sv01", PW).await?;
    b.shot("10-board").await?;
    open_order(&b, &hub, &number).await?;
    assert_eq!(status_of(&b).await?, "待审核结果");
    assert!(b.text(".order").await?.contains("排风机消声设备"));
    act(&b, "review_result", &[]).await?;
    act(&b, "callback", &[("satisfaction", "satisfied")]).await?;
    act(&b, "close", &[]).await?;
    assert_eq!(status_of(&b).await?, "已办结");
    b.shot("11-order-closed").await?;
    b.assert_clean_console("closing").await?;
    b.goto(&format!("{hub}/staff/status")).await?;
    b.wait_for(".facts", 10).await?;
    b.shot("12-status").await?;
    b.close().await?;

    // The same pages on a phone.
    let p = Browser::start(Screen::Phone).await?;
    p.goto(&format!("{hub}/staff/login")).await?;
    p.wait_for("#login", 10).await?;
    p.shot("01-login").await?;
    p.sign_in(&hub, "op01", PW).await?;
    p.shot("02-intake-empty").await?;
    open_order(&p, &hub, &number).await?;
    p.shot("11-order-closed").await?;
    p.sign_out().await?;
    p.sign_in(&town, "d01-t01-handler", PW).await?;
    p.shot("07-town-inbox").await?;
    p.assert_clean_console("phone pages").await?;
    p.close().await?;

    for node in demo.nodes.drain(..).rev() {
        node.shutdown().await?;
    }
    Ok(())
}
