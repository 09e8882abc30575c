//! The gate: the public MQTT listeners (plain and TLS) in front of the
//! embedded broker. For each client it takes a place among the connections
//! waiting to log in ([`Admission`]), reads the CONNECT within
//! [`LOGIN_TIMEOUT`], checks it ([`connect::admit`]), opens a connection to
//! the broker's loopback port and relays bytes both ways. The client's
//! bytes are read packet by packet and decided by the [`Inspector`]; the
//! broker's are copied unread. A refused packet is never forwarded: the
//! connection is closed, the refusal logged and counted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, timeout, timeout_at};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::access::Access;
use super::admission::{Admission, Pending};
use super::connect::{self, First, MAX_CONNECT, Refused};
use super::inspect::Inspector;
use super::report;
use super::violation::Violation;

/// Time a client has for the TLS handshake and its CONNECT together.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Time the broker has to finish after the client closed its side.
const LINGER: Duration = Duration::from_secs(5);
/// Bytes read from a client at a time (a batch is tens of KB).
const READ_CHUNK: usize = 64 * 1024;

/// Refused logins, which anyone can cause, are logged once a second.
static LOGIN_LOG: report::RateLimit = report::RateLimit::new(Duration::from_secs(1));

/// What every connection of the gate shares.
#[derive(Debug)]
pub struct Gate {
    /// The embedded broker's loopback address.
    pub upstream: SocketAddr,
    /// Who may log in.
    pub access: Access,
    /// Largest remaining length forwarded (the broker's own limit).
    pub max_remaining: usize,
    /// True while receivers are held back (the collector is behind): their
    /// bytes are not read, so their batches wait in their own spools.
    pub hold: watch::Receiver<bool>,
    /// Connections that have not logged in yet.
    pub admission: Arc<Admission>,
}

/// Accepts clients on `listener` until cancelled, each in its own task.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    gate: Arc<Gate>,
    tracker: TaskTracker,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let pending = match gate.admission.admit(peer.ip()) {
                    Ok(p) => p,
                    Err(full) => {
                        // Closed at once: dropping the stream closes it.
                        metrics::counter!("cloudradar_collector_mqtt_connections_refused_total", "reason" => full.reason())
                            .increment(1);
                        continue;
                    }
                };
                let (gate, tls, cancel) = (gate.clone(), tls.clone(), cancel.clone());
                tracker.spawn(async move {
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = connection(stream, peer, tls, &gate, pending) => {}
                    }
                });
            }
            Err(e) => {
                // Out of file descriptors and the like: do not spin.
                tracing::warn!(error = %e, "MQTT accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    gate: &Gate,
    pending: Pending,
) {
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + LOGIN_TIMEOUT;
    match tls {
        None => relay(stream, peer, gate, pending, deadline).await,
        Some(acceptor) => match timeout_at(deadline, acceptor.accept(stream)).await {
            Ok(Ok(s)) => relay(s, peer, gate, pending, deadline).await,
            Ok(Err(e)) => {
                metrics::counter!("cloudradar_collector_mqtt_connections_refused_total", "reason" => "tls_handshake")
                    .increment(1);
                tracing::debug!(%peer, error = %e, "MQTT TLS handshake failed");
            }
            Err(_) => login_timed_out(peer),
        },
    }
}

fn login_timed_out(peer: SocketAddr) {
    metrics::counter!("cloudradar_collector_mqtt_connections_refused_total", "reason" => "login_timeout")
        .increment(1);
    tracing::debug!(%peer, "MQTT login timed out");
}

/// How the client-to-broker direction ended.
enum End {
    /// The client closed its side.
    Closed,
    /// A packet was refused.
    Refused(Violation),
}

async fn relay<S>(client: S, peer: SocketAddr, gate: &Gate, pending: Pending, deadline: Instant)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut from_client, mut to_client) = tokio::io::split(client);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let (first, connect_len) =
        match timeout_at(deadline, read_connect(&mut from_client, &mut buf)).await {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) => return,
            Err(_) => return login_timed_out(peer),
            Ok(Err(v)) => return refused_before_login(&v, peer),
        };
    let verdict = match &first {
        First::Connect(c) => connect::admit(&gate.access, c),
        First::Unsupported => Err(Refused::Login(super::access::Refusal::Protocol)),
    };
    let user = match verdict {
        Ok(user) => user,
        Err(refused) => {
            login_refused(&refused, &first, peer);
            let _ = to_client.write_all(&refused.connack()).await;
            let _ = timeout(LINGER, to_client.shutdown()).await;
            return;
        }
    };
    drop(pending);
    let upstream = match TcpStream::connect(gate.upstream).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, upstream = %gate.upstream, "embedded broker not reachable");
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (mut from_broker, mut to_broker) = upstream.into_split();
    let inspector = Inspector::new(&user, gate.max_remaining);
    let refused = {
        let up = client_to_broker(
            &mut from_client,
            &mut to_broker,
            buf,
            connect_len,
            inspector,
            gate.hold.clone(),
        );
        let down = tokio::io::copy(&mut from_broker, &mut to_client);
        tokio::pin!(up, down);
        tokio::select! {
            end = &mut up => match end {
                Ok(End::Closed) => {
                    let _ = timeout(LINGER, &mut down).await;
                    None
                }
                Ok(End::Refused(v)) => Some(v),
                Err(_) => None,
            },
            _ = &mut down => None,
        }
    };
    if let Some(v) = refused {
        reject(&v, &user, peer);
    }
    drop((from_broker, to_broker));
    let _ = timeout(LINGER, to_client.shutdown()).await;
}

