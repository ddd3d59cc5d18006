//! The unit assessment page (统计考核) in headless Chromium at the demo's hub: the chart renders
//! (SVG, no console errors under the CSP), the table carries the API's numbers, a unit's figure
//! leads to the orders behind it, and the Excel export downloads and, read back, holds the same
//! numbers as the page. The hot topics page (热点难点) likewise, with its trend and drill-down,
//! and the volume page.

#[allow(dead_code)] // the browser helpers serve several test files
mod common;

use std::io::Cursor;
use std::time::Duration;

use anyhow::Result;
use calamine::{Data, Reader, Xlsx};
use common::browser::{Browser, Screen};
use fantoccini::Locator;
use hotline_operations::stats::{OrdersQuery, StatsQuery, unit_orders, unit_report};
use hotline_operations::topics::{
    TopicQuery, TrendQuery, VolumeQuery, topic_report, trend_report, volume_report,
};

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const PW: &str = deploy::demo::DEMO_PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assessment_page_charts_ranks_drills_down_and_exports_the_same_numbers() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let hub = demo.nodes[0].url();
    let state = demo.nodes[0].state.clone();
    let sv01 = state.refdata().user("sv01").expect("sv01").clone();
    let q = StatsQuery {
        period: Some("month".into()),
        date: Some("2026-11-01".into()),
        ..StatsQuery::default()
    };
    let report = unit_report(&state, &sv01, &q)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    assert!(
        !report.units.is_empty(),
        "the demo's November has assignments"
    );
    assert_eq!(report.label, "2026年11月");
    // With the subtrees rolled up: each unit below the centre holds its own and its sub-units'
    // assignments.
    let rolled = unit_report(
        &state,
        &sv01,
        &StatsQuery {
            rollup: Some(true),
            ..q.clone()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let org = &state.refdata().org;
    assert!(!rolled.units.is_empty());
    for r in &rolled.units {
        let own: u32 = report
            .units
            .iter()
            .filter(|u| org.is_within(&u.figures.unit, &r.figures.unit))
            .map(|u| u.figures.assigned)
            .sum();
        assert_eq!(r.figures.assigned, own, "{}", r.figures.unit);
        assert_ne!(r.figures.unit, "C", "the centre is the whole, not a row");
    }
    assert!(
        rolled
            .units
            .iter()
            .any(|r| org.children(&r.figures.unit).next().is_some()),
        "a district with towns is among them"
    );

    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&hub, "sv01", PW).await?;
    b.goto(&format!(
        "{hub}/staff/stats/units?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#chart-score[data-drawn] svg", 15).await?;
    assert_eq!(b.text("#period-label").await?, "2026年11月");
    b.shot("24-stats-units").await?;
    b.assert_clean_console("stats").await?;
    // The table: the units in the report's order, with its scores and counts.
    let rows = b
        .client
        .find_all(Locator::Css("#units-table tbody tr"))
        .await?;
    assert_eq!(rows.len(), report.units.len());
    for (row, unit) in rows.iter().zip(&report.units) {
        assert_eq!(
            row.attr("data-unit").await?.as_deref(),
            Some(unit.figures.unit.as_str())
        );
        let assigned = row.find(Locator::Css("a.assigned")).await?.text().await?;
        assert_eq!(assigned, unit.figures.assigned.to_string());
        let score = row.find(Locator::Css("td.score")).await?.text().await?;
        assert_eq!(
            score,
            unit.score
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "—".into())
        );
    }

    // Drill-down: the first unit's count leads to exactly the orders it was given that month.
    let first = &report.units[0];
    rows[0]
        .find(Locator::Css("a.assigned"))
        .await?
        .click()
        .await?;
    b.wait_for("#drill-orders, .empty", 10).await?;
    b.shot("25-stats-orders").await?;
    let shown: Vec<String> = {
        let mut v = Vec::new();
        for a in b
            .client
            .find_all(Locator::Css("#drill-orders tbody tr td:first-child a"))
            .await?
        {
            v.push(a.text().await?);
        }
        v
    };
    let want = unit_orders(
        &state,
        &sv01,
        OrdersQuery {
            unit: first.figures.unit.clone(),
            from: report.from,
            to: report.to,
            before: None,
            limit: Some(50),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let want: Vec<String> = want.items.into_iter().map(|t| t.number).collect();
    assert_eq!(shown, want);
    assert!(
        !shown.is_empty(),
        "a unit with assignments has orders behind them"
    );

    // The export downloads from the page, and read back holds the page's numbers.
    b.goto(&format!(
        "{hub}/staff/stats/units?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#export", 10).await?;
    let href = b
        .client
        .find(Locator::Id("export"))
        .await?
        .attr("href")
        .await?
        .expect("href");
    let got = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(async r => done([r.status, r.headers.get('content-type'),
                 (await r.arrayBuffer()).byteLength])).catch(e => done([0, String(e), 0]));",
            vec![serde_json::json!(href)],
        )
        .await?;
    assert_eq!(got[0], 200, "{got}");
    assert!(
        got[1]
            .as_str()
            .unwrap_or_default()
            .contains("spreadsheetml"),
        "{got}"
    );
    let bytes = node_service::stats_export::units_workbook(&report)?;
    assert_eq!(
        got[2].as_u64(),
        Some(bytes.len() as u64),
        "the download is this workbook"
    );
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let sheet = book.worksheet_range("单位考核")?;
    for (i, unit) in report.units.iter().enumerate() {
        let row = 3 + i as u32;
        let cell = |c: u32| sheet.get_value((row, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            cell(2),
            Data::Float(f64::from(unit.figures.assigned)),
            "row {row}"
        );
        let name = unit
            .name
            .clone()
            .unwrap_or_else(|| unit.figures.unit.clone());
        assert_eq!(cell(1), Data::String(name));
        match unit.figures.sign_rate {
            Some(r) => assert_eq!(cell(3), Data::Float(r)),
            None => assert_eq!(cell(3), Data::Empty),
        }
        match unit.score {
            Some(s) => assert_eq!(cell(13), Data::Float(s)),
            None => assert_eq!(cell(13), Data::Empty),
        }
    }

    let p = Browser::start(Screen::Phone).await?;
    p.sign_in(&hub, "sv01", PW).await?;
    p.goto(&format!(
        "{hub}/staff/stats/units?period=month&date=2026-11-01"
    ))
    .await?;
    p.wait_for("#chart-score[data-drawn] svg", 15).await?;
    p.shot("24-stats-units").await?;
    for browser in [b, p] {
        browser.close().await?;
    }
    Ok(())
}

/// The texts of the cells in one column of a table.
async fn column(b: &Browser, table: &str, col: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for td in b
        .client
        .find_all(Locator::Css(&format!(
            "#{table} tbody tr td:nth-child({col})"
        )))
        .await?
    {
        out.push(td.text().await?);
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_topics_page_compares_periods_leads_to_trends_and_orders_and_exports() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let demo = deploy::demo::start(dir.path(), 0, NOW).await?;
    assert!(deploy::demo::wait_caught_up(&demo, Duration::from_secs(60)).await);
    let hub = demo.nodes[0].url();
    let state = demo.nodes[0].state.clone();
    let err = |e: hotline_operations::OpError| anyhow::anyhow!(e.message);
    let sv01 = state.refdata().user("sv01").expect("sv01").clone();
    let q = TopicQuery {
        period: Some("month".into()),
        date: Some("2026-11-01".into()),
        ..TopicQuery::default()
    };
    let report = topic_report(&state, &sv01, &q).await.map_err(err)?;
    assert!(!report.rows.is_empty(), "the demo's November has orders");
    assert_eq!(report.previous_label, "2026年10月");
    assert_eq!(report.year_before_label, "2025年11月");
    // Hot topics first: the rise never grows down the table.
    assert!(report.rows.windows(2).all(|w| w[0].rise >= w[1].rise));
    // A district's handler at the hub does not see the city's topics.
    let handler = state
        .refdata()
        .users
        .values()
        .find(|u| !u.role.is_centre() && u.unit != "C")
        .expect("a unit user below the centre")
        .clone();
    assert_eq!(
        topic_report(&state, &handler, &q)
            .await
            .map(|_| ())
            .map_err(|e| node_service::http_common::status_of(e.kind)),
        Err(axum::http::StatusCode::FORBIDDEN)
    );

    let b = Browser::start(Screen::Desktop).await?;
    b.sign_in(&hub, "sv01", PW).await?;
    b.goto(&format!(
        "{hub}/staff/stats/topics?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#chart-topics[data-drawn] svg", 15).await?;
    b.shot("26-stats-topics").await?;
    b.assert_clean_console("topics").await?;
    let names = column(&b, "topics-table", 1).await?;
    let received = column(&b, "topics-table", 2).await?;
    let want: Vec<String> = report.rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, want);
    let want: Vec<String> = report
        .rows
        .iter()
        .map(|r| r.figures.received.to_string())
        .collect();
    assert_eq!(received, want);
    let spots = column(&b, "repeated-table", 3).await?;
    let want: Vec<String> = report
        .repeated
        .iter()
        .map(|r| r.figures.received.to_string())
        .collect();
    assert_eq!(spots, want);

    // The first subject's count leads to exactly the orders registered on it that month.
    let first = report
        .rows
        .iter()
        .position(|r| r.figures.received > 0)
        .expect("a subject with orders");
    let link = b
        .client
        .find(Locator::Css(&format!(
            "#topics-table tbody tr:nth-child({}) td:nth-child(2) a",
            first + 1
        )))
        .await?;
    link.click().await?;
    b.wait_for("#drill-orders", 10).await?;
    let shown = column(&b, "drill-orders", 1).await?;
    assert_eq!(
        shown.len() as u32,
        report.rows[first].figures.received.min(50),
        "the orders behind the count"
    );
    for number in &shown {
        let v = hotline_operations::tickets::view(&state, &sv01, number)
            .await
            .map_err(err)?;
        assert_eq!(v.state.subject, report.rows[first].figures.key);
        let at = v.state.created_at.unwrap_or_default();
        assert!(
            report.from <= at && at < report.to,
            "{number} registered in the month"
        );
    }

    // The name leads to the topic's trend: twelve months, the last one the page's month.
    b.goto(&format!(
        "{hub}/staff/stats/topics?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#topics-table", 10).await?;
    b.client
        .find(Locator::Css(
            "#topics-table tbody tr:first-child td:first-child a",
        ))
        .await?
        .click()
        .await?;
    b.wait_for("#chart-trend[data-drawn] svg", 15).await?;
    b.shot("27-stats-trend").await?;
    let trend = trend_report(
        &state,
        &sv01,
        &TrendQuery {
            dimension: Some("subject".into()),
            key: report.rows[0].figures.key.clone(),
            date: Some("2026-11-01".into()),
            months: None,
        },
    )
    .await
    .map_err(err)?;
    let months = column(&b, "trend-table", 1).await?;
    assert_eq!(months.len(), 12);
    assert_eq!(months.last().map(String::as_str), Some("2026年11月"));
    let counts = column(&b, "trend-table", 2).await?;
    let want: Vec<String> = trend
        .months
        .iter()
        .map(|m| m.figures.received.to_string())
        .collect();
    assert_eq!(counts, want);
    assert_eq!(
        trend.months[11].figures.received,
        report.rows[0].figures.received
    );

    // The volume page: the channels add up to the total, as the API says.
    let volume = volume_report(
        &state,
        &sv01,
        &VolumeQuery {
            period: Some("month".into()),
            date: Some("2026-11-01".into()),
            end: None,
        },
    )
    .await
    .map_err(err)?;
    assert_eq!(
        volume.total.by_channel.values().sum::<u32>(),
        volume.total.received
    );
    assert_eq!(volume.steps.len(), 30);
    assert_eq!(
        volume.total.received,
        report.rows.iter().map(|r| r.figures.received).sum::<u32>(),
        "every order has one subject and one channel"
    );
    b.goto(&format!(
        "{hub}/staff/stats/volume?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#chart-volume[data-drawn] svg", 15).await?;
    b.wait_for("#chart-types[data-drawn] svg", 15).await?;
    b.shot("28-stats-volume").await?;
    b.assert_clean_console("volume").await?;
    let totals = column(&b, "volume-table", volume.channels.len() + 2).await?;
    assert_eq!(
        totals.last().map(String::as_str),
        Some(volume.total.received.to_string().as_str())
    );

    // The operators page: every order was registered by one operator.
    let operators = topic_report(
        &state,
        &sv01,
        &TopicQuery {
            dimension: Some("operator".into()),
            order: Some("received".into()),
            ..q.clone()
        },
    )
    .await
    .map_err(err)?;
    b.goto(&format!(
        "{hub}/staff/stats/operators?period=month&date=2026-11-01"
    ))
    .await?;
    b.wait_for("#chart-operators[data-drawn] svg", 15).await?;
    b.shot("29-stats-operators").await?;
    let counts: Vec<u32> = column(&b, "operators-table", 2)
        .await?
        .iter()
        .map(|c| c.parse().unwrap_or(0))
        .collect();
    let want: Vec<u32> = operators
        .rows
        .iter()
        .map(|r| r.figures.received)
        .filter(|n| *n > 0)
        .collect();
    assert_eq!(counts, want);
    assert_eq!(counts.iter().sum::<u32>(), volume.total.received);
    // The calls they answered, from the telephony's records.
    let answered: Vec<u32> = column(&b, "operators-table", 11)
        .await?
        .iter()
        .map(|c| c.parse().unwrap_or(0))
        .collect();
    assert!(answered.iter().sum::<u32>() > 0, "{answered:?}");

    // The call list: the demo's phone orders came in by calls the telephony reported, each
    // linked to its order.
    b.goto(&format!("{hub}/staff/calls?from=2026-11-01&to=2026-11-24"))
        .await?;
    b.wait_for("#calls-table", 10).await?;
    b.shot("31-calls").await?;
    let linked = column(&b, "calls-table", 8).await?;
    assert!(
        linked.iter().any(|c| c.contains("-HUB-")),
        "some calls name their orders: {linked:?}"
    );

    // The monthly report as a page: the month's figures as the leaders' e-mail gives them.
    b.goto(&format!("{hub}/staff/stats/report?date=2026-11-01"))
        .await?;
    b.wait_for("#report-overview", 10).await?;
    b.shot("30-stats-report").await?;
    let values = column(&b, "report-overview", 2).await?;
    assert_eq!(values[0], format!("{} 件", volume.total.received));
    assert!(b.text("#period-label").await?.contains("2026年11月"));

    // The export, read back, holds the page's numbers.
    let bytes = node_service::stats_export::topics_workbook(&report)?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))?;
    let sheet = book.worksheet_range("热点难点")?;
    for (i, r) in report.rows.iter().enumerate() {
        let row = 3 + i as u32;
        let cell = |c: u32| sheet.get_value((row, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(cell(0), Data::String(r.name.clone()));
        assert_eq!(cell(1), Data::Float(f64::from(r.figures.received)));
        assert_eq!(cell(2), Data::Float(f64::from(r.previous)));
        assert_eq!(cell(12), Data::Float(f64::from(r.troubles)));
    }

    let p = Browser::start(Screen::Phone).await?;
    p.sign_in(&hub, "sv01", PW).await?;
    p.goto(&format!(
        "{hub}/staff/stats/topics?period=month&date=2026-11-01"
    ))
    .await?;
    p.wait_for("#chart-topics[data-drawn] svg", 15).await?;
    p.shot("26-stats-topics").await?;
    for browser in [b, p] {
        browser.close().await?;
    }
    Ok(())
}
