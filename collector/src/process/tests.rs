//! Tests of the processor.

use super::*;
use cloudradar_shared::wire::WireFrame;

fn batch(seq: u64) -> Batch {
    Batch {
        receiver_id: "rx-a".into(),
        seq,
        created_ms: 1_000,
        frames: vec![WireFrame {
            rx_ms: 1_000,
            timestamp: 0,
            signal: 0,
            frame: cloudradar_shared::frame::Frame::new(&[
                0x5d, 0x4c, 0xa2, 0xd4, 0xce, 0x12, 0x34,
            ])
            .expect("frame"),
        }],
    }
}

/// Regression: a batch read again after a crash between its commit and
/// its Redis acknowledgement was processed afresh, handing out message
/// ids the store never wrote.
#[test]
fn batches_already_in_the_database_are_repeats_from_the_start() {
    let p = Processor::new(41, 1_000, Arc::default());
    let mut p = p.with_applied([("rx-a".to_string(), 7)]);
    let again = p.process(&batch(7), 2_000);
    assert!(again.repeat && again.messages.is_empty() && again.receptions.is_empty());
    let next = p.process(&batch(8), 2_000);
    assert!(!next.repeat);
    assert_eq!(next.receptions.len(), 1);
    assert_eq!(
        next.receptions[0].message_id, 42,
        "ids go on from the last one"
    );
}
