//! The collector as a process: MQTT in (embedded broker), buffer, SQLite,
//! HTTP out, with real frames from the long-flight recording.

mod support;

use std::time::Duration;

use support::*;

#[test]
fn batches_flow_from_mqtt_to_sqlite_and_the_api_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\nrx-b:pw-b\n").unwrap();
    let c = start_collector(
        dir.path(),
        0,
        0,
        &["--credentials-file", creds.to_str().unwrap()],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(20_000);
    let a = batches("rx-a", &frames, 500, 1);
    let msgs = encoded(&a);
    publish(mqtt, "rx-a", Some(("rx-a", "pw-a")), &msgs).expect("publish");
    wait_for!(Duration::from_secs(60), || receptions(http) == 20_000);
    // The same batches again (an agent re-sending after an outage) change nothing.
    publish(mqtt, "rx-a", Some(("rx-a", "pw-a")), &msgs).expect("re-publish");
    // Done once the store has committed all 80, the last 40 as duplicates.
    wait_for!(Duration::from_secs(30), || batches_committed(http) >= 80.0);
    assert_eq!(receptions(http), 20_000);
    let stats = get_json(http, "/api/v1/stats");
    assert_eq!(stats["totals"]["batches"], 40);
    // A second receiver hearing the same frames: receptions double, messages do not.
    let b = batches("rx-b", &frames[..5_000], 500, 1);
    publish(mqtt, "rx-b", Some(("rx-b", "pw-b")), &encoded(&b)).expect("publish b");
    wait_for!(Duration::from_secs(30), || receptions(http) == 25_000);
    let after = get_json(http, "/api/v1/stats");
    assert_eq!(
        after["totals"]["messages"], stats["totals"]["messages"],
        "cross-receiver duplicates are one message"
    );
    // The live view is a snapshot the processing refreshes on its own clock.
    let mut aircraft = serde_json::Value::Null;
    wait_for!(
        Duration::from_secs(30),
        || {
            aircraft = get_json(http, "/api/v1/aircraft");
            aircraft["aircraft"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        },
        "aircraft in the live view: {aircraft}"
    );
    let receivers = get_json(http, "/api/v1/receivers");
    assert_eq!(receivers["receivers"].as_array().map(Vec::len), Some(2));
    // Keyset pagination: a full page names its last id, the next page starts after it.
    // (The first 20,000 frames are at the gate: flights, but no airborne positions yet.)
    let page = get_json(http, "/api/v1/flights?limit=1");
    let first = page["flights"][0]["id"].as_i64().expect("a flight");
    assert_eq!(page["next"].as_i64(), Some(first));
    let rest = get_json(http, &format!("/api/v1/flights?limit=1000&after={first}"));
    let rest = rest["flights"].as_array().unwrap();
    assert!(!rest.is_empty() && rest.iter().all(|f| f["id"].as_i64().unwrap() > first));
    assert_eq!(
        get_json(http, &format!("/api/v1/flights?limit=1000&after={first}"))["next"],
        serde_json::Value::Null
    );
    drop(c);
}

#[test]
fn wrong_credentials_and_bad_batches_are_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:pw-a\n").unwrap();
    let c = start_collector(
        dir.path(),
        0,
        0,
        &["--credentials-file", creds.to_str().unwrap()],
    );
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(100);
    let good = encoded(&batches("rx-a", &frames, 100, 1));
    assert!(
        publish(mqtt, "rx-a", Some(("rx-a", "wrong")), &good).is_err(),
        "wrong password refused"
    );
    // Garbage, truncated (a version 2 batch cut in half: "truncated"; a
    // version 1 batch, one zstd frame, cut: "malformed"), wrong version,
    // and a batch claiming another receiver.
    let mut wrong_version = good[0].1.clone();
    wrong_version[3] = 9;
    let other = encoded(&batches("rx-b", &frames, 100, 1));
    let v1 = cloudradar_shared::wire::encode_v1(&batches("rx-a", &frames, 100, 1)[0]);
    let bad = vec![
        (good[0].0.clone(), b"random bytes".to_vec()),
        (good[0].0.clone(), good[0].1[..good[0].1.len() / 2].to_vec()),
        (good[0].0.clone(), v1[..v1.len() / 2].to_vec()),
        (good[0].0.clone(), wrong_version),
        (good[0].0.clone(), other[0].1.clone()),
    ];
    publish(mqtt, "rx-a", Some(("rx-a", "pw-a")), &bad).expect("publish");
    publish(mqtt, "rx-a", Some(("rx-a", "pw-a")), &good).expect("publish");
    wait_for!(Duration::from_secs(30), || receptions(http) == 100);
    let (_, metrics) = get(http, "/metrics").unwrap();
    for reason in [
        "magic",
        "truncated",
        "malformed",
        "version",
        "receiver_mismatch",
    ] {
        assert!(
            metrics.contains(&format!("reason=\"{reason}\"")),
            "no rejection counted for {reason}:\n{metrics}"
        );
    }
    assert_eq!(get(http, "/readyz").unwrap().0, 200);
}

