//! Tests of `config`.

use super::*;

/// The configuration `cloudradar-collector ARGS` runs with.
fn load(args: &[&str]) -> anyhow::Result<Config> {
    let (cli, matches) = cloudradar_shared::settings::try_parse_from::<crate::cli::Cli, _, _>(
        ["cloudradar-collector"].iter().chain(args),
    )?;
    cli.load_config(&matches)
}

#[test]
fn defaults_parse() {
    let c = Config::default();
    assert_eq!(c.http_listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(c.max_batch_bytes, 1 << 20);
    assert!(c.restore_on_start && !c.allow_anonymous);
    assert!(c.http_auth_tokens.is_empty() && c.mqtt_url.is_none());
}

/// Flags for other settings leave what the file set alone, whatever
/// their defaults.
#[test]
fn unset_flags_leave_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "restore_on_start = false\nhttp_public_read = true\n").unwrap();
    let c = load(&["--config", path.to_str().unwrap(), "--flight-gap-s", "5"]).unwrap();
    assert!(!c.restore_on_start && c.http_public_read);
    assert_eq!(c.flight_gap_s, 5);
}

#[test]
fn file_values_are_overridden_by_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(
        &path,
        "data_dir = \"/srv/x\"\nredis_url = \"redis://a:1\"\nflight_gap_s = 60\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let c = load(&["--config", path, "--redis-url", "redis://b:2"]).unwrap();
    assert_eq!(c.data_dir, PathBuf::from("/srv/x"));
    assert_eq!(c.redis_url.as_deref(), Some("redis://b:2"));
    assert_eq!(c.flight_gap_s, 60);
}

#[test]
fn unknown_key_names_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "data_dri = \"x\"\n").unwrap();
    let err = Config::from_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("bad.toml") && err.contains("data_dri"),
        "{err}"
    );
}

#[test]
fn wrong_type_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "flight_gap_s = \"soon\"\n").unwrap();
    let err = Config::from_file(&path).unwrap_err().to_string();
    assert!(err.contains("flight_gap_s"), "{err}");
}

/// Regression: a retention of 0 days (or a huge one, overflowing)
/// deleted every position every ten seconds.
#[test]
fn retention_must_be_a_sane_number_of_days() {
    for days in [0, 36_501, u64::MAX] {
        let c = Config {
            retention_positions_days: days,
            ..Config::default()
        };
        let err = c.validate().unwrap_err();
        assert!(err.contains("retention_positions_days"), "{err}");
    }
    assert!(Config::default().validate().is_ok());
}

#[test]
fn masked_output_hides_the_password() {
    let c = Config {
        mqtt_password: Some("hunter2".into()),
        ..Config::default()
    };
    let t = c.to_toml_masked();
    assert!(!t.contains("hunter2") && t.contains("********"));
}

/// Regression: `--check-config` printed the passwords in `redis_url`
/// and `backup_endpoint`.
#[test]
fn masked_output_hides_the_passwords_in_urls() {
    let c = Config {
        redis_url: Some("redis://:s3cret@redis:6379/0".into()),
        backup_endpoint: Some("https://key:hunter3@s3.local".into()),
        ..Config::default()
    };
    let t = c.to_toml_masked();
    assert!(!t.contains("s3cret") && !t.contains("hunter3"), "{t}");
    assert!(t.contains("redis://:********@redis:6379/0"), "{t}");
    assert!(t.contains("https://key:********@s3.local"), "{t}");
}

/// Regression: `mqtts://b:8883` became the host `mqtts://b`, and the
/// collector kept failing to connect to it.
#[test]
fn an_mqtts_url_is_refused_by_name_not_read_as_a_host() {
    let c = Config {
        mqtt_url: Some("mqtts://b:8883".into()),
        ..Config::default()
    };
    let err = c.validate().unwrap_err();
    assert!(err.starts_with("mqtt_url:") && err.contains("TLS"), "{err}");
    let c = Config {
        mqtt_url: Some("mqtt://b:8883/x".into()),
        ..Config::default()
    };
    assert!(c.validate().unwrap_err().starts_with("mqtt_url:"));
}

#[test]
fn credentials_in_the_mqtt_url_are_refused_without_showing_them() {
    let c = Config {
        mqtt_url: Some("mqtt://collector:hunter4@broker:1883".into()),
        ..Config::default()
    };
    let err = c.validate().unwrap_err();
    assert!(
        err.contains("mqtt_username") && !err.contains("hunter4"),
        "{err}"
    );
}

#[test]
fn site_takes_negative_coordinates_and_needs_both() {
    let c = load(&["--site-lat", "40.64", "--site-lon", "-73.78"]).unwrap();
    let site = c.site().expect("a site");
    assert_eq!((site.lat, site.lon), (40.64, -73.78));
    let err = load(&["--site-lat", "40.64"]).unwrap_err().to_string();
    assert!(err.contains("site_lat/site_lon"), "{err}");
    let err = load(&["--site-lat", "91", "--site-lon", "0"])
        .unwrap_err()
        .to_string();
    assert!(err.contains("latitude -90 to 90"), "{err}");
}
