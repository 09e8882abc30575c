//! The configuration as the binary prints it: `--check-config` and
//! `--help` show the passwords in URLs masked, from flags and from the
//! environment alike.

use std::process::Command;

const REDIS_URL: &str = "redis://:redis-s3cret-1@redis:6379/0";
const ENDPOINT: &str = "https://backup-key:backup-s3cret-2@s3.example.org";
const SECRETS: [&str; 2] = ["redis-s3cret-1", "backup-s3cret-2"];

/// Runs the collector with `args`, the URLs given by `how`, and returns stdout.
fn printed(args: &[&str], how: Given) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"));
    match how {
        Given::Flags => {
            cmd.args(["--redis-url", REDIS_URL, "--backup-endpoint", ENDPOINT]);
        }
        Given::Env => {
            cmd.env("CLOUDRADAR_REDIS_URL", REDIS_URL)
                .env("CLOUDRADAR_BACKUP_ENDPOINT", ENDPOINT);
        }
    }
    let out = cmd.args(args).output().expect("collector");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[derive(Debug, Clone, Copy)]
enum Given {
    Flags,
    Env,
}

/// Regression: `--check-config` printed `redis_url` and `backup_endpoint`
/// with their passwords.
#[test]
fn check_config_masks_the_passwords_in_urls() {
    for how in [Given::Flags, Given::Env] {
        let text = printed(&["--check-config"], how);
        for secret in SECRETS {
            assert!(!text.contains(secret), "{how:?} shows {secret}:\n{text}");
        }
        assert!(
            text.contains("redis_url = \"redis://:********@redis:6379/0\""),
            "{how:?}:\n{text}"
        );
        assert!(
            text.contains("backup_endpoint = \"https://backup-key:********@s3.example.org\""),
            "{how:?}:\n{text}"
        );
    }
}

/// Regression: `--help` listed the environment's values, URL passwords
/// included, next to each option.
#[test]
fn help_shows_no_secret_from_the_environment() {
    let text = printed(&["--help"], Given::Env);
    for secret in SECRETS {
        assert!(!text.contains(secret), "--help shows {secret}:\n{text}");
    }
    assert!(text.contains("CLOUDRADAR_REDIS_URL"), "{text}");
}
