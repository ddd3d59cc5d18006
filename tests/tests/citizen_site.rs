//! The citizens' website end to end in headless Chromium at the demo's hub: a request filed on a
//! phone → the shift leader sees it in the workbench queue →
//! it is dispatched and replied → the citizen looks it up with number and code, sees the public
//! reply and rates it 不满意, "not solved" → the centre finds it in its redo review. Every citizen
//! page is screenshotted at phone and desktop size (and in 大字版), no page may log a console
//! error, and no citizen page has a single script: each works the same with JavaScript off.
//! (Chromium's own switch for scripts also stops chromedriver's clicks on form buttons, so the
//! test proves the pages script-free instead.)

#[allow(dead_code)] // the browser helpers serve several test files
mod common;

use std::time::Duration;

use anyhow::{Context, Result};
use common::browser::{Browser, Screen};
use fantoccini::Locator;
use serde_json::json;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = deploy::demo::DEMO_PASSWORD;

/// A real PNG: one red pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xDD, 0x8D, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

async fn fill(b: &Browser, css: &str, text: &str) -> Result<()> {
    let e = b.client.find(Locator::Css(css)).await?;
    e.clear().await?;
    e.send_keys(text).await?;
    Ok(())
}

async fn click(b: &Browser, css: &str) -> Result<()> {
    b.client.find(Locator::Css(css)).await?.click().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_files_follows_and_rates_and_the_centre_reviews_the_redo() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    let hub = demo.nodes[0].url();
    let staff = node_service::api::in_process::Client::new(demo.nodes[0].state.clone());
    let photo = dir.path().join("路灯.png");
    std::fs::write(&photo, PNG)?;

    // The citizen, on a phone.
    let c = Browser::start(Screen::Phone).await?;
    c.goto(&format!("{hub}/")).await?;
    c.wait_for(".tiles", 10).await?;
    c.shot("citizen-01-home").await?;
    // 大字版, then back to standard.
    click(&c, "form.size button").await?;
    c.wait_for("html.large", 10).await?;
    c.shot("citizen-02-home-large").await?;
    click(&c, "form.size button").await?;
    c.wait_for("html:not(.large) .tiles", 10).await?;

    c.goto(&format!("{hub}/submit")).await?;
    c.wait_for("#content", 10).await?;
    c.shot("citizen-03-submit").await?;
    c.client
        .find(Locator::Css("#request_type"))
        .await?
        .select_by_value("repair")
        .await?;
    c.client
        .find(Locator::Css("#subject"))
        .await?
        .select_by_value("CG.SZ.LD")
        .await?;
    fill(&c, "#address", "滨江区江湾路与港口路交叉口").await?;
    fill(
        &c,
        "#content",
        "路口的路灯已经一个星期不亮了，晚上过马路看不清车，老人孩子都很危险。",
    )
    .await?;
    fill(&c, "#name", "周阿姨").await?;
    fill(&c, "#phone", "１３９ ０００６ ６６６６").await?; // full-width, as an IME types it
    c.client
        .find(Locator::Css("#photos"))
        .await?
        .send_keys(&photo.display().to_string())
        .await?;
    click(&c, "form.form button[type=submit]").await?;
    c.wait_for("#number", 10).await?;
    c.shot("citizen-04-submitted").await?;
    let number = c.text("#number").await?;
    let code = c.text("#code").await?;
    assert!(number.contains("-HUB-"), "{number}");
    assert!(c.text("main").await?.contains("个工作日"));

    // The shift leader sees it in the review queue of the workbench.
    let s = Browser::start(Screen::Desktop).await?;
    s.sign_in(&hub, "sl01", PW).await?;
    s.goto(&format!("{hub}/staff/queue?tab=review")).await?;
    s.wait_for("table", 10).await?;
    assert!(
        s.text("main").await?.contains(&number),
        "the web order is in the queue"
    );
    s.shot("citizen-05-staff-queue").await?;
    s.goto(&format!("{hub}/staff/orders/{number}")).await?;
    s.wait_for(".status-line", 10).await?;
    let page = s.text("main").await?;
    assert!(
        page.contains("网站") && page.contains("13900066666"),
        "channel and phone for staff"
    );
    s.assert_clean_console("staff order").await?;

    // Dispatched and replied (the workbench's own pages are tested in workbench.rs).
    for (user, body) in [
        ("sl01", json!({"action": "review", "accept": true})),
        ("sl01", json!({"action": "dispatch", "lead": "B-CGJ"})),
        ("b-cgj-handler", json!({"action": "sign"})),
        (
            "b-cgj-handler",
            json!({"action": "reply", "founded": true, "solved": true, "public_reply": "已安排维修人员更换路灯控制器，路灯恢复照明。"}),
        ),
        ("sv01", json!({"action": "review_result", "accept": true})),
    ] {
        let (st, v) = staff
            .call(
                "POST",
                &format!("/api/tickets/{number}/actions"),
                Some(user),
                Some(&body),
            )
            .await?;
        anyhow::ensure!(st.is_success(), "{user}: {v}");
    }

    // The citizen looks it up and sees the public reply; nothing personal on the page.
    c.goto(&format!("{hub}/lookup")).await?;
    c.wait_for("#number", 10).await?;
    c.shot("citizen-06-lookup").await?;
    fill(&c, "#number", &number.to_lowercase()).await?;
    fill(&c, "#code", &code).await?;
    click(&c, "form.form button[type=submit]").await?;
    c.wait_for("#order", 10).await?;
    c.shot("citizen-07-order").await?;
    let text = c.text("main").await?;
    assert!(text.contains("已安排维修人员更换路灯控制器"), "{text}");
    assert!(text.contains("市城市管理和综合执法局"));
    for secret in ["13900066666", "江湾路", "一个星期不亮", "周阿姨"] {
        assert!(!text.contains(secret), "the lookup shows {secret}");
    }
    // Rates it: not solved, 不满意.
    click(&c, "input[name=solved][value=false]").await?;
    click(&c, "input[name=satisfaction][value=unsatisfied]").await?;
    fill(&c, "#comment", "路灯修好两天又不亮了").await?;
    click(&c, "#rate button[type=submit]").await?;
    c.wait_for("#notice", 10).await?;
    c.shot("citizen-08-rated").await?;
    assert!(c.text("#notice").await?.contains("审核是否需要重新办理"));
    assert!(
        c.client.find(Locator::Css("#rate")).await.is_err(),
        "rated once"
    );

    // The centre sees it in its redo review, with the citizen's words in the history.
    s.goto(&format!("{hub}/staff/queue?tab=redo")).await?;
    s.wait_for("table", 10).await?;
    assert!(s.text("main").await?.contains(&number));
    s.shot("citizen-09-staff-redo-review").await?;
    s.goto(&format!("{hub}/staff/orders/{number}")).await?;
    s.wait_for(".status-line", 10).await?;
    let page = s.text("main").await?;
    assert!(
        page.contains("市民在网站评价：不满意") && page.contains("路灯修好两天又不亮了"),
        "{page}"
    );
    assert!(
        s.client
            .find(Locator::Css(
                "details.action:has(input[name=action][value=reopen])"
            ))
            .await
            .is_ok(),
        "the centre may reopen it"
    );
    s.shot("citizen-10-staff-order-rated").await?;
    s.assert_clean_console("staff redo review").await?;
    s.close().await?;

    // Every citizen page at both sizes (the published list has the demo's closed results).
    let results = demo.nodes[0]
        .state
        .store
        .published(None, 1, None)
        .await?
        .first()
        .map(|v| v.number.clone())
        .context("the demo publishes some results")?;
    let pages = [
        ("home", "/".to_owned()),
        ("submit", "/submit".into()),
        ("lookup", "/lookup".into()),
        ("results", "/results".into()),
        ("results-search", "/results?q=%E8%B7%AF".into()),
        ("result", format!("/results/{results}")),
        ("figures", "/figures".into()),
        ("commitments", "/commitments".into()),
    ];
    for screen in [Screen::Phone, Screen::Desktop] {
        let b = Browser::start(screen).await?;
        for (page, path) in &pages {
            b.goto(&format!("{hub}{path}")).await?;
            b.wait_for("footer.site", 10).await?;
            b.shot(&format!("citizen-page-{page}")).await?;
            b.assert_clean_console(page).await?;
            let scripts = b
                .client
                .execute(
                    "return document.scripts.length + document.querySelectorAll('[onclick],[onsubmit],[onchange]').length",
                    Vec::new(),
                )
                .await?;
            assert_eq!(scripts, json!(0), "{page} needs no JavaScript");
        }
        b.close().await?;
    }
    // One in 大字版 at desktop size too.
    let b = Browser::start(Screen::Desktop).await?;
    b.goto(&format!("{hub}/figures")).await?;
    click(&b, "form.size button").await?;
    b.wait_for("html.large", 10).await?;
    b.shot("citizen-page-figures-large").await?;
    b.close().await?;
    c.close().await?;
    tokio::time::timeout(Duration::from_secs(30), async {
        for node in demo.nodes.into_iter().rev() {
            node.shutdown().await?;
        }
        anyhow::Ok(())
    })
    .await??;
    Ok(())
}
