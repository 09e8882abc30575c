//! Logging and metrics set-up for the binary.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the tracing subscriber (`RUST_LOG` filters, default `info`).
pub fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rumqttd=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Histogram buckets, seconds: from a fast SQLite commit to a long lag.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];

/// Installs the Prometheus recorder, histograms exported as Prometheus
/// histograms (so `histogram_quantile` works across instances); `None` if
/// one is already installed.
pub fn init_metrics() -> Option<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .ok()?
        .install_recorder()
        .ok()?;
    describe();
    keep_up(handle.clone());
    Some(handle)
}

/// The recorder holds histogram samples until they are folded into the
/// buckets at a scrape or an upkeep; with nobody scraping (an agent on a
/// Raspberry Pi without Prometheus) they would pile up for months.
fn keep_up(handle: PrometheusHandle) {
    let _ = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                handle.run_upkeep();
            }
        });
}

/// Failure and traffic counters, created at zero.
const COUNTERS: &[(&str, &str)] = &[
    (
        "cloudradar_collector_sqlite_reads_refused_total",
        "History and export queries refused (503) because every read slot was busy.",
    ),
    (
        "cloudradar_collector_redis_batches_readded_total",
        "Batches added to Redis again after it restarted without them (the writer's copy of the backlog).",
    ),
    (
        "cloudradar_collector_batches_received_total",
        "Batches received from MQTT.",
    ),
    (
        "cloudradar_collector_batches_stored_total",
        "Batches committed to SQLite.",
    ),
    (
        "cloudradar_collector_batches_duplicate_total",
        "Re-sent batches recognised and skipped.",
    ),
    (
        "cloudradar_collector_frames_stored_total",
        "Frames committed to SQLite.",
    ),
    (
        "cloudradar_collector_mqtt_reconnects_total",
        "Reconnections of the collector's MQTT client.",
    ),
    (
        "cloudradar_collector_mqtt_stale_acks_total",
        "Batches not acknowledged because they came on an earlier broker connection (the broker redelivers them).",
    ),
    (
        "cloudradar_collector_rows_expired_total",
        "Rows deleted by retention.",
    ),
    (
        "cloudradar_collector_sqlite_commits_total",
        "SQLite transactions committed.",
    ),
    (
        "cloudradar_collector_sqlite_errors_total",
        "SQLite transactions that failed.",
    ),
    (
        "cloudradar_collector_backup_failures_total",
        "Backups that failed.",
    ),
    (
        "cloudradar_collector_archive_parts_total",
        "Parquet files written to the archive.",
    ),
    (
        "cloudradar_collector_archive_rows_total",
        "Rows written to the archive.",
    ),
    (
        "cloudradar_collector_archive_bytes_total",
        "Bytes of Parquet written to the archive.",
    ),
    (
        "cloudradar_collector_archive_failures_total",
        "Archive passes that failed (retried on the next pass).",
    ),
    (
        "cloudradar_collector_archive_spooled_parts_total",
        "Archive files the spool wrote as receptions were committed (the others were read back from SQLite).",
    ),
    (
        "cloudradar_collector_archive_spool_dropped_hours_total",
        "Hours the archive spool gave up (a missed batch, a write error): read back from SQLite instead.",
    ),
    (
        "cloudradar_collector_commit_feed_dropped_total",
        "Committed batches not handed to the archive spool because it was behind.",
    ),
    (
        "cloudradar_collector_confirmations_sent_total",
        "Delivery confirmations (Done messages) published to agents.",
    ),
    (
        "cloudradar_collector_confirmations_failed_total",
        "Delivery confirmations that could not be published (the agents send those batches again).",
    ),
];

/// Gauges.
const GAUGES: &[(&str, &str)] = &[
    (
        "cloudradar_collector_aircraft_live",
        "Aircraft in the live view.",
    ),
    (
        "cloudradar_collector_dedup_entries",
        "Entries in the cross-receiver de-duplication window.",
    ),
    (
        "cloudradar_collector_mqtt_connected",
        "1 when the collector's MQTT client is connected.",
    ),
    (
        "cloudradar_collector_queue_batches",
        "Batches waiting in the in-memory queue.",
    ),
    (
        "cloudradar_collector_queue_capacity",
        "Bound of the in-memory queue, batches.",
    ),
    (
        "cloudradar_collector_sqlite_reads_running",
        "SQLite reads (history, stats, exports) running now.",
    ),
    (
        "cloudradar_collector_receivers_held",
        "1 while the embedded broker's gate holds receivers back because the ingest queue is nearly full.",
    ),
    (
        "cloudradar_collector_redis_stream_length",
        "Entries in the Redis stream.",
    ),
    (
        "cloudradar_collector_redis_stream_max_length",
        "Approximate bound of the Redis stream.",
    ),
    (
        "cloudradar_collector_redis_pending",
        "Entries delivered but not acknowledged.",
    ),
    (
        "cloudradar_collector_redis_consumer_lag",
        "Entries not yet delivered to the consumer group.",
    ),
    (
        "cloudradar_collector_sqlite_database_bytes",
        "Size of the SQLite database.",
    ),
    (
        "cloudradar_collector_data_dir_free_bytes",
        "Free space on the data directory's filesystem.",
    ),
    (
        "cloudradar_collector_data_dir_size_bytes",
        "Size of the files in the data directory.",
    ),
    (
        "cloudradar_collector_receiver_online",
        "1 when the receiver's last status was online, by receiver.",
    ),
    (
        "cloudradar_collector_receiver_clock_offset_seconds",
        "Receiver clock minus collector clock, from live status messages, by receiver; frame times are corrected beyond 5 s.",
    ),
    (
        "cloudradar_collector_receiver_last_seen_timestamp_seconds",
        "When the receiver was last heard from, by receiver.",
    ),
    (
        "cloudradar_collector_backup_last_success_timestamp_seconds",
        "When the last backup succeeded.",
    ),
    (
        "cloudradar_collector_backup_bytes",
        "Size of the last backup uploaded.",
    ),
    (
        "cloudradar_collector_archive_last_success_timestamp_seconds",
        "When the last archive pass succeeded.",
    ),
    (
        "cloudradar_collector_http_streams",
        "Open live-stream (SSE) connections.",
    ),
];

