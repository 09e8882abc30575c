//! `deploy/agent/` stays in step with the binary: the example config is
//! valid, and the flags the systemd unit passes exist.

use std::process::Command;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/agent");

#[test]
fn example_config_passes_check_config() {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"))
        .args([
            "--config",
            &format!("{DEPLOY}/agent.toml"),
            "--check-config",
        ])
        .output()
        .expect("run agent");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mqtt_url = \"mqtt://collector.example.org:1883\""),
        "{text}"
    );
}

#[test]
fn systemd_unit_uses_existing_flags_and_variables() {
    let unit = std::fs::read_to_string(format!("{DEPLOY}/cloudradar-agent.service")).expect("unit");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let help = Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"))
        .arg("--help")
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    for flag in exec.split_whitespace().filter(|w| w.starts_with("--")) {
        assert!(
            help.contains(flag),
            "unit passes {flag}, which --help does not list"
        );
    }
    for var in unit.lines().filter_map(|l| l.strip_prefix("Environment=")) {
        let name = var.split('=').next().unwrap_or_default();
        assert!(
            help.contains(name),
            "unit sets {name}, which the agent does not read"
        );
    }
}
