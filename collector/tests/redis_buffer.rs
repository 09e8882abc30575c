//! The Redis Streams buffer against a real redis-server.

mod support;

use cloudradar_collector::buffer::redis::Stream;
use support::*;

/// Regression: a pending entry whose data was gone (deleted or trimmed)
/// was skipped without being acknowledged, so it stayed pending for good,
/// and a hundred of them hid the real pending entries from every start.
#[test]
fn a_pending_entry_without_its_batch_is_acknowledged_and_the_rest_still_read() {
    let server = Redis::start();
    let url = server.url();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut buf = Stream::connect(&url, "s", "c", 1_000)
            .await
            .expect("connect");
        for seq in 1..=3u64 {
            buf.push("rx-a", seq, &[seq as u8; 4]).await.expect("push");
        }
        let read = buf.read(100, 10, false).await.expect("read new");
        assert_eq!(read.len(), 3);
        // The data of the first is deleted while it is pending.
        let mut conn = redis::Client::open(url.as_str())
            .expect("client")
            .get_multiplexed_async_connection()
            .await
            .expect("conn");
        let _: i64 = redis::cmd("XDEL")
            .arg("s")
            .arg(&read[0].receipt)
            .query_async(&mut conn)
            .await
            .expect("xdel");
        // Read again as after a restart: the others, and nothing stays stuck.
        let pending = buf.read(100, 10, true).await.expect("read pending");
        let ids: Vec<&String> = pending.iter().map(|e| &e.receipt).collect();
        assert_eq!(ids, vec![&read[1].receipt, &read[2].receipt]);
        assert_eq!(buf.pending().await.expect("pending"), 2);
        buf.ack(&[read[1].receipt.clone(), read[2].receipt.clone()])
            .await
            .expect("ack");
        assert_eq!(buf.pending().await.expect("pending"), 0);
        assert_eq!(
            buf.len().await.expect("len"),
            0,
            "acknowledged means deleted"
        );
    });
}