/// Histograms.
const HISTOGRAMS: &[(&str, &str)] = &[
    (
        "cloudradar_collector_batch_lag_seconds",
        "From batch creation on the agent to its commit.",
    ),
    (
        "cloudradar_collector_process_seconds",
        "Time to process one batch.",
    ),
    (
        "cloudradar_collector_sqlite_commit_seconds",
        "Time of one SQLite transaction.",
    ),
    (
        "cloudradar_collector_backup_duration_seconds",
        "Time of one backup, snapshot to upload.",
    ),
    (
        "cloudradar_collector_http_request_duration_seconds",
        "HTTP request latency by route, method and status class.",
    ),
];

/// Every metric the collector exports, with its help text. Counters of
/// failures start at zero, so alerts and dashboards see them before the
/// first failure (a series that does not exist cannot be rated).
fn describe() {
    use metrics::{describe_counter as c, describe_gauge as g, describe_histogram as h};
    for &(name, help) in COUNTERS {
        c!(name, help);
        metrics::counter!(name).increment(0);
    }
    c!(
        "cloudradar_collector_batches_rejected_total",
        "Batches rejected, by receiver and reason."
    );
    c!(
        "cloudradar_collector_dropped_bytes_total",
        "Batch bytes received and given up on, by reason (rate_limit, rejected, topic); every other byte is stored."
    );
    for reason in ["rate_limit", "rejected", "topic"] {
        metrics::counter!("cloudradar_collector_dropped_bytes_total", "reason" => reason)
            .increment(0);
    }
    c!(
        "cloudradar_collector_status_rejected_total",
        "Receiver status messages that could not be read, by receiver."
    );
    c!(
        "cloudradar_collector_mqtt_auth_refused_total",
        "MQTT logins refused, by reason (protocol, closed_at_start, user, password, client_id, loopback)."
    );
    c!(
        "cloudradar_collector_mqtt_connections_refused_total",
        "MQTT connections closed before login, by reason (address_limit and total_limit: closed at once; login_timeout; tls_handshake: a client's TLS handshake failed)."
    );
    crate::broker::register_metrics();
    c!(
        "cloudradar_collector_mqtt_acl_denied_total",
        "MQTT connections closed for a publish, will, subscription or unsubscription outside the receiver's own topics, by receiver."
    );
    c!(
        "cloudradar_collector_mqtt_packets_refused_total",
        "MQTT connections closed for a malformed, oversized or disallowed packet (e.g. a second CONNECT), by reason."
    );
    c!(
        "cloudradar_collector_frames_received_total",
        "Frames received, by receiver."
    );
    for &(name, help) in GAUGES {
        g!(name, help);
    }
    describe_mlat();
    for &(name, help) in HISTOGRAMS {
        h!(name, help);
    }
}

/// The multilateration series: the engine's (set by
/// `mlat::MlatMetrics::publish`, at zero and NaN before its first
/// snapshot) and what became of its fixes in the tracker.
fn describe_mlat() {
    use metrics::{describe_counter as c, describe_gauge as g};
    c!(
        "cloudradar_mlat_fixes_total",
        "Multilaterated fixes the engine produced."
    );
    c!(
        "cloudradar_mlat_solves_total",
        "Multilateration solves, by result (solved, or the reason a solve was refused)."
    );
    g!(
        "cloudradar_mlat_sync_pairs",
        "Receiver pairs whose clocks are synchronised for multilateration."
    );
    g!(
        "cloudradar_mlat_residual_ns",
        "Timing residual of recent solves, nanoseconds, by quantile (0.5, 0.95); NaN without solves."
    );
    g!(
        "cloudradar_mlat_selfcheck_error_meters",
        "Distance between self-check fixes and the aircraft's ADS-B positions, by quantile (0.5, 0.95); NaN without samples."
    );
    g!(
        "cloudradar_mlat_selfcheck_samples",
        "Self-check comparisons behind cloudradar_mlat_selfcheck_error_meters."
    );
    c!(
        "cloudradar_mlat_positions_total",
        "Multilaterated fixes offered to the aircraft state, by result (applied, better_source, older, implausible, invalid)."
    );
    for result in [
        "applied",
        "better_source",
        "older",
        "implausible",
        "invalid",
    ] {
        metrics::counter!("cloudradar_mlat_positions_total", "result" => result).increment(0);
    }
    crate::mlat::MlatMetrics::default().publish();
}
