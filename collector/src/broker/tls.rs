//! The TLS listener's server configuration (rustls, aws-lc-rs): the PEM
//! certificate chain and private key from `mqtt_tls_cert_file` and
//! `mqtt_tls_key_file`. Errors name the config key and the file.

use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Reads both files and builds the server configuration.
pub fn server_config(cert_file: &str, key_file: &str) -> anyhow::Result<Arc<ServerConfig>> {
    for (key, path) in [
        ("mqtt_tls_cert_file", cert_file),
        ("mqtt_tls_key_file", key_file),
    ] {
        std::fs::File::open(path).with_context(|| format!("{key}: cannot read {path}"))?;
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow!("mqtt_tls_cert_file: {cert_file}: not valid PEM ({e:?})"))?;
    if chain.is_empty() {
        bail!("mqtt_tls_cert_file: {cert_file}: no PEM certificate in the file");
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| anyhow!("mqtt_tls_key_file: {key_file}: no usable private key ({e:?})"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            anyhow!(
                "mqtt_tls_cert_file and mqtt_tls_key_file: {cert_file} and {key_file} \
                 do not form a usable pair: {e}"
            )
        })?;
    Ok(Arc::new(config))
}
