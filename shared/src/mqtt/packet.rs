//! Just enough of MQTT 3.1.1 (OASIS standard, 29 October 2014) to police
//! what a client sends: the fixed header of every packet (§2.2), the whole
//! CONNECT (§3.1) and the topic name at the head of a PUBLISH (§3.3.2.1).
//! Everything else — payloads, packet ids, acknowledgements — passes
//! through unread. No I/O: the gate feeds it bytes as they arrive.

use thiserror::Error;

/// CONNECT packet type (§2.2.1, table 2.1).
const CONNECT: u8 = 1;
/// CONNACK packet type.
const CONNACK: u8 = 2;
/// PUBLISH packet type.
const PUBLISH: u8 = 3;
/// SUBSCRIBE packet type.
const SUBSCRIBE: u8 = 8;
/// UNSUBSCRIBE packet type.
const UNSUBSCRIBE: u8 = 10;

/// Largest CONNECT accepted: client id, will (a small status message),
/// username and password fit many times over.
pub const MAX_CONNECT: usize = 64 * 1024;

/// Why a client's bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Violation {
    /// Not MQTT 3.1.1 as the standard writes it.
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
    /// Remaining length above the limit.
    #[error("packet of {0} bytes is over the limit")]
    Oversized(usize),
    /// A packet this gate never forwards (SUBSCRIBE, a second CONNECT, ...).
    #[error("packet type {0} not allowed from a receiver")]
    NotAllowed(u8),
    /// PUBLISH on a topic outside the user's own.
    #[error("publish on {topic} refused")]
    Topic {
        /// The topic the client tried.
        topic: String,
    },
}

impl Violation {
    /// Metric label for the gate's rejection counter (ACL denials are
    /// counted apart, per receiver).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Oversized(_) => "oversized",
            Self::NotAllowed(_) => "not_allowed",
            Self::Topic { .. } => "acl",
        }
    }
}

/// A fixed header (§2.2): type, flags, and where the packet ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Packet type, the high nibble of byte 1.
    pub kind: u8,
    /// Flags, the low nibble of byte 1.
    pub flags: u8,
    /// Bytes of the fixed header (2 to 5).
    pub len: usize,
    /// Remaining length: bytes after the fixed header.
    pub remaining: usize,
}

impl Header {
    /// Whole packet length.
    pub fn total(&self) -> usize {
        self.len + self.remaining
    }
}

/// Parses a fixed header: `Ok(None)` until enough bytes are there. The
/// remaining length is a varint of at most four bytes (§2.2.3).
pub fn header(buf: &[u8], max_remaining: usize) -> Result<Option<Header>, Violation> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let mut remaining = 0usize;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        remaining |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if remaining > max_remaining {
                return Err(Violation::Oversized(remaining));
            }
            return Ok(Some(Header {
                kind: first >> 4,
                flags: first & 0x0f,
                len: 2 + i,
                remaining,
            }));
        }
    }
    Err(Violation::Malformed("remaining length over four bytes"))
}

/// A cursor over one packet's bytes that never reads past its end.
#[derive(Debug)]
struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Violation> {
        if n > self.buf.len() {
            return Err(Violation::Malformed("field runs past the packet"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Violation> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }

    fn u16(&mut self) -> Result<u16, Violation> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ]))
    }

    /// Length-prefixed binary data (§1.5.3).
    fn binary(&mut self) -> Result<&'a [u8], Violation> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// Length-prefixed UTF-8 string (§1.5.3).
    fn string(&mut self) -> Result<&'a str, Violation> {
        std::str::from_utf8(self.binary()?).map_err(|_| Violation::Malformed("string not UTF-8"))
    }
}

/// What the gate needs from a CONNECT (§3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// Protocol level: 4 for MQTT 3.1.1 (§3.1.2.2).
    pub level: u8,
    /// Client identifier.
    pub client_id: String,
    /// Will topic, when the will flag is set.
    pub will_topic: Option<String>,
    /// User name, when its flag is set.
    pub username: Option<String>,
    /// Password, when its flag is set.
    pub password: Option<Vec<u8>>,
}