/// Regression: a batch numbered 2^63 or above was stored, its sequence
/// negative in SQLite (signed integers); it is refused at the door.
#[test]
fn a_batch_sequence_the_store_cannot_keep_is_refused_and_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(150);
    let (huge, fine) = frames.split_at(100);
    // The refused batch goes first: once the one after it is stored, it
    // has been handled.
    let mut sent = encoded(&batches("rx-a", huge, 100, 1 << 63));
    sent.extend(encoded(&batches("rx-a", fine, 50, 1)));
    publish(mqtt, "rx-a", Some(("rx-a", "any")), &sent).expect("publish");
    wait_for!(Duration::from_secs(30), || receptions(http) >= 50);
    assert_eq!(receptions(http), 50, "only the batch numbered 1 is stored");
    let (_, metrics) = get(http, "/metrics").unwrap();
    assert!(
        metrics.lines().any(
            |l| l.starts_with("cloudradar_collector_batches_rejected_total")
                && l.contains("reason=\"sequence\"")
                && l.ends_with(" 1")
        ),
        "no rejection counted for the sequence:\n{metrics}"
    );
}

#[test]
fn api_rejects_bad_parameters_with_the_parameter_named() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let http = c.http;
    for (path, name) in [
        ("/api/v1/flights?icao=zzzzzz", "icao"),
        ("/api/v1/positions?limit=0", "limit"),
        ("/api/v1/positions?bbox=1,2,3", "bbox"),
        ("/api/v1/flights?callsign=%27;DROP%20TABLE", "callsign"),
        ("/api/v1/positions?from=yesterday", "from"),
        // Regression: these matched nothing only after scanning every
        // position, holding a query slot all the while.
        ("/api/v1/positions?from=1&to=0", "from"),
        ("/api/v1/positions?bbox=0,NaN,1,NaN", "bbox"),
        ("/api/v1/positions?bbox=0,10,1,-10", "bbox"),
        ("/api/v1/positions?bbox=0,-200,1,10", "bbox"),
        ("/api/v1/flights?from=5&to=4", "from"),
    ] {
        let (status, body) = get(http, path).unwrap();
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(name), "{path}: {body}");
    }
    let (status, _) = get(http, "/../../etc/passwd").unwrap();
    assert!((400..500).contains(&status));
    assert_eq!(get(http, "/api/v1/aircraft/abcdef").unwrap().0, 404);
}

