//! Disk gauges for the data directory: free space on its filesystem and
//! the size of what the collector keeps there, so an alert fires before
//! SQLite runs out of room.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often the gauges are refreshed.
const EVERY: Duration = Duration::from_secs(15);

/// Free bytes (for unprivileged users) on the filesystem holding `dir`.
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    let st = rustix::fs::statvfs(dir)?;
    Ok(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Total size of the regular files directly in `dir`.
pub fn dir_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0u64;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            total = total.saturating_add(meta.len());
        }
    }
    Ok(total)
}

/// Refreshes the gauges until cancelled.
pub async fn run(dir: PathBuf, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let d = dir.clone();
        let measured = tokio::task::spawn_blocking(move || (free_bytes(&d), dir_bytes(&d))).await;
        match measured {
            Ok((Ok(free), Ok(size))) => {
                metrics::gauge!("cloudradar_collector_data_dir_free_bytes").set(free as f64);
                metrics::gauge!("cloudradar_collector_data_dir_size_bytes").set(size as f64);
            }
            Ok((Err(e), _)) | Ok((_, Err(e))) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot measure the data directory");
            }
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), vec![0u8; 1000]).unwrap();
        std::fs::write(dir.path().join("b"), vec![0u8; 24]).unwrap();
        assert_eq!(dir_bytes(dir.path()).unwrap(), 1024);
        assert!(free_bytes(dir.path()).unwrap() > 0);
    }
}

/// The data directory's watch, as a component.
#[derive(Debug)]
pub struct Watch {
    /// The data directory.
    pub dir: PathBuf,
}

impl crate::component::Component for Watch {
    type Handle = ();

    async fn start(self, tasks: &crate::component::Tasks) -> anyhow::Result<()> {
        tasks.spawn(run(self.dir, tasks.cancel.clone()));
        Ok(())
    }
}
