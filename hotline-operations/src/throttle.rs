//! Counting failures per key in a window, to lock out guessing (citizens' query codes, staff
//! passwords) without a CAPTCHA.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// Failures per key within a window; a key with `max` failures in the window is locked until the
/// window that began with its first failure ends.
pub struct Failures<K> {
    map: Mutex<HashMap<K, (u32, i64)>>,
    max: u32,
    window_ms: i64,
}

/// Keys kept before expired ones are swept out; if a flood of distinct keys within one window
/// still leaves more, the keys not locked are forgotten (a locked key stays locked), so memory
/// stays bounded whatever the callers send.
const SWEEP_AT: usize = 100_000;

impl<K: Hash + Eq> Failures<K> {
    /// Locks a key after `max` failures within `window_ms`.
    pub fn new(max: u32, window_ms: i64) -> Self {
        Failures {
            map: Mutex::new(HashMap::new()),
            max,
            window_ms,
        }
    }

    /// If `key` is locked at `now`, how long until it opens again (ms).
    pub fn locked_for(&self, key: &K, now: i64) -> Option<i64> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).and_then(|(n, since)| {
            let left = since + self.window_ms - now;
            (*n >= self.max && left > 0).then_some(left)
        })
    }

    /// Whether `key` is locked at `now`.
    pub fn locked(&self, key: &K, now: i64) -> bool {
        self.locked_for(key, now).is_some()
    }

    /// Counts a failure for `key`.
    pub fn fail(&self, key: K, now: i64) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_AT {
            let window = self.window_ms;
            map.retain(|_, (_, since)| now - *since < window);
            if map.len() > SWEEP_AT / 2 {
                let max = self.max;
                map.retain(|_, (n, _)| *n >= max);
            }
        }
        let entry = map.entry(key).or_insert((0, now));
        if now - entry.1 >= self.window_ms {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets `key`'s failures (after a success).
    pub fn clear(&self, key: &K) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_until_the_window_ends() {
        let f = Failures::new(3, 1000);
        for t in [0, 10, 20] {
            assert!(!f.locked(&"a", t));
            f.fail("a", t);
        }
        assert_eq!(f.locked_for(&"a", 500), Some(500));
        assert!(!f.locked(&"b", 500));
        assert!(!f.locked(&"a", 1000));
        f.fail("a", 1000);
        assert!(
            !f.locked(&"a", 1001),
            "a new window starts from one failure"
        );
        f.clear(&"a");
        assert_eq!(f.locked_for(&"a", 1001), None);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_bounded_and_locked_keys_stay_locked() {
        let f = Failures::new(2, 60_000);
        f.fail(u64::MAX, 0);
        f.fail(u64::MAX, 0);
        for k in 0..(SWEEP_AT as u64 + 10) {
            f.fail(k, 1);
        }
        let kept = f.map.lock().map(|m| m.len()).unwrap_or(0);
        assert!(kept <= SWEEP_AT, "{kept}");
        assert!(f.locked(&u64::MAX, 2), "a locked key survives the flood");
    }
}
