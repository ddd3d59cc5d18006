//! What citizens asked about (热点、难点): per subject, channel, area, spot (one place and one
//! subject) and the operator who registered it, what one order adds to the counts — received, answered directly or dispatched, and
//! the troubles it had (returns, extensions, redos, unsatisfied callbacks, urges, supervisions).
//! Each order's topic facts are dated by its registration, so a month's figures are the orders
//! registered in it, whatever happened to them later. Kept as running totals like the unit
//! facts (`assessment::Fact`, under keys `subject:…`, `channel:…`, `area:…`, `spot:…`) and
//! recomputed from the orders by the same function. Also here: finding a matter's area from its
//! address, and the place key of an address.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::assessment::{COUNTERS, Fact, add_counts};
use crate::event::Satisfaction;
use crate::org::{OrgTree, UnitKind};
use crate::ticket::TicketView;
use crate::workflow::AssignmentStatus;

/// Counter positions of a topic fact.
pub mod topic_counter {
    /// Registered.
    pub const RECEIVED: usize = 0;
    /// Answered at once by the centre (直接办结).
    pub const DIRECT: usize = 1;
    /// Dispatched to a unit.
    pub const DISPATCHED: usize = 2;
    /// Closed.
    pub const CLOSED: usize = 3;
    /// Returned by a unit at least once (退单).
    pub const RETURNED: usize = 4;
    /// Given an extension (延期).
    pub const EXTENDED: usize = 5;
    /// Sent back for redo or reopened (重办).
    pub const REDONE: usize = 6;
    /// Rated at callback.
    pub const RATED: usize = 7;
    /// 不满意 at callback.
    pub const UNSATISFIED: usize = 8;
    /// Urged (催办).
    pub const URGED: usize = 9;
    /// Supervised (督办).
    pub const SUPERVISED: usize = 10;
    /// Merged into another order as a duplicate (重复件).
    pub const MERGED: usize = 11;
    /// Sent back to the operator at review (审核退回).
    pub const SENT_BACK: usize = 12;
}

/// The kinds of topic keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// The subject (事项分类), current after corrections.
    Subject,
    /// The channel of intake.
    Channel,
    /// A district, town or community of the matter's area (each level counted).
    Area,
    /// One place (the address without house and room numbers) and one subject.
    Spot,
    /// The operator who registered the order (话务员).
    Operator,
}

impl Dimension {
    /// The key prefix's name.
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Subject => "subject",
            Dimension::Channel => "channel",
            Dimension::Area => "area",
            Dimension::Spot => "spot",
            Dimension::Operator => "operator",
        }
    }

    /// The key of `value` in this dimension.
    pub fn key(self, value: &str) -> String {
        format!("{}:{value}", self.code())
    }
}

/// The dimension a fact key belongs to, as the running totals group them: `public` (the city's
/// figures, key `""`), `unit` (a unit's code), or the key's prefix (`type`, `subject` …).
pub fn dimension_of(key: &str) -> &str {
    match key.split_once(':') {
        _ if key.is_empty() => "public",
        Some((prefix, _)) => prefix,
        None => "unit",
    }
}

/// A spot's key value: the subject and the place, `CX.WY.DT|东湖区樱园路翠湖花园`.
pub fn spot(subject: &str, place: &str) -> String {
    format!("{subject}|{place}")
}

/// The place of an address, for telling repeated requests about the same place: the address
/// without spaces, punctuation, and house, building, unit and room numbers (门牌号、楼栋、房号),
/// so 「东湖区樱园路88号翠湖花园3栋2单元501室」 and 「东湖区 樱园路12号 翠湖花园」 are one place.
/// Empty when nothing is left.
pub fn place_key(address: &str) -> String {
    const MARKS: &[char] = &[
        '号', '栋', '幢', '座', '单', '元', '室', '楼', '层', '户', '门', '弄',
    ];
    let mut out = String::new();
    let mut in_number = false;
    for c in address.chars() {
        let digit = c.is_ascii_digit() || ('０'..='９').contains(&c) || c.is_ascii_alphabetic();
        if digit || matches!(c, '-' | '－' | '#' | '＃' | '之') && in_number {
            in_number = true;
            continue;
        }
        if in_number && MARKS.contains(&c) {
            continue;
        }
        in_number = false;
        if c.is_whitespace()
            || c.is_ascii_punctuation()
            || "，。、；：（）()【】《》“”‘’·".contains(c)
        {
            continue;
        }
        out.push(c);
    }
    out.chars().take(60).collect()
}

fn territorial(kind: UnitKind) -> bool {
    matches!(
        kind,
        UnitKind::District | UnitKind::Town | UnitKind::Community
    )
}

