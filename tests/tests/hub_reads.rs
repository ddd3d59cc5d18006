//! The hub's read path on the demo's realistic orders (every status, every stage of life): the
//! running totals give the same figures as recomputing from the orders, also after a purge and a
//! rebuild; lists page by key without skipping or repeating an order while orders arrive; every list
//! walks an index in its own order.

use std::collections::BTreeSet;

use hotline_model::assessment::{
    COUNTERS, PublicFigures, assess, public_figures, public_figures_of,
};
use hotline_model::period::{Period, PeriodKind};
use hotline_model::refdata::ReferenceData;
use hotline_model::ticket::TicketView;
use hotline_model::topics::{self, Dimension};
use replica_store::projection::{HOUR_MS, explain_list, next_cursor};
use replica_store::{Store, TicketFilter};

/// 2026-11-24 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;
const DAY: i64 = 86_400_000;

fn refdata() -> ReferenceData {
    deploy::demo::seed_refdata().unwrap()
}

/// A store with the demo's orders planned at `now`.
async fn seeded(dir: &std::path::Path, now: i64) -> (Store, ReferenceData) {
    let refdata = refdata();
    let store = Store::open(&dir.join("hub.sqlite"), "HUB", [1; 16]).unwrap();
    let files = node_service::node::read_seed_refdata(&deploy::demo::seed_dir(), "C").unwrap();
    store.put_refdata(files, now).await.unwrap();
    let plan = deploy::demo::plan_seed(&refdata, now).unwrap();
    deploy::seed_tickets::run(&store, &plan, 7).await.unwrap();
    (store, refdata)
}

