//! Follows a receiver's packets after its CONNECT and decides each one
//! before it goes to the broker: PUBLISH, SUBSCRIBE and UNSUBSCRIBE are
//! read with rumqttc's `mqttbytes` and checked against [`super::acl`];
//! acknowledgements, pings and DISCONNECT pass; anything else closes the
//! connection. No I/O: the gate feeds it the bytes as they arrive and
//! forwards the packets it returns, byte for byte as the client sent them.

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::v4::{Publish, Subscribe, Unsubscribe};
use rumqttc::mqttbytes::{Error as MqttError, FixedHeader, PacketType, check};

use super::acl;
use super::violation::Violation;

/// SUBSCRIBE and UNSUBSCRIBE carry these fixed-header flags (MQTT 3.1.1
/// §3.8.1, §3.10.1).
const SUBSCRIBE_FLAGS: u8 = 0b0010;

/// The decisions for one logged-in receiver.
#[derive(Debug)]
pub struct Inspector {
    user: String,
    max_remaining: usize,
}

impl Inspector {
    /// For `user` (its receiver id); packets with a remaining length over
    /// `max_remaining` are refused.
    pub fn new(user: &str, max_remaining: usize) -> Self {
        Self {
            user: user.to_string(),
            max_remaining,
        }
    }

    /// Takes the packet at the head of `buf` when it is whole and allowed:
    /// `Ok(None)` until more bytes are needed, `Err` when it is refused
    /// (then nothing of it may be forwarded).
    pub fn next(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, Violation> {
        let header = match check(buf.iter(), self.max_remaining) {
            Ok(h) => h,
            Err(MqttError::InsufficientBytes(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let len = header.frame_length();
        if len > buf.len() {
            return Ok(None);
        }
        let packet = buf.split_to(len).freeze();
        self.decide(header, packet.clone())?;
        Ok(Some(packet))
    }

    fn decide(&self, header: FixedHeader, packet: Bytes) -> Result<(), Violation> {
        let first = packet.first().copied().unwrap_or(0);
        match header.packet_type()? {
            PacketType::Publish => {
                let p = Publish::read(header, packet)?;
                self.allow("publish", &p.topic, acl::may_publish(&self.user, &p.topic))
            }
            PacketType::Subscribe => {
                flags(first)?;
                let s = Subscribe::read(header, packet)?;
                s.filters.iter().try_for_each(|f| {
                    let ok = acl::may_subscribe(&self.user, &f.path, f.qos as u8);
                    self.allow("subscribe", &f.path, ok)
                })
            }
            PacketType::Unsubscribe => {
                flags(first)?;
                let u = Unsubscribe::read(header, packet)?;
                if u.topics.is_empty() {
                    return Err(Violation::Malformed("UNSUBSCRIBE without a topic".into()));
                }
                u.topics.iter().try_for_each(|t| {
                    self.allow("unsubscribe", t, acl::may_unsubscribe(&self.user, t))
                })
            }
            PacketType::PubAck
            | PacketType::PubRec
            | PacketType::PubRel
            | PacketType::PubComp
            | PacketType::PingReq
            | PacketType::Disconnect => Ok(()),
            PacketType::Connect => Err(Violation::NotAllowed(first >> 4)),
            PacketType::ConnAck
            | PacketType::SubAck
            | PacketType::UnsubAck
            | PacketType::PingResp => Err(Violation::Malformed(
                "packet type not sent by clients".into(),
            )),
        }
    }

    fn allow(&self, what: &'static str, topic: &str, ok: bool) -> Result<(), Violation> {
        if ok {
            return Ok(());
        }
        Err(Violation::Denied {
            what,
            topic: topic.to_string(),
        })
    }
}

fn flags(first: u8) -> Result<(), Violation> {
    if first & 0x0f == SUBSCRIBE_FLAGS {
        Ok(())
    } else {
        Err(Violation::Malformed(
            "reserved flags of (UN)SUBSCRIBE".into(),
        ))
    }
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
