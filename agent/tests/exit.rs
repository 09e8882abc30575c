//! The agent as a process ends on its own once its file inputs are read
//! and every batch is delivered, whatever else it runs beside them.

mod common;

use std::time::{Duration, Instant};

use common::{agent, http_port, mosquitto, recording_excerpt, subscriber, unique_frames, wait_for};

/// Regression: with `--http-listen` the local HTTP server waited for a
/// cancellation that never came once the inputs ended, so an agent
/// replaying a file never exited after delivering it.
#[test]
fn a_file_agent_with_http_listen_exits_once_everything_is_delivered() {
    let dir = tempfile::tempdir().expect("tmp");
    // 2,000 frames of the recording: a few batches, delivered in seconds.
    let excerpt = recording_excerpt(dir.path(), 2_000);
    let broker = mosquitto(dir.path(), "allow_anonymous true\n");
    let port = broker.port;
    let got = subscriber(port);
    let mut a = agent(
        &dir.path().join("agent"),
        port,
        &format!("file:{}", excerpt.display()),
        &["--http-listen", "127.0.0.1:0", "--dedup-window-ms", "0"],
    );
    let http = format!("127.0.0.1:{}", http_port(&mut a));
    // The endpoint serves while the agent runs...
    wait_for!(Duration::from_secs(10), || {
        std::net::TcpStream::connect(&http).is_ok() || a.child().try_wait().ok().flatten().is_some()
    });
    let end = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = a.child().try_wait().expect("agent") {
            break status;
        }
        assert!(
            Instant::now() < end,
            "the agent still runs 30 s after starting; {} frames delivered",
            unique_frames(&got.lock().expect("lock"))
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    // ...and it ended only after delivering every frame, HTTP server and all.
    wait_for!(Duration::from_secs(5), || {
        unique_frames(&got.lock().expect("lock")) > 1_900
    });
    assert!(std::net::TcpStream::connect(&http).is_err());
}
