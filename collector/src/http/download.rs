//! `GET /api/v1/export/positions`: every position matching the filters
//! (`icao`, `from`, `to`, `bbox`) as one download, without paging by hand:
//! CSV (the default) or, with `format=parquet`, Parquet in the archive's
//! columns and units (OpenSky's state-vector names, see
//! [`crate::archive::positions`]). Rows are read a page at a time, each
//! page its own short read transaction, and streamed through a small
//! bounded channel, so memory stays flat and the writer is never held
//! back by a long transaction. The download holds one history-query slot
//! until it ends, the client goes away or takes nothing for 60 s: it is
//! SQLite work like any other history query.

use std::collections::HashMap;
use std::io::Write;

use super::history::{bbox, time_window};
use super::live::parse_icao;
use super::{AppError, AppState};
use crate::archive::parquet::ParquetSink;
use crate::archive::positions;
use crate::store::queries::{self, Page, PositionFilter, PositionRecord};
use crate::store::{Reader, Slot};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Rows read per page (one read transaction each).
const PAGE: i64 = 5_000;

/// A client that takes no data for this long loses its download (and
/// gives its query slot back).
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

/// Bytes of Parquet gathered before they are sent on.
const CHUNK_BYTES: usize = 256 * 1024;

/// The CSV header row.
const COLUMNS: &str = "id,hex,time_ms,lat,lon,alt_baro,gs,track,source\n";

/// The download's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Parquet,
}

impl Format {
    fn parse(q: &HashMap<String, String>) -> Result<Self, AppError> {
        match q.get("format").map(String::as_str) {
            None | Some("csv") => Ok(Self::Csv),
            Some("parquet") => Ok(Self::Parquet),
            Some(other) => Err(AppError::BadRequest(format!(
                "format: `{other}` is not one of csv, parquet"
            ))),
        }
    }

    fn headers(self) -> [(header::HeaderName, HeaderValue); 2] {
        let (kind, file) = match self {
            Self::Csv => ("text/csv; charset=utf-8", "positions.csv"),
            Self::Parquet => ("application/vnd.apache.parquet", "positions.parquet"),
        };
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")).expect("ascii"),
            ),
        ]
    }
}

/// The response body's sending end: chunks go to the client through a
/// bounded channel; a send fails once the client went away or stalled.
struct Chunks {
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    rt: tokio::runtime::Handle,
    buf: Vec<u8>,
}

impl Chunks {
    /// False when the client went away or stalled.
    fn send(&self, chunk: Result<Vec<u8>, std::io::Error>) -> bool {
        self.rt.block_on(self.tx.send_timeout(chunk, STALL)).is_ok()
    }
}

impl Write for Chunks {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buf);
        if self.send(Ok(chunk)) {
            Ok(())
        } else {
            Err(std::io::Error::other("the client went away"))
        }
    }
}

/// The handler.
pub async fn positions(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let format = Format::parse(&q)?;
    let icao = q
        .get("icao")
        .map(|v| parse_icao(v))
        .transpose()?
        .map(i64::from);
    let filter = PositionFilter {
        icao,
        window: time_window(&q)?,
        area: bbox(&q)?,
    };
    let slot = s.reader.slot().await?;
    let reader = s.reader.clone();
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let out = Chunks {
        tx,
        rt: tokio::runtime::Handle::current(),
        buf: Vec::new(),
    };
    tokio::task::spawn_blocking(move || {
        let result = match format {
            Format::Csv => csv(&reader, &slot, &filter, out),
            Format::Parquet => parquet(&reader, &slot, &filter, out),
        };
        if let Err(e) = result {
            tracing::warn!(error = %format!("{e:#}"), "position export failed");
        }
    });
    let body = Body::from_stream(tokio_stream_from(rx));
    Ok((format.headers(), body).into_response())
}

/// Calls `each` with every matching position, page by page, until the
/// pages end or `each` fails.
fn for_each_page(
    reader: &Reader,
    slot: &Slot,
    filter: &PositionFilter,
    mut each: impl FnMut(&rusqlite::Connection, &PositionRecord) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut after = 0i64;
    loop {
        let (n, last) = reader.blocking(slot, |c| {
            let (mut last, mut failed) = (after, None);
            let page = Page { after, limit: PAGE };
            let n = queries::for_each_position(c, filter, page, |p| {
                last = p.id;
                if failed.is_none() {
                    failed = each(c, &p).err();
                }
            })?;
            failed.map_or(Ok((n, last)), Err)
        })?;
        if (n as i64) < PAGE {
            return Ok(());
        }
        after = last;
    }
}

fn csv(
    reader: &Reader,
    slot: &Slot,
    filter: &PositionFilter,
    mut out: Chunks,
) -> anyhow::Result<()> {
    out.write_all(COLUMNS.as_bytes())?;
    let mut line = String::new();
    let done = for_each_page(reader, slot, filter, |_, p| {
        line.clear();
        csv_row(&mut line, p);
        Ok(out.write_all(line.as_bytes())?)
    });
    finish(out, done)
}

fn parquet(
    reader: &Reader,
    slot: &Slot,
    filter: &PositionFilter,
    out: Chunks,
) -> anyhow::Result<()> {
    let mut sink = ParquetSink::<_, positions::Columns>::new(out)?;
    for_each_page(reader, slot, filter, |c, p| {
        positions::push(&mut sink, c, p)
    })?;
    let (_, out) = sink.finish()?;
    finish(out, Ok(()))
}

/// Sends what is left, or tells the client the download failed.
fn finish(mut out: Chunks, done: anyhow::Result<()>) -> anyhow::Result<()> {
    match done {
        Ok(()) => Ok(out.flush()?),
        Err(e) => {
            out.buf.clear();
            out.send(Err(std::io::Error::other("export failed")));
            Err(e)
        }
    }
}

/// One CSV line: floats as Rust prints them, an empty cell for a missing value.
fn csv_row(out: &mut String, p: &PositionRecord) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{},{:06x},{},{},{},{},{},{},{}",
        p.id,
        p.icao,
        p.time_ms,
        p.lat,
        p.lon,
        cell(p.alt_baro),
        cell(p.gs),
        cell(p.track),
        p.source.as_str(),
    );
}

/// An empty cell for a missing value.
fn cell<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The receiving end of the channel as a stream.
fn tokio_stream_from<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) })
}
