//! TLS to the broker for `mqtts://` URLs: rustls, trusting either the
//! system's certificate store or a PEM CA bundle (`mqtt_ca_file`), and
//! optionally presenting a client certificate (`mqtt_client_cert_file` +
//! `mqtt_client_key_file`, mutual TLS). Every error names the config key
//! and the file, so a typo is found by `--check-config`, not at 3 a.m.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// Where the TLS material comes from (paths as configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct Files<'a> {
    /// PEM CA bundle; `None` = the system's trust store.
    pub ca: Option<&'a Path>,
    /// PEM client certificate chain (mutual TLS).
    pub client_cert: Option<&'a Path>,
    /// PEM client private key (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<&'a Path>,
}

/// Builds the rustls client configuration, reading and checking every file.
pub fn client_config(files: Files<'_>) -> anyhow::Result<Arc<ClientConfig>> {
    match (files.client_cert, files.client_key) {
        (Some(_), None) => {
            bail!("key `mqtt_client_key_file` is required with `mqtt_client_cert_file`")
        }
        (None, Some(_)) => {
            bail!("key `mqtt_client_cert_file` is required with `mqtt_client_key_file`")
        }
        _ => {}
    }
    let roots = match files.ca {
        Some(path) => ca_bundle(path)?,
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots);
    let config = match (files.client_cert, files.client_key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "mqtt_client_cert_file")?;
            let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                anyhow!(
                    "key `mqtt_client_key_file`: {}: no usable private key ({})",
                    key.display(),
                    pem_error(&e)
                )
            })?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                anyhow!(
                    "keys `mqtt_client_cert_file` and `mqtt_client_key_file`: {} and {} \
                     do not form a usable pair: {e}",
                    cert.display(),
                    key.display()
                )
            })?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn ca_bundle(path: &Path) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in certificates(path, "mqtt_ca_file")?.into_iter().enumerate() {
        roots.add(cert).map_err(|e| {
            anyhow!(
                "key `mqtt_ca_file`: {}: certificate {} is not a usable CA: {e}",
                path.display(),
                i + 1
            )
        })?;
    }
    Ok(roots)
}

/// The PEM certificates in `path`; at least one.
fn certificates(path: &Path, key: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow!("key `{key}`: {}: {}", path.display(), pem_error(&e)))?;
    if certs.is_empty() {
        bail!(
            "key `{key}`: {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            path.display()
        );
    }
    Ok(certs)
}

fn pem_error(e: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match e {
        Error::Io(io) => io.to_string(),
        Error::NoItemsFound => "no PEM section of the expected kind".into(),
        other => format!("not valid PEM ({other:?})"),
    }
}

fn system_roots() -> anyhow::Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        bail!(
            "key `mqtt_ca_file` is unset and the system has no usable CA certificates{why}; \
             set `mqtt_ca_file` to the broker's CA bundle"
        );
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(files: Files<'_>) -> String {
        format!("{:#}", client_config(files).unwrap_err())
    }

    #[test]
    fn missing_ca_file_names_the_key_and_the_file() {
        let e = err(Files {
            ca: Some(Path::new("/nonexistent/ca.pem")),
            ..Files::default()
        });
        assert!(
            e.contains("mqtt_ca_file") && e.contains("/nonexistent/ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "this is not a certificate\n").unwrap();
        let e = err(Files {
            ca: Some(&p),
            ..Files::default()
        });
        assert!(
            e.contains("mqtt_ca_file") && e.contains("ca.pem") && e.contains("no PEM"),
            "{e}"
        );
    }

    #[test]
    fn broken_pem_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(
            &p,
            "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = err(Files {
            ca: Some(&p),
            ..Files::default()
        });
        assert!(e.contains("mqtt_ca_file") && e.contains("ca.pem"), "{e}");
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let e = err(Files {
            ca: None,
            client_cert: Some(Path::new("client.pem")),
            client_key: None,
        });
        assert!(e.contains("mqtt_client_key_file"), "{e}");
    }
}