/// The area of an address (所属区域): the district whose name the address holds, then the town
/// under it, then the community, as far as the address names them (the longest name wins where
/// two fit). Empty when no district is named.
pub fn area_of(org: &OrgTree, address: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut parent = org.root().to_owned();
    loop {
        let found = org
            .children(&parent)
            .filter(|u| territorial(u.kind) && !u.name.is_empty() && address.contains(&u.name))
            .max_by_key(|u| (u.name.chars().count(), std::cmp::Reverse(u.code.clone())));
        match found {
            Some(u) => {
                out.push(u.code.clone());
                parent = u.code.clone();
            }
            None => return out,
        }
    }
}

/// Checks an area chosen by hand: districts, towns and communities, each under the one before,
/// the first a district.
pub fn check_area(org: &OrgTree, area: &[String]) -> Result<(), String> {
    let mut parent: Option<&str> = None;
    for (i, code) in area.iter().enumerate() {
        let unit = org
            .get(code)
            .ok_or_else(|| format!("所属区域中的单位 {code} 不存在"))?;
        let fits = match parent {
            None => unit.kind == UnitKind::District,
            Some(p) => territorial(unit.kind) && unit.parent.as_deref() == Some(p),
        };
        if !fits || i >= 3 {
            return Err(format!(
                "所属区域须依次为区、街镇、社区（村），{} 不在此列",
                unit.name
            ));
        }
        parent = Some(code);
    }
    Ok(())
}

/// The topic facts of one order: one per subject, channel, area level, spot and registering
/// operator, all dated by its
/// registration (none before it is registered).
pub fn facts(view: &TicketView) -> Vec<Fact> {
    use topic_counter as t;
    let s = &view.state;
    let Some(at) = s.created_at else {
        return Vec::new();
    };
    let assignments = || s.lead.iter().chain(s.co.iter()).chain(s.past.iter());
    let flag = |b: bool| i64::from(b);
    let mut n = [0i64; COUNTERS];
    n[t::RECEIVED] = 1;
    n[t::DIRECT] = flag(s.direct_answer.is_some());
    n[t::DISPATCHED] = flag(s.lead.is_some() || !s.past.is_empty());
    n[t::CLOSED] = flag(s.closed_at.is_some());
    n[t::RETURNED] = flag(assignments().any(|a| a.status == AssignmentStatus::Returned));
    n[t::EXTENDED] = flag(assignments().any(|a| a.extensions > 0));
    n[t::REDONE] =
        flag(s.redo_count > 0 || s.reopen_count > 0 || assignments().any(|a| a.redos > 0));
    n[t::RATED] = flag(matches!(
        s.satisfaction,
        Some(
            Satisfaction::Satisfied | Satisfaction::BasicallySatisfied | Satisfaction::Unsatisfied
        )
    ));
    n[t::UNSATISFIED] = flag(s.satisfaction == Some(Satisfaction::Unsatisfied));
    n[t::URGED] = flag(s.urge_count > 0);
    n[t::SUPERVISED] = flag(s.supervision.is_some());
    n[t::MERGED] = flag(s.merged_into.is_some());
    n[t::SENT_BACK] = flag(s.sent_back_count > 0);
    let mut keys = vec![
        Dimension::Subject.key(&s.subject),
        Dimension::Channel.key(view.intake.channel.code()),
    ];
    keys.extend(view.intake.area.iter().map(|a| Dimension::Area.key(a)));
    let registered_by = view
        .events
        .iter()
        .find(|e| matches!(e.action, crate::event::Action::Created));
    if let Some(e) = registered_by {
        keys.push(Dimension::Operator.key(&e.author));
    }
    let place = place_key(&view.intake.address);
    if !place.is_empty() {
        keys.push(Dimension::Spot.key(&spot(&s.subject, &place)));
    }
    keys.into_iter()
        .map(|unit| Fact {
            unit,
            at,
            counts: n,
        })
        .collect()
}

/// Every fact of one order: the public and unit facts (`assessment::facts`) and its topic facts.
pub fn every_fact(view: &TicketView) -> Vec<Fact> {
    let mut out = crate::assessment::facts(&view.state);
    out.extend(facts(view));
    out
}

/// One topic's figures for a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TopicFigures {
    /// The key's value (subject code, channel code, unit code, or `subject|place`).
    pub key: String,
    /// Registered.
    pub received: u32,
    /// Answered at once.
    pub direct: u32,
    /// Dispatched.
    pub dispatched: u32,
    /// Closed.
    pub closed: u32,
    /// Returned at least once.
    pub returned: u32,
    /// Extended.
    pub extended: u32,
    /// Redone or reopened.
    pub redone: u32,
    /// Rated at callback.
    pub rated: u32,
    /// 不满意.
    pub unsatisfied: u32,
    /// Urged.
    pub urged: u32,
    /// Supervised.
    pub supervised: u32,
    /// Merged as duplicates.
    pub merged: u32,
    /// Sent back to the operator at review.
    pub sent_back: u32,
}

