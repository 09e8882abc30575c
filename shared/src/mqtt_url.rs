//! The one reading of a broker URL (`mqtt_url`, `agents_mqtt`) for every
//! binary: `mqtt://host[:port]` (also `tcp://`, or a bare `host[:port]`;
//! port 1883) and `mqtts://host[:port]` (also `ssl://`; TLS, port 8883).
//! IPv6 addresses go in brackets (`mqtt://[::1]:1884`). Credentials in the
//! URL are refused: they belong in their own settings, where they are
//! masked when printed.

use std::fmt;
use std::net::Ipv6Addr;

/// Port of a plain MQTT broker.
pub const MQTT_PORT: u16 = 1883;
/// Port of an MQTT broker over TLS.
pub const MQTTS_PORT: u16 = 8883;

/// Where a broker is and whether to speak TLS to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttUrl {
    /// Host name or IP address (an IPv6 address without its brackets, as
    /// socket and TLS name lookups take it).
    pub host: String,
    /// TCP port (never 0).
    pub port: u16,
    /// `mqtts://` or `ssl://`.
    pub tls: bool,
}

/// Why a broker URL was refused. The URL itself is left out (it may hold
/// a password); the caller names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MqttUrlError {
    /// Not one of `mqtt`, `tcp`, `mqtts`, `ssl`.
    #[error("unsupported scheme {0:?} (mqtt://, mqtts://)")]
    Scheme(String),
    /// `user:password@` in the URL.
    #[error("credentials in the URL are not used; set the username and password settings")]
    Credentials,
    /// Nothing before the port.
    #[error("no host")]
    NoHost,
    /// A host with characters no host name or address has, or an IPv6
    /// address outside brackets.
    #[error("bad host {0:?}")]
    Host(String),
    /// A port that is not a number in 1..=65535.
    #[error("bad port {0:?}")]
    Port(String),
    /// Anything after the authority but a trailing `/`.
    #[error("unexpected path {0:?}: a broker URL names only host and port")]
    Path(String),
}

impl MqttUrl {
    /// Parses a broker URL; see the module documentation for the forms.
    pub fn parse(url: &str) -> Result<Self, MqttUrlError> {
        // First, before any part is quoted back: a password may hold `/`.
        if url.contains('@') {
            return Err(MqttUrlError::Credentials);
        }
        let (tls, rest) = split_scheme(url)?;
        let authority = rest.trim_end_matches('/');
        if let Some(i) = authority.find(['/', '?', '#']) {
            return Err(MqttUrlError::Path(authority[i..].to_string()));
        }
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            None => default_port(tls),
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(MqttUrlError::Port(p.to_string())),
            },
        };
        Ok(Self {
            host: host.to_string(),
            port,
            tls,
        })
    }
}

/// Writes the URL back in its canonical form (`mqtts://[::1]:8883`), which
/// [`MqttUrl::parse`] reads as the same value.
impl fmt::Display for MqttUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

fn default_port(tls: bool) -> u16 {
    if tls { MQTTS_PORT } else { MQTT_PORT }
}

/// `(tls, after "scheme://")`; a URL without a scheme is plain MQTT.
fn split_scheme(url: &str) -> Result<(bool, &str), MqttUrlError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok((false, url));
    };
    // Schemes are case-insensitive (RFC 3986 §3.1).
    match scheme.to_ascii_lowercase().as_str() {
        "mqtt" | "tcp" => Ok((false, rest)),
        "mqtts" | "ssl" => Ok((true, rest)),
        _ => Err(MqttUrlError::Scheme(scheme.to_string())),
    }
}

