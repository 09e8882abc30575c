//! A receiver's stream on a pseudo-terminal, so serial inputs (the agent's
//! `serial:PATH:beast`, dump1090 `--beast`-style readers) are tested
//! without hardware.
//!
//! The simulator opens a pty pair itself (`posix_openpt`, `grantpt`,
//! `unlockpt`, `ptsname`), puts the slave side in raw mode and publishes it
//! under a stable path as a symlink. It keeps the slave open too, so a
//! reader closing and reopening the device never hangs the line up. Bytes
//! are written to the master without blocking; when nobody reads for a
//! while (the kernel buffer is full), the stale input is discarded and the
//! stream continues with fresh frames, like a receiver whose host is not
//! listening.

use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use rustix::fs::{Mode, OFlags};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, QueueSelector, tcflush, tcgetattr, tcsetattr};
use std::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How long a full pty may stay unread before its stale bytes are dropped.
const STALL: Duration = Duration::from_millis(300);
/// Retry interval while the pty is full.
const POLL: Duration = Duration::from_millis(2);

/// A running serial output.
#[derive(Debug, Clone)]
pub struct SerialOutput {
    tx: mpsc::SyncSender<Vec<u8>>,
    /// The symlink readers open.
    pub link: PathBuf,
    /// The pty slave device it points to (`/dev/pts/N`).
    pub device: PathBuf,
    /// Bytes discarded because nobody read them.
    pub discarded: Arc<AtomicU64>,
}

/// The two ends of a fresh pty: master (non-blocking) and the raw slave.
fn open_pair() -> anyhow::Result<(OwnedFd, OwnedFd, PathBuf)> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .context("posix_openpt")?;
    grantpt(&master).context("grantpt")?;
    unlockpt(&master).context("unlockpt")?;
    let name = ptsname(&master, Vec::new()).context("ptsname")?;
    let device = PathBuf::from(std::ffi::OsStr::from_bytes(name.as_bytes()));
    let slave = rustix::fs::open(
        &device,
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("opening {}", device.display()))?;
    // Raw: no line buffering, no CR/LF translation, no echo, 8 bits.
    let mut t = tcgetattr(&slave).context("tcgetattr")?;
    t.make_raw();
    tcsetattr(&slave, OptionalActions::Now, &t).context("tcsetattr")?;
    rustix::io::ioctl_fionbio(&master, true).context("non-blocking pty master")?;
    Ok((master, slave, device))
}

/// Points `link` at `device`, replacing an old symlink but never a real file.
fn make_link(link: &Path, device: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(link) {
        Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(link)
            .with_context(|| format!("removing old symlink {}", link.display()))?,
        Ok(_) => anyhow::bail!(
            "serial path {} exists and is not a symlink; refusing to replace it",
            link.display()
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("checking {}", link.display())),
    }
    std::os::unix::fs::symlink(device, link).with_context(|| {
        format!(
            "creating symlink {} -> {}",
            link.display(),
            device.display()
        )
    })
}

