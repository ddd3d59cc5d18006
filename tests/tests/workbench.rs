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
    fill_fields(b, action, fill).await?;
    // Mark the page, so the answer is told from the page the form was on.
    b.client
        .execute("document.body.dataset.before = '1'", Vec::new())
        .await?;
    details
        .find(Locator::Css("button[type=submit].primary"))
        .await?
        .click()
        .await?;
    match b.wait_for("body:not([data-before]) #flash", 10).await {
        Ok(flash) => Ok(flash.text().await?),
        Err(e) => {
            b.shot(&format!("failed-{action}")).await?;
            Err(e.context(format!("no answer to {action}")))
        }
    }
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
    assert!(
        b.client
            .current_url()
            .await?
            .path()
            .ends_with("/staff/intake")
    );
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
    assert!(
        code.len() >= 8 && code.chars().all(|c| c.is_ascii_alphanumeric()),
        "{code}"
    );
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
    // The next caller reports the same kind of matter: the panel shows the order just taken.
    b.keys(&format!("13600001234{TAB}{TAB}{TAB}{TAB}ZA.ZS.SH{TAB}"))
        .await?;
    let panel = b
        .wait_for(&format!("#caller a[href='/staff/orders/{number}']"), 10)
        .await?;
    assert_eq!(panel.text().await?, number);
    assert!(b.text("#caller").await?.contains("近 3 天同类诉求"));
    b.shot("04b-intake-same-subject").await?;
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
    assert_eq!(
        act(&b, "review", &[]).await?,
        "✓ 已办理：审核".replace("✓ ", "")
    );
    let flash = act(
        &b,
        "dispatch",
        &[("lead", "D01"), ("note", "请属地核查处理")],
    )
    .await?;
    assert!(flash.contains("派单"), "{flash}");
    assert_eq!(status_of(&b).await?, "待签收");
    b.shot("06-order-dispatched").await?;
    b.assert_clean_console("order page").await?;
    b.sign_out().await?;

    // The district signs and hands it down to the town.
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    b.sign_in(&district, "d01-handler", PW).await?;
    assert!(
        b.client
            .current_url()
            .await?
            .path()
            .ends_with("/staff/inbox")
    );
    b.wait_for(&format!("a[href='/staff/orders/{number}']"), 10)
        .await?;
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
    b.wait_for(&format!("a[href='/staff/orders/{number}']"), 10)
        .await?;
    b.shot("08-town-inbox-offline").await?;
    open_order(&b, &town, &number).await?;
    act(&b, "sign", &[]).await?;
    act(
        &b,
        "reply",
        &[
            (
                "public_reply",
                "经现场核查，饭店已加装排风机消声设备，夜间噪声已达标。",
            ),
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
    b.goto(&format!("{hub}/staff/board?tab=units")).await?;
    b.wait_for("table.orders", 10).await?;
    b.shot("10b-board-units").await?;
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
    b.sign_out().await?;
    b.sign_in(&hub, "admin", PW).await?;
    assert!(
        b.client
            .current_url()
            .await?
            .path()
            .ends_with("/staff/accounts")
    );
    b.shot("18-accounts").await?;
    b.assert_clean_console("accounts").await?;
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
    p.sign_in(&hub, "sl01", PW).await?;
    p.shot("05-queue").await?;
    p.sign_out().await?;
    p.sign_in(&hub, "sv01", PW).await?;
    p.shot("10-board").await?;
    p.goto(&format!("{hub}/staff/kb?tab=published")).await?;
    p.wait_for("nav.tabs", 10).await?;
    p.shot("16-kb-list").await?;
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

/// Registers an order at the hub through the intake page; returns its number.
async fn register(b: &Browser, hub: &str, title: &str) -> Result<String> {
    b.goto(&format!("{hub}/staff/intake")).await?;
    b.wait_for("#phone", 10).await?;
    b.keys(&format!(
        "13700001111{TAB}钱秀兰{TAB}{TAB}{TAB}ZA.ZS.SH{TAB}东湖区湖滨路6号{TAB}{title}{TAB}\
         小区门口广场舞音响声音太大，晚上十点后还在放。{CONTROL}{ENTER}{CONTROL}"
    ))
    .await?;
    Ok(b.wait_for("#reg-number", 10).await?.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_counted_a_final_assignment_sticks_and_offline_conflicts_show_at_both_offices()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let [hub, district] = [0, 1].map(|i| demo.nodes[i].url());
    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&hub, "op02", PW).await?;
    let number = register(&b, &hub, "广场舞噪声扰民").await?;
    b.sign_out().await?;
    b.sign_in(&hub, "sl01", PW).await?;
    open_order(&b, &hub, &number).await?;
    act(&b, "review", &[]).await?;
    act(&b, "dispatch", &[("lead", "D01")]).await?;
    b.sign_out().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    // The district is cut off. Its office signs the order, while a colleague of the same unit
    // signs it at the hub: two offices acting apart on one assignment.
    demo.nodes[1].suspend_sync().await;
    b.sign_in(&district, "d01-handler", PW).await?;
    open_order(&b, &district, &number).await?;
    act(&b, "sign", &[]).await?;
    b.sign_out().await?;
    b.sign_in(&hub, "d01-handler", PW).await?;
    open_order(&b, &hub, &number).await?;
    act(&b, "sign", &[]).await?;
    b.sign_out().await?;
    demo.nodes[1].resume_sync().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    // Both offices now show the same history: one signing lost, and says why.
    for base in [&hub, &district] {
        b.sign_in(base, "d01-handler", PW).await?;
        open_order(&b, base, &number).await?;
        let banner = b.text(".flash.error").await?;
        assert!(banner.contains("1 项操作"), "{banner}");
        let lost = b.text(".timeline li.lost").await?;
        assert!(
            lost.contains("签收") && lost.contains("未生效原因"),
            "{lost}"
        );
        assert_eq!(status_of(&b).await?, "办理中");
        b.shot(if base == &hub {
            "13-conflict-hub"
        } else {
            "13-conflict-district"
        })
        .await?;
        b.sign_out().await?;
    }

    // The district returns it: out of its reach, it lands back in its inbox page with a note.
    b.sign_in(&district, "d01-handler", PW).await?;
    open_order(&b, &district, &number).await?;
    let flash = act(
        &b,
        "return",
        &[("reason", "噪声源在湖滨街道辖区，请派至街道")],
    )
    .await?;
    assert!(flash.contains("已移出本单位"), "{flash}");
    b.sign_out().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    // The shift leader sees how often it bounced and assigns it finally (审定) to the town.
    b.sign_in(&hub, "sl01", PW).await?;
    open_order(&b, &hub, &number).await?;
    assert!(b.text(".order").await?.contains("被退回次数"));
    b.client
        .find(Locator::Css(
            "details.action:has(input[value=dispatch]) summary",
        ))
        .await?;
    let details = b
        .client
        .find(Locator::Css("details.action:has(input[value=dispatch])"))
        .await?;
    if details.attr("open").await?.is_none() {
        details.find(Locator::Css("summary")).await?.click().await?;
    }
    details
        .find(Locator::Css("input[name=final_assignment]"))
        .await?
        .click()
        .await?;
    act(
        &b,
        "dispatch",
        &[("lead", "D01-T01"), ("note", "中心审定，请街道办理")],
    )
    .await?;
    assert!(
        b.text(".order")
            .await?
            .contains("中心审定，承办单位不得退回")
    );
    b.shot("14-final-assignment").await?;
    b.sign_out().await?;

    // The town signs; it can no longer return it, and asks for more time, which is approved.
    b.sign_in(&hub, "d01-t01-handler", PW).await?;
    open_order(&b, &hub, &number).await?;
    act(&b, "sign", &[]).await?;
    let offered = b.text("section.card:has(h2)").await?;
    assert!(
        !offered.contains("退回中心"),
        "no return after a final assignment"
    );
    act(
        &b,
        "request_extension",
        &[("days", "5"), ("reason", "需联合城管夜间执法")],
    )
    .await?;
    b.sign_out().await?;
    b.sign_in(&hub, "sv01", PW).await?;
    open_order(&b, &hub, &number).await?;
    act(&b, "approve_extension", &[]).await?;
    let parts = b.text(".order").await?;
    assert!(parts.contains("已延期 1 次"), "{parts}");
    assert!(parts.contains("批准"), "the timeline shows the approval");
    b.shot("15-extension-approved").await?;
    b.assert_clean_console("conflict and extension pages")
        .await?;
    b.close().await?;
    for node in demo.nodes.drain(..).rev() {
        node.shutdown().await?;
    }
    Ok(())
}

/// Fills the fields `#<prefix>-<name>`; returns the last one.
async fn fill_fields(
    b: &Browser,
    prefix: &str,
    fill: &[(&str, &str)],
) -> Result<Option<fantoccini::elements::Element>> {
    let mut last = None;
    for (name, value) in fill {
        let el = b
            .client
            .find(Locator::Css(&format!("#{prefix}-{name}")))
            .await?;
        if el.tag_name().await? == "select" {
            el.select_by_value(value).await?;
        } else {
            el.clear().await?;
            el.send_keys(value).await?;
        }
        last = Some(el);
    }
    Ok(last)
}

/// Fills the fields `#<prefix>-<name>` and submits their form with Ctrl+Enter.
async fn fill_and_submit(b: &Browser, prefix: &str, fill: &[(&str, &str)]) -> Result<()> {
    let last = fill_fields(b, prefix, fill).await?;
    b.client
        .execute("document.body.dataset.before = '1'", Vec::new())
        .await?;
    if let Some(el) = last {
        el.send_keys(&format!("{CONTROL}{ENTER}{CONTROL}")).await?;
    }
    b.wait_for("body:not([data-before]) #flash", 10).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_drafts_an_answer_the_centre_publishes_and_a_revision_shows_its_difference()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let [hub, district] = [0, 1].map(|i| demo.nodes[i].url());
    let b = Browser::start(Screen::Desktop).await?;

    b.sign_in(&district, "d01-admin", PW).await?;
    assert!(b.client.current_url().await?.path().ends_with("/staff/kb"));
    b.client
        .find(Locator::Css("details.action summary"))
        .await?
        .click()
        .await?;
    fill_and_submit(
        &b,
        "new",
        &[
            ("question", "东湖区老旧小区加装电梯有补贴吗"),
            (
                "answer",
                "由业主向所在街道提出申请。区住建局审核后给予补贴。每台补贴二十万元。",
            ),
            ("keywords", "加装电梯 补贴"),
            ("category", "CX.WY.DT"),
        ],
    )
    .await?;
    assert_eq!(b.text("#flash").await?, "已保存为草稿");
    b.client
        .find(Locator::Css("form:has(input[value=submit]) button"))
        .await?
        .click()
        .await?;
    b.wait_for_text("flash", "已提交审核", 10).await?;
    let article = b.client.current_url().await?.path().to_owned();
    b.sign_out().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    b.sign_in(&hub, "sv01", PW).await?;
    b.goto(&format!("{hub}/staff/kb?tab=in_review")).await?;
    b.wait_for(&format!("a[href='{article}']"), 10).await?;
    b.shot("16-kb-review-queue").await?;
    b.goto(&format!("{hub}{article}")).await?;
    b.wait_for("form:has(input[value=publish]) button", 10)
        .await?
        .click()
        .await?;
    b.wait_for_text("flash", "已发布", 10).await?;
    b.sign_out().await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);

    // The district revises its answer; the page shows what changed between the versions.
    b.sign_in(&district, "d01-admin", PW).await?;
    b.goto(&format!("{district}{article}")).await?;
    b.wait_for("details.action summary", 10)
        .await?
        .click()
        .await?;
    fill_and_submit(
        &b,
        "rev",
        &[
            (
                "answer",
                "由业主向所在街道提出申请。区住建局审核后给予补贴。每台补贴二十五万元。",
            ),
            ("note", "补贴标准调整"),
        ],
    )
    .await?;
    assert_eq!(b.text("#flash").await?, "已修订");
    assert_eq!(b.text(".diff del").await?, "每台补贴二十万元。");
    assert_eq!(b.text(".diff ins").await?, "每台补贴二十五万元。");
    assert!(
        b.text(".timeline").await?.contains("当前发布"),
        "version 1 stays live"
    );
    b.shot("17-kb-revision-diff").await?;
    b.assert_clean_console("knowledge-base editor").await?;
    b.close().await?;
    for node in demo.nodes.drain(..).rev() {
        node.shutdown().await?;
    }
    Ok(())
}
