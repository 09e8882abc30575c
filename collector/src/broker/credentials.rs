//! Receiver credentials for the embedded broker.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use cloudradar_shared::wire::valid_receiver_id;

/// Reads `receiver_id:password` lines (blank lines and `#` comments allowed).
pub fn load_credentials(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading credentials {}", path.display()))?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, password)) = line.split_once(':') else {
            bail!(
                "{}:{}: expected `receiver_id:password`",
                path.display(),
                n + 1
            );
        };
        if !valid_receiver_id(id) || password.is_empty() {
            bail!(
                "{}:{}: invalid receiver id or empty password",
                path.display(),
                n + 1
            );
        }
        out.insert(id.to_string(), password.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_bad_lines_with_their_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("creds");
        std::fs::write(&p, "# receivers\nrx-1:secret\n\nrx-2:pw2\n").unwrap();
        let c = load_credentials(&p).unwrap();
        assert_eq!(c.get("rx-1").map(String::as_str), Some("secret"));
        assert_eq!(c.len(), 2);
        std::fs::write(&p, "rx-1:secret\nnocolon\n").unwrap();
        let err = load_credentials(&p).unwrap_err().to_string();
        assert!(err.contains("creds:2"), "{err}");
    }
}
