//! A throwaway PKI for the TLS tests, made with openssl in a temporary
//! directory: `ca.pem`/`ca.key` (the CA the collector's clients trust),
//! `other.pem` (a CA nobody trusts) and `server.pem`/`server.key` for
//! `localhost` and 127.0.0.1, signed by the first.

use std::path::Path;
use std::process::Command;

/// A test CA and a server certificate for localhost, made with openssl.
pub fn certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for (ca, key, cert) in [
        ("ca", "ca.key", "ca.pem"),
        ("other-ca", "other.key", "other.pem"),
    ] {
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key,
            "-out",
            cert,
            "-days",
            "2",
            "-subj",
            &format!("/CN={ca}"),
        ]);
    }
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    // A DNS name: clients send it as SNI (an IP address in SNI is invalid
    // and rustls refuses the handshake).
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}