/// The numbers of the orders a unit's list holds (one page of up to 500).
async fn seen_by(store: &Store, unit: &str) -> Vec<String> {
    store
        .list(TicketFilter {
            within: Some(unit.into()),
            limit: Some(500),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.number)
        .collect()
}

/// Every order, by key-paging the whole list.
async fn all_views(store: &Store) -> Vec<TicketView> {
    let mut filter = TicketFilter {
        limit: Some(13),
        ..Default::default()
    };
    let mut out = Vec::new();
    loop {
        let page = store.list(filter.clone()).await.unwrap();
        for t in &page {
            out.push(store.ticket(t.id.clone()).await.unwrap().unwrap());
        }
        match page.last() {
            Some(last) if page.len() == 13 => filter.after = Some(next_cursor(&filter, last)),
            _ => return out,
        }
    }
}

/// Checks the running totals against a recomputation from `views`, for every month of the data,
/// the last 30 days and single days.
async fn totals_match(store: &Store, refdata: &ReferenceData, views: &[TicketView], now: i64) {
    let states: Vec<_> = views.iter().map(|v| &v.state).collect();
    let units: Vec<String> = refdata.org.subtree("C").map(|u| u.code.clone()).collect();
    let mut periods = Vec::new();
    for (y, m) in [(2026, 9), (2026, 10), (2026, 11), (2026, 12)] {
        periods.push(refdata.calendar.month_bounds(y, m).unwrap());
    }
    // The last 30 days and single days, as Beijing days (the totals count whole days).
    let today = hotline_model::period::beijing_date(now);
    let day = |back: i64| {
        Period::new(PeriodKind::Day, today - time::Duration::days(back), None)
            .unwrap()
            .range_ms()
    };
    periods.push((day(29).0, day(0).1));
    for d in 0..20 {
        periods.push(day(d));
    }
    for (from, to) in periods {
        let (fh, th) = (from / HOUR_MS, to / HOUR_MS);
        let sum = store.fact_sum(String::new(), fh, th).await.unwrap();
        assert_eq!(
            PublicFigures::from_counts(&sum),
            public_figures(states.iter().copied(), from, to),
            "public figures of [{from}, {to})"
        );
        for t in hotline_model::category::RequestType::ALL {
            let sum = store
                .fact_sum(hotline_model::assessment::type_key(t), fh, th)
                .await
                .unwrap();
            assert_eq!(
                PublicFigures::from_counts(&sum),
                public_figures_of(states.iter().copied(), from, to, Some(t)),
                "public figures of {t:?} in [{from}, {to})"
            );
        }
        let totals = store.unit_totals(units.clone(), fh, th, now).await.unwrap();
        assert_eq!(
            totals.figures(),
            assess(states.iter().copied(), from, to, now, |_| true),
            "assessment of [{from}, {to})"
        );
    }
    // Topics count whole Beijing days: every month and the last 40 days, one by one and as weeks.
    let mut days = Vec::new();
    for (y, m) in [(2026, 9), (2026, 10), (2026, 11), (2026, 12)] {
        days.push(refdata.calendar.month_bounds(y, m).unwrap());
    }
    let today = hotline_model::period::beijing_date(now);
    for back in 0..40 {
        let d = today - time::Duration::days(back);
        for kind in [PeriodKind::Day, PeriodKind::Week] {
            days.push(Period::new(kind, d, None).unwrap().range_ms());
        }
    }
    let nonzero = |m: std::collections::BTreeMap<String, [i64; COUNTERS]>, prefix: &str| {
        m.into_iter()
            .filter(|(_, c)| c.iter().any(|x| *x != 0))
            .map(|(k, c)| (k.strip_prefix(prefix).unwrap_or(&k).to_owned(), c))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let mut seen = 0;
    for (from, to) in days {
        for dim in [
            Dimension::Subject,
            Dimension::Channel,
            Dimension::Area,
            Dimension::Spot,
            Dimension::Operator,
        ] {
            let prefix = format!("{}:", dim.code());
            let kept = store
                .dimension_sums(dim.code(), from / HOUR_MS, to / HOUR_MS)
                .await
                .unwrap();
            let recomputed = topics::recompute(views, dim, from, to);
            seen += recomputed.len();
            assert_eq!(
                nonzero(kept, &prefix),
                nonzero(recomputed, ""),
                "{dim:?} in [{from}, {to})"
            );
        }
    }
    assert!(seen > 0, "no topic counted at all");
    // Behind every area's, channel's and operator's count in each month: the orders registered
    // under it then, paged seven at a time by key.
    for (y, m) in [(2026, 10), (2026, 11)] {
        let (from, to) = refdata.calendar.month_bounds(y, m).unwrap();
        for dim in [Dimension::Area, Dimension::Channel, Dimension::Operator] {
            let prefix = format!("{}:", dim.code());
            for (value, counts) in topics::recompute(views, dim, from, to) {
                let key = format!("{prefix}{value}");
                let mut want: Vec<String> = views
                    .iter()
                    .filter(|v| {
                        topics::facts(v)
                            .iter()
                            .any(|f| f.unit == key && f.at >= from && f.at < to)
                    })
                    .map(|v| v.number.clone())
                    .collect();
                want.sort();
                assert_eq!(want.len() as i64, counts[0], "{key}");
                let mut got = Vec::new();
                let mut before: Option<String> = None;
                loop {
                    let (k, b) = (key.clone(), before.clone());
                    let page = store
                        .read(move |c| {
                            replica_store::projection::topic_orders(
                                c,
                                &k,
                                from,
                                to,
                                b.as_deref(),
                                7,
                            )
                        })
                        .await
                        .unwrap();
                    assert!(
                        page.windows(2)
                            .all(|w| (w[0].created_at, &w[0].number)
                                > (w[1].created_at, &w[1].number)),
                        "{key}: newest first"
                    );
                    got.extend(page.iter().map(|t| t.number.clone()));
                    match page.last() {
                        Some(t) if page.len() == 7 => {
                            before = Some(format!("{}:{}", t.created_at, t.number))
                        }
                        _ => break,
                    }
                }
                got.sort();
                assert_eq!(got, want, "the orders behind {key} in {y}-{m}");
            }
        }
    }
    let mut counted = std::collections::BTreeMap::<String, i64>::new();
    for v in views {
        *counted
            .entry(v.state.status.as_str().to_owned())
            .or_default() += 1;
    }
    let kept: std::collections::BTreeMap<String, i64> =
        store.status_counts().await.unwrap().into_iter().collect();
    assert_eq!(kept, counted, "status totals");
    reach_totals_match(store).await;
}

/// The inbox's per-unit counts (kept by triggers) equal a count of the reach rows.
async fn reach_totals_match(store: &Store) {
    let (kept, counted) = store
        .read(|c| {
            let rows = |sql: &str| -> replica_store::Result<Vec<(String, String, i64)>> {
                let mut stmt = c.prepare(sql)?;
                let r = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(r.collect::<Result<_, _>>()?)
            };
            Ok((
                rows(
                    "SELECT unit, status, n FROM reach_totals WHERE n != 0 ORDER BY unit, status",
                )?,
                rows(
                    "SELECT unit, status, COUNT(*) FROM ticket_reach GROUP BY unit, status
                     ORDER BY unit, status",
                )?,
            ))
        })
        .await
        .unwrap();
    assert!(!counted.is_empty());
    assert_eq!(kept, counted, "reach totals");
}

#[tokio::test]
async fn running_totals_equal_a_recomputation_through_purges_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let (store, refdata) = seeded(dir.path(), NOW).await;
    let views = all_views(&store).await;
    assert_eq!(views.len(), deploy::demo::SEED_TICKETS);
    totals_match(&store, &refdata, &views, NOW).await;
    // Judged later, more orders are overdue: the totals answer for any `now`.
    totals_match(&store, &refdata, &views, NOW + 9 * DAY).await;

    // A purge (an order leaving a node's jurisdiction) takes its facts out of the totals.
    let gone: Vec<String> = views.iter().step_by(5).map(|v| v.id.clone()).collect();
    store
        .write(move |ctx| {
            for id in &gone {
                replica_store::docstore::remove(ctx.conn, id)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let left = all_views(&store).await;
    assert_eq!(left.len(), views.len() - views.len().div_ceil(5));
    totals_match(&store, &refdata, &left, NOW).await;
    drop(store);

    // Asked for a repair (checkpoint removed), the next open rebuilds everything: same figures.
    let path = dir.path().join("hub.sqlite");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("DELETE FROM meta WHERE key = 'projections_checked_seq'", [])
        .unwrap();
    let store = Store::open(&path, "HUB", [2; 16]).unwrap();
    totals_match(&store, &refdata, &left, NOW).await;
}

#[tokio::test]
async fn key_pages_neither_skip_nor_repeat_while_orders_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let (store, refdata) = seeded(dir.path(), NOW).await;
    let d01 = "D01".to_string();
    let filters = [
        TicketFilter::default(),
        TicketFilter {
            status: Some("handling".into()),
            ..Default::default()
        },
        TicketFilter {
            due_before: Some(NOW + 60 * DAY),
            ..Default::default()
        },
        TicketFilter {
            within: Some(d01.clone()),
            ..Default::default()
        },
        TicketFilter {
            within: Some(d01.clone()),
            due_before: Some(NOW + 60 * DAY),
            ..Default::default()
        },
    ];
    // A unit's list holds exactly the orders its staff may open: those with a unit of its subtree
    // among their scope units.
    let views = all_views(&store).await;
    for unit in ["D01", "D01-T01", "B-ZJJ", "D02"] {
        let mut listed = seen_by(&store, unit).await;
        let mut seen: Vec<String> = views
            .iter()
            .filter(|v| {
                v.state
                    .scope_units()
                    .iter()
                    .any(|u| refdata.org.is_within(u, unit))
            })
            .map(|v| v.number.clone())
            .collect();
        listed.sort();
        seen.sort();
        assert!(!seen.is_empty(), "{unit} sees nothing");
        assert_eq!(listed, seen, "{unit}'s list");
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(3);
    let mut extra = 0u64;
    for base in filters {
        // The whole list at once is the reference.
        let whole: Vec<String> = store
            .list(TicketFilter {
                limit: Some(500),
                ..base.clone()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.number)
            .collect();
        assert!(!whole.is_empty(), "{base:?} lists nothing");
        let mut filter = TicketFilter {
            limit: Some(4),
            ..base.clone()
        };
        let mut paged = Vec::new();
        loop {
            let page = store.list(filter.clone()).await.unwrap();
            paged.extend(page.iter().map(|t| t.number.clone()));
            let Some(last) = page.last() else { break };
            filter.after = Some(next_cursor(&filter, last));
            // New orders arrive between pages (registered now: newer than every page so far).
            extra += 1;
            store
                .create_ticket(tests::fixtures::new_ticket(
                    900_000 + extra,
                    NOW + extra as i64,
                    &mut rng,
                ))
                .await
                .unwrap();
        }
        let unique: BTreeSet<&String> = paged.iter().collect();
        assert_eq!(unique.len(), paged.len(), "{base:?}: an order came twice");
        assert_eq!(paged, whole, "{base:?}: pages differ from the whole list");
    }
    // A cursor that no list gave out is refused with a clear error, not read as page one.
    let bad = store
        .list(TicketFilter {
            after: Some("yesterday".into()),
            ..Default::default()
        })
        .await;
    assert!(matches!(bad, Err(replica_store::StoreError::BadCursor(_))));
}

#[tokio::test]
async fn every_list_walks_an_index_in_its_own_order() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = seeded(dir.path(), NOW).await;
    let d01 = "D01".to_string();
    let cursor = Some(format!("{NOW}:20261124-HUB-00001"));
    let mut filters = Vec::new();
    for after in [None, cursor] {
        let f = TicketFilter {
            after,
            ..Default::default()
        };
        filters.extend([
            f.clone(),
            TicketFilter {
                status: Some("pending_review".into()),
                ..f.clone()
            },
            TicketFilter {
                due_before: Some(NOW),
                ..f.clone()
            },
            TicketFilter {
                due_before: Some(NOW),
                status: Some("handling".into()),
                ..f.clone()
            },
            TicketFilter {
                phone: Some("13812348000".into()),
                ..f.clone()
            },
            TicketFilter {
                subject: Some("CX.WY.DT".into()),
                created_after: Some(NOW - 3 * DAY),
                ..f.clone()
            },
            TicketFilter {
                created_after: Some(NOW - DAY),
                ..f.clone()
            },
            TicketFilter {
                redo_review: Some(true),
                ..f.clone()
            },
            TicketFilter {
                unit: Some("B-ZJJ".into()),
                ..f.clone()
            },
            TicketFilter {
                within: Some(d01.clone()),
                ..f.clone()
            },
            TicketFilter {
                within: Some(d01.clone()),
                status: Some("dispatched".into()),
                ..f.clone()
            },
            TicketFilter {
                within: Some(d01.clone()),
                due_before: Some(NOW),
                ..f.clone()
            },
            TicketFilter {
                within: Some(d01.clone()),
                due_before: Some(NOW),
                status: Some("handling".into()),
                ..f.clone()
            },
        ]);
    }
    for f in filters {
        let plans = store
            .read({
                let f = f.clone();
                move |c| explain_list(c, &f)
            })
            .await
            .unwrap();
        let plan = plans;
        assert!(!plan.contains("TEMP B-TREE"), "{f:?} sorts: {plan}");
        if f.redo_review.is_some() && f.unit.is_none() && f.within.is_none() {
            // The redo-review queue walks its own small partial index, not every order.
            assert!(plan.contains("tickets_redo_review"), "{f:?}: {plan}");
        }
        for step in plan.split(" | ") {
            let scans_table = step.starts_with("SCAN") && !step.contains("INDEX");
            assert!(!scans_table, "{f:?} scans a table: {plan}");
        }
    }
}

#[tokio::test]
async fn a_unit_moved_in_the_org_tree_takes_its_orders_along() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = seeded(dir.path(), NOW).await;
    let count = |unit: &'static str| {
        let store = store.clone();
        async move { seen_by(&store, unit).await.len() }
    };
    let town = count("D01-T01").await;
    let (d01, d02) = (count("D01").await, count("D02").await);
    assert!(town > 0, "the town holds orders");
    // 东湖街道 moves from 东湖区 to 西山区 (a redistricting): the lists follow at once.
    let files = node_service::node::read_seed_refdata(&deploy::demo::seed_dir(), "C").unwrap();
    let moved: Vec<(String, String)> = files
        .into_iter()
        .map(|(name, text)| {
            let text = if name == "org" {
                text.replace(
                    "code = \"D01-T01\"\nname = \"东湖街道\"\nkind = \"town\"\nparent = \"D01\"",
                    "code = \"D01-T01\"\nname = \"东湖街道\"\nkind = \"town\"\nparent = \"D02\"",
                )
            } else {
                text
            };
            (name, text)
        })
        .collect();
    store.put_refdata(moved, NOW + 1).await.unwrap();
    assert_eq!(count("D01-T01").await, town);
    assert!(
        count("D02").await > d02,
        "西山区 now sees the town's orders"
    );
    assert!(count("D01").await < d01, "东湖区 no longer does");
    reach_totals_match(&store).await;
}

#[tokio::test]
async fn published_results_page_by_key_and_never_list_a_confidential_report() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = seeded(dir.path(), NOW).await;
    let mut expected: Vec<(i64, String)> = all_views(&store)
        .await
        .into_iter()
        .filter(|v| v.state.published && !v.intake.confidential)
        .map(|v| (v.state.closed_at.unwrap(), v.number))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert!(expected.len() > 3, "the seed publishes results");
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = store.published(after.clone(), 3, None).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(format!("{}:{}", last.state.closed_at.unwrap(), last.number));
        for v in &page {
            assert!(!v.intake.confidential, "{} is confidential", v.number);
            paged.push((v.state.closed_at.unwrap(), v.number.clone()));
        }
    }
    assert_eq!(paged, expected);
}