/// Parses the CONNECT at the start of `buf`: `Ok(None)` until the whole
/// packet is there, then the packet and its length. Anything else first is
/// a violation (§3.1: the first packet must be CONNECT). A level other
/// than 4 is returned, not refused, so the caller can answer with the
/// CONNACK the standard asks for (§3.1.2.2).
pub fn connect(buf: &[u8]) -> Result<Option<(Connect, usize)>, Violation> {
    let Some(h) = header(buf, MAX_CONNECT)? else {
        return Ok(None);
    };
    if h.kind != CONNECT || h.flags != 0 {
        return Err(Violation::Malformed("first packet is not CONNECT"));
    }
    let Some(body) = buf.get(h.len..h.total()) else {
        return Ok(None);
    };
    let mut r = Reader { buf: body };
    if r.string()? != "MQTT" {
        return Err(Violation::Malformed("protocol name is not MQTT"));
    }
    let level = r.u8()?;
    if level != 4 {
        return Ok(Some((
            Connect {
                level,
                client_id: String::new(),
                will_topic: None,
                username: None,
                password: None,
            },
            h.total(),
        )));
    }
    // §3.1.2.3: bit 0 reserved, 1 clean session, 2 will, 3-4 will QoS,
    // 5 will retain, 6 password, 7 user name.
    let flags = r.u8()?;
    let will = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 0x03;
    if flags & 0x01 != 0 {
        return Err(Violation::Malformed("reserved connect flag set"));
    }
    if will_qos == 3 || (!will && (will_qos != 0 || flags & 0x20 != 0)) {
        return Err(Violation::Malformed("will QoS or retain without a will"));
    }
    let has_user = flags & 0x80 != 0;
    let has_password = flags & 0x40 != 0;
    if has_password && !has_user {
        return Err(Violation::Malformed("password without user name"));
    }
    let _keep_alive = r.u16()?;
    let client_id = r.string()?.to_string();
    let will_topic = if will {
        let topic = r.string()?.to_string();
        let _message = r.binary()?;
        Some(topic)
    } else {
        None
    };
    let username = if has_user {
        Some(r.string()?.to_string())
    } else {
        None
    };
    let password = if has_password {
        Some(r.binary()?.to_vec())
    } else {
        None
    };
    if !r.buf.is_empty() {
        return Err(Violation::Malformed("bytes after the CONNECT payload"));
    }
    Ok(Some((
        Connect {
            level,
            client_id,
            will_topic,
            username,
            password,
        },
        h.total(),
    )))
}

/// A CONNACK (§3.2) with `code`: 1 unacceptable protocol level, 4 bad user
/// name or password, 5 not authorised.
pub fn connack(code: u8) -> [u8; 4] {
    [CONNACK << 4, 2, 0, code]
}

/// Follows a client's packets after its CONNECT, deciding how many of the
/// bytes seen so far may go to the broker. Payloads are skipped by
/// length; only fixed headers and PUBLISH topics are read.
#[derive(Debug)]
pub struct Inspector<F> {
    /// Bytes of the current packet still to pass unread.
    skip: usize,
    max_remaining: usize,
    topic_allowed: F,
}

/// The outcome of [`Inspector::scan`].
#[derive(Debug, PartialEq, Eq)]
pub struct Scan {
    /// Bytes at the front of the buffer that may be forwarded.
    pub forward: usize,
    /// Set when the packet after those bytes is refused: close the
    /// connection without forwarding it.
    pub refused: Option<Violation>,
}

impl<F: Fn(&str) -> bool> Inspector<F> {
    /// `topic_allowed` says whether the client may publish on a topic;
    /// packets with a remaining length over `max_remaining` are refused.
    pub fn new(max_remaining: usize, topic_allowed: F) -> Self {
        Self {
            skip: 0,
            max_remaining,
            topic_allowed,
        }
    }

    /// Scans `buf`, which starts where the previous call's `forward`
    /// ended. Bytes past `forward` (an incomplete header or topic) must be
    /// passed again, with more after them, on the next call.
    pub fn scan(&mut self, buf: &[u8]) -> Scan {
        let mut pos = 0;
        loop {
            let left = buf.len() - pos;
            if self.skip > 0 {
                let n = self.skip.min(left);
                pos += n;
                self.skip -= n;
                if self.skip > 0 {
                    return Scan {
                        forward: pos,
                        refused: None,
                    };
                }
            }
            let rest = buf.get(pos..).unwrap_or_default();
            match self.packet(rest) {
                Ok(Some(total)) => self.skip = total,
                Ok(None) => {
                    return Scan {
                        forward: pos,
                        refused: None,
                    };
                }
                Err(v) => {
                    return Scan {
                        forward: pos,
                        refused: Some(v),
                    };
                }
            }
        }
    }

