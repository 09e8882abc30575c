//! Times the archive's spool alone (`scripts/bench/archive-writers.sh`
//! runs it beside `archive_write`): the receptions of a collector
//! database are loaded as the batches the writer committed them in (one
//! per receiver and sequence number, in rowid order, each message new in
//! the first batch that heard it), then handed to a spool one by one, and
//! every hour is sealed.
//!
//! Prints one JSON line: rows, Parquet bytes, and the CPU seconds of the
//! spool alone (this thread, from `/proc/thread-self/schedstat`), apart
//! from the loading.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use cloudradar_collector::archive::spool::Spool;
use cloudradar_collector::store::{Committed, MessageRow, ReceptionRow, WriteBatch};

/// Spools every reception of a database as Parquet files.
#[derive(Debug, Parser)]
struct Args {
    /// The collector's SQLite database (its rows are only read).
    #[arg(long)]
    database: PathBuf,
    /// Directory the spool writes to (emptied first).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let batches = load(&args.database)?;
    let spool = Spool::new(args.out.clone(), args.database.clone(), "bench".into())?;
    let before = thread_cpu_s()?;
    for c in &batches {
        spool.add(c);
    }
    let sealed = spool.seal(i64::MAX);
    let cpu = thread_cpu_s()? - before;
    let rows: i64 = sealed.iter().map(|s| s.rows).sum();
    let mut bytes = 0;
    for s in &sealed {
        bytes += std::fs::metadata(&s.path)?.len();
    }
    let report = serde_json::json!({"rows": rows, "bytes": bytes, "cpu_s": cpu});
    println!("{report}");
    Ok(())
}

/// The database's receptions as committed batches.
fn load(db: &std::path::Path) -> anyhow::Result<Vec<Committed>> {
    let conn = rusqlite::Connection::open(db).with_context(|| format!("{}", db.display()))?;
    let mut q = conn.prepare(
        "SELECT r.rowid, r.receiver, r.seq, r.message_id, r.rx_ms, r.timestamp, r.signal,
                m.time_ms, m.icao, m.df, m.raw
         FROM receptions r JOIN messages m ON m.id = r.message_id ORDER BY r.rowid",
    )?;
    let mut rows = q.query([])?;
    let mut out: Vec<Committed> = Vec::new();
    let mut batch: Option<(i64, WriteBatch)> = None;
    let mut seen = HashSet::new();
    while let Some(r) = rows.next()? {
        let (rowid, receiver, seq): (i64, String, i64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let same = matches!(&batch, Some((_, b)) if b.receiver == receiver && b.seq == seq);
        if !same {
            out.extend(batch.take().map(committed));
            batch = Some((
                rowid,
                WriteBatch {
                    receiver,
                    seq,
                    ..WriteBatch::default()
                },
            ));
        }
        let (_, b) = batch.as_mut().context("a batch")?;
        let message_id: i64 = r.get(3)?;
        if seen.insert(message_id) {
            b.messages.push(MessageRow {
                id: message_id,
                time_ms: r.get(7)?,
                icao: r.get(8)?,
                df: r.get(9)?,
                raw: r.get(10)?,
            });
        }
        b.receptions.push(ReceptionRow {
            message_id,
            rx_ms: r.get(4)?,
            timestamp: r.get(5)?,
            signal: r.get(6)?,
        });
    }
    out.extend(batch.map(committed));
    Ok(out)
}

fn committed((first_reception, batch): (i64, WriteBatch)) -> Committed {
    Committed {
        first_reception,
        batch: Arc::new(batch),
    }
}

/// CPU time of this thread so far, seconds.
fn thread_cpu_s() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let ns: f64 = stat
        .split_whitespace()
        .next()
        .context("empty schedstat")?
        .parse()?;
    Ok(ns / 1e9)
}
