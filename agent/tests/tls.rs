//! TLS to a real broker: Mosquitto with a TLS listener and certificates
//! made by `openssl` at test time. A recording sent over `mqtts://` arrives
//! whole (server authentication, then mutual TLS); with the wrong CA the
//! agent refuses the broker, says why, and keeps everything spooled until
//! it is restarted with the right CA.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cloudradar_shared::wire::{Limits, decode};
use common::{
    DATA, LONG_FLIGHT_ACCEPTED, Mosquitto, Stderr, agent_at, mosquitto, port, subscriber,
    unique_frames, wait_for, whole_recording_arrives,
};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`<name>.pem`, `<name>.key`) in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
    dir.join(format!("{name}.pem"))
}

/// A certificate `<name>.pem` + key `<name>.key` signed by `ca`, with
/// the given X.509 v3 extensions.
fn make_cert(dir: &Path, ca: &str, name: &str, ext: &str) {
    std::fs::write(dir.join(format!("{name}.ext")), ext).expect("ext");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            &format!("{name}.ext"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}

struct Pki {
    ca: PathBuf,
    other_ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    server_conf: String,
}

/// The broker's CA and server certificate (for 127.0.0.1), a client
/// certificate from the same CA, and an unrelated CA.
fn pki(dir: &Path) -> Pki {
    let ca = make_ca(dir, "ca");
    let other_ca = make_ca(dir, "other-ca");
    make_cert(
        dir,
        "ca",
        "server",
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         extendedKeyUsage=serverAuth\n",
    );
    make_cert(
        dir,
        "ca",
        "client",
        "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n",
    );
    // Mosquitto started as root reads its files after dropping to the
    // `mosquitto` user: let it into the (private) temp directory.
    readable_by_all(dir);
    Pki {
        server_conf: format!(
            "cafile {}\ncertfile {}\nkeyfile {}\n",
            ca.display(),
            dir.join("server.pem").display(),
            dir.join("server.key").display()
        ),
        ca,
        other_ca,
        client_cert: dir.join("client.pem"),
        client_key: dir.join("client.key"),
    }
}

/// Mosquitto with a plain listener (for the test's subscriber, its
/// `port`) and a TLS listener (for the agent) on the port returned.
fn tls_broker(dir: &Path, listener_extra: &str) -> (Mosquitto, u16) {
    let tls = port::locked();
    let broker = mosquitto(
        dir,
        &format!("allow_anonymous true\nlistener {tls} 127.0.0.1\n{listener_extra}"),
    );
    wait_for!(Duration::from_secs(10), || {
        TcpStream::connect(("127.0.0.1", tls)).is_ok()
    });
    (broker, tls)
}

fn readable_by_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let set = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    set(dir, 0o755);
    for e in std::fs::read_dir(dir).expect("dir").filter_map(Result::ok) {
        set(&e.path(), 0o644);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Frames in the complete batches of a spool directory.
fn spooled_frames(spool: &Path) -> usize {
    std::fs::read_dir(spool)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".batch"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| decode(&b, &Limits::default()).ok())
                .map(|b| b.frames.len())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn a_recording_arrives_whole_over_mqtts_with_a_custom_ca() {
    let dir = tempfile::tempdir().expect("tmp");
    let pki = pki(dir.path());
    let (broker, tls) = tls_broker(dir.path(), &pki.server_conf);
    let plain = broker.port;
    let got = subscriber(plain);
    let _agent = agent_at(
        &dir.path().join("agent"),
        &format!("mqtts://127.0.0.1:{tls}"),
        &format!("file:{DATA}/long_flight.csv"),
        &["--dedup-window-ms", "0", "--mqtt-ca-file", path(&pki.ca)],
        Stderr::Keep,
    );
    whole_recording_arrives(&got, Duration::from_secs(60));
}

#[test]
fn mutual_tls_delivers_with_a_client_certificate_and_is_refused_without() {
    let dir = tempfile::tempdir().expect("tmp");
    let pki = pki(dir.path());
    let (broker, tls) = tls_broker(
        dir.path(),
        &format!("{}require_certificate true\n", pki.server_conf),
    );
    let plain = broker.port;
    let got = subscriber(plain);
    let input = format!("file:{DATA}/long_flight.csv");
    let url = format!("mqtts://127.0.0.1:{tls}");

    // Without a client certificate the broker refuses the handshake: all spooled.
    let anonymous = dir.path().join("anonymous");
    let _a = agent_at(
        &anonymous,
        &url,
        &input,
        &["--dedup-window-ms", "0", "--mqtt-ca-file", path(&pki.ca)],
        Stderr::To(Stdio::null()),
    );
    wait_for!(Duration::from_secs(60), || {
        spooled_frames(&anonymous.join("spool")) == LONG_FLIGHT_ACCEPTED
    });
    assert_eq!(unique_frames(&got.lock().expect("lock")), 0);

    let _b = agent_at(
        &dir.path().join("agent"),
        &url,
        &input,
        &[
            "--dedup-window-ms",
            "0",
            "--mqtt-ca-file",
            path(&pki.ca),
            "--mqtt-client-cert-file",
            path(&pki.client_cert),
            "--mqtt-client-key-file",
            path(&pki.client_key),
        ],
        Stderr::Keep,
    );
    whole_recording_arrives(&got, Duration::from_secs(60));
}

#[test]
fn wrong_ca_keeps_everything_spooled_and_the_right_ca_delivers_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let pki = pki(dir.path());
    let (broker, tls) = tls_broker(dir.path(), &pki.server_conf);
    let plain = broker.port;
    let got = subscriber(plain);
    let data = dir.path().join("agent");
    let url = format!("mqtts://127.0.0.1:{tls}");
    let log = dir.path().join("agent-wrong-ca.log");
    let mut wrong = agent_at(
        &data,
        &url,
        &format!("file:{DATA}/long_flight.csv"),
        &[
            "--dedup-window-ms",
            "0",
            "--mqtt-ca-file",
            path(&pki.other_ca),
        ],
        Stderr::To(Stdio::from(std::fs::File::create(&log).expect("log"))),
    );
    // Every accepted frame of the recording ends up in the spool.
    wait_for!(Duration::from_secs(60), || {
        spooled_frames(&data.join("spool")) == LONG_FLIGHT_ACCEPTED
    });
    assert_eq!(unique_frames(&got.lock().expect("lock")), 0);
    let _ = wrong.child().kill();
    let _ = wrong.child().wait();
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.lines().any(|l| l.contains("broker connection failed")
            && l.contains("certificate")
            && l.contains("UnknownIssuer")),
        "no TLS error logged:\n{text}"
    );

    // Restarted with the right CA and an input that yields nothing: the spool drains.
    let _right = agent_at(
        &data,
        &url,
        &format!("tcp:127.0.0.1:{}", port::locked()),
        &["--mqtt-ca-file", path(&pki.ca)],
        Stderr::Keep,
    );
    whole_recording_arrives(&got, Duration::from_secs(60));
    wait_for!(Duration::from_secs(30), || {
        spooled_frames(&data.join("spool")) == 0
    });
}