/// `host[:port]` or `[v6]:port` into the host and the port text, if any.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), MqttUrlError> {
    let bad_host = || MqttUrlError::Host(authority.to_string());
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(bad_host)?;
        host.parse::<Ipv6Addr>().map_err(|_| bad_host())?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(bad_host()),
            },
        };
    }
    if authority.matches(':').count() > 1 {
        return Err(bad_host());
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(MqttUrlError::NoHost);
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    if !host.chars().all(allowed) {
        return Err(bad_host());
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> (String, u16, bool) {
        let u = MqttUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (u.host, u.port, u.tls)
    }

    fn t(host: &str, port: u16, tls: bool) -> (String, u16, bool) {
        (host.to_string(), port, tls)
    }

    #[test]
    fn mqtts_with_its_port_is_host_port_and_tls() {
        // Regression: the collector's parser read host "mqtts://b".
        assert_eq!(ok("mqtts://b:8883"), t("b", 8883, true));
    }

    #[test]
    fn schemes_choose_tls_and_the_default_port() {
        assert_eq!(ok("mqtt://h"), t("h", 1883, false));
        assert_eq!(ok("tcp://h"), t("h", 1883, false));
        assert_eq!(ok("h"), t("h", 1883, false));
        assert_eq!(ok("mqtts://h"), t("h", 8883, true));
        assert_eq!(ok("ssl://h/"), t("h", 8883, true));
        assert_eq!(ok("MQTTS://h"), t("h", 8883, true));
        assert_eq!(ok("mqtt://h:1884"), t("h", 1884, false));
        assert_eq!(ok("broker.local:1884/"), t("broker.local", 1884, false));
        assert_eq!(ok("mqtts://10.0.0.1:9883"), t("10.0.0.1", 9883, true));
    }

    #[test]
    fn ipv6_addresses_come_out_of_their_brackets() {
        assert_eq!(ok("mqtt://[::1]:1884"), t("::1", 1884, false));
        assert_eq!(ok("mqtts://[fe80::1]"), t("fe80::1", 8883, true));
        assert_eq!(ok("[2001:db8::2]"), t("2001:db8::2", 1883, false));
    }

    #[test]
    fn every_malformed_url_is_refused_with_its_reason() {
        use MqttUrlError as E;
        let err = |u: &str| MqttUrl::parse(u).unwrap_err();
        assert_eq!(err("https://h"), E::Scheme("https".into()));
        assert_eq!(err("mqtt://u:pw@h:1883"), E::Credentials);
        assert_eq!(err("mqtt://u@h"), E::Credentials);
        assert_eq!(err("mqtt://"), E::NoHost);
        assert_eq!(err("mqtts://:8883"), E::NoHost);
        assert_eq!(err("mqtt://h:port"), E::Port("port".into()));
        assert_eq!(err("mqtt://h:"), E::Port("".into()));
        assert_eq!(err("mqtt://h:0"), E::Port("0".into()));
        assert_eq!(err("mqtt://h:65536"), E::Port("65536".into()));
        assert_eq!(err("mqtt://h/topic"), E::Path("/topic".into()));
        assert_eq!(err("mqtt://h?x=1"), E::Path("?x=1".into()));
        assert_eq!(err("mqtt://::1"), E::Host("::1".into()));
        assert_eq!(err("mqtt://fe80::1"), E::Host("fe80::1".into()));
        assert_eq!(err("mqtt://[::1"), E::Host("[::1".into()));
        assert_eq!(err("mqtt://[::1]x"), E::Host("[::1]x".into()));
        assert_eq!(err("mqtt://[not-v6]:1"), E::Host("[not-v6]:1".into()));
        assert_eq!(err("mqtt://h st"), E::Host("h st".into()));
    }

    #[test]
    fn errors_never_show_a_password() {
        for url in [
            "mqtt://u:s3cret@h",
            "s3cret@h",
            "mqtt://h:s3cret@x",
            "u:s3cret@[::1]",
            "mqtt://u:pa/s3cret@h",
        ] {
            let e = MqttUrl::parse(url).unwrap_err();
            assert!(!e.to_string().contains("s3cret"), "{url}: {e}");
        }
    }

    #[test]
    fn the_canonical_form_reads_back_as_the_same_url() {
        for url in ["h", "mqtts://h:1", "ssl://[::1]", "tcp://a.b-c_d:65535"] {
            let u = MqttUrl::parse(url).unwrap();
            assert_eq!(MqttUrl::parse(&u.to_string()).unwrap(), u, "{url}");
        }
        assert_eq!(
            MqttUrl::parse("[::1]").unwrap().to_string(),
            "mqtt://[::1]:1883"
        );
    }
}
