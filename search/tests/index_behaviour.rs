//! Behaviour of the knowledge-base index: validity and status filtering, updates visible after commit,
//! the store sequence kept in the commit, facets, snippets, region filter, pinyin and as-you-type, and an
//! article's life across nodes (drafted at a district, published at the hub, found at a town).

use hotline_model::article::{
    ArticleAction, ArticleActor, ArticleContent, ArticleEvent, ArticleOrigin, ArticleRole,
    ArticleState, decide,
};
use search::seed::{load_dir, repo_seed_dir};
use search::{
    Analyzer, ArticleRecord, IndexChange, IndexOptions, KbIndex, Lexicon, SearchParams,
    SearchRequest,
};
use time::Date;
use time::macros::date;
use uuid::Uuid;

const TODAY: Date = date!(2026 - 11 - 24);

fn analyzer() -> Analyzer {
    Analyzer::new(Lexicon::builtin().expect("lexicon"))
}

fn seeded() -> KbIndex {
    let index = KbIndex::in_ram(analyzer(), IndexOptions::default()).expect("index");
    let records: Vec<_> = load_dir(&repo_seed_dir())
        .expect("seed")
        .iter()
        .map(|a| a.to_record(1_760_000_000_000).expect("record"))
        .collect();
    index.rebuild(records, 7).expect("build");
    index
}

fn ids(index: &KbIndex, req: &SearchRequest) -> Vec<String> {
    index
        .search(req)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn record(id: &str, question: &str, answer: &str) -> ArticleRecord {
    ArticleRecord {
        id: id.into(),
        content: ArticleContent {
            question: question.into(),
            alternatives: vec![],
            answer: answer.into(),
            keywords: vec![],
            unit: "B-CGJ".into(),
            category: "测试".into(),
            region: None,
            valid_from: None,
            valid_until: None,
        },
        status: hotline_model::article::ArticleStatus::Published,
        popularity: 0,
        updated_at_ms: 1_760_000_000_000,
    }
}

#[test]
fn expired_articles_are_hidden_unless_asked_for_and_then_marked() {
    let index = seeded();
    let mut req = SearchRequest::new("2026年度居民医保缴费标准", TODAY);
    assert!(!ids(&index, &req).contains(&"KB-YBJ-014".to_string()));
    req.include_expired = true;
    let resp = index.search(&req).expect("search");
    let hit = resp
        .hits
        .iter()
        .find(|h| h.id == "KB-YBJ-014")
        .expect("expired shown on request");
    assert_eq!(hit.status, "expired");
    assert_eq!(hit.valid_until.as_deref(), Some("2025-12-31"));
    // Expired ones come after every valid hit.
    let first_expired = resp
        .hits
        .iter()
        .position(|h| h.status == "expired")
        .expect("one expired");
    assert!(
        resp.hits[first_expired..]
            .iter()
            .all(|h| h.status == "expired")
    );
}

#[test]
fn drafts_are_only_for_editors() {
    let index = seeded();
    let mut req = SearchRequest::new("社保卡异地使用", TODAY);
    assert!(!ids(&index, &req).contains(&"KB-RSJ-020".to_string()));
    req.include_unpublished = true;
    let resp = index.search(&req).expect("search");
    let hit = resp
        .hits
        .iter()
        .find(|h| h.id == "KB-RSJ-020")
        .expect("draft shown to editors");
    assert_eq!(hit.status, "draft");
}

#[test]
fn changes_are_searchable_right_after_commit() {
    let index = KbIndex::in_ram(analyzer(), IndexOptions::default()).expect("index");
    index
        .upsert(&record(
            "A1",
            "共享单车乱停放找谁",
            "由城管部门督促运营企业清理。",
        ))
        .expect("upsert");
    assert!(
        ids(&index, &SearchRequest::new("共享单车", TODAY)).is_empty(),
        "nothing before commit"
    );
    index.commit(1).expect("commit");
    assert_eq!(
        ids(&index, &SearchRequest::new("共享单车", TODAY)),
        vec!["A1"]
    );

    index
        .upsert(&record("A1", "电动滑板车能上路吗", "不能在道路上行驶。"))
        .expect("update");
    index.commit(2).expect("commit");
    assert!(ids(&index, &SearchRequest::new("共享单车", TODAY)).is_empty());
    assert_eq!(
        ids(&index, &SearchRequest::new("滑板车", TODAY)),
        vec!["A1"]
    );
    assert_eq!(index.num_docs(), 1);

    index.remove("A1").expect("remove");
    index.commit(3).expect("commit");
    assert!(ids(&index, &SearchRequest::new("滑板车", TODAY)).is_empty());
    assert_eq!(index.applied_seq().expect("seq"), Some(3));
}

#[test]
fn the_store_sequence_survives_a_restart_and_uncommitted_work_is_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let index =
            KbIndex::open_in_dir(dir.path(), analyzer(), IndexOptions::default()).expect("open");
        assert_eq!(index.applied_seq().expect("seq"), None);
        index
            .upsert(&record("A1", "共享单车乱停放找谁", "城管"))
            .expect("upsert");
        index.commit(41).expect("commit");
        index
            .upsert(&record("A2", "电动滑板车能上路吗", "不能"))
            .expect("upsert");
        // Dropped without commit: like a crash.
    }
    let index =
        KbIndex::open_in_dir(dir.path(), analyzer(), IndexOptions::default()).expect("reopen");
    assert_eq!(index.applied_seq().expect("seq"), Some(41));
    assert_eq!(
        ids(&index, &SearchRequest::new("共享单车", TODAY)),
        vec!["A1"]
    );
    assert!(ids(&index, &SearchRequest::new("滑板车", TODAY)).is_empty());
    // Catching up from the store: replay what came after 41.
    index
        .upsert(&record("A2", "电动滑板车能上路吗", "不能"))
        .expect("upsert");
    index.commit(42).expect("commit");
    assert_eq!(
        ids(&index, &SearchRequest::new("滑板车", TODAY)),
        vec!["A2"]
    );
    assert!(KbIndex::size_on_disk(dir.path()) > 0);
}