impl TopicFigures {
    /// A topic's figures from its summed counts.
    pub fn from_counts(key: &str, n: &[i64; COUNTERS]) -> Self {
        use topic_counter as t;
        let get = |i: usize| u32::try_from(n[i]).unwrap_or(0);
        TopicFigures {
            key: key.to_owned(),
            received: get(t::RECEIVED),
            direct: get(t::DIRECT),
            dispatched: get(t::DISPATCHED),
            closed: get(t::CLOSED),
            returned: get(t::RETURNED),
            extended: get(t::EXTENDED),
            redone: get(t::REDONE),
            rated: get(t::RATED),
            unsatisfied: get(t::UNSATISFIED),
            urged: get(t::URGED),
            supervised: get(t::SUPERVISED),
            merged: get(t::MERGED),
            sent_back: get(t::SENT_BACK),
        }
    }

    /// How hard the topic was (难点): orders returned, extended, redone or left unsatisfied.
    pub fn troubles(&self) -> u32 {
        self.returned + self.extended + self.redone + self.unsatisfied
    }
}

/// Per key of `dimension`, the summed topic counts of the orders registered in `[from, to)`
/// (Unix ms), recomputed from the orders (keys without the prefix).
pub fn recompute<'a>(
    orders: impl IntoIterator<Item = &'a TicketView>,
    dimension: Dimension,
    from: i64,
    to: i64,
) -> BTreeMap<String, [i64; COUNTERS]> {
    let prefix = format!("{}:", dimension.code());
    let mut out: BTreeMap<String, [i64; COUNTERS]> = BTreeMap::new();
    for o in orders {
        for f in facts(o) {
            if let Some(value) = f.unit.strip_prefix(&prefix)
                && f.at >= from
                && f.at < to
            {
                add_counts(out.entry(value.to_owned()).or_default(), &f.counts);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Unit;

    fn unit(code: &str, name: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
        Unit {
            code: code.into(),
            name: name.into(),
            kind,
            parent: parent.map(Into::into),
            duties: String::new(),
            contact: String::new(),
            duty: Vec::new(),
        }
    }

    fn org() -> OrgTree {
        OrgTree::new(vec![
            unit("C", "中心", UnitKind::Centre, None),
            unit("B-ZJJ", "市住房和城乡建设局", UnitKind::Bureau, Some("C")),
            unit("D01", "东湖区", UnitKind::District, Some("C")),
            unit("D02", "西山区", UnitKind::District, Some("C")),
            unit("D01-T01", "东湖街道", UnitKind::Town, Some("D01")),
            unit("D01-T02", "莲花镇", UnitKind::Town, Some("D01")),
            unit(
                "D01-T01-C01",
                "翠湖社区",
                UnitKind::Community,
                Some("D01-T01"),
            ),
            unit(
                "D01-ZJJ",
                "东湖区住建局",
                UnitKind::DistrictBureau,
                Some("D01"),
            ),
        ])
        .expect("org")
    }

    #[test]
    fn the_area_is_read_from_the_address_as_deep_as_it_goes() {
        let o = org();
        assert_eq!(area_of(&o, "东湖区樱园路88号翠湖花园"), vec!["D01"]);
        assert_eq!(
            area_of(&o, "临江市东湖区东湖街道翠湖社区3栋"),
            vec!["D01", "D01-T01", "D01-T01-C01"]
        );
        // A town is only found under the district named first; bureaus are not places.
        assert_eq!(area_of(&o, "西山区莲花镇"), vec!["D02"]);
        assert!(area_of(&o, "莲花镇某村").is_empty());
        assert!(area_of(&o, "").is_empty());
    }

    #[test]
    fn a_chosen_area_must_run_from_a_district_down() {
        let o = org();
        assert!(check_area(&o, &["D01".into(), "D01-T02".into()]).is_ok());
        assert!(check_area(&o, &[]).is_ok());
        assert!(check_area(&o, &["D01-T01".into()]).is_err());
        assert!(check_area(&o, &["D02".into(), "D01-T01".into()]).is_err());
        assert!(check_area(&o, &["D01".into(), "D01-ZJJ".into()]).is_err());
        assert!(check_area(&o, &["X".into()]).is_err());
    }

    #[test]
    fn one_place_whatever_the_house_and_room_numbers() {
        let a = place_key("东湖区樱园路88号翠湖花园3栋2单元501室");
        assert_eq!(a, "东湖区樱园路翠湖花园");
        assert_eq!(place_key("东湖区 樱园路12号 翠湖花园"), a);
        assert_eq!(place_key("东湖区樱园路１２号翠湖花园B座"), a);
        assert_eq!(place_key("东湖区樱园路12-3号，翠湖花园"), a);
        assert_ne!(place_key("东湖区樱园路88号翠湖新苑"), a);
        assert_eq!(place_key("  123 "), "");
    }

    #[test]
    fn keys_group_by_their_dimension() {
        assert_eq!(dimension_of(""), "public");
        assert_eq!(dimension_of("D01-T01"), "unit");
        assert_eq!(dimension_of("type:complaint"), "type");
        assert_eq!(dimension_of(&Dimension::Spot.key("CX|东湖区")), "spot");
    }
}
