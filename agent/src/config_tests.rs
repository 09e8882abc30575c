//! Tests of `config`.

use super::*;

/// The configuration `cloudradar-agent ARGS` runs with.
fn load(args: &[&str]) -> anyhow::Result<Config> {
    let (cli, matches) = cloudradar_shared::settings::try_parse_from::<crate::cli::Cli, _, _>(
        ["cloudradar-agent"].iter().chain(args),
    )?;
    cli.load_config(&matches)
}

#[test]
fn defaults_parse() {
    let c = Config::default();
    assert_eq!(c.inputs, ["tcp:127.0.0.1:30005:beast"]);
    assert_eq!(c.spool_max_bytes, 512 * 1024 * 1024);
    assert_eq!(
        (c.delivery, c.log_format),
        (Delivery::Collector, LogFormat::Text)
    );
    assert!(c.receiver_id.is_none() && c.lat.is_none());
}

/// The error loading a config file holding `toml` gives.
fn load_error(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("agent.toml");
    std::fs::write(&p, toml).unwrap();
    format!(
        "{:#}",
        load(&["--config", p.to_str().unwrap()]).unwrap_err()
    )
}

#[test]
fn bad_input_spec_names_the_key_and_file() {
    let err = load_error("inputs = [\"carrier-pigeon:1\"]\n");
    assert!(
        err.contains("agent.toml") && err.contains("inputs"),
        "{err}"
    );
}

#[test]
fn a_batch_larger_than_the_collector_takes_is_refused() {
    let err = load_error("batch_max_frames = 100000\n");
    assert!(
        err.contains("agent.toml") && err.contains("batch_max_frames"),
        "{err}"
    );
}

#[test]
fn unknown_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("agent.toml");
    std::fs::write(&p, "batch_intervall_ms = 3\n").unwrap();
    let err = Config::from_file(&p).unwrap_err().to_string();
    assert!(err.contains("batch_intervall_ms"), "{err}");
}

#[test]
fn missing_ca_file_names_the_key_and_the_file() {
    let err = format!(
        "{:#}",
        load(&[
            "--mqtt-url",
            "mqtts://broker.example:8883",
            "--mqtt-ca-file",
            "/nonexistent/broker-ca.pem",
        ])
        .unwrap_err()
    );
    assert!(
        err.contains("mqtt_ca_file") && err.contains("/nonexistent/broker-ca.pem"),
        "{err}"
    );
}

#[test]
fn tls_files_without_mqtts_are_refused() {
    let err = format!(
        "{:#}",
        load(&[
            "--mqtt-url",
            "mqtt://broker.example:1883",
            "--mqtt-ca-file",
            "ca.pem",
        ])
        .unwrap_err()
    );
    assert!(
        err.contains("mqtt_ca_file") && err.contains("mqtts://"),
        "{err}"
    );
}

#[test]
fn unknown_url_scheme_is_refused() {
    let err = format!(
        "{:#}",
        load(&["--mqtt-url", "ws://broker.example:80"]).unwrap_err()
    );
    assert!(err.contains("mqtt_url") && err.contains("ws"), "{err}");
}

/// Regression: a password in `mqtt_url` was printed in the error the
/// URL gave (it is not read from there: the broker saw it as part of
/// the host name).
#[test]
fn credentials_in_the_url_are_refused_without_showing_them() {
    for url in [
        "mqtt://rx-1:hunter2@broker:1883",
        "mqtts://rx-1:hunter2@broker",
    ] {
        let err = format!("{:#}", load(&["--mqtt-url", url]).unwrap_err());
        assert!(
            err.contains("mqtt_password") && err.contains("rx-1:********@broker"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("agent.toml");
    std::fs::write(&p, "mqtt_url = \"mqtt://a:1\"\nbatch_interval_ms = 100\n").unwrap();
    let c = load(&["--config", p.to_str().unwrap(), "--mqtt-url", "mqtt://b:2"]).unwrap();
    assert_eq!(c.mqtt_url, "mqtt://b:2");
    assert_eq!(c.batch_interval_ms, 100);
}

/// `--input` replaces the file's list (it does not add to it), and a
/// negative coordinate is a value, not a flag.
#[test]
fn repeated_inputs_replace_the_file_list() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("agent.toml");
    std::fs::write(&p, "inputs = [\"tcp:a:1\"]\nspool_max_age_s = 60\n").unwrap();
    let p = p.to_str().unwrap();
    let c = load(&["--config", p, "--input", "tcp:b:2", "--input", "tcp:c:3"]).unwrap();
    assert_eq!(c.inputs, ["tcp:b:2", "tcp:c:3"]);
    assert_eq!(c.spool_max_age_s, 60);
    let c = load(&["--config", p, "--lat", "-33.9", "--lon", "-70.7"]).unwrap();
    assert_eq!((c.lat, c.lon), (Some(-33.9), Some(-70.7)));
    assert_eq!(c.inputs, ["tcp:a:1"]);
}
