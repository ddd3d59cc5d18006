//! The supervisors' pages over operators (监督管理) in headless Chromium at the demo's hub: the
//! day's quality sample, scoring a call item by item while its recording plays (a refused score
//! keeps what was typed), the operator seeing their score as 我的质检, and an operator's day with
//! its state bar and calls. The page's figures are the API's.

#[allow(dead_code)] // the browser helpers serve several test files
mod common;

use std::time::Duration;

use anyhow::{Context, Result};
use common::browser::{Browser, Screen};
use fantoccini::Locator;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = deploy::demo::DEMO_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_score_sampled_calls_and_read_an_operators_day() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let hub = demo.nodes[0].url();
    let state = demo.nodes[0].state.clone();
    let sv01 = state.refdata().user("sv01").context("sv01")?.clone();

    // A call of the last week's samples, one not scored yet if there is one (scoring again
    // replaces a score).
    let mut chosen = None;
    for back in 1..7 {
        let day = hotline_model::period::ymd(
            hotline_model::period::beijing_date(NOW) - time::Duration::days(back),
        );
        let sample = hotline_operations::quality::sample_for(&state, &sv01, Some(day.clone()))
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        for c in &sample.calls {
            let pick = (
                day.clone(),
                c.item.call.call_id.clone(),
                c.item.call.operator.clone(),
            );
            if c.score.is_none() {
                chosen = Some(pick);
                break;
            }
            chosen.get_or_insert(pick);
        }
        if chosen.as_ref().is_some_and(|(d, ..)| *d == day) {
            break;
        }
    }
    let (day, call_id, operator) = chosen.context("a sampled call to score in the demo's week")?;
    let operator = operator.context("the call's operator")?;

    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&hub, "sv01", PW).await?;
    b.goto(&format!("{hub}/staff/quality?date={day}")).await?;
    b.wait_for("#quality-table", 10).await?;
    b.shot("34-quality-sample").await?;
    b.assert_clean_console("the quality sample").await?;
    b.goto(&format!("{hub}/staff/quality/{call_id}")).await?;
    b.wait_for("form.score-form", 10).await?;
    b.wait_for("#recording", 10).await?;
    // One item over its points: refused, and what was typed is kept.
    let items = state.refdata().quality.items.clone();
    for (k, item) in items.iter().enumerate() {
        let value = if k == 0 {
            item.points + 5
        } else {
            item.points - (k as u32 % 2)
        };
        let input = b
            .client
            .find(Locator::Css(&format!("#item-{}", item.code)))
            .await?;
        input.clear().await?;
        input.send_keys(&value.to_string()).await?;
    }
    let comment = b.client.find(Locator::Css("#comment")).await?;
    comment.clear().await?;
    comment.send_keys("开头语规范，地址复述清楚。").await?;
    // The browser's own check stops an out-of-range number: bypass it to see the server's.
    b.client
        .execute(
            "document.querySelector('form.score-form').noValidate = true;",
            vec![],
        )
        .await?;
    b.client
        .find(Locator::Css("form.score-form button[type=submit]"))
        .await?
        .click()
        .await?;
    b.wait_for("#flash.error", 10).await?;
    // The refusal is answered 422, which the console notes; nothing else may be there.
    let noted = b.console().await?;
    assert!(noted.iter().all(|(_, t)| t.contains("422")), "{noted:?}");
    let flash = b.text("#flash").await?;
    assert!(
        flash.contains(&format!("最多 {} 分", items[0].points)),
        "{flash}"
    );
    let kept = b
        .client
        .find(Locator::Css("#comment"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "开头语规范，地址复述清楚。");
    let first = b
        .client
        .find(Locator::Css(&format!("#item-{}", items[0].code)))
        .await?;
    first.clear().await?;
    first.send_keys(&items[0].points.to_string()).await?;
    b.client
        .find(Locator::Css("form.score-form button[type=submit]"))
        .await?
        .click()
        .await?;
    b.wait_for("#flash.ok", 10).await?;
    let saved = b.text("#flash").await?;
    let id = call_id.clone();
    let score = state
        .store
        .read(move |c| replica_store::quality::get(c, &id))
        .await?
        .context("the score was kept")?;
    assert!(saved.contains(&format!("{:.1}%", score.percent)), "{saved}");
    assert_eq!(score.scorer, "sv01");
    assert_eq!(score.comment, "开头语规范，地址复述清楚。");
    b.shot("35-quality-scored").await?;

    // The operator's day, from the operators' statistics.
    b.goto(&format!("{hub}/staff/operators/{operator}?date={day}"))
        .await?;
    b.wait_for("svg.day-bar rect", 10).await?;
    let facts = b.text("dl.facts").await?;
    let d = hotline_operations::operators::day_for(&state, &sv01, &operator, Some(&day))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    assert!(
        facts.contains(&format!("接听来电\n{}", d.calls_in)),
        "{facts}"
    );
    assert!(d.scored >= 1 && d.states.first_sign_in.is_some(), "{d:?}");
    b.shot("36-operator-day").await?;
    b.assert_clean_console("the operator's day").await?;
    b.sign_out().await?;

    // The operator sees the score and its comment.
    b.sign_in(&hub, &operator, PW).await?;
    b.goto(&format!("{hub}/staff/quality")).await?;
    b.wait_for("#quality-table", 10).await?;
    let table = b.text("#quality-table").await?;
    assert!(table.contains("开头语规范，地址复述清楚。"), "{table}");
    assert!(table.contains(&format!("{:.1}%", score.percent)), "{table}");
    b.shot("37-my-quality").await?;
    b.close().await?;
    drop(demo);
    Ok(())
}
