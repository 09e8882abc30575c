//! The gate under a flood of connections that never log in: 1,000 TCP
//! connections from one address that send nothing. The ones over the
//! per-address limit are closed at once, the rest after the login
//! timeout; the collector's file descriptors and memory stay bounded, and
//! a real receiver connecting meanwhile from another address logs in and
//! gets its batch stored.

mod support;

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::scenario::scrape;
use support::*;

/// Connections opened by the flood.
const FLOOD: usize = 1_000;
/// The gate's per-address limit (`broker::MAX_PENDING_PER_ADDRESS`).
const PER_ADDRESS: usize = 16;

/// Open file descriptors and resident memory (KiB) of process `pid`.
fn usage(pid: u32) -> (usize, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    (fds, rss)
}

/// `n` connections to `port` from 127.0.0.2 (the real receiver uses
/// 127.0.0.1), non-blocking so they can be polled.
fn flood(port: u16, n: usize) -> Vec<TcpStream> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket
                .bind(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0)))
                .expect("bind 127.0.0.2");
            let s = socket
                .connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                .await
                .expect("connect");
            out.push(s.into_std().expect("std stream"));
        }
        out
    })
}

/// Whether the gate has closed `s` (end of stream or a reset).
fn closed(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    match s.read(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

fn counter(http: u16, reason: &str) -> f64 {
    scrape(
        http,
        &format!("cloudradar_collector_mqtt_connections_refused_total{{reason=\"{reason}\"}}"),
    )
}

#[test]
fn a_thousand_silent_connections_are_bounded_and_a_receiver_still_gets_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\n").expect("creds");
    let c = start_collector(
        &dir.path().join("data"),
        0,
        0,
        &["--credentials-file", creds.to_str().expect("path")],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let pid = c.proc.id();
    let (fds_before, rss_before) = usage(pid);

    // The collector's peak use while the flood lasts, sampled.
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = (0, 0);
            while !stop.load(Ordering::Relaxed) {
                let (fds, rss) = usage(pid);
                peak = (peak.0.max(fds), peak.1.max(rss));
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };

    let started = Instant::now();
    let mut conns = flood(mqtt, FLOOD);
    // Over the limit: closed at once (well before the login timeout).
    let over = (FLOOD - PER_ADDRESS) as f64;
    wait_for!(Duration::from_secs(5), || {
        counter(http, "address_limit") == over
    });
    wait_for!(Duration::from_secs(5), || {
        conns.iter_mut().map(closed).filter(|c| *c).count() == FLOOD - PER_ADDRESS
    });
    let at_once = started.elapsed();
    let mut silent: Vec<TcpStream> = conns
        .into_iter()
        .filter_map(|mut s| (!closed(&mut s)).then_some(s))
        .collect();
    assert_eq!(silent.len(), PER_ADDRESS);

    // A real receiver from another address logs in meanwhile.
    let frames = recording(500);
    let msgs = encoded(&batches("rx-a", &frames, 500, 1));
    publish(mqtt, "rx-a", Some(("rx-a", "pw-a")), &msgs)
        .expect("receiver logs in during the flood");
    wait_for!(Duration::from_secs(10), || receptions(http) == 500);
    assert!(
        silent.iter_mut().all(|s| !closed(s)),
        "silent connections closed before the login timeout"
    );

    // The silent ones go at the login timeout (10 s).
    wait_for!(Duration::from_secs(15), || silent.iter_mut().all(closed));
    let timed_out = started.elapsed();
    assert_eq!(counter(http, "login_timeout"), PER_ADDRESS as f64);
    stop.store(true, Ordering::Relaxed);
    let (peak_fds, peak_rss) = sampler.join().expect("sampler");
    let (fds_after, rss_after) = usage(pid);
    eprintln!(
        "fds: {fds_before} before, {peak_fds} peak, {fds_after} after; \
         RSS KiB: {rss_before} before, {peak_rss} peak, {rss_after} after; \
         over-limit closed by {at_once:?}, silent closed by {timed_out:?}"
    );
    // Each pending connection holds one descriptor: the peak stays near
    // the limit, not the flood (accepted over-limit sockets are closed in
    // the accept loop, a few at a time at most).
    assert!(
        peak_fds <= fds_before + PER_ADDRESS + 64,
        "fds {fds_before} -> {peak_fds}"
    );
    assert!(
        fds_after <= fds_before + 8,
        "fds {fds_before} -> {fds_after}"
    );
    assert!(
        peak_rss <= rss_before + 32 * 1024,
        "RSS KiB {rss_before} -> {peak_rss}"
    );
    assert!(
        timed_out >= Duration::from_secs(9),
        "closed after {timed_out:?}"
    );
}