/// Reads until `buf` holds a whole CONNECT; `None` if the client left.
async fn read_connect<R: AsyncRead + Unpin>(
    from: &mut R,
    buf: &mut BytesMut,
) -> Result<Option<(First, usize)>, Violation> {
    loop {
        if let Some(c) = connect::first_packet(buf)? {
            return Ok(Some(c));
        }
        buf.reserve(MAX_CONNECT.min(READ_CHUNK));
        match from.read_buf(buf).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
    }
}

/// Counts a refused CONNECT and logs it (at most once a second).
fn login_refused(refused: &Refused, first: &First, peer: SocketAddr) {
    let (client_id, user) = match first {
        First::Connect(c) => (
            report::shown(&c.client_id),
            report::shown(
                c.login
                    .as_ref()
                    .map(|l| l.username.as_str())
                    .unwrap_or_default(),
            ),
        ),
        First::Unsupported => (String::new(), String::new()),
    };
    match refused {
        Refused::Will(topic) => deny(&user, topic, peer, "will"),
        Refused::Login(reason) => {
            metrics::counter!("cloudradar_collector_mqtt_auth_refused_total", "reason" => reason.reason())
                .increment(1);
            if let Some(suppressed) = LOGIN_LOG.admit(std::time::Instant::now()) {
                tracing::info!(%peer, %client_id, %user, reason = reason.reason(), suppressed, "MQTT login refused");
            }
        }
    }
}

/// Counts a connection whose first packet was not a readable CONNECT and
/// logs it (at most once a second, like refused logins).
fn refused_before_login(v: &Violation, peer: SocketAddr) {
    metrics::counter!("cloudradar_collector_mqtt_packets_refused_total", "reason" => v.reason())
        .increment(1);
    if let Some(suppressed) = LOGIN_LOG.admit(std::time::Instant::now()) {
        tracing::info!(%peer, reason = v.reason(), error = %v, suppressed, "MQTT client refused before login");
    }
}

/// Forwards the CONNECT, then every packet the inspector allows, until the
/// client closes or a packet is refused.
async fn client_to_broker<R, W>(
    from: &mut R,
    to: &mut W,
    mut buf: BytesMut,
    connect_len: usize,
    inspector: Inspector,
    mut hold: watch::Receiver<bool>,
) -> std::io::Result<End>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let connect = buf.split_to(connect_len.min(buf.len()));
    to.write_all(&connect).await?;
    loop {
        loop {
            match inspector.next(&mut buf) {
                Ok(Some(packet)) => to.write_all(&packet).await?,
                Ok(None) => break,
                Err(v) => return Ok(End::Refused(v)),
            }
        }
        while *hold.borrow_and_update() {
            if hold.changed().await.is_err() {
                break;
            }
        }
        buf.reserve(READ_CHUNK);
        if from.read_buf(&mut buf).await? == 0 {
            let _ = to.shutdown().await;
            return Ok(End::Closed);
        }
    }
}

/// Logs and counts a refused packet.
fn reject(v: &Violation, user: &str, peer: SocketAddr) {
    match v {
        Violation::Denied { what, topic } => deny(user, topic, peer, what),
        other => {
            metrics::counter!("cloudradar_collector_mqtt_packets_refused_total", "reason" => other.reason())
                .increment(1);
            tracing::warn!(receiver = %user, %peer, reason = other.reason(), error = %other, "MQTT client refused; connection closed");
        }
    }
}

/// An ACL denial: the receiver tried a topic or filter not its own.
fn deny(user: &str, topic: &str, peer: SocketAddr, what: &'static str) {
    metrics::counter!("cloudradar_collector_mqtt_acl_denied_total", "receiver" => user.to_string())
        .increment(1);
    let topic = report::shown(topic);
    tracing::warn!(receiver = %user, %topic, %peer, what, "MQTT topic outside the receiver's own refused; connection closed");
}
