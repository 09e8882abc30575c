//! Load generator for the collector pipeline benchmark
//! (`scripts/bench/pipeline-load.sh`): many virtual receivers publishing
//! real frames from `long_flight.csv` as wire batches at a fixed rate.
//!
//! Each receiver is one MQTT connection publishing QoS 1 batches of
//! `--batch` frames on its own topic, on a fixed schedule so that the
//! receivers together offer `--receivers × --rate` frames/s. Frames keep
//! their bytes, timestamps and signal levels; their reception times and the
//! batch's `created_ms` are set to the moment of publishing, so the
//! collector's `batch_lag_seconds` measures publish → SQLite commit. Each
//! receiver starts at its own offset in the recording (so cross-receiver
//! de-duplication does not merge their frames) unless `--shared-sky` is
//! given (every receiver hears the same transmissions, as near neighbours do).
//!
//! Prints one JSON line with what was offered, published and acknowledged.
//! Stops by itself after `--duration` seconds plus at most `--drain` seconds
//! waiting for outstanding acknowledgements.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use cloudradar_shared::format::{Received, csv};
use cloudradar_shared::time::{now_ms, now_us};
use cloudradar_shared::wire::{Batch, WireFrame, encode, frames_topic, status_topic};
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};

/// Publishes real frames as many receivers at a fixed rate.
#[derive(Debug, Parser)]
struct Args {
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Broker port.
    #[arg(long, default_value_t = 1883)]
    port: u16,
    /// Number of virtual receivers (one MQTT connection each).
    #[arg(long, default_value_t = 20)]
    receivers: usize,
    /// Frames per second per receiver.
    #[arg(long, default_value_t = 5000.0)]
    rate: f64,
    /// Frames per batch.
    #[arg(long, default_value_t = 250)]
    batch: usize,
    /// Seconds of publishing.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Seconds to wait for outstanding acknowledgements after publishing.
    #[arg(long, default_value_t = 30.0)]
    drain: f64,
    /// MQTT QoS (0 or 1).
    #[arg(long, default_value_t = 1)]
    qos: u8,
    /// Unacknowledged QoS 1 publishes allowed per connection.
    #[arg(long, default_value_t = 100)]
    inflight: u16,
    /// Recording (CSV: time,hex).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/long_flight.csv"))]
    recording: String,
    /// Every receiver sends the same frames at the same time (cross-receiver
    /// de-duplication merges them) instead of its own part of the recording.
    #[arg(long)]
    shared_sky: bool,
    /// Receiver id prefix.
    #[arg(long, default_value = "load")]
    prefix: String,
}

