//! The operations called as the faces call them, without any server: a store in a temporary
//! directory, the demo's reference data, a fixed clock and the acting user. Each refusal is an
//! `OpError` of the kind every face maps to its own answer, with its message in Chinese.

use std::sync::{Arc, RwLock};

use hotline_model::role::{Role, User};
use hotline_operations::tickets::{ActionRequest, CreateRequest};
use hotline_operations::{Hotline, Kind, NodeRole, Settings, reference, tickets};
use replica_store::{Store, TicketFilter};
use serde_json::json;

/// 2026-11-24 (Tuesday) 10:00 Beijing time.
const NOW: i64 = 1_795_485_600_000;

async fn hub(dir: &std::path::Path, role: NodeRole) -> Hotline {
    let store = Store::open(&dir.join("replica.sqlite"), "HUB", [7; 16]).expect("store");
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/seed");
    let texts = hotline_operations::seed::read_seed_refdata(&seed, "C").expect("seed files");
    store.put_refdata(texts, NOW).await.expect("reference data");
    let refdata = store.refdata().await.expect("read").expect("complete");
    let policy = hotline_model::credential::SessionPolicy {
        idle_ms: 1_800_000,
        absolute_ms: 43_200_000,
    };
    let auth = hotline_operations::auth::Auth::load(&store, policy, false)
        .await
        .expect("auth");
    Hotline {
        blobs: hotline_operations::blobs::Blobs::new(dir),
        kb: None,
        refdata: Arc::new(RwLock::new(Arc::new(refdata))),
        settings: Arc::new(Settings {
            node_code: "HUB".into(),
            role,
            jurisdiction: "C".into(),
            has_parent: false,
            sms_gateway: false,
            files: Default::default(),
        }),
        clock: Arc::new(|| NOW),
        sync_links: Default::default(),
        citizens: Default::default(),
        auth: Arc::new(auth),
        store,
    }
}

fn someone(h: &Hotline, role: Role, outside_centre: bool) -> User {
    let rd = h.refdata();
    rd.users
        .values()
        .find(|u| u.role == role && (u.unit != rd.org.root()) == outside_centre)
        .unwrap_or_else(|| panic!("a {role:?} in the demo's users"))
        .clone()
}

fn call(subject: &str) -> CreateRequest {
    serde_json::from_value(json!({
        "intake": {
            "channel": "phone",
            "caller_name": "张三",
            "caller_phone": "13812348000",
            "address": "东湖区翠湖花园3栋",
            "request_type": "complaint",
            "subject": subject,
            "title": "电梯频繁停运",
            "content": "3号楼电梯一个月停了五次，物业不修。",
            "urgent": false
        }
    }))
    .expect("a registration")
}

#[tokio::test]
async fn an_order_is_registered_seen_and_refused_by_the_rules_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub(dir.path(), NodeRole::Hub).await;
    let operator = someone(&h, Role::Operator, false);
    let leader = someone(&h, Role::ShiftLeader, false);
    let unit = someone(&h, Role::UnitHandler, true);

    let created = tickets::register(&h, &operator, call("CX.WY.DT"))
        .await
        .expect("registered");
    let number = created.ticket.number.clone();
    assert_eq!(
        created.ticket.state.created_at,
        Some(NOW),
        "the clock passed in"
    );

    // The centre sees the caller; a unit the order does not reach may not see it at all.
    let seen = tickets::view(&h, &leader, &number)
        .await
        .expect("the centre sees it");
    assert_eq!(seen.intake.caller_phone, "13812348000");
    let refused = tickets::view(&h, &unit, &number)
        .await
        .expect_err("not the unit's");
    assert_eq!(refused.kind, Kind::Forbidden);
    assert!(refused.message.contains("无权查看"), "{}", refused.message);

    // An operator may not review: the model's role rule, as a refusal of its kind.
    let ask: ActionRequest =
        serde_json::from_value(json!({"action": "review", "accept": true})).expect("an ask");
    let refused = tickets::act_on(&h, &operator, &number, ask)
        .await
        .expect_err("an operator does not review");
    assert_eq!(refused.kind, Kind::Forbidden, "{refused:?}");
    let ask: ActionRequest =
        serde_json::from_value(json!({"action": "review", "accept": true})).expect("an ask");
    let reviewed = tickets::act_on(&h, &leader, &number, ask)
        .await
        .expect("a shift leader");
    assert_eq!(reviewed.state.status.as_str(), "ready_to_dispatch");

    // A subject that does not exist is named in the refusal.
    let refused = tickets::register(&h, &operator, call("NO.SUCH.SUBJECT"))
        .await
        .expect_err("unknown subject");
    assert_eq!(
        (refused.kind, refused.code),
        (Kind::Invalid, "unknown_reference")
    );

    // A member unit never searches by phone; the centre may, and the search is audited first.
    let by_phone = TicketFilter {
        phone: Some("13812348000".into()),
        ..Default::default()
    };
    let refused = tickets::list_for(&h, &unit, by_phone.clone())
        .await
        .expect_err("units do not search by phone");
    assert_eq!(refused.kind, Kind::Forbidden);
    let (found, _) = tickets::list_for(&h, &leader, by_phone)
        .await
        .expect("centre");
    assert_eq!(found.len(), 1);
    let (audited, _) = h.store.audit_log(None, 10).await.expect("audit");
    assert!(
        audited
            .iter()
            .any(|e| e.action == "search_phone" && e.at_ms == NOW)
    );
}

#[tokio::test]
async fn reference_data_is_edited_only_by_a_centre_supervisor_at_the_hub() {
    let dir = tempfile::tempdir().unwrap();
    let h = hub(dir.path(), NodeRole::Hub).await;
    let supervisor = someone(&h, Role::Supervisor, false);
    let operator = someone(&h, Role::Operator, false);
    let calendar = reference::text(&h, "calendar").await.expect("the calendar");

    let refused = reference::edit(&h, &operator, "calendar", calendar.clone())
        .await
        .expect_err("an operator");
    assert_eq!(refused.kind, Kind::Forbidden);
    // The same text again changes nothing; a text that does not parse is refused whole.
    assert!(
        !reference::edit(&h, &supervisor, "calendar", calendar.clone())
            .await
            .unwrap()
    );
    let refused = reference::edit(&h, &supervisor, "calendar", "[[not".into())
        .await
        .expect_err("not TOML");
    assert_eq!(
        (refused.kind, refused.code),
        (Kind::Invalid, "invalid_reference")
    );
    assert_eq!(reference::text(&h, "calendar").await.unwrap(), calendar);
    let unknown = reference::text(&h, "nothing")
        .await
        .expect_err("no such document");
    assert_eq!(unknown.kind, Kind::NotFound);

    let edge_dir = tempfile::tempdir().unwrap();
    let edge = hub(edge_dir.path(), NodeRole::Edge).await;
    let refused = reference::edit(&edge, &supervisor, "calendar", calendar)
        .await
        .expect_err("only at the hub");
    assert_eq!(refused.kind, Kind::Forbidden);
    assert!(refused.message.contains("中心节点"), "{}", refused.message);
}
