#![no_main]
//! Recording line parser: never panics.
use cloudradar_shared::format::csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = csv::parse_line(s);
    }
});
