//! Test and benchmark data: intakes and random inputs shaped like the real thing.

use hotline_model::category::RequestType;
use hotline_model::intake::{Channel, Intake};
use replica_store::NewTicket;

const TITLES: &[(&str, &str, RequestType)] = &[
    ("小区电梯频繁停运", "CX.WY.DT", RequestType::Complaint),
    ("夜间工地施工噪音扰民", "ST.ZY.SG", RequestType::Complaint),
    ("社保卡丢失如何补办", "SB.SBK.BB", RequestType::Consultation),
    ("公司拖欠三个月工资", "SB.LD.QX", RequestType::Help),
    ("路口流动摊贩占道经营", "CG.ZD.JY", RequestType::Report),
    ("建议增设公交站点", "JT.GJ.XL", RequestType::Suggestion),
];

/// A plausible intake, varied by `i`.
pub fn intake(i: u64) -> Intake {
    let (title, subject, request_type) = TITLES[(i as usize) % TITLES.len()];
    Intake {
        channel: Channel::Phone,
        caller_name: "王先生".into(),
        caller_phone: format!("138{:08}", i % 100_000_000),
        address: format!("东湖区翠湖花园{}栋{}单元", i % 30 + 1, i % 4 + 1),
        request_type,
        subject: subject.into(),
        location: None,
        title: title.into(),
        content: format!(
            "来电人反映{}问题已持续一段时间，多次向有关方面反映未果，希望相关部门尽快核实处理并答复。编号{i}。",
            title
        ),
        attachments: vec![],
        urgent: i.is_multiple_of(17),
        confidential: false,
        call_id: Some(format!("CALL-{i:010}")),
        area: Vec::new(),
    }
}

/// A registration request with randomness from `rng`.
pub fn new_ticket(i: u64, now_ms: i64, rng: &mut impl rand::RngCore) -> NewTicket {
    let mut random = [0u8; 24];
    rng.fill_bytes(&mut random);
    NewTicket {
        intake: intake(i),
        author: "op01".into(),
        unit: "C".into(),
        now_ms,
        random,
        then: vec![],
    }
}

/// Now, in Unix milliseconds, from the system clock (for binaries; tests pass fixed times).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Registers order `i` now (system clock) at `store` and, with `dispatch`, reviews it and
/// dispatches it to 东湖区 (D01) as `sl01`: three workflow actions.
pub async fn register_and_dispatch(
    store: &replica_store::Store,
    i: u64,
    dispatch: bool,
    rng: &mut impl rand::RngCore,
) -> anyhow::Result<()> {
    use hotline_model::event::{Action, AssignTo};
    let now = now_ms();
    let created = store.create_ticket(new_ticket(i, now, rng)).await?;
    if !dispatch {
        return Ok(());
    }
    let id = created.ticket.id;
    let lead = AssignTo {
        unit: "D01".into(),
        sign_due_at: now + 86_400_000,
        due_at: now + 20 * 86_400_000,
    };
    let dispatch = Action::Dispatch {
        lead,
        co: Vec::new(),
        note: String::new(),
        final_assignment: false,
    };
    for (n, action) in [Action::accept_review(""), dispatch]
        .into_iter()
        .enumerate()
    {
        let event = replica_store::NewEvent {
            id: format!("{id}-{n}"),
            author: "sl01".into(),
            unit: "C".into(),
            action,
            now_ms: now_ms(),
        };
        store.apply(id.clone(), event).await?;
    }
    Ok(())
}

/// A lone hub on loopback (no sync) with the demo's reference data and its planned orders, its
/// clock fixed at `now`; `seed` draws the orders' ids and query codes.
pub async fn seeded_hub(
    dir: &std::path::Path,
    now: i64,
    seed: u64,
) -> anyhow::Result<(node_service::RunningNode, deploy::seed_tickets::Seeded)> {
    let config = node_service::NodeConfig {
        data_dir: dir.to_path_buf(),
        seed_dir: Some(deploy::demo::seed_dir()),
        alert_sweep_secs: 0,
        ..node_service::NodeConfig::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node = node_service::start(config, listener, std::sync::Arc::new(move || now)).await?;
    let plan = deploy::demo::plan_seed(&node.state.refdata(), now)?;
    let seeded = deploy::seed_tickets::run(&node.state.store.quiet(), &plan, seed).await?;
    Ok((node, seeded))
}
