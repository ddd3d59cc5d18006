//! A readable diff between two versions of a text, by sentence (Chinese punctuation and line
//! breaks end a sentence): what an editor compares between knowledge-base versions.

/// One piece of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// In both versions.
    Same(String),
    /// Only in the older version.
    Removed(String),
    /// Only in the newer version.
    Added(String),
}

/// Splits a text after each sentence end, keeping the punctuation.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        cur.push(c);
        if matches!(c, '。' | '！' | '？' | '；' | '\n' | '!' | '?' | ';') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The sentences removed from `old`, added in `new`, and kept, in reading order (longest common
/// subsequence of sentences; texts are at most a few hundred sentences).
pub fn diff(old: &str, new: &str) -> Vec<Piece> {
    let (a, b) = (sentences(old), sentences(new));
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Piece::Same(a[i].clone()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // What went comes before what replaced it.
            out.push(Piece::Removed(a[i].clone()));
            i += 1;
        } else {
            out.push(Piece::Added(b[j].clone()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_kept_removed_and_added() {
        let d = diff(
            "携带身份证到社保大厅办理。工本费二十元。当场领取。",
            "携带身份证到社保大厅办理。工本费已取消。当场领取。也可在线办理。",
        );
        assert_eq!(
            d,
            vec![
                Piece::Same("携带身份证到社保大厅办理。".into()),
                Piece::Removed("工本费二十元。".into()),
                Piece::Added("工本费已取消。".into()),
                Piece::Same("当场领取。".into()),
                Piece::Added("也可在线办理。".into()),
            ]
        );
        assert_eq!(diff("", "新。"), vec![Piece::Added("新。".into())]);
        assert_eq!(diff("旧", ""), vec![Piece::Removed("旧".into())]);
        assert!(
            diff("同。", "同。")
                .iter()
                .all(|p| matches!(p, Piece::Same(_)))
        );
    }
}
