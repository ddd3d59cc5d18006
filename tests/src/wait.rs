//! Waiting for replicas to converge without sleeping: re-check a condition whenever a store commits.

use std::future::Future;
use std::time::Duration;

use replica_store::Store;

/// Re-evaluates `check` after every commit of any of `stores` until it returns `Some`, or fails
/// after `timeout` (a bounded wait: a test that never converges fails instead of hanging).
pub async fn until<T, F, Fut>(stores: &[&Store], timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut watches: Vec<_> = stores.iter().map(|s| s.committed()).collect();
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        let changed =
            futures::future::select_all(watches.iter_mut().map(|w| Box::pin(w.changed())));
        // Link state is not a commit: look again at least every 200 ms.
        let step = (tokio::time::Instant::now() + Duration::from_millis(200)).min(deadline);
        let _ = tokio::time::timeout_at(step, changed).await;
        if tokio::time::Instant::now() >= deadline {
            return check().await;
        }
    }
}
