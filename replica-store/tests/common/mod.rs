//! Helpers shared by the store's tests.
#![allow(dead_code)]

use hotline_model::category::RequestType;
use hotline_model::intake::{Channel, Intake};
use replica_store::{NewTicket, Store};

pub fn intake(i: usize) -> Intake {
    Intake {
        channel: Channel::Phone,
        caller_name: "李四".into(),
        caller_phone: format!("139{:08}", i),
        address: "西山区金桥路88号".into(),
        request_type: RequestType::Complaint,
        subject: "CG.ZD.JY".into(),
        location: None,
        title: format!("占道经营第{i}号"),
        content: "路口有流动摊贩占道经营，影响通行。".into(),
        attachments: vec![],
        urgent: false,
        confidential: false,
        call_id: None,
        area: Vec::new(),
    }
}

pub fn random(i: u64) -> [u8; 24] {
    let mut r = [0u8; 24];
    r[..8].copy_from_slice(&i.to_le_bytes());
    r[8..16].copy_from_slice(&(i ^ 0x5555).to_le_bytes());
    r[16..24].copy_from_slice(&(i.wrapping_mul(2654435761)).to_le_bytes());
    r
}

pub fn new_ticket(i: u64, now_ms: i64) -> NewTicket {
    NewTicket {
        intake: intake(i as usize),
        author: "op01".into(),
        unit: "C".into(),
        now_ms,
        random: random(i),
        then: vec![],
    }
}

pub fn open(path: &std::path::Path, actor: u8) -> Store {
    Store::open(path, "HUB", [actor; 16]).expect("open store")
}

/// 2026-11-24 10:00 Beijing time.
pub const NOW: i64 = 1_795_485_600_000;