    /// Decides the packet at the head of `buf`: its length when allowed,
    /// `None` when more bytes are needed to decide.
    fn packet(&self, buf: &[u8]) -> Result<Option<usize>, Violation> {
        let Some(h) = header(buf, self.max_remaining)? else {
            return Ok(None);
        };
        match h.kind {
            PUBLISH => {
                if (h.flags >> 1) & 0x03 == 3 {
                    return Err(Violation::Malformed("PUBLISH with QoS 3"));
                }
                let Some(len) = buf.get(h.len..h.len + 2) else {
                    return Ok(None);
                };
                let topic_len = usize::from(u16::from_be_bytes([
                    len.first().copied().unwrap_or(0),
                    len.get(1).copied().unwrap_or(0),
                ]));
                if 2 + topic_len > h.remaining {
                    return Err(Violation::Malformed("topic runs past the packet"));
                }
                let start = h.len + 2;
                let Some(topic) = buf.get(start..start + topic_len) else {
                    return Ok(None);
                };
                let topic = std::str::from_utf8(topic)
                    .map_err(|_| Violation::Malformed("topic not UTF-8"))?;
                if !(self.topic_allowed)(topic) {
                    return Err(Violation::Topic {
                        topic: topic.to_string(),
                    });
                }
                Ok(Some(h.total()))
            }
            // PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ, DISCONNECT.
            4..=7 | 12 | 14 => Ok(Some(h.total())),
            CONNECT | SUBSCRIBE | UNSUBSCRIBE => Err(Violation::NotAllowed(h.kind)),
            // Reserved (0, 15) or server-to-client only (§2.2.1).
            _ => Err(Violation::Malformed("packet type not sent by clients")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn string(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s);
    }

    fn packet(first: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        let mut n = body.len();
        loop {
            let mut b = (n % 128) as u8;
            n /= 128;
            if n > 0 {
                b |= 0x80;
            }
            out.push(b);
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(body);
        out
    }

    fn connect_packet(will: Option<&str>, user: Option<&str>, password: Option<&str>) -> Vec<u8> {
        let mut body = Vec::new();
        string(&mut body, b"MQTT");
        body.push(4);
        let mut flags = 0x02;
        if will.is_some() {
            flags |= 0x04 | 0x08 | 0x20;
        }
        if user.is_some() {
            flags |= 0x80;
        }
        if password.is_some() {
            flags |= 0x40;
        }
        body.push(flags);
        body.extend_from_slice(&20u16.to_be_bytes());
        string(&mut body, b"rx-a");
        if let Some(w) = will {
            string(&mut body, w.as_bytes());
            string(&mut body, br#"{"state":"offline"}"#);
        }
        if let Some(u) = user {
            string(&mut body, u.as_bytes());
        }
        if let Some(p) = password {
            string(&mut body, p.as_bytes());
        }
        packet(CONNECT << 4, &body)
    }

    fn publish(topic: &str, qos: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        string(&mut body, topic.as_bytes());
        if qos > 0 {
            body.extend_from_slice(&7u16.to_be_bytes());
        }
        body.extend_from_slice(payload);
        packet((PUBLISH << 4) | (qos << 1), &body)
    }

    fn own(topic: &str) -> bool {
        topic.starts_with("cloudradar/v1/rx-a/")
    }

    #[test]
    fn connect_yields_user_password_and_will_topic() {
        let bytes = connect_packet(Some("cloudradar/v1/rx-a/status"), Some("rx-a"), Some("pw"));
        let (c, len) = connect(&bytes).unwrap().unwrap();
        assert_eq!(len, bytes.len());
        assert_eq!(c.level, 4);
        assert_eq!(c.client_id, "rx-a");
        assert_eq!(c.will_topic.as_deref(), Some("cloudradar/v1/rx-a/status"));
        assert_eq!(c.username.as_deref(), Some("rx-a"));
        assert_eq!(c.password.as_deref(), Some(&b"pw"[..]));
        for n in 0..bytes.len() {
            assert_eq!(connect(&bytes[..n]), Ok(None), "prefix of {n} bytes");
        }
        let anonymous = connect_packet(None, None, None);
        let (c, _) = connect(&anonymous).unwrap().unwrap();
        assert_eq!((c.username, c.will_topic), (None, None));
    }

    #[test]
    fn malformed_connects_are_refused() {
        let mut password_only = connect_packet(None, None, Some("pw"));
        assert!(connect(&password_only).is_err());
        password_only[0] = PUBLISH << 4;
        assert!(connect(&password_only).is_err(), "not CONNECT first");
        let mut reserved = connect_packet(None, Some("rx-a"), None);
        reserved[9] |= 0x01;
        assert!(connect(&reserved).is_err());
        // A remaining length one byte short of the payload.
        let mut short = connect_packet(None, Some("rx-a"), Some("pw"));
        short[1] -= 1;
        short.pop();
        assert!(connect(&short).is_err());
        assert_eq!(
            connect(&[0x10, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(Violation::Malformed("remaining length over four bytes"))
        );
        assert_eq!(
            connect(&[0x10, 0xff, 0xff, 0x7f]),
            Err(Violation::Oversized(2_097_151))
        );
    }

    #[test]
    fn publishes_pass_only_on_allowed_topics() {
        let mut stream = publish("cloudradar/v1/rx-a/frames", 1, &[0xab; 3000]);
        stream.extend_from_slice(&[0x40, 2, 0, 7]); // PUBACK
        stream.extend_from_slice(&[0xc0, 0]); // PINGREQ
        let allowed = stream.len();
        stream.extend(publish("cloudradar/v1/rx-b/frames", 1, b"forged"));
        stream.extend(publish("cloudradar/v1/rx-a/status", 0, b"never reached"));
        let mut i = Inspector::new(1 << 20, own);
        let scan = i.scan(&stream);
        assert_eq!(scan.forward, allowed);
        assert_eq!(
            scan.refused,
            Some(Violation::Topic {
                topic: "cloudradar/v1/rx-b/frames".into()
            })
        );
    }

    #[test]
    fn subscribe_qos3_and_oversized_packets_are_refused() {
        let mut sub = Vec::new();
        sub.extend_from_slice(&1u16.to_be_bytes());
        string(&mut sub, b"cloudradar/v1/#");
        sub.push(1);
        let sub = packet((SUBSCRIBE << 4) | 2, &sub);
        let own_topic = publish("cloudradar/v1/rx-a/frames", 0, b"x");
        let mut qos3 = own_topic.clone();
        qos3[0] |= 0x06;
        let big = publish("cloudradar/v1/rx-a/frames", 1, &[0; 2000]);
        for (bytes, reason) in [
            (sub, "not_allowed"),
            (qos3, "malformed"),
            (big, "oversized"),
            (connect_packet(None, Some("rx-a"), None), "not_allowed"),
            (vec![0x20, 2, 0, 0], "malformed"), // CONNACK from a client
        ] {
            let scan = Inspector::new(1000, own).scan(&bytes);
            assert_eq!(scan.forward, 0);
            assert_eq!(scan.refused.map(|v| v.reason()), Some(reason));
        }
    }

    /// Every packet arriving one byte at a time: the same bytes forwarded,
    /// nothing of a refused packet, and never a decision before its header
    /// and topic are complete.
    #[test]
    fn split_reads_one_byte_at_a_time_forward_the_same_bytes() {
        let mut stream = Vec::new();
        for n in [0, 1, 126, 127, 128, 16_383, 16_384, 70_000] {
            stream.extend(publish("cloudradar/v1/rx-a/frames", 1, &vec![0x5a; n]));
            stream.extend_from_slice(&[0x40, 2, 0, 7]);
        }
        let allowed = stream.len();
        stream.extend(publish("cloudradar/v1/rx-b/status", 1, b"forged"));
        let mut i = Inspector::new(1 << 20, own);
        let mut pending: Vec<u8> = Vec::new();
        let mut forwarded = 0;
        let mut refused = None;
        for &b in &stream {
            pending.push(b);
            let scan = i.scan(&pending);
            forwarded += scan.forward;
            pending.drain(..scan.forward);
            if scan.refused.is_some() {
                refused = scan.refused;
                break;
            }
        }
        assert_eq!(forwarded, allowed);
        assert_eq!(refused.map(|v| v.reason()), Some("acl"));
    }

    /// Random bytes, fed whole and in random pieces, never panic; the
    /// inspector never forwards more than it was given.
    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let len = (next() % 300) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Often start from a plausible first byte so parsing goes deep.
            if let Some(first) = bytes.first_mut() {
                *first = [0x10, 0x30, 0x32, 0x40, 0xc0, next() as u8][(next() % 6) as usize];
            }
            let _ = connect(&bytes);
            let _ = header(&bytes, 1 << 20);
            let mut i = Inspector::new(1 << 20, own);
            let mut pending: Vec<u8> = Vec::new();
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                let n = (1 + next() % 40).min(rest.len() as u64) as usize;
                pending.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                let scan = i.scan(&pending);
                assert!(scan.forward <= pending.len());
                pending.drain(..scan.forward);
                if scan.refused.is_some() {
                    break;
                }
            }
        }
    }
}
