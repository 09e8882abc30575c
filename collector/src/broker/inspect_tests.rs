//! The inspector on real packets (written by rumqttc, as the agent sends
//! them), whole and split at every byte boundary.

use bytes::BytesMut;
use rumqttc::mqttbytes::QoS;
use rumqttc::mqttbytes::v4::{PingReq, PubAck, Publish, Subscribe, Unsubscribe};

use super::*;

const MAX: usize = 64 * 1024;

fn publish(topic: &str, qos: QoS, payload: &[u8]) -> Vec<u8> {
    let mut p = Publish::new(topic, qos, payload.to_vec());
    p.pkid = u16::from(qos != QoS::AtMostOnce);
    let mut out = BytesMut::new();
    p.write(&mut out).unwrap();
    out.to_vec()
}

fn subscribe(filters: &[(&str, QoS)]) -> Vec<u8> {
    let mut s = Subscribe::new_many(
        filters
            .iter()
            .map(|(f, q)| rumqttc::mqttbytes::v4::SubscribeFilter::new(f.to_string(), *q)),
    );
    s.pkid = 7;
    let mut out = BytesMut::new();
    s.write(&mut out).unwrap();
    out.to_vec()
}

fn unsubscribe(topic: &str) -> Vec<u8> {
    let mut u = Unsubscribe::new(topic);
    u.pkid = 8;
    let mut out = BytesMut::new();
    u.write(&mut out).unwrap();
    out.to_vec()
}

fn others() -> Vec<u8> {
    let mut out = BytesMut::new();
    PubAck::new(3).write(&mut out).unwrap();
    PingReq.write(&mut out).unwrap();
    out.to_vec()
}

/// Feeds `stream` in two parts split at `at`, draining after each; returns
/// the bytes forwarded and the refusal, if any.
fn feed(stream: &[u8], at: usize) -> (Vec<u8>, Option<Violation>) {
    let inspector = Inspector::new("rx-a", MAX);
    let mut buf = BytesMut::new();
    let mut forwarded = Vec::new();
    for part in [&stream[..at], &stream[at..]] {
        buf.extend_from_slice(part);
        loop {
            match inspector.next(&mut buf) {
                Ok(Some(p)) => forwarded.extend_from_slice(&p),
                Ok(None) => break,
                Err(v) => return (forwarded, Some(v)),
            }
        }
    }
    (forwarded, None)
}

/// A receiver's ordinary session: status, batches, its done subscription.
fn allowed() -> Vec<u8> {
    let mut s = publish("cloudradar/v1/rx-a/status", QoS::AtLeastOnce, b"{}");
    s.extend(subscribe(&[("cloudradar/v1/rx-a/done", QoS::AtLeastOnce)]));
    s.extend(publish(
        "cloudradar/v1/rx-a/frames",
        QoS::AtLeastOnce,
        &[0x5a; 300],
    ));
    s.extend(others());
    s.extend(publish(
        "cloudradar/v1/rx-a/frames",
        QoS::AtMostOnce,
        b"CRB",
    ));
    s.extend(unsubscribe("cloudradar/v1/rx-a/done"));
    s
}

#[test]
fn an_allowed_session_passes_unchanged_at_every_split() {
    let stream = allowed();
    for at in 0..=stream.len() {
        let (forwarded, refused) = feed(&stream, at);
        assert_eq!(refused, None, "split at {at}");
        assert_eq!(forwarded, stream, "split at {at}");
    }
}

#[test]
fn a_refused_packet_is_never_forwarded_at_any_split() {
    let denied = |what: &'static str, topic: &str| Violation::Denied {
        what,
        topic: topic.to_string(),
    };
    let cases: Vec<(Vec<u8>, Violation)> = vec![
        (
            publish("cloudradar/v1/rx-b/frames", QoS::AtLeastOnce, b"CRB"),
            denied("publish", "cloudradar/v1/rx-b/frames"),
        ),
        (
            publish("cloudradar/v1/rx-a/done", QoS::AtLeastOnce, b"CRD"),
            denied("publish", "cloudradar/v1/rx-a/done"),
        ),
        (
            subscribe(&[("#", QoS::AtMostOnce)]),
            denied("subscribe", "#"),
        ),
        // One bad filter among good ones refuses the whole packet.
        (
            subscribe(&[
                ("cloudradar/v1/rx-a/done", QoS::AtLeastOnce),
                ("cloudradar/v1/rx-b/done", QoS::AtLeastOnce),
            ]),
            denied("subscribe", "cloudradar/v1/rx-b/done"),
        ),
        (
            subscribe(&[("cloudradar/v1/rx-a/done", QoS::ExactlyOnce)]),
            denied("subscribe", "cloudradar/v1/rx-a/done"),
        ),
        (
            unsubscribe("cloudradar/v1/rx-b/done"),
            denied("unsubscribe", "cloudradar/v1/rx-b/done"),
        ),
        // A second CONNECT (type 1).
        (
            vec![0x10, 0x0c, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 30, 0, 0],
            Violation::NotAllowed(1),
        ),
    ];
    let head = allowed();
    for (bad, expected) in cases {
        let mut stream = head.clone();
        stream.extend(&bad);
        stream.extend(others());
        for at in 0..=stream.len() {
            let (forwarded, refused) = feed(&stream, at);
            assert_eq!(forwarded, head, "split at {at}");
            assert_eq!(refused.as_ref(), Some(&expected), "split at {at}");
        }
    }
}

#[test]
fn malformed_and_oversized_headers_are_refused() {
    let cases: [(&[u8], &str); 5] = [
        // A remaining length of five bytes.
        (&[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], "malformed"),
        // About 200 MB announced.
        (&[0x32, 0x80, 0x80, 0x80, 0x60], "oversized"),
        // Type 15 (reserved) and a server's CONNACK.
        (&[0xf0, 0x00], "malformed"),
        (&[0x20, 0x02, 0x00, 0x00], "malformed"),
        // PUBLISH at QoS 3, and SUBSCRIBE with reserved flags 0.
        (&[0x36, 0x03, 0x00, 0x01, b'x'], "malformed"),
    ];
    for (bytes, reason) in cases {
        let (forwarded, refused) = feed(bytes, bytes.len());
        assert!(forwarded.is_empty());
        assert_eq!(refused.map(|v| v.reason()), Some(reason), "{bytes:02x?}");
    }
    let mut sub = subscribe(&[("cloudradar/v1/rx-a/done", QoS::AtLeastOnce)]);
    sub[0] = 0x80;
    assert_eq!(feed(&sub, 0).1.map(|v| v.reason()), Some("malformed"));
}

#[test]
fn a_whole_packet_waits_for_its_last_byte() {
    let p = publish("cloudradar/v1/rx-a/frames", QoS::AtLeastOnce, &[1; 1000]);
    let inspector = Inspector::new("rx-a", MAX);
    let mut buf = BytesMut::from(&p[..p.len() - 1]);
    assert_eq!(inspector.next(&mut buf), Ok(None));
    assert_eq!(buf.len(), p.len() - 1, "nothing consumed");
    buf.extend_from_slice(&p[p.len() - 1..]);
    assert_eq!(inspector.next(&mut buf).unwrap().as_deref(), Some(&p[..]));
    assert!(buf.is_empty());
}
