//! Multilaterated fixes into the store: applied to the processor's state
//! ([`Processor::apply_mlat`]) and committed through the same writer as
//! receivers' batches, retried while the commit fails, as they are.

use std::sync::Arc;
use std::time::Duration;

use cloudradar_shared::retry::Backoff;
use cloudradar_shared::time::now_ms;
use tokio_util::sync::CancellationToken;

use crate::health::Health;
use crate::mlat::MlatFix;
use crate::process::Processor;
use crate::store::WriterHandle;

/// Applies `fixes` and commits the positions and aircraft rows they
/// produce, retrying until the commit works or `cancel` fires. Returns
/// `false` if cancelled first (the fixes are then in the live state but
/// not stored).
pub async fn store_mlat(
    processor: &mut Processor,
    fixes: &[MlatFix],
    writer: &WriterHandle,
    health: &Health,
    cancel: &CancellationToken,
) -> bool {
    let rows = Arc::new(processor.apply_mlat(fixes, now_ms()));
    if rows.positions.is_empty() {
        return true;
    }
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        match writer.write(rows.clone()).await {
            Ok(_) => {
                health.set_sqlite(true);
                return true;
            }
            Err(e) => {
                health.set_sqlite(false);
                tracing::error!(error = %e, positions = rows.positions.len(), "MLAT positions not stored; retrying");
                tokio::select! {
                    _ = cancel.cancelled() => return false,
                    _ = tokio::time::sleep(backoff.next()) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::{self, Area, Page, PositionFilter, TimeWindow};
    use crate::store::{PositionSource, Retention, Writer};

    #[tokio::test]
    async fn fixes_are_stored_as_mlat_positions_and_no_receiver() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("db.sqlite");
        let keep = Retention {
            positions_ms: i64::MAX,
            messages_ms: i64::MAX,
            batches_ms: i64::MAX,
            archived_only: false,
        };
        let (writer, handle) = Writer::start(db.clone(), 60_000, keep, 0, None).expect("writer");
        let mut processor = Processor::new(0, 1_000, Default::default());
        let fix = |t: u64, lat| MlatFix {
            icao: 0x4CA7E1,
            time_ms: t,
            lat,
            lon: 4.5,
            alt_baro_ft: None,
            error_m: 30.0,
            gs_kt: None,
            track_deg: None,
            receivers: 4,
        };
        let t = now_ms();
        let health = Health::new(false);
        let cancel = CancellationToken::new();
        let fixes = [fix(t - 2_000, 52.3)];
        assert!(store_mlat(&mut processor, &fixes, &handle, &health, &cancel).await);
        let again = [fix(t - 1_000, 52.301)];
        assert!(store_mlat(&mut processor, &again, &handle, &health, &cancel).await);
        drop(handle);
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .expect("join");
        let c = crate::store::open(&db).expect("open");
        let all = PositionFilter {
            icao: None,
            window: TimeWindow::ALL,
            area: Area::WORLD,
        };
        let page = Page {
            after: 0,
            limit: 10,
        };
        let rows = queries::positions(&c, &all, page).expect("positions");
        let got: Vec<_> = rows
            .iter()
            .map(|p| (p.lat, p.source, p.receivers))
            .collect();
        assert_eq!(
            got,
            [
                (52.3, PositionSource::Mlat, 4),
                (52.301, PositionSource::Mlat, 4)
            ]
        );
        let receivers: i64 = c
            .query_row("SELECT count(*) FROM receivers", [], |r| r.get(0))
            .expect("count");
        assert_eq!(receivers, 0, "no receiver row for the collector's own rows");
    }
}
