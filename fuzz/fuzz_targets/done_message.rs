#![no_main]
//! Delivery confirmation decoder: never panics; what decodes re-encodes to
//! the same bytes, and every range it names is contained.
use cloudradar_shared::wire::Done;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = Done::decode(data) {
        assert_eq!(d.encode(), data);
        for (first, last) in d.ranges() {
            assert!(d.contains(*first) && d.contains(*last));
        }
    }
});
