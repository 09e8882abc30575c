//! A client's CONNECT, read with rumqttc's `mqttbytes`, and the gate's
//! decision on it: MQTT 3.1.1 only, a receiver id as user name with its
//! password, the client id equal to the user name (so no client can take
//! over another's session, the collector's included), and a will only on
//! the receiver's own status topic.

use bytes::Bytes;
use cloudradar_shared::wire::valid_receiver_id;
use rumqttc::mqttbytes::v4::{ConnAck, Connect, ConnectReturnCode};
use rumqttc::mqttbytes::{Error as MqttError, PacketType, Protocol, check};

use super::access::{Access, Refusal};
use super::violation::Violation;
use super::{INTERNAL_USER, acl};

/// Largest CONNECT accepted: client id, will (a small status message),
/// user name and password fit many times over.
pub const MAX_CONNECT: usize = 64 * 1024;

/// What the first packet turned out to be.
#[derive(Debug)]
pub enum First {
    /// An MQTT 3.1.1 CONNECT.
    Connect(Box<Connect>),
    /// A CONNECT for another protocol version (answered with CONNACK 1).
    Unsupported,
}

/// Reads the CONNECT at the start of `buf`: `Ok(None)` until it is whole,
/// then what it is and its length. Anything else first is a violation
/// (MQTT 3.1.1 §3.1: the first packet is a CONNECT).
pub fn first_packet(buf: &[u8]) -> Result<Option<(First, usize)>, Violation> {
    let header = match check(buf.iter(), MAX_CONNECT) {
        Ok(h) => h,
        Err(MqttError::InsufficientBytes(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if header.packet_type().ok() != Some(PacketType::Connect)
        || buf.first().is_some_and(|b| b & 0x0f != 0)
    {
        return Err(Violation::Malformed("first packet is not CONNECT".into()));
    }
    let len = header.frame_length();
    let Some(bytes) = buf.get(..len) else {
        return Ok(None);
    };
    let first = match Connect::read(header, Bytes::copy_from_slice(bytes)) {
        Ok(c) if c.protocol == Protocol::V4 => First::Connect(Box::new(c)),
        Ok(_) | Err(MqttError::InvalidProtocolLevel(_) | MqttError::InvalidProtocol) => {
            First::Unsupported
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some((first, len)))
}

/// Why a CONNECT was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// The login (counted in `..._mqtt_auth_refused_total` by reason).
    Login(Refusal),
    /// A will outside the receiver's own status topic (an ACL denial).
    Will(String),
}

impl Refused {
    /// The CONNACK return code (MQTT 3.1.1 §3.2.2.3, table 3.1).
    pub fn code(&self) -> ConnectReturnCode {
        match self {
            Self::Login(Refusal::Protocol) => ConnectReturnCode::RefusedProtocolVersion,
            Self::Login(Refusal::ClientId) => ConnectReturnCode::BadClientId,
            Self::Login(_) => ConnectReturnCode::BadUserNamePassword,
            Self::Will(_) => ConnectReturnCode::NotAuthorized,
        }
    }

    /// The CONNACK that answers it.
    pub fn connack(&self) -> Vec<u8> {
        let mut out = bytes::BytesMut::new();
        // Writing a CONNACK into memory cannot fail.
        let _ = ConnAck::new(self.code(), false).write(&mut out);
        out.to_vec()
    }
}

/// Decides a CONNECT: the receiver id (its user name) when it may log in.
pub fn admit(access: &Access, c: &Connect) -> Result<String, Refused> {
    let (user, password) = c
        .login
        .as_ref()
        .map(|l| (l.username.as_str(), l.password.as_str()))
        .unwrap_or_default();
    // The collector's own user only connects to the loopback port.
    if user == INTERNAL_USER || !valid_receiver_id(user) {
        return Err(Refused::Login(Refusal::User));
    }
    access.allows(user, password).map_err(Refused::Login)?;
    if c.client_id != user {
        return Err(Refused::Login(Refusal::ClientId));
    }
    if let Some(will) = &c.last_will
        && !acl::may_will(user, &will.topic)
    {
        return Err(Refused::Will(will.topic.clone()));
    }
    Ok(user.to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    use bytes::BytesMut;
    use rumqttc::mqttbytes::QoS;
    use rumqttc::mqttbytes::v4::LastWill;

    use super::*;

    fn connect(client_id: &str, user: &str, password: &str, will: Option<&str>) -> Vec<u8> {
        let mut c = Connect::new(client_id);
        c.set_login(user, password);
        c.last_will = will.map(|t| LastWill::new(t, b"{}".to_vec(), QoS::AtLeastOnce, true));
        let mut out = BytesMut::new();
        c.write(&mut out).unwrap();
        out.to_vec()
    }

    fn access() -> Access {
        Access {
            internal_password: "internal".into(),
            credentials: Some(
                [("rx-a", "pw-a"), ("rx-b", "pw-b")]
                    .iter()
                    .map(|(u, p)| (u.to_string(), p.to_string()))
                    .collect(),
            ),
            open: Arc::new(AtomicBool::new(true)),
        }
    }

    fn decide(packet: &[u8]) -> Result<String, Refused> {
        match first_packet(packet).unwrap() {
            Some((First::Connect(c), len)) => {
                assert_eq!(len, packet.len());
                admit(&access(), &c)
            }
            other => panic!("not a CONNECT: {other:?}"),
        }
    }

    #[test]
    fn a_connect_is_read_only_once_whole() {
        let p = connect("rx-a", "rx-a", "pw-a", Some("cloudradar/v1/rx-a/status"));
        for at in 0..p.len() {
            assert!(first_packet(&p[..at]).unwrap().is_none(), "{at}");
        }
        assert_eq!(decide(&p), Ok("rx-a".into()));
    }

    #[test]
    fn the_client_id_must_be_the_user_name() {
        let login = |r| Err(Refused::Login(r));
        assert_eq!(
            decide(&connect("rx-b", "rx-a", "pw-a", None)),
            login(Refusal::ClientId)
        );
        assert_eq!(
            decide(&connect(INTERNAL_USER, "rx-a", "pw-a", None)),
            login(Refusal::ClientId)
        );
        assert_eq!(
            decide(&connect("", "rx-a", "pw-a", None)),
            login(Refusal::ClientId)
        );
        // Password before client id: a wrong password says nothing more.
        assert_eq!(
            decide(&connect("rx-b", "rx-a", "pw-b", None)),
            login(Refusal::Password)
        );
        assert_eq!(
            decide(&connect(INTERNAL_USER, INTERNAL_USER, "internal", None)),
            login(Refusal::User)
        );
        assert_eq!(
            decide(&connect(
                "rx-a",
                "rx-a",
                "pw-a",
                Some("cloudradar/v1/rx-b/status")
            )),
            Err(Refused::Will("cloudradar/v1/rx-b/status".into()))
        );
        assert_eq!(
            Refused::Login(Refusal::ClientId).connack(),
            vec![0x20, 2, 0, 2],
            "CONNACK identifier rejected"
        );
    }

    #[test]
    fn other_protocol_levels_and_first_packets() {
        let mut v5 = connect("rx-a", "rx-a", "pw-a", None);
        v5[8] = 5;
        assert!(matches!(
            first_packet(&v5),
            Ok(Some((First::Unsupported, _)))
        ));
        let mut v3 = v5.clone();
        v3[8] = 3;
        assert!(matches!(
            first_packet(&v3),
            Ok(Some((First::Unsupported, _)))
        ));
        assert!(first_packet(&[0x30, 0x00]).is_err(), "PUBLISH first");
        assert!(first_packet(&[0x11, 0x00]).is_err(), "CONNECT with flags");
        assert_eq!(
            first_packet(&[0x10, 0xff, 0xff, 0x7f])
                .unwrap_err()
                .reason(),
            "oversized"
        );
    }
}
