//! Who may log in: the collector itself always (with its generated
//! password), receivers with their credentials once the gate is open.
//! Passwords are compared in constant time.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::INTERNAL_USER;

/// Why a login was refused: the `reason` label of
/// `cloudradar_collector_mqtt_auth_refused_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not MQTT 3.1.1 (protocol name or level).
    Protocol,
    /// Receivers are not admitted yet (the collector is starting).
    ClosedAtStart,
    /// No such user (or not a receiver id, or the collector's own user).
    User,
    /// Wrong password.
    Password,
    /// The client id is not the user name.
    ClientId,
    /// Refused by the embedded broker's own check on its loopback port.
    Loopback,
}

impl Refusal {
    /// Every value, for registering the metric's series at start.
    pub const ALL: [Self; 6] = [
        Self::Protocol,
        Self::ClosedAtStart,
        Self::User,
        Self::Password,
        Self::ClientId,
        Self::Loopback,
    ];

    /// The metric label.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Protocol => "protocol",
            Self::ClosedAtStart => "closed_at_start",
            Self::User => "user",
            Self::Password => "password",
            Self::ClientId => "client_id",
            Self::Loopback => "loopback",
        }
    }
}

/// Who may connect: the collector itself always (with its generated
/// password); receivers only once `open` is set (after the collector's
/// subscription is in place, so no batch is published into the void at
/// start-up), with a matching password unless `credentials` is `None`
/// (anonymous: any password is accepted, but a login must be sent with
/// the receiver id as user name, as the agent and the simulator do).
#[derive(Debug, Clone)]
pub struct Access {
    /// The collector's own password.
    pub internal_password: String,
    /// Receiver credentials; `None` for anonymous access.
    pub credentials: Option<HashMap<String, String>>,
    /// Set once receivers may connect.
    pub open: Arc<AtomicBool>,
}

impl Access {
    /// Checks a user name and password.
    pub fn allows(&self, user: &str, password: &str) -> Result<(), Refusal> {
        if user == INTERNAL_USER {
            return ct_eq(self.internal_password.as_bytes(), password.as_bytes())
                .then_some(())
                .ok_or(Refusal::Password);
        }
        if !self.open.load(Ordering::Acquire) {
            return Err(Refusal::ClosedAtStart);
        }
        match &self.credentials {
            None => Ok(()),
            Some(map) => match map.get(user) {
                Some(expected) => ct_eq(expected.as_bytes(), password.as_bytes())
                    .then_some(())
                    .ok_or(Refusal::Password),
                None => Err(Refusal::User),
            },
        }
    }
}

/// Compares a secret with what a client sent, in time that depends only
/// on the secret's length: every byte is looked at, differences are
/// OR-ed together and the result is read once at the end.
pub fn ct_eq(secret: &[u8], given: &[u8]) -> bool {
    let mut diff = u8::from(secret.len() != given.len());
    for (i, s) in secret.iter().enumerate() {
        diff |= s ^ given.get(i).copied().unwrap_or(!s);
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison_is_equality() {
        assert!(ct_eq(b"secret", b"secret"));
        assert!(ct_eq(b"", b""));
        for given in [
            &b"secreT"[..],
            b"Secret",
            b"secre",
            b"secrets",
            b"",
            b"secret\0",
        ] {
            assert!(!ct_eq(b"secret", given), "{given:?}");
        }
        assert!(!ct_eq(b"", b"x"));
    }

    fn access(credentials: Option<&[(&str, &str)]>, open: bool) -> Access {
        Access {
            internal_password: "internal-pw".into(),
            credentials: credentials.map(|c| {
                c.iter()
                    .map(|(u, p)| (u.to_string(), p.to_string()))
                    .collect()
            }),
            open: Arc::new(AtomicBool::new(open)),
        }
    }

    #[test]
    fn refusals_name_their_reason() {
        let a = access(Some(&[("rx-a", "pw-a")]), true);
        assert_eq!(a.allows("rx-a", "pw-a"), Ok(()));
        assert_eq!(a.allows("rx-a", "pw-b"), Err(Refusal::Password));
        assert_eq!(a.allows("rx-a", "pw-a "), Err(Refusal::Password));
        assert_eq!(a.allows("rx-z", "pw-a"), Err(Refusal::User));
        assert_eq!(a.allows(INTERNAL_USER, "internal-pw"), Ok(()));
        assert_eq!(
            a.allows(INTERNAL_USER, "internal-p"),
            Err(Refusal::Password)
        );
        let closed = access(None, false);
        assert_eq!(closed.allows("rx-a", "x"), Err(Refusal::ClosedAtStart));
        assert_eq!(closed.allows(INTERNAL_USER, "internal-pw"), Ok(()));
        assert_eq!(access(None, true).allows("rx-a", "anything"), Ok(()));
    }
}
