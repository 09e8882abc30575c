//! The agent's metrics: the Prometheus recorder and every metric's help
//! text. Failure counters start at zero so alerts see them from the start.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds from a batch's oldest frame being accepted to the broker's ack.
pub const DELIVERY: &str = "cloudradar_agent_delivery_seconds";
/// Fine steps around the default batch interval (250 ms) and the 500 ms
/// target, coarse ones for deliveries after an outage.
const DELIVERY_BUCKETS: &[f64] = &[
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
    300.0, 3600.0,
];

/// Installs the Prometheus recorder; `None` if one is already installed.
pub fn init_metrics() -> Option<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(DELIVERY.into()), DELIVERY_BUCKETS)
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

/// Counters labelled by input or reason: their series appear with the
/// first event.
const LABELLED_COUNTERS: [(&str, &str); 5] = [
    ("cloudradar_agent_frames_in_total", "Frames read, by input."),
    (
        "cloudradar_agent_frames_rejected_total",
        "Frames rejected, by reason (CRC, malformed).",
    ),
    (
        "cloudradar_agent_garbage_bytes_total",
        "Bytes skipped resynchronising a Beast stream, by input.",
    ),
    (
        "cloudradar_agent_garbage_lines_total",
        "Unreadable AVR lines, by input.",
    ),
    (
        "cloudradar_agent_input_reconnects_total",
        "Input reconnections, by input.",
    ),
];

/// Counters without labels, exported from zero.
const COUNTERS: [(&str, &str); 13] = [
    (
        "cloudradar_agent_frames_accepted_total",
        "Frames that passed CRC and de-duplication.",
    ),
    (
        "cloudradar_agent_frames_corrected_total",
        "Frames accepted after a 1-bit CRC correction.",
    ),
    (
        "cloudradar_agent_frames_duplicate_total",
        "Frames dropped as repeats within the window.",
    ),
    (
        "cloudradar_agent_frames_reduced_total",
        "Frames dropped by reduce mode (positions and velocities thinned).",
    ),
    ("cloudradar_agent_batches_total", "Batches built."),
    (
        "cloudradar_agent_batches_published_total",
        "Batches acknowledged by the broker.",
    ),
    (
        "cloudradar_agent_batches_confirmed_total",
        "Batches the collector confirmed it is done with (stored, or dropped and counted there); deleted from the spool.",
    ),
    (
        "cloudradar_agent_batches_resent_total",
        "Batches sent again because the collector had not confirmed them within confirm_timeout_s (a broker lost them, or the collector is behind).",
    ),
    (
        "cloudradar_agent_batches_dropped_total",
        "Spooled batches dropped by the spool's bounds.",
    ),
    (
        "cloudradar_agent_frames_dropped_total",
        "Accepted frames dropped because no batch sequence number could be saved (disk full or failing).",
    ),
    (
        "cloudradar_agent_spool_write_errors_total",
        "Batches the spool could not write (disk full, I/O error), held in memory instead.",
    ),
    (
        "cloudradar_agent_mqtt_reconnects_total",
        "MQTT reconnections.",
    ),
    (
        "cloudradar_agent_upstream_bytes_total",
        "Bytes published upstream.",
    ),
];

const GAUGES: [(&str, &str); 6] = [
    (
        "cloudradar_agent_input_connected",
        "1 when the input is connected, by input.",
    ),
    (
        "cloudradar_agent_mqtt_connected",
        "1 when connected to the broker.",
    ),
    (
        "cloudradar_agent_spool_batches",
        "Batches in the disk spool.",
    ),
    ("cloudradar_agent_spool_bytes", "Bytes in the disk spool."),
    (
        "cloudradar_agent_batches_unconfirmed",
        "Batches the broker took that the collector has not confirmed yet (at most max_unconfirmed).",
    ),
    (
        "cloudradar_agent_spool_max_bytes",
        "Bound of the disk spool.",
    ),
];

fn describe() {
    use metrics::{describe_counter as c, describe_gauge as g};
    metrics::describe_histogram!(
        DELIVERY,
        metrics::Unit::Seconds,
        "Seconds from a batch's oldest frame being accepted to its delivery: the collector's confirmation (delivery = collector) or the broker's acknowledgement (delivery = broker); batches of this run."
    );
    for (name, help) in LABELLED_COUNTERS {
        c!(name, help);
    }
    for (name, help) in COUNTERS {
        c!(name, help);
        metrics::counter!(name).increment(0);
    }
    for (name, help) in GAUGES {
        g!(name, help);
    }
}
