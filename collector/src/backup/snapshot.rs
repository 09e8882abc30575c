//! A consistent online copy of the database (`store::copy_into`: `VACUUM
//! INTO` from its own read connection sees one WAL snapshot while the
//! writer keeps committing), then the copy is zstd-compressed and hashed (SHA-256 of the
//! compressed bytes, checked again before a restore uses them).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// A compressed snapshot on local disk, ready to upload.
#[derive(Debug)]
pub struct Snapshot {
    /// The compressed file.
    pub path: PathBuf,
    /// SHA-256 of `path`'s bytes, lower-case hex.
    pub sha256: String,
    /// Size of the uncompressed database, bytes.
    pub raw_bytes: u64,
    /// Size of `path`, bytes.
    pub bytes: u64,
    /// The database's schema version.
    pub schema_version: i64,
}

/// Copies `db` into `work_dir` (which must be on a disk with room for a
/// copy) and compresses it; the uncompressed copy is removed.
pub fn take(db: &Path, work_dir: &Path) -> anyhow::Result<Snapshot> {
    std::fs::create_dir_all(work_dir)
        .with_context(|| format!("creating {}", work_dir.display()))?;
    let copy = work_dir.join("snapshot.sqlite");
    let _ = std::fs::remove_file(&copy);
    let schema_version = crate::store::copy_into(db, &copy)?;
    let raw_bytes = std::fs::metadata(&copy)?.len();
    let path = work_dir.join("snapshot.sqlite.zst");
    let result = compress(&copy, &path);
    let _ = std::fs::remove_file(&copy);
    let (sha256, bytes) = result?;
    Ok(Snapshot {
        path,
        sha256,
        raw_bytes,
        bytes,
        schema_version,
    })
}

/// Writes `from` zstd-compressed to `to`; returns the SHA-256 and size of
/// what was written.
fn compress(from: &Path, to: &Path) -> anyhow::Result<(String, u64)> {
    let input = BufReader::new(File::open(from)?);
    let out = HashingWriter::new(BufWriter::new(
        File::create(to).with_context(|| format!("creating {}", to.display()))?,
    ));
    let mut enc = zstd::stream::write::Encoder::new(out, 3)?;
    let mut input = input;
    std::io::copy(&mut input, &mut enc)?;
    let mut out = enc.finish()?;
    out.flush()?;
    let (hash, n, inner) = out.finish();
    let file = inner.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((hash, n))
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f =
        BufReader::new(File::open(path).with_context(|| format!("opening {}", path.display()))?);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex(&h.finalize()))
}

/// Decompresses a snapshot into a database file.
pub fn decompress(from: &Path, to: &Path) -> anyhow::Result<u64> {
    let input = BufReader::new(File::open(from)?);
    let mut dec = zstd::stream::read::Decoder::new(input)?;
    let mut out =
        BufWriter::new(File::create(to).with_context(|| format!("creating {}", to.display()))?);
    let n = std::io::copy(&mut dec, &mut out).context("decompressing the backup")?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(n)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    n: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hash: Sha256::new(),
            n: 0,
        }
    }

    fn finish(self) -> (String, u64, W) {
        (hex(&self.hash.finalize()), self.n, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let written = buf.get(..n).unwrap_or_default();
        self.hash.update(written);
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn snapshot_round_trips_while_a_writer_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cloudradar.sqlite");
        let conn = crate::store::open(&db).unwrap();
        for i in 0..1000 {
            conn.execute(
                "INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (?1, ?1, 1, 2, 1)",
                [i],
            )
            .unwrap();
        }
        // An open write transaction's rows are not in the snapshot.
        conn.execute_batch("BEGIN; INSERT INTO positions (icao, time_ms, lat, lon, receivers) VALUES (-1, 0, 0, 0, 1);")
            .unwrap();
        let snap = take(&db, &dir.path().join("work")).unwrap();
        conn.execute_batch("COMMIT").unwrap();
        assert_eq!(snap.sha256, sha256_file(&snap.path).unwrap());
        assert_eq!(snap.schema_version, crate::store::SCHEMA_VERSION);
        assert!(snap.bytes < snap.raw_bytes);
        let restored = dir.path().join("restored.sqlite");
        assert_eq!(decompress(&snap.path, &restored).unwrap(), snap.raw_bytes);
        let r = Connection::open(&restored).unwrap();
        let n: i64 = r
            .query_row("SELECT count(*) FROM positions", [], |x| x.get(0))
            .unwrap();
        assert_eq!(n, 1000);
    }
}
