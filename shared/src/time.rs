//! The wall clock, read in one place: every timestamp on the wire and in
//! the store is Unix time in milliseconds.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since the Unix epoch; zero if the clock is set before 1970 (a
/// board without a real-time clock before NTP), so callers never panic.
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// Unix time now in milliseconds.
pub fn now_ms() -> u64 {
    u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX)
}

/// Unix time now in microseconds.
pub fn now_us() -> u64 {
    u64::try_from(since_epoch().as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_after_2020_in_every_unit() {
        // 2020-01-01T00:00:00Z: any sane clock is past it.
        let ms = now_ms();
        assert!(ms > 1_577_836_800_000, "{ms}");
        let us = now_us();
        assert!(us / 1000 >= ms, "{us} µs before {ms} ms");
        assert!(since_epoch().as_secs() >= ms / 1000);
    }
}