#[tokio::test]
async fn the_callback_list_is_the_orders_the_history_says_need_a_call_walked_by_its_index() {
    use hotline_model::survey::{SurveyRules, callback_need};
    use replica_store::projection::{callback_list, explain_callback_list};
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = seeded(dir.path(), NOW).await;
    let plan = store.read(explain_callback_list).await.unwrap();
    assert!(plan.contains("tickets_callback"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    // The statistics' drill-down behind a topic: one walk of its key, no sort.
    let plan = store
        .read(replica_store::projection::explain_topic_orders)
        .await
        .unwrap();
    assert!(plan.contains("SEARCH k USING PRIMARY KEY (key=?"), "{plan}");
    assert!(
        !plan.contains("TEMP B-TREE") && !plan.contains("SCAN k"),
        "{plan}"
    );
    let views = all_views(&store).await;
    let rules = SurveyRules::default();
    // At several moments and waits, paged three at a time: the same orders as recomputed.
    for (now, wait) in [
        (NOW, rules.wait_ms()),
        (NOW, 0),
        (NOW + 3 * DAY, rules.wait_ms()),
    ] {
        let mut want: Vec<(i64, String)> = views
            .iter()
            .filter_map(|v| {
                let need = callback_need(v)?;
                let from = if need.kind == hotline_model::survey::CallbackKind::Survey {
                    need.since + wait
                } else {
                    need.since
                };
                (from <= now).then(|| (need.since, v.number.clone()))
            })
            .collect();
        want.sort();
        let mut got = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let a = after.clone();
            let page = store
                .read(move |c| callback_list(c, now, wait, a.as_deref(), 3))
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = Some(format!("{}:{}", last.since, last.ticket.number));
            got.extend(page.into_iter().map(|i| (i.since, i.ticket.number)));
        }
        assert_eq!(got, want, "at {now} waiting {wait}");
    }
    assert!(
        views.iter().any(|v| callback_need(v).is_some()),
        "the demo has orders awaiting a callback"
    );
}