#[test]
fn facets_snippets_and_filters() {
    let index = seeded();
    let mut req = SearchRequest::new("补办", TODAY);
    req.facets = true;
    let resp = index.search(&req).expect("search");
    let facets = resp.facets.expect("facets asked for");
    let units: Vec<&str> = facets.unit.iter().map(|f| f.value.as_str()).collect();
    assert!(
        units.contains(&"B-GAJ") && units.contains(&"B-RSJ"),
        "{units:?}"
    );
    let total: u32 = facets.unit.iter().map(|f| f.count).sum();
    assert!(total as usize >= resp.hits.len());

    let hit = &index
        .search(&SearchRequest::new("社保卡怎么补办", TODAY))
        .expect("search")
        .hits[0];
    let snippet = hit.question_snippet.as_ref().expect("snippet");
    assert!(snippet.html.contains("<em>社保卡</em>"), "{}", snippet.html);
    let (s, e) = snippet.highlights[0];
    assert_eq!(&snippet.text[s..e], "社保卡");

    let mut req = SearchRequest::new("补办", TODAY);
    req.unit = Some("B-GAJ".into());
    let got = index.search(&req).expect("search").hits;
    assert!(!got.is_empty() && got.iter().all(|h| h.unit == "B-GAJ"));

    let mut req = SearchRequest::new("派出所户籍窗口", TODAY);
    req.region = Some("D02".into());
    let got = index.search(&req).expect("search").hits;
    assert!(
        got.iter()
            .all(|h| h.region.is_none() || h.region.as_deref() == Some("D02"))
    );
    assert!(
        !got.iter().any(|h| h.id == "KB-GAJ-013"),
        "a 滨江区 article is not offered in 西山区"
    );
}

#[test]
fn every_prefix_typed_finds_something() {
    let index = seeded();
    for q in [
        "社保卡怎么补办",
        "公积金提取",
        "家里停电了",
        "居住证怎么办理",
        "sbk",
        "12345",
        "95598",
        "我的社保卡",
    ] {
        let chars: Vec<char> = q.chars().collect();
        for n in 1..=chars.len() {
            let prefix: String = chars[..n].iter().collect();
            let resp = index
                .search(&SearchRequest::new(&prefix, TODAY))
                .expect("search");
            assert!(!resp.hits.is_empty(), "no hit for prefix {prefix:?}");
        }
    }
}

