//! Bounds on connections that have not logged in yet: at most
//! `per_address` from one peer address (an IPv6 /64 counts as one) and
//! `total` in all. Anyone can open a TCP connection and send nothing; the
//! bound keeps such connections from using up the collector's file
//! descriptors and memory, and the per-address share keeps one peer from
//! taking the whole total. A [`Pending`] place is given back when the
//! connection logs in or ends.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// Connections not logged in yet, per address and in total.
#[derive(Debug)]
pub struct Admission {
    per_address: usize,
    total: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Why a new connection was closed at once: the `reason` label of
/// `cloudradar_collector_mqtt_connections_refused_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Its address has `per_address` connections waiting to log in.
    Address,
    /// `total` connections are waiting to log in.
    Total,
}

impl Full {
    /// The metric label.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Address => "address_limit",
            Self::Total => "total_limit",
        }
    }
}

/// A connection's place until it logs in or ends (given back on drop).
#[derive(Debug)]
pub struct Pending {
    admission: Arc<Admission>,
    key: IpAddr,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.total = state.total.saturating_sub(1);
        if let Some(n) = state.by_address.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                state.by_address.remove(&self.key);
            }
        }
    }
}

impl Admission {
    /// At most `per_address` waiting connections per address, `total` in all.
    pub fn new(per_address: usize, total: usize) -> Arc<Self> {
        Arc::new(Self {
            per_address,
            total,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection from `peer`, or why there is none.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Pending, Full> {
        let key = address_key(peer);
        let mut state = self.lock();
        if state.total >= self.total {
            return Err(Full::Total);
        }
        let n = state.by_address.entry(key).or_insert(0);
        if *n >= self.per_address {
            return Err(Full::Address);
        }
        *n += 1;
        state.total += 1;
        Ok(Pending {
            admission: self.clone(),
            key,
        })
    }

    /// Connections waiting to log in.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.lock().total
    }
}

/// The address a limit applies to: IPv4 (also when IPv4-mapped) as is,
/// IPv6 by its /64 (one subscriber's network).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn per_address_and_total_bounds_and_places_given_back() {
        let a = Admission::new(2, 3);
        let first = a.admit(ip("10.0.0.1")).expect("1st");
        let second = a.admit(ip("10.0.0.1")).expect("2nd");
        assert_eq!(a.admit(ip("10.0.0.1")).unwrap_err(), Full::Address);
        // IPv4-mapped IPv6 is the same peer.
        assert_eq!(a.admit(ip("::ffff:10.0.0.1")).unwrap_err(), Full::Address);
        let other = a.admit(ip("10.0.0.2")).expect("other address");
        assert_eq!(a.admit(ip("10.0.0.3")).unwrap_err(), Full::Total);
        assert_eq!(a.waiting(), 3);
        drop(first);
        let again = a.admit(ip("10.0.0.1")).expect("place given back");
        drop((second, other, again));
        assert_eq!(a.waiting(), 0);
        assert!(a.lock().by_address.is_empty());
    }

    #[test]
    fn an_ipv6_slash_64_is_one_address() {
        let a = Admission::new(1, 10);
        let _p = a.admit(ip("2001:db8:1:2::1")).expect("first");
        assert_eq!(
            a.admit(ip("2001:db8:1:2:ffff::9")).unwrap_err(),
            Full::Address
        );
        let _q = a.admit(ip("2001:db8:1:3::1")).expect("another /64");
    }
}
