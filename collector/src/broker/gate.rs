//! The gate: the public MQTT listeners (plain and TLS) in front of the
//! embedded broker. For each client it reads the CONNECT, checks the login
//! and the will topic, opens a connection to the broker's loopback port and
//! relays bytes both ways. The client's bytes are read packet by packet
//! (headers and PUBLISH topics only, see [`super::packet`]); the broker's
//! are copied unread. A refused packet is never forwarded: the connection
//! is closed, a warning logged and a counter incremented.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use cloudradar_shared::wire::valid_receiver_id;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{Access, INTERNAL_USER, acl};
use cloudradar_shared::mqtt::packet::{self, Connect, Inspector, MAX_CONNECT, Violation};

/// Time a client has for the TLS handshake and its CONNECT (rumqttd's
/// own connection timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Time the broker has to finish after the client closed its side.
const LINGER: Duration = Duration::from_secs(5);
/// Bytes read from a client at a time (a batch is tens of KB).
const READ_CHUNK: usize = 64 * 1024;

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
                let (gate, tls, cancel) = (gate.clone(), tls.clone(), cancel.clone());
                tracker.spawn(async move {
                    tokio::select! {
                        _ = cancel.cancelled() => {}
                        _ = connection(stream, peer, tls, &gate) => {}
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

async fn connection(stream: TcpStream, peer: SocketAddr, tls: Option<TlsAcceptor>, gate: &Gate) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => relay(stream, peer, gate).await,
        Some(acceptor) => {
            match tokio::time::timeout(CONNECT_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(s)) => relay(s, peer, gate).await,
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "MQTT TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "MQTT TLS handshake timed out"),
            }
        }
    }
}

/// How the client-to-broker direction ended.
enum End {
    /// The client closed its side.
    Closed,
    /// A packet was refused.
    Refused(Violation),
}

async fn relay<S>(client: S, peer: SocketAddr, gate: &Gate)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut from_client, mut to_client) = tokio::io::split(client);
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let connect =
        match tokio::time::timeout(CONNECT_TIMEOUT, read_connect(&mut from_client, &mut buf)).await
        {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) | Err(_) => return,
            Ok(Err(v)) => {
                reject(&v, "-", peer);
                return;
            }
        };
    let (connect, connect_len) = connect;
    let user = match admit(&gate.access, &connect, peer) {
        Ok(user) => user,
        Err(code) => {
            let _ = to_client.write_all(&packet::connack(code)).await;
            let _ = tokio::time::timeout(LINGER, to_client.shutdown()).await;
            return;
        }
    };
    let upstream = match TcpStream::connect(gate.upstream).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, upstream = %gate.upstream, "embedded broker not reachable");
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let (mut from_broker, mut to_broker) = upstream.into_split();
    let inspector = Inspector::new(gate.max_remaining, |topic: &str| {
        acl::may_publish(&user, topic)
    });
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
                    let _ = tokio::time::timeout(LINGER, &mut down).await;
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
    let _ = tokio::time::timeout(LINGER, to_client.shutdown()).await;
}

/// Reads until `buf` holds a whole CONNECT; `None` if the client left.
async fn read_connect<R: AsyncRead + Unpin>(
    from: &mut R,
    buf: &mut BytesMut,
) -> Result<Option<(Connect, usize)>, Violation> {
    loop {
        if let Some(c) = packet::connect(buf)? {
            return Ok(Some(c));
        }
        buf.reserve(MAX_CONNECT.min(READ_CHUNK));
        match from.read_buf(buf).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
    }
}

/// Checks a CONNECT: the user name (the receiver id), the password and
/// the will topic. The user name on success, the CONNACK code otherwise.
fn admit(access: &Access, c: &Connect, peer: SocketAddr) -> Result<String, u8> {
    if c.level != 4 {
        tracing::debug!(%peer, level = c.level, "MQTT protocol level refused");
        return Err(1);
    }
    let user = c.username.as_deref().unwrap_or_default();
    let password = c
        .password
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    // The collector's own user only connects to the loopback port.
    if user == INTERNAL_USER || !valid_receiver_id(user) || !access.allows(user, &password) {
        metrics::counter!("cloudradar_collector_mqtt_auth_refused_total").increment(1);
        tracing::info!(%peer, client_id = %c.client_id, "MQTT login refused");
        return Err(4);
    }
    if let Some(topic) = &c.will_topic
        && !acl::may_will(user, topic)
    {
        deny(user, topic, peer, "will");
        return Err(5);
    }
    Ok(user.to_string())
}

/// Forwards the CONNECT, then every packet the inspector allows, until the
/// client closes or a packet is refused.
async fn client_to_broker<R, W, F>(
    from: &mut R,
    to: &mut W,
    mut buf: BytesMut,
    connect_len: usize,
    mut inspector: Inspector<F>,
    mut hold: watch::Receiver<bool>,
) -> std::io::Result<End>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    F: Fn(&str) -> bool,
{
    to.write_all(buf.get(..connect_len).unwrap_or_default())
        .await?;
    buf.advance(connect_len.min(buf.len()));
    loop {
        let scan = inspector.scan(&buf);
        if scan.forward > 0 {
            to.write_all(buf.get(..scan.forward).unwrap_or_default())
                .await?;
            buf.advance(scan.forward);
        }
        if let Some(v) = scan.refused {
            return Ok(End::Refused(v));
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
        Violation::Topic { topic } => deny(user, topic, peer, "publish"),
        other => {
            metrics::counter!("cloudradar_collector_mqtt_packets_refused_total", "reason" => other.reason())
                .increment(1);
            tracing::warn!(receiver = %user, %peer, reason = other.reason(), error = %other, "MQTT client refused; connection closed");
        }
    }
}

/// An ACL denial: the receiver tried another receiver's topic.
fn deny(user: &str, topic: &str, peer: SocketAddr, what: &'static str) {
    metrics::counter!("cloudradar_collector_mqtt_acl_denied_total", "receiver" => user.to_string())
        .increment(1);
    tracing::warn!(receiver = %user, %topic, %peer, what, "MQTT topic outside the receiver's own refused; connection closed");
}