#[test]
fn an_article_drafted_at_a_district_and_published_at_the_hub_is_found_at_a_town() {
    let admin = ArticleActor {
        login: "d01-info".into(),
        unit: "D01".into(),
        at_centre: false,
        role: ArticleRole::UnitInfoAdmin,
    };
    let leader = ArticleActor {
        login: "zhang".into(),
        unit: "C".into(),
        at_centre: true,
        role: ArticleRole::ShiftLeader,
    };
    let content = ArticleContent {
        question: "东湖区共享单车停放点在哪里？".into(),
        alternatives: vec!["东湖区单车乱停".into()],
        answer: "东湖区在地铁站出口设置了共享单车电子围栏停放点。".into(),
        keywords: vec!["共享单车".into()],
        unit: "D01".into(),
        category: "市容管理".into(),
        region: Some("D01".into()),
        valid_from: None,
        valid_until: None,
    };
    // At the district node.
    let create = decide(
        None,
        &admin,
        "d01",
        Uuid::from_u128(1),
        1_000,
        ArticleAction::Create {
            content,
            origin: ArticleOrigin::Authored,
        },
    )
    .expect("unit admin may draft");
    let state = ArticleState::fold([&create]).expect("created");
    let submit = decide(
        Some(&state),
        &admin,
        "d01",
        Uuid::from_u128(2),
        2_000,
        ArticleAction::Submit,
    )
    .expect("submit");
    // At the hub, after sync brought both events.
    let hub_state = ArticleState::fold([&create, &submit]).expect("created");
    assert!(
        decide(
            Some(&hub_state),
            &admin,
            "hub",
            Uuid::from_u128(3),
            3_000,
            ArticleAction::Publish
        )
        .is_err()
    );
    let publish = decide(
        Some(&hub_state),
        &leader,
        "hub",
        Uuid::from_u128(3),
        3_000,
        ArticleAction::Publish,
    )
    .expect("publish");
    // At a town node, events arrive in any order.
    let town_events: Vec<ArticleEvent> = vec![publish, create, submit];
    let town_state = ArticleState::fold(&town_events).expect("created");
    let town = KbIndex::in_ram(analyzer(), IndexOptions::default()).expect("index");
    town.upsert(&ArticleRecord::from_state("art-1", &town_state, 0))
        .expect("upsert");
    town.commit(3).expect("commit");
    let hits = town
        .search(&SearchRequest::new("单车停哪", TODAY))
        .expect("search")
        .hits;
    assert_eq!(hits.first().map(|h| h.id.as_str()), Some("art-1"));
    assert_eq!(hits[0].status, "published");
}

#[test]
fn a_batch_from_the_feed_is_applied_and_committed_with_its_sequence() {
    let index = KbIndex::in_ram(analyzer(), IndexOptions::default()).expect("index");
    let n = index
        .apply(
            vec![
                IndexChange::Upsert(record("A1", "共享单车乱停放找谁", "城管")),
                IndexChange::Upsert(record("A2", "电动滑板车能上路吗", "不能")),
                IndexChange::Remove("A1".into()),
            ],
            99,
        )
        .expect("apply");
    assert_eq!(n, 3);
    assert_eq!(index.applied_seq().expect("seq"), Some(99));
    assert_eq!(index.num_docs(), 1);
    assert_eq!(
        ids(&index, &SearchRequest::new("滑板车", TODAY)),
        vec!["A2"]
    );
}

#[test]
fn a_directory_that_cannot_be_opened_is_reset() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("meta.json"), "not json").expect("write");
    assert!(KbIndex::open_in_dir(dir.path(), analyzer(), IndexOptions::default()).is_err());
    let index = KbIndex::open_in_dir_or_reset(dir.path(), analyzer(), IndexOptions::default())
        .expect("reset");
    assert_eq!(index.applied_seq().expect("seq"), None);
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn query_string_parameters_become_a_request() {
    let params: SearchParams =
        serde_json::from_str(r#"{"q":"社保卡","limit":500,"unit":"","facets":true}"#)
            .expect("parse");
    let req = params.into_request(TODAY);
    assert_eq!(req.query, "社保卡");
    assert_eq!(req.limit, 50);
    assert_eq!(req.unit, None);
    assert!(req.facets && req.snippets && !req.include_expired);
}

#[test]
fn an_index_written_by_another_analysis_version_is_emptied_for_a_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let index =
            KbIndex::open_in_dir(dir.path(), analyzer(), IndexOptions::default()).expect("open");
        index
            .upsert(&record("A1", "共享单车乱停放找谁", "城管"))
            .expect("upsert");
        index.commit(5).expect("commit");
    }
    // Rewrite the payload as an older version would have left it.
    let meta_path = dir.path().join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).expect("meta");
    let old = meta.replace(&format!("{}:5", search::index::ANALYSIS_VERSION), "5");
    assert_ne!(meta, old, "payload found in meta.json");
    std::fs::write(&meta_path, old).expect("write");

    let index =
        KbIndex::open_in_dir(dir.path(), analyzer(), IndexOptions::default()).expect("reopen");
    assert_eq!(index.applied_seq().expect("seq"), Some(0));
    assert_eq!(index.num_docs(), 0);
}
