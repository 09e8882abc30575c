#![no_main]
//! The collector gate's MQTT parser: CONNECT parsing and the packet
//! inspector never panic, never forward more than they were given, and
//! give the same verdict whether the bytes arrive at once or in pieces
//! (the first byte of the input chooses the piece size).
use cloudradar_shared::mqtt::packet::{Inspector, connect};
use libfuzzer_sys::fuzz_target;

fn own(topic: &str) -> bool {
    topic.starts_with("cloudradar/v1/rx-a/")
}

/// Feeds `data` in pieces of `step` bytes: (bytes forwarded, refusal).
fn feed(data: &[u8], step: usize) -> (usize, Option<String>) {
    let mut inspector = Inspector::new(4096, own);
    let mut buf: Vec<u8> = Vec::new();
    let mut forwarded = 0;
    for piece in data.chunks(step.max(1)) {
        buf.extend_from_slice(piece);
        let scan = inspector.scan(&buf);
        assert!(scan.forward <= buf.len());
        forwarded += scan.forward;
        buf.drain(..scan.forward);
        if let Some(v) = scan.refused {
            return (forwarded, Some(v.to_string()));
        }
    }
    (forwarded, None)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some((_, used))) = connect(data) {
        assert!(used <= data.len());
    }
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let whole = feed(rest, rest.len());
    let pieces = feed(rest, usize::from(first % 16) + 1);
    // A refusal is reported once its packet's header (and topic) is whole,
    // however the bytes arrived; before that, what is forwarded agrees.
    assert_eq!(whole.1, pieces.1);
    if whole.1.is_some() {
        assert_eq!(whole.0, pieces.0);
    }
});
