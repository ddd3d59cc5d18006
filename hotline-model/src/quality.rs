//! Quality scoring of operators' calls (话务质检): the scoring form the centre defines (items and
//! their points, `quality.toml`), a supervisor's score of one call checked against it, and the
//! random sample of calls to score — drawn from a seed passed in, so the same day and seed always
//! give the same sample.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One item of the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityItem {
    /// Its code (kept with each score).
    pub code: String,
    /// What is judged, in words.
    pub name: String,
    /// The most points it gives.
    pub points: u32,
}

/// The centre's scoring form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QualityForm {
    /// The share of each day's answered calls drawn for scoring, in percent.
    #[serde(default = "default_sample")]
    pub sample_percent: u32,
    /// The items, in the order the form shows them.
    #[serde(rename = "item")]
    pub items: Vec<QualityItem>,
}

fn default_sample() -> u32 {
    5
}

impl Default for QualityForm {
    /// The items 12345 centres commonly score, out of 100.
    fn default() -> Self {
        let item = |code: &str, name: &str, points| QualityItem {
            code: code.into(),
            name: name.into(),
            points,
        };
        QualityForm {
            sample_percent: default_sample(),
            items: vec![
                item("greeting", "规范用语（开头语、结束语、工号）", 10),
                item("attitude", "服务态度（耐心、礼貌、不推诿）", 20),
                item("listening", "倾听与询问（问清诉求要素）", 15),
                item("accuracy", "答复准确（政策、知识库引用正确）", 20),
                item("record", "工单记录（要素齐全、分类准确、与通话一致）", 25),
                item("efficiency", "效率（通话时长合理、无长时间静音）", 10),
            ],
        }
    }
}

impl QualityForm {
    /// The most points a call can get.
    pub fn max_points(&self) -> u32 {
        self.items.iter().map(|i| i.points).sum()
    }

    /// Checks the form: 1–30 items, distinct non-empty codes, 1–100 points each, a sample of
    /// 0–100 %.
    pub fn check(&self) -> Result<(), String> {
        if self.items.is_empty() || self.items.len() > 30 {
            return Err("质检评分表应有 1 至 30 个评分项".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for i in &self.items {
            if i.code.trim().is_empty() || i.name.trim().is_empty() {
                return Err("评分项的代码和名称不能为空".into());
            }
            if !seen.insert(i.code.as_str()) {
                return Err(format!("评分项代码重复：{}", i.code));
            }
            if !(1..=100).contains(&i.points) {
                return Err(format!("评分项「{}」的分值应为 1 至 100", i.name));
            }
        }
        if self.sample_percent > 100 {
            return Err("抽检比例应为 0 至 100".into());
        }
        Ok(())
    }
}

/// A supervisor's score of one call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallScore {
    /// The call.
    pub call_id: String,
    /// The operator who took it.
    pub operator: String,
    /// Who scored it.
    pub scorer: String,
    /// When (Unix ms).
    pub at: i64,
    /// Points per item code.
    pub items: BTreeMap<String, u32>,
    /// What the operator should know.
    pub comment: String,
    /// The total as a percentage of the form's maximum, rounded to one decimal.
    pub percent: f64,
}

/// Most characters of a score's comment.
pub const COMMENT_MAX: usize = 1000;

/// Scores a call: every item of the form given, none above its points, nothing unknown; the
/// comment within its length. Returns the percentage.
pub fn percent(
    form: &QualityForm,
    items: &BTreeMap<String, u32>,
    comment: &str,
) -> Result<f64, String> {
    for code in items.keys() {
        if !form.items.iter().any(|i| &i.code == code) {
            return Err(format!("评分表中没有评分项：{code}"));
        }
    }
    let mut total = 0;
    for i in &form.items {
        let Some(&p) = items.get(&i.code) else {
            return Err(format!("请为「{}」评分", i.name));
        };
        if p > i.points {
            return Err(format!("「{}」最多 {} 分", i.name, i.points));
        }
        total += p;
    }
    if comment.chars().count() > COMMENT_MAX {
        return Err(format!("评语最多 {COMMENT_MAX} 字"));
    }
    let max = form.max_points().max(1);
    Ok((f64::from(total) * 1000.0 / f64::from(max)).round() / 10.0)
}

/// Whether `call_id` is in the sample drawn with `seed` at `percent`: a hash of the seed and the
/// call decides, so each call is drawn independently with that chance, and the same seed draws
/// the same calls.
pub fn sampled(call_id: &str, seed: &str, percent: u32) -> bool {
    let h = Sha256::digest(format!("{seed}\u{1f}{call_id}").as_bytes());
    let n = u16::from_be_bytes([h[0], h[1]]) % 10_000;
    u32::from(n) < percent.min(100) * 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_form_is_out_of_a_hundred_and_checks_scores() {
        let f = QualityForm::default();
        assert!(f.check().is_ok());
        assert_eq!(f.max_points(), 100);
        let mut items: BTreeMap<String, u32> =
            f.items.iter().map(|i| (i.code.clone(), i.points)).collect();
        assert_eq!(percent(&f, &items, "很好").unwrap(), 100.0);
        items.insert("attitude".into(), 15);
        assert_eq!(percent(&f, &items, "").unwrap(), 95.0);
        items.insert("attitude".into(), 21);
        assert!(percent(&f, &items, "").unwrap_err().contains("最多 20 分"));
        items.insert("attitude".into(), 20);
        items.insert("bogus".into(), 1);
        assert!(percent(&f, &items, "").is_err());
        items.remove("bogus");
        items.remove("record");
        assert!(percent(&f, &items, "").unwrap_err().contains("工单记录"));
        let mut bad = f.clone();
        bad.items[1].code = "greeting".into();
        assert!(bad.check().is_err());
        bad = f.clone();
        bad.items[0].points = 0;
        assert!(bad.check().is_err());
    }

    #[test]
    fn the_sample_draws_about_its_share_and_the_same_seed_draws_the_same_calls() {
        let calls: Vec<String> = (0..20_000).map(|i| format!("call-{i}")).collect();
        let drawn = calls.iter().filter(|c| sampled(c, "2026-11-24", 5)).count();
        assert!((800..1200).contains(&drawn), "{drawn} of 20000 at 5 %");
        let again = calls.iter().filter(|c| sampled(c, "2026-11-24", 5)).count();
        assert_eq!(drawn, again);
        let other = calls
            .iter()
            .filter(|c| sampled(c, "2026-11-24", 5) && sampled(c, "2026-11-25", 5))
            .count();
        assert!(other < 150, "another day's seed draws other calls: {other}");
        assert_eq!(calls.iter().filter(|c| sampled(c, "x", 0)).count(), 0);
        assert_eq!(
            calls.iter().filter(|c| sampled(c, "x", 100)).count(),
            20_000
        );
    }
}
