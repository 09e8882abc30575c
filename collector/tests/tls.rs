//! The embedded broker's MQTT-over-TLS listener: a receiver publishing over
//! TLS (Mosquitto's client, verifying the server against a test CA) is
//! stored like one on the plain port; a client that does not trust the
//! certificate, or speaks plain MQTT to the TLS port, gets nothing in.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::*;

fn mosquitto_pub(port: u16, cafile: Option<&Path>, payload: &Path) -> std::process::Output {
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args([
        "-h",
        "localhost",
        "-p",
        &port.to_string(),
        "-i",
        "rx-a",
        "-u",
        "rx-a",
        "-P",
        "pw-a",
    ])
    .args(["-q", "1", "-t", "cloudradar/v1/rx-a/frames", "-f"])
    .arg(payload);
    if let Some(ca) = cafile {
        cmd.arg("--cafile").arg(ca);
    }
    cmd.output().expect("mosquitto_pub")
}

#[test]
fn a_receiver_publishing_over_tls_is_stored_and_untrusted_clients_are_not() {
    let dir = tempfile::tempdir().unwrap();
    support::pki::certificates(dir.path());
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\n").unwrap();
    let tls_listen = "127.0.0.1:0".to_string();
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let mut c = start_collector(
        &dir.path().join("data"),
        0,
        0,
        &[
            "--credentials-file",
            creds.to_str().unwrap(),
            "--mqtt-tls-listen",
            &tls_listen,
            "--mqtt-tls-cert-file",
            cert.to_str().unwrap(),
            "--mqtt-tls-key-file",
            key.to_str().unwrap(),
        ],
    );
    let http = c.http;
    let tls = bound_port(&mut c.proc, "mqtt_tls_addr");
    let frames = recording(3_000);
    let payloads = encoded(&batches("rx-a", &frames, 1_000, 1));
    let files: Vec<_> = payloads
        .iter()
        .enumerate()
        .map(|(i, (_, bytes))| {
            let f = dir.path().join(format!("batch-{i}.bin"));
            std::fs::write(&f, bytes).unwrap();
            f
        })
        .collect();

    // Not trusted (another CA) and plain MQTT on the TLS port: refused.
    let untrusted = mosquitto_pub(tls, Some(&dir.path().join("other.pem")), &files[0]);
    assert!(!untrusted.status.success(), "{untrusted:?}");
    let plain = mosquitto_pub(tls, None, &files[0]);
    assert!(!plain.status.success(), "{plain:?}");
    // Both refused in the handshake, before any packet reached the broker.
    let series = "cloudradar_collector_mqtt_connections_refused_total{reason=\"tls_handshake\"}";
    wait_for!(Duration::from_secs(10), || {
        support::scenario::scrape(http, series) >= 2.0
    });
    assert_eq!(receptions(http), 0);

    // Trusted: every batch stored.
    for f in &files {
        let out = mosquitto_pub(tls, Some(&dir.path().join("ca.pem")), f);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    wait_for!(Duration::from_secs(30), || receptions(http) == 3_000);
}
