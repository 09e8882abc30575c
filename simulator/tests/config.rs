//! The scenario as the simulator binary prints it: `--check-config`,
//! `--help` and configuration errors show no password.

use std::process::{Command, Output};

const PASSWORD: &str = "agents-s3cret-1";
const URL: &str = "mqtt://sim:url-s3cret-2@broker:1883";

fn sim(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-sim"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("simulator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// Regression: `--help` listed `CLOUDRADAR_SIM_AGENTS_MQTT`'s value, and
/// `--check-config` the URL, with the password in its userinfo.
#[test]
fn no_password_is_printed_from_flags_or_environment() {
    let env = [
        ("CLOUDRADAR_SIM_AGENTS_MQTT", URL),
        ("CLOUDRADAR_SIM_AGENTS_PASSWORD", PASSWORD),
    ];
    let (out, help) = sim(&["--help"], &env);
    assert!(out.status.success(), "{help}");
    assert!(help.contains("CLOUDRADAR_SIM_AGENTS_MQTT"), "{help}");
    for (out, text) in [
        (out, help),
        sim(&["--check-config"], &env),
        sim(&["--agents-mqtt", URL, "--check-config"], &[]),
    ] {
        assert!(
            !text.contains(PASSWORD) && !text.contains("url-s3cret-2"),
            "{:?}: {text}",
            out.status
        );
    }
    let (out, text) = sim(
        &["--check-config", "--agents-mqtt", "mqtt://broker:1883"],
        &[("CLOUDRADAR_SIM_AGENTS_PASSWORD", PASSWORD)],
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains(PASSWORD), "{text}");
}

/// The scenarios in `deploy/docker/` load and pass validation; the
/// image's has the four receivers multilateration needs at least.
#[test]
fn the_shipped_scenarios_load() {
    for (file, receivers) in [("sim.toml", 4), ("sim-mlat.toml", 6)] {
        let path = format!("{}/../deploy/docker/{file}", env!("CARGO_MANIFEST_DIR"));
        let (out, text) = sim(&["--config", &path, "--check-config"], &[]);
        assert!(out.status.success(), "{file}: {text}");
        let n = text.matches("[[receivers]]").count();
        assert_eq!(n, receivers, "{file}: {text}");
    }
}
