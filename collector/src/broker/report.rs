//! How the gate reports what it refuses: client-supplied strings are
//! escaped and shortened before they reach a log line (a newline in a
//! client id cannot forge a line), and refused logins, which anyone can
//! cause, are logged at most once a second with the count left out.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Characters of a client-supplied string shown in a log line.
const SHOWN_CHARS: usize = 100;

/// `s` as a log field: control characters, quotes and non-ASCII escaped
/// (`escape_debug`), cut after [`SHOWN_CHARS`] characters.
pub fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(SHOWN_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Allows one log line per `interval`, counting the ones it holds back.
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl RateLimit {
    /// A limit of one line per `interval`.
    pub const fn new(interval: Duration) -> Self {
        Self {
            interval,
            state: Mutex::new((None, 0)),
        }
    }

    /// `Some(suppressed)` when a line may be logged at `now` (with the
    /// number held back since the last one), `None` when it is held back.
    pub fn admit(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, suppressed) = &mut *state;
        match last {
            Some(t) if now.saturating_duration_since(*t) < self.interval => {
                *suppressed += 1;
                None
            }
            _ => {
                *last = Some(now);
                Some(std::mem::take(suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newline_in_a_client_string_cannot_start_a_log_line() {
        let forged = "rx-a\n2030-01-01T00:00:00Z  INFO login accepted receiver=rx-b\r";
        let s = shown(forged);
        assert!(!s.contains('\n') && !s.contains('\r'), "{s}");
        assert!(s.starts_with("rx-a\\n2030"), "{s}");
        assert_eq!(shown("rx-\u{1b}[31m"), "rx-\\u{1b}[31m");
        assert_eq!(shown("rx-a"), "rx-a");
        let long = "x".repeat(10_000);
        assert_eq!(shown(&long).chars().count(), SHOWN_CHARS + 1);
    }

    #[test]
    fn one_line_per_interval_and_the_rest_counted() {
        let limit = RateLimit::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(limit.admit(t0), Some(0));
        for ms in [1, 10, 500, 999] {
            assert_eq!(limit.admit(t0 + Duration::from_millis(ms)), None);
        }
        assert_eq!(limit.admit(t0 + Duration::from_millis(1_000)), Some(4));
        assert_eq!(limit.admit(t0 + Duration::from_millis(1_500)), None);
        assert_eq!(limit.admit(t0 + Duration::from_millis(2_100)), Some(1));
    }
}
