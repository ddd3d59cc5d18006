//! Who saw citizens' personal data on this node, newest first, and whether the log's hash chain is
//! intact. For the discipline inspectors (纪委电子监察) and the centre's supervisors only.

use hotline_model::role::{Role, User};
use replica_store::audit::AuditEntry;
use serde::{Deserialize, Serialize};

use crate::{Hotline, OpError};

/// Which entries.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only accesses to this order (its number).
    pub ticket: Option<String>,
    /// At most this many entries (default 100, at most 1,000).
    pub limit: Option<u32>,
}

/// Whether the hash chain over the whole log holds.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Chain {
    /// Every entry links to the one before.
    Intact {
        /// Always true.
        intact: bool,
        /// Entries checked.
        entries: u64,
    },
    /// The chain breaks at an entry.
    Broken {
        /// Always false.
        intact: bool,
        /// The first entry that does not link.
        broken_at: i64,
    },
}

/// A page of the log and the chain's state.
#[derive(Debug, Serialize)]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// The chain over the whole log.
    pub chain: Chain,
}

/// The audit log as `user` may read it.
pub async fn log(state: &Hotline, user: &User, q: AuditQuery) -> Result<AuditLog, OpError> {
    if !matches!(user.role, Role::Inspector | Role::Supervisor) {
        return Err(OpError::forbidden(
            "只有纪委电子监察和审核督办员可以查看访问审计记录",
        ));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 1_000);
    let (entries, chain) = state.store.audit_log(q.ticket, limit).await?;
    let chain = match chain {
        Ok(n) => Chain::Intact {
            intact: true,
            entries: n,
        },
        Err(seq) => {
            tracing::error!(seq, "the audit log's hash chain is broken");
            Chain::Broken {
                intact: false,
                broken_at: seq,
            }
        }
    };
    Ok(AuditLog { entries, chain })
}