#[derive(Debug, Default)]
struct Counters {
    offered_batches: AtomicU64,
    published_batches: AtomicU64,
    published_frames: AtomicU64,
    acked_batches: AtomicU64,
    /// Publishes written to the socket (status messages included).
    sent_batches: AtomicU64,
    encoded_bytes: AtomicU64,
    late_ticks: AtomicU64,
    errors: AtomicU64,
    encode_ns: AtomicU64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.recording)
        .with_context(|| format!("reading {}", args.recording))?;
    let frames: Arc<Vec<Received>> = Arc::new(
        text.lines()
            .filter_map(|l| csv::parse_line(l).ok().map(|(_, r)| r))
            .collect(),
    );
    anyhow::ensure!(!frames.is_empty(), "no frames in {}", args.recording);
    let qos = if args.qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    };
    let period = Duration::from_secs_f64(args.batch as f64 / args.rate);
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let stop_at = start + Duration::from_secs_f64(args.duration);
    let give_up_at = stop_at + Duration::from_secs_f64(args.drain);
    let mut tasks = Vec::new();
    for i in 0..args.receivers {
        let id = format!("{}-{:03}", args.prefix, i + 1);
        let offset = if args.shared_sky {
            0
        } else {
            i * frames.len() / args.receivers
        };
        tasks.push(tokio::spawn(receiver(
            id,
            i,
            offset,
            frames.clone(),
            args.host.clone(),
            args.port,
            qos,
            args.inflight,
            args.batch,
            period,
            start + period.mul_f64(i as f64 / args.receivers as f64),
            stop_at,
            give_up_at,
            counters.clone(),
        )));
    }
    // Progress once per second on stderr.
    let progress = {
        let c = counters.clone();
        let batch = args.batch as u64;
        tokio::spawn(async move {
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                let p = c.published_frames.load(Ordering::Relaxed);
                let a = c.acked_batches.load(Ordering::Relaxed) * batch;
                eprintln!(
                    "loadgen t={:.0}s published {} frames/s, acked {a} frames total, late ticks {}",
                    start.elapsed().as_secs_f64(),
                    p - last,
                    c.late_ticks.load(Ordering::Relaxed)
                );
                last = p;
            }
        })
    };
    for t in tasks {
        let _ = t.await;
    }
    progress.abort();
    let c = &counters;
    let secs = args.duration;
    let published = c.published_batches.load(Ordering::Relaxed);
    let summary = serde_json::json!({
        "receivers": args.receivers,
        "rate_per_receiver": args.rate,
        "batch_frames": args.batch,
        "qos": args.qos,
        "duration_s": secs,
        "offered_frames_per_s": args.rate * args.receivers as f64,
        "offered_batches": c.offered_batches.load(Ordering::Relaxed),
        "published_batches": published,
        "published_frames": c.published_frames.load(Ordering::Relaxed),
        "published_frames_per_s": c.published_frames.load(Ordering::Relaxed) as f64 / secs,
        "sent_packets": c.sent_batches.load(Ordering::Relaxed),
        "acked_batches": c.acked_batches.load(Ordering::Relaxed),
        "acked_frames": c.acked_batches.load(Ordering::Relaxed) * args.batch as u64,
        "late_ticks": c.late_ticks.load(Ordering::Relaxed),
        "errors": c.errors.load(Ordering::Relaxed),
        "mean_encoded_bytes_per_batch": c.encoded_bytes.load(Ordering::Relaxed).checked_div(published).unwrap_or(0),
        "encode_cpu_s": c.encode_ns.load(Ordering::Relaxed) as f64 / 1e9,
    });
    println!("{summary}");
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn receiver(
    id: String,
    index: usize,
    mut offset: usize,
    frames: Arc<Vec<Received>>,
    host: String,
    port: u16,
    qos: QoS,
    inflight: u16,
    per_batch: usize,
    period: Duration,
    first: Instant,
    stop_at: Instant,
    give_up_at: Instant,
    c: Arc<Counters>,
) {
    let mut opts = MqttOptions::new(&id, host, port);
    opts.set_max_packet_size(4 << 20, 4 << 20);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_inflight(inflight);
    // The broker wants a login even in anonymous mode (agents send their id).
    opts.set_credentials(&id, "");
    let (client, mut eventloop) = AsyncClient::new(opts, 64);
    // The event loop runs in its own task; acks are counted there.
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let poller = {
        let c = c.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = done_rx.changed() => break,
                    ev = eventloop.poll() => match ev {
                        Ok(Event::Incoming(Packet::PubAck(_))) => {
                            c.acked_batches.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Event::Outgoing(Outgoing::Publish(_))) => {
                            c.sent_batches.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            c.errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("loadgen: connection error: {e}");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                    }
                }
            }
        })
    };
    // A status with a position, so the collector resolves local CPR as for a
    // real agent (around Toulouse, where the recording was made).
    let status = serde_json::json!({
        "state": "online",
        "version": "loadgen",
        "lat": 43.6 + 0.01 * index as f64,
        "lon": 1.37,
        "time_ms": now_ms(),
    });
    let _ = client
        .publish(
            status_topic(&id),
            // QoS 0 (as the collector subscribes to status): every PubAck counted is a batch's.
            QoS::AtMostOnce,
            true,
            status.to_string().into_bytes(),
        )
        .await;
    let topic = frames_topic(&id);
    // Sequence numbers start at the current time in microseconds, as a
    // new agent's do, so a re-run against the same database is not a re-send.
    let mut seq = now_us();
    let mut ts: u64 = 0;
    let mut next = first;
    while next < stop_at {
        tokio::time::sleep_until(next.into()).await;
        if Instant::now() > next + period {
            c.late_ticks.fetch_add(1, Ordering::Relaxed);
        }
        next += period;
        c.offered_batches.fetch_add(1, Ordering::Relaxed);
        let t0 = Instant::now();
        let now = now_ms();
        let mut out = Vec::with_capacity(per_batch);
        for k in 0..per_batch {
            let r = frames[(offset + k) % frames.len()];
            ts += 6_000; // 0.5 ms at 12 MHz
            out.push(WireFrame {
                rx_ms: now - (per_batch - k) as u64 * period.as_millis() as u64 / per_batch as u64,
                timestamp: ts & 0xffff_ffff_ffff,
                signal: r.signal,
                frame: r.frame,
            });
        }
        offset = (offset + per_batch) % frames.len();
        let batch = Batch {
            receiver_id: id.clone(),
            seq,
            created_ms: now,
            frames: out,
        };
        seq += 1;
        let payload = encode(&batch);
        c.encode_ns
            .fetch_add(t0.elapsed().as_nanos() as u64, Ordering::Relaxed);
        c.encoded_bytes
            .fetch_add(payload.len() as u64, Ordering::Relaxed);
        // Blocks while the request queue is full (in-flight window used up):
        // the schedule then slips and the slip is counted as late ticks.
        if client
            .publish(topic.clone(), qos, false, payload)
            .await
            .is_err()
        {
            c.errors.fetch_add(1, Ordering::Relaxed);
            break;
        }
        c.published_batches.fetch_add(1, Ordering::Relaxed);
        c.published_frames
            .fetch_add(per_batch as u64, Ordering::Relaxed);
    }
    // Wait for the acknowledgements still outstanding (QoS 1), bounded.
    if qos == QoS::AtLeastOnce {
        while Instant::now() < give_up_at
            && c.acked_batches.load(Ordering::Relaxed) < c.published_batches.load(Ordering::Relaxed)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    } else {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let _ = client.disconnect().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = done_tx.send(true);
    let _ = poller.await;
}