/// Regression: acknowledging status messages and rejected batches out of
/// order with accepted ones made the embedded broker (rumqttd 0.20) drop
/// the collector's connection, and its shared-subscription bookkeeping then
/// panicked, leaving the collector deaf (seen in the demo).
#[test]
fn interleaved_status_bad_and_good_batches_keep_the_embedded_broker_alive() {
    let dir = tempfile::tempdir().unwrap();
    let c = start_collector(dir.path(), 0, 0, &["--allow-anonymous", "true"]);
    let (mqtt, http) = (c.mqtt, c.http);
    let frames = recording(6_000);
    let good = encoded(&batches("rx-a", &frames, 100, 1));
    let status = br#"{"state":"online","version":"test"}"#.to_vec();
    let mut msgs = Vec::new();
    for (topic, payload) in good {
        msgs.push(("cloudradar/v1/rx-a/status".to_string(), status.clone()));
        msgs.push((topic.clone(), b"not a batch".to_vec()));
        msgs.push((topic, payload));
    }
    // Three sessions one after another (a receiver's client id is its user
    // name), each reconnecting as an agent does if the previous one's
    // teardown closes it.
    for _ in 0..3 {
        publish(mqtt, "rx-a", Some(("rx-a", "")), &msgs).expect("publish");
    }
    wait_for!(Duration::from_secs(60), || receptions(http) == 6_000);
    assert_eq!(get(http, "/readyz").unwrap().0, 200, "still subscribed");
}

/// No secret reaches the logs or `--check-config`: API users and tokens,
/// receiver credentials, S3 keys.
#[test]
fn secrets_never_appear_in_logs_or_the_printed_config() {
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::write(&creds, "rx-a:receiver-secret-42\n").unwrap();
    let log = dir.path().join("collector.log");
    let secrets = [
        "Api-Secret-Pass-9",
        "token-secret-0123456789abcdef",
        "receiver-secret-42",
        "aws-secret-key-77",
    ];
    let args = [
        "--data-dir".to_string(),
        dir.path().join("data").display().to_string(),
        "--http-listen".into(),
        "127.0.0.1:0".into(),
        "--mqtt-listen".into(),
        "127.0.0.1:0".into(),
        "--credentials-file".into(),
        creds.display().to_string(),
        "--http-basic-users".into(),
        format!("ops:{}", secrets[0]),
        "--http-auth-tokens".into(),
        secrets[1].into(),
        "--backup-bucket".into(),
        "b-bucket".into(),
    ];
    let run = |extra: &[&str], stderr: std::process::Stdio| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cloudradar-collector"));
        cmd.args(&args)
            .args(extra)
            .env("AWS_SECRET_ACCESS_KEY", secrets[3])
            .env("AWS_ACCESS_KEY_ID", "k")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("RUST_LOG", "debug,rumqttd=warn")
            .stdout(std::process::Stdio::piped())
            .stderr(stderr);
        cmd
    };
    let printed = run(&["--check-config"], std::process::Stdio::piped())
        .output()
        .expect("check-config");
    let printed = String::from_utf8_lossy(&printed.stdout).to_string();
    assert!(printed.contains("ops:********"), "{printed}");
    let child = run(
        &["--restore-on-start", "false"],
        std::fs::File::create(&log).unwrap().into(),
    )
    .spawn()
    .unwrap();
    let mut c = Proc::adopt("collector", child);
    let (mqtt, http) = (
        logged_port(&log, "mqtt_addr"),
        logged_port(&log, "http_addr"),
    );
    wait_for!(Duration::from_secs(30), || {
        get(http, "/readyz").map(|(s, _)| s == 200).unwrap_or(false)
    });
    // A wrong password, a right one, a receiver login.
    let _ = get_with(
        http,
        "/api/v1/stats",
        &[("Authorization", "Basic b3BzOndyb25n")],
    );
    let _ = get_with(
        http,
        "/api/v1/stats",
        &[("Authorization", &format!("Bearer {}", secrets[1]))],
    );
    let frames = recording(1_000);
    publish(
        mqtt,
        "rx-a",
        Some(("rx-a", secrets[2])),
        &encoded(&batches("rx-a", &frames, 500, 1)),
    )
    .expect("publish");
    c.terminate();
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("HTTP API listening"),
        "logs captured: {logged}"
    );
    for s in secrets {
        assert!(!logged.contains(s), "{s} in the logs");
        assert!(!printed.contains(s), "{s} in --check-config");
    }
}
