#![no_main]
//! Batch decoder: never panics; what decodes re-encodes to an equal batch.
use cloudradar_shared::wire::{Limits, decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = decode(data, &Limits::default()) {
        assert_eq!(decode(&encode(&b), &Limits::default()).ok(), Some(b));
    }
});
