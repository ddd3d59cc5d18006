//! A new node's reference data from the seed directory's files (the demo's `deploy/seed`, or a
//! city's own at installation): the shared documents, and the users of each unit in the node's
//! subtree.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use hotline_model::refdata::{ReferenceData, seed_users};
use hotline_model::role::User;
use replica_store::refdata_doc;
use serde::Serialize;

#[derive(Serialize)]
struct UsersFile<'a> {
    user: Vec<&'a User>,
}

/// Reads the seed directory's reference files as the reference documents of a node serving
/// `jurisdiction`: the shared files, and the users of each unit in its subtree (user passwords are
/// dropped: they are not reference data).
pub fn read_seed_refdata(
    dir: &std::path::Path,
    jurisdiction: &str,
) -> Result<Vec<(String, String)>> {
    let read = |name: &str| {
        let path = dir.join(format!("{name}.toml"));
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    };
    let mut files = Vec::new();
    for name in refdata_doc::SHARED {
        files.push((name.to_string(), read(name)?));
    }
    for name in refdata_doc::OPTIONAL_SHARED {
        if dir.join(format!("{name}.toml")).exists() {
            files.push((name.to_string(), read(name)?));
        }
    }
    if let Some((_, text)) = files.iter().find(|(n, _)| n == "notices") {
        hotline_model::refdata::parse_notices(text).context("parsing notices.toml")?;
    }
    if let Some((_, text)) = files.iter().find(|(n, _)| n == "assessment") {
        hotline_model::refdata::parse_score_weights(text).context("parsing assessment.toml")?;
    }
    if let Some((_, text)) = files.iter().find(|(n, _)| n == "quality") {
        hotline_model::refdata::parse_quality(text).context("parsing quality.toml")?;
    }
    let users_text = read("users")?;
    let users = seed_users(&users_text).context("parsing users.toml")?;
    let all = ReferenceData::from_toml(&files[0].1, &files[1].1, &users_text, &files[2].1)
        .context("the seed's reference files do not fit together")?;
    let mut by_unit: BTreeMap<&str, Vec<&User>> = BTreeMap::new();
    for u in &users {
        if all.org.is_within(&u.user.unit, jurisdiction) {
            by_unit.entry(&u.user.unit).or_default().push(&u.user);
        }
    }
    for (unit, user) in by_unit {
        files.push((
            refdata_doc::users_name(unit),
            toml::to_string(&UsersFile { user })?,
        ));
    }
    Ok(files)
}
