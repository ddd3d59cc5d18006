//! Formatting for pages: local times, countdowns, names of units and users.

use hotline_model::countdown::countdown;
use hotline_model::refdata::ReferenceData;
pub use hotline_operations::wording::{local_date, local_time};

/// A deadline's countdown text and mark class at `now` (working time, holidays counted).
pub fn due(refdata: &ReferenceData, now: i64, due_ms: i64) -> (String, &'static str) {
    let k = countdown(&refdata.calendar, now, due_ms);
    (k.text_zh(), k.mark.class())
}

/// A unit's name (its code when unknown here).
pub fn unit_name(refdata: &ReferenceData, code: &str) -> String {
    refdata.unit_name(code)
}

/// The units of `top`'s subtree as choices (`top` itself unless `below_only`), `selected` marked.
pub fn unit_choices(
    refdata: &ReferenceData,
    top: &str,
    below_only: bool,
    selected: &str,
) -> Vec<web::Choice> {
    refdata
        .org
        .subtree(top)
        .filter(|u| !(below_only && u.code == top))
        .map(|u| web::Choice {
            value: u.code.clone(),
            label: u.name.clone(),
            hint: String::new(),
            selected: u.code == selected,
        })
        .collect()
}

/// A user's name and login (the login alone when unknown here).
pub fn user_name(refdata: &ReferenceData, login: &str) -> String {
    refdata
        .user(login)
        .map_or_else(|| login.to_owned(), |u| format!("{}（{login}）", u.name))
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The wire name of a value that serialises as a string (a role, an action, a channel).
pub fn code_of<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
