//! Polling a condition to a deadline.

use std::time::{Duration, Instant};

/// How often a condition is polled.
pub fn poll_interval() -> Duration {
    Duration::from_millis(20)
}

/// Polls `f` until it is true (returns `true`) or `timeout` passes
/// (returns `false`).
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(poll_interval());
    }
}

/// Polls a condition (a `FnMut() -> bool`) until it holds, panicking after
/// the timeout with what was awaited: the condition's source text, or the
/// message given after it.
///
/// ```
/// use std::time::Duration;
/// use cloudradar_test_support::wait_for;
///
/// let dir = std::env::temp_dir();
/// wait_for!(Duration::from_secs(10), || dir.exists());
/// let n = || 5;
/// wait_for!(Duration::from_secs(10), || n() >= 5, "5 batches stored, have {}", n());
/// ```
#[macro_export]
macro_rules! wait_for {
    ($timeout:expr, $cond:expr $(,)?) => {{
        let timeout: ::std::time::Duration = $timeout;
        if !$crate::wait_until(timeout, $cond) {
            panic!(
                "timed out after {timeout:?} waiting for: {}",
                stringify!($cond)
            );
        }
    }};
    ($timeout:expr, $cond:expr, $($what:tt)+) => {{
        let timeout: ::std::time::Duration = $timeout;
        if !$crate::wait_until(timeout, $cond) {
            panic!("timed out after {timeout:?} waiting for: {}", format!($($what)+));
        }
    }};
}
