//! rumqttd on a loopback port that this process really holds.
//!
//! rumqttd cannot bind port 0 and report the port it got, so a free port
//! is chosen first and handed to it. Between the two another process on
//! the host may take that port; the collector would then log in there
//! with its internal credentials and forward every receiver to it. So the
//! start is confirmed: rumqttd's thread ends at once when its bind fails,
//! and the listening socket must be one of this process's own file
//! descriptors (Linux `/proc`); otherwise another port is tried.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::access::{Access, Refusal};

/// Ports tried before giving up: a taken port is rare, several in a row
/// mean something else is wrong.
const ATTEMPTS: usize = 5;
/// How long rumqttd gets to bind its listener.
const BIND_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts rumqttd on its own thread on a loopback port it is confirmed to
/// hold; returns that address.
pub fn start_rumqttd(access: Access, max_payload: usize) -> anyhow::Result<SocketAddr> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .context("choosing a loopback port for the embedded broker")?;
        match start_on(port, access.clone(), max_payload) {
            Ok(()) => return Ok(port),
            Err(e) => {
                tracing::warn!(port = %port, error = %e, "embedded broker did not get its port, trying another");
                last = Some(e);
            }
        }
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
        .context("starting the embedded MQTT broker")
}

/// Starts rumqttd on `port` and waits until it listens there.
fn start_on(port: SocketAddr, access: Access, max_payload: usize) -> anyhow::Result<()> {
    let config = config(port, access, max_payload);
    let (ended_tx, ended) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            // start() returns only when every listener has stopped; with
            // one listener that is a failed bind (or a crash).
            match broker.start() {
                Ok(()) => tracing::error!("embedded MQTT broker's listener stopped"),
                Err(e) => tracing::error!(error = %e, "embedded MQTT broker stopped"),
            }
            let _ = ended_tx.send(());
        })
        .context("starting the embedded broker thread")?;
    wait_listening(port, &ended)
}

/// Waits until this process listens on `port`, or the broker's thread ends.
fn wait_listening(port: SocketAddr, ended: &mpsc::Receiver<()>) -> anyhow::Result<()> {
    let deadline = Instant::now() + BIND_TIMEOUT;
    loop {
        if !matches!(ended.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            anyhow::bail!("port {port} is taken");
        }
        if listening_here(port.port()) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("not listening on {port} after {BIND_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether a socket of this process listens on 127.0.0.1:`port`. Where
/// `/proc` is missing (not Linux) a successful connection has to do.
pub fn listening_here(port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/self/net/tcp") else {
        return std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    };
    let inodes = listening_inodes(&table, port);
    !inodes.is_empty() && own_sockets().is_some_and(|own| inodes.iter().any(|i| own.contains(i)))
}

/// Inodes of the sockets listening on 127.0.0.1:`port` in a
/// `/proc/net/tcp` table (`local_address` `0100007F:PPPP`, state `0A`).
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (addr, state, inode) = (cols.get(1)?, cols.get(3)?, cols.get(9)?);
            (*addr == local && *state == "0A").then(|| inode.parse().ok())?
        })
        .collect()
}

/// Inodes of every socket this process has open.
fn own_sockets() -> Option<Vec<u64>> {
    let fds = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(
        fds.flatten()
            .filter_map(|fd| {
                let link = std::fs::read_link(fd.path()).ok()?;
                let link = link.to_str()?;
                link.strip_prefix("socket:[")?
                    .strip_suffix(']')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

fn config(internal: SocketAddr, access: Access, max_payload: usize) -> Config {
    let mut v4 = HashMap::new();
    v4.insert(
        "internal".to_string(),
        server(internal, access, max_payload),
    );
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 1_000,
            // The broker keeps every publish in an in-memory log per
            // subscription until the log outgrows this bound (then the
            // oldest segment goes, read or not): it is the memory the
            // broker holds at steady state. 8 MiB is over 10 s of batches
            // at 100k frames/s; the collector reads them within
            // milliseconds into its ingest queue, and when that fills the
            // gate holds receivers back (ingest::backpressure) with the
            // queue's last tenth still free.
            max_segment_size: 2 * 1024 * 1024,
            max_segment_count: 4,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(v4),
        v5: None,
        ws: None,
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    }
}

fn server(listen: SocketAddr, access: Access, max_payload: usize) -> ServerSettings {
    let mut server = ServerSettings {
        name: "internal".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: max_payload + 1024,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    // The gate checked receivers already; this keeps the loopback port
    // closed to anything else on the host.
    server.set_auth_handler(move |client_id, user, password| {
        let ok = client_id == user && access.allows(&user, &password).is_ok();
        if !ok {
            metrics::counter!("cloudradar_collector_mqtt_auth_refused_total", "reason" => Refusal::Loopback.reason())
                .increment(1);
        }
        async move { ok }
    });
    server
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_of_this_process_is_found() {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(listening_here(port));
        drop(l);
        assert!(!listening_here(port));
    }

    #[test]
    fn a_listener_of_another_process_is_not_ours() {
        let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let mut other = std::process::Command::new("python3")
            .args(["-c", &format!("import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',{port}))\ns.listen()\nprint('up',flush=True)\ntime.sleep(60)")])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(other.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "up");
        let ours = listening_here(port);
        let access = Access {
            internal_password: "internal".into(),
            credentials: None,
            open: Default::default(),
        };
        let taken = start_on(SocketAddr::from(([127, 0, 0, 1], port)), access, 1024);
        other.kill().unwrap();
        other.wait().unwrap();
        assert!(!ours, "another process's listener counted as ours");
        assert!(taken.is_err(), "started on a port another process holds");
    }

    #[test]
    fn parses_the_proc_table() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0\n   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 8080), vec![4242]);
        assert!(listening_inodes(table, 8081).is_empty());
        assert!(listening_inodes("garbage\nshort line", 8080).is_empty());
    }
}
