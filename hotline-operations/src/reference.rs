//! Editing reference data at the hub: the org tree, the categories, the working-day calendar (a new
//! year is loaded when the State Council publishes it) and each unit's user list. Names: `org`,
//! `categories`, `calendar`, `users:<unit>`. Only a centre supervisor (审核督办员 of the root unit)
//! may edit, and only at the hub: reference data flows down to the other nodes by sync. An edit is
//! checked together with everything else held (a unit still named by a subject or a user cannot
//! go, a calendar must parse); a refused edit writes nothing.

use hotline_model::refdata::unit_users;
use hotline_model::role::{Role, User};
use replica_store::refdata_doc;
use serde_json::json;

use crate::settings::NodeRole;
use crate::{Hotline, Kind, OpError};

fn known(name: &str) -> Result<(), OpError> {
    if refdata_doc::is_valid_name(name) {
        Ok(())
    } else {
        Err(OpError::not_found(&format!("参考数据 {name}")))
    }
}

/// The TOML text of reference document `name` (any staff member).
pub async fn text(state: &Hotline, name: &str) -> Result<String, OpError> {
    known(name)?;
    let texts = state.store.refdata_texts().await?;
    texts
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, text)| text)
        .ok_or_else(|| OpError::not_found(&format!("参考数据 {name}")))
}

/// Checks `texts` (every document held, with the edit of `name` in place): a unit's user list
/// holds that unit's users only, and everything fits together.
fn check(texts: &[(String, String)], name: &str) -> Result<(), String> {
    if let (Some(unit), Some((_, text))) = (
        name.strip_prefix("users:"),
        texts.iter().find(|(n, _)| n == name),
    ) {
        unit_users(text, unit).map_err(|e| e.to_string())?;
    }
    match refdata_doc::assemble(texts) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("org, categories or calendar missing".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Replaces reference document `name` with `text` as `user`; answers whether anything changed.
pub async fn edit(state: &Hotline, user: &User, name: &str, text: String) -> Result<bool, OpError> {
    known(name)?;
    if state.settings.role != NodeRole::Hub {
        return Err(OpError::forbidden(
            "参考数据由市中心统一维护，请在中心节点修改",
        ));
    }
    let refdata = state.refdata();
    if user.role != Role::Supervisor || user.unit != refdata.org.root() {
        return Err(OpError::forbidden("只有中心审核督办员可以修改参考数据"));
    }
    let mut texts = state.store.refdata_texts().await?;
    let unchanged = texts.iter().any(|(n, t)| n == name && *t == text);
    match texts.iter_mut().find(|(n, _)| n == name) {
        Some(slot) => slot.1 = text.clone(),
        None => texts.push((name.to_owned(), text.clone())),
    }
    if let Err(reason) = check(&texts, name) {
        return Err(OpError::new(
            Kind::Invalid,
            "invalid_reference",
            "参考数据校验未通过，未作任何修改",
        )
        .with_detail(json!({ "name": name, "reason": reason })));
    }
    if !unchanged {
        state
            .store
            .put_refdata(vec![(name.to_owned(), text)], state.now())
            .await?;
        state.reload_refdata().await;
        tracing::info!(name = %name, by = %user.login, "reference data edited");
    }
    Ok(!unchanged)
}
