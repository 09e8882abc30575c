//! The configuration as the agent binary prints it: `--check-config`,
//! `--help` and configuration errors show no password, from flags or
//! from the environment.

use std::process::{Command, Output};

const PASSWORD: &str = "broker-s3cret-1";
const URL_PASSWORD: &str = "url-s3cret-2";

fn agent(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudradar-agent"))
        // No /etc/cloudradar/agent.toml of the machine running the tests.
        .args(["--config", "/dev/null"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("agent")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn check_config_masks_the_password_from_flags_and_environment() {
    for out in [
        agent(&["--mqtt-password", PASSWORD, "--check-config"], &[]),
        agent(
            &["--check-config"],
            &[("CLOUDRADAR_MQTT_PASSWORD", PASSWORD)],
        ),
    ] {
        let t = text(&out);
        assert!(out.status.success(), "{t}");
        assert!(!t.contains(PASSWORD), "{t}");
        assert!(t.contains("mqtt_password = \"********\""), "{t}");
    }
}

/// Regression: `--help` listed `CLOUDRADAR_MQTT_URL`'s value, with the
/// password in its userinfo.
#[test]
fn help_shows_no_secret_from_the_environment() {
    let out = agent(
        &["--help"],
        &[
            (
                "CLOUDRADAR_MQTT_URL",
                &format!("mqtt://rx-1:{URL_PASSWORD}@broker:1883"),
            ),
            ("CLOUDRADAR_MQTT_PASSWORD", PASSWORD),
        ],
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(!t.contains(PASSWORD) && !t.contains(URL_PASSWORD), "{t}");
    assert!(t.contains("CLOUDRADAR_MQTT_URL"), "{t}");
}

/// Regression: a password in `mqtt_url` (which the agent does not read
/// from there) was printed in the configuration error.
#[test]
fn credentials_in_the_url_are_refused_and_masked() {
    let url = format!("mqtt://rx-1:{URL_PASSWORD}@broker:1883");
    for out in [
        agent(&["--mqtt-url", &url, "--check-config"], &[]),
        agent(&["--check-config"], &[("CLOUDRADAR_MQTT_URL", &url)]),
    ] {
        let t = text(&out);
        assert!(!out.status.success(), "{t}");
        assert!(!t.contains(URL_PASSWORD), "{t}");
        assert!(t.contains("mqtt://rx-1:********@broker:1883"), "{t}");
    }
}