impl SerialOutput {
    /// Opens a pty, links `link` to it and starts writing what `send` gets
    /// (on its own thread: the writes are non-blocking but may have to wait
    /// for the reader). The link is removed when `cancel` fires or the
    /// output is dropped.
    pub fn start(link: &Path, label: String, cancel: CancellationToken) -> anyhow::Result<Self> {
        let (master, slave, device) =
            open_pair().with_context(|| format!("{label}: opening a pseudo-terminal"))?;
        make_link(link, &device).with_context(|| format!("{label}: serial output"))?;
        // 64 chunks of 100 ms: a writer stuck longer than that loses chunks.
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(64);
        let discarded = Arc::new(AtomicU64::new(0));
        let counter = discarded.clone();
        let (link_owned, device_owned) = (link.to_path_buf(), device.clone());
        std::thread::Builder::new()
            .name(format!("serial {}", link.display()))
            .spawn(move || {
                while !cancel.is_cancelled() {
                    let chunk = match rx.recv_timeout(Duration::from_millis(100)) {
                        Ok(c) => c,
                        Err(mpsc::RecvTimeoutError::Timeout) => continue,
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    let lost = write_chunk(&master, &slave, &chunk, &cancel);
                    if lost > 0 {
                        counter.fetch_add(lost, Ordering::Relaxed);
                        tracing::debug!(serial = %label, bytes = lost, "unread serial bytes discarded");
                    }
                }
                // Remove the link only if it is still ours.
                if std::fs::read_link(&link_owned).is_ok_and(|p| p == device_owned) {
                    let _ = std::fs::remove_file(&link_owned);
                }
            })
            .context("starting the serial writer thread")?;
        Ok(Self {
            tx,
            link: link.to_path_buf(),
            device,
            discarded,
        })
    }

    /// Removes the symlink now if it still points to this pty (the writer
    /// thread does it too, but the process may exit first).
    pub fn remove_link(&self) {
        if std::fs::read_link(&self.link).is_ok_and(|p| p == self.device) {
            let _ = std::fs::remove_file(&self.link);
        }
    }

    /// Queues a chunk (dropped if the writer is far behind).
    pub fn send(&self, bytes: Vec<u8>) {
        if !bytes.is_empty() && self.tx.try_send(bytes).is_err() {
            tracing::debug!(serial = %self.link.display(), "serial writer behind; chunk dropped");
        }
    }
}

/// Writes `chunk` to the non-blocking master; returns the bytes discarded
/// on the way (stale input when nobody reads, or the rest on an error).
fn write_chunk(master: &OwnedFd, slave: &OwnedFd, chunk: &[u8], cancel: &CancellationToken) -> u64 {
    let mut rest = chunk;
    let mut lost = 0u64;
    let mut flushed = false;
    let mut waited = Duration::ZERO;
    while !rest.is_empty() && !cancel.is_cancelled() {
        match rustix::io::write(master, rest) {
            Ok(n) => {
                rest = rest.get(n..).unwrap_or_default();
                waited = Duration::ZERO;
                continue;
            }
            Err(e) if e == rustix::io::Errno::AGAIN || e == rustix::io::Errno::INTR => {}
            Err(_) => return lost + rest.len() as u64,
        }
        if waited < STALL {
            std::thread::sleep(POLL);
            waited += POLL;
        } else if !flushed {
            // Nobody is reading: drop what waits in the line, keep fresh data.
            lost += pending_input(slave);
            let _ = tcflush(slave, QueueSelector::IFlush);
            flushed = true;
            waited = Duration::ZERO;
        } else {
            return lost + rest.len() as u64;
        }
    }
    lost
}

/// Bytes waiting in the slave's input queue (0 if unknown).
fn pending_input(slave: &OwnedFd) -> u64 {
    rustix::io::ioctl_fionread(slave).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[tokio::test]
    async fn bytes_written_come_out_of_the_link_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("ttySIM");
        let cancel = CancellationToken::new();
        let out = SerialOutput::start(&link, "test".into(), cancel.clone()).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), out.device);
        // Every byte value, including CR, LF, XON/XOFF and 0x1a: raw mode must keep them.
        let data: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        out.send(data.clone());
        let reader = std::fs::File::open(&link).unwrap();
        let got = tokio::task::spawn_blocking(move || {
            let mut got = vec![0u8; data.len()];
            let mut r = reader;
            r.read_exact(&mut got).map(|_| got)
        })
        .await
        .unwrap()
        .unwrap();
        assert_eq!(got, (0..=255u8).chain(0..=255u8).collect::<Vec<_>>());
        cancel.cancel();
        for _ in 0..50 {
            if std::fs::symlink_metadata(&link).is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("link not removed on shutdown");
    }

    #[tokio::test]
    async fn an_unread_port_discards_stale_bytes_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("ttySIM");
        let out = SerialOutput::start(&link, "test".into(), CancellationToken::new()).unwrap();
        // Far more than a tty buffer holds, and nobody reading.
        for _ in 0..40 {
            out.send(vec![0x55; 16 * 1024]);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut waited = 0;
        while out.discarded.load(Ordering::Relaxed) == 0 && waited < 100 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        assert!(out.discarded.load(Ordering::Relaxed) > 0);
    }

    #[test]
    fn a_regular_file_is_never_replaced_by_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("file");
        std::fs::write(&p, b"keep").unwrap();
        let err = make_link(&p, Path::new("/dev/null")).unwrap_err();
        assert!(err.to_string().contains("not a symlink"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), b"keep");
    }
}
