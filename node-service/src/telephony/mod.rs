//! The centre's telephony (CTI): call records in, kept at the hub and linked to the orders
//! registered during the call (the intake's `call_id`). `cdr.rs` takes FreeSWITCH's call records
//! as `mod_json_cdr` posts them; other telephony systems fit behind the same [`CallRecord`]
//! (`hotline_model::call`).
//!
//! [`CallRecord`]: hotline_model::call::CallRecord

pub mod cdr;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The node's telephony settings (`[telephony]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonyConfig {
    /// The secret path segment of the call-record posts (`/api/telephony/cdr/{secret}`); none:
    /// off.
    pub cdr_secret: Option<String>,
    /// Operators by extension (`"8001" = "op01"`), for call records whose agent name is not a
    /// login.
    pub extensions: BTreeMap<String, String>,
}
