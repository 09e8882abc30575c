#![no_main]
//! AVR stream parser: never panics, always makes progress.
use cloudradar_shared::format::{Scan, avr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Scan::Frame(_, n) | Scan::ModeAc(_, n) | Scan::Garbage(n) = avr::scan(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
    }
});
