//! `GET /api/v1/export/positions`: every position matching the filters
//! (`icao`, `from`, `to`, `bbox`) as one CSV download, without paging by
//! hand. Rows are read a page at a time, each page its own short read
//! transaction, and streamed through a small bounded channel, so memory
//! stays flat and the writer is never held back by a long transaction.
//! The download holds one history-query slot until it ends, the client
//! goes away or takes nothing for 60 s: it is SQLite work like any other
//! history query.

use std::collections::HashMap;

use super::history::{bbox, time_window};
use super::live::parse_icao;
use super::{AppError, AppState};
use crate::store::queries::{self, Page, PositionFilter, PositionRecord};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Rows read per page (one read transaction each).
const PAGE: i64 = 5_000;

/// A client that takes no data for this long loses its download (and
/// gives its query slot back).
const STALL: std::time::Duration = std::time::Duration::from_secs(60);

/// The CSV header row.
const COLUMNS: &str = "id,hex,time_ms,lat,lon,alt_baro,gs,track\n";

/// The handler.
pub async fn positions_csv(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
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
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(2);
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        // False when the client went away or stalled.
        let send = |chunk| rt.block_on(tx.send_timeout(chunk, STALL)).is_ok();
        if !send(Ok(COLUMNS.to_string())) {
            return;
        }
        let mut after = 0i64;
        loop {
            let page = reader.blocking(&slot, |c| {
                let mut out = String::with_capacity(64 * PAGE as usize);
                let mut last = 0;
                let page = Page { after, limit: PAGE };
                let n = queries::for_each_position(c, &filter, page, |p| {
                    last = p.id;
                    csv_row(&mut out, &p);
                })?;
                Ok((out, n, last))
            });
            match page {
                Ok((out, n, last)) => {
                    if n > 0 && !send(Ok(out)) {
                        return; // the client went away or stalled
                    }
                    if (n as i64) < PAGE {
                        return;
                    }
                    after = last;
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "position export failed");
                    send(Err(std::io::Error::other("export failed")));
                    return;
                }
            }
        }
    });
    let body = Body::from_stream(tokio_stream_from(rx));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"positions.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// One CSV line: floats as Rust prints them, an empty cell for a missing value.
fn csv_row(out: &mut String, p: &PositionRecord) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{},{:06x},{},{},{},{},{},{}",
        p.id,
        p.icao,
        p.time_ms,
        p.lat,
        p.lon,
        cell(p.alt_baro),
        cell(p.gs),
        cell(p.track),
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
