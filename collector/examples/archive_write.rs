//! Times the archive's part writers alone (`scripts/bench/archive.sh`
//! keeps the database it ingested for this): every hour of the chosen
//! tables of a collector database written as Parquet files into a
//! directory, without S3 and without recording parts, so no row is
//! changed and two builds can be timed in turn on the same file (opening
//! it migrates an older schema, as the collector would: give each build
//! its own copy when their schemas differ).
//!
//! Prints one JSON line: rows and bytes per table. Time it from outside
//! (`/usr/bin/time`, or the caller's `getrusage`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use cloudradar_collector::archive::{self, ledger, ledger::Part, ledger::Table};

/// Writes every hour of a database's tables as Parquet files.
#[derive(Debug, Parser)]
struct Args {
    /// The collector's SQLite database (its rows are only read).
    #[arg(long)]
    database: PathBuf,
    /// Directory the Parquet files are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Tables to write, separated by commas (positions, receptions,
    /// flights), or all.
    #[arg(long, default_value = "all")]
    table: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let conn = archive::reader(&args.database)?;
    let mut report = serde_json::Map::new();
    for table in Table::ALL {
        if args.table != "all" && !args.table.split(',').any(|t| t == table.name()) {
            continue;
        }
        let (rows, bytes) = write_table(&conn, table, &args.out)?;
        report.insert(
            table.name().into(),
            serde_json::json!({"rows": rows, "bytes": bytes}),
        );
    }
    println!("{}", serde_json::Value::Object(report));
    Ok(())
}

/// Every hour of `table` with rows not yet archived, each as one part as
/// the archive's next pass would plan it (without the spool, and without
/// recording it); (rows, bytes).
fn write_table(
    conn: &rusqlite::Connection,
    table: Table,
    out: &std::path::Path,
) -> anyhow::Result<(i64, u64)> {
    let (mut rows, mut bytes) = (0, 0);
    for (hour, after, upto) in ledger::new_rows(conn, table, ledger::Due::ALL)? {
        let part = Part {
            table,
            hour,
            after,
            upto,
            key: String::new(),
            spooled: None,
        };
        let path = out.join(format!("{}-{hour}.parquet", table.name()));
        rows += archive::write_part(conn, &part, "bench", &path)?;
        bytes += std::fs::metadata(&path)?.len();
    }
    Ok((rows, bytes))
}
