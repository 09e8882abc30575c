#![no_main]
//! Batch decoder, versions 1 and 2: never panics; what decodes re-encodes
//! (in the current version and in version 1) to an equal batch.
use cloudradar_shared::wire::{Limits, decode, encode, encode_v1};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = decode(data, &Limits::default()) {
        assert_eq!(decode(&encode(&b), &Limits::default()).ok(), Some(b.clone()));
        assert_eq!(decode(&encode_v1(&b), &Limits::default()).ok(), Some(b));
    }
});
