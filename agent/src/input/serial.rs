//! Serial input (tokio-serial): a Beast or AVR receiver on a serial port.
//! When the device disappears (unplugged) it is reopened with backoff.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_serial::SerialPortBuilderExt;
use tokio_util::sync::CancellationToken;

use super::stream::{Timing, read_frames};
use super::{Arrival, Backoff, Format, reconnecting};

pub async fn run(
    device: &str,
    baud: u32,
    format: Format,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    reconnecting(
        label,
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
        &tx,
        &cancel,
        || async {
            let port = tokio_serial::new(device, baud)
                .open_native_async()
                .map_err(std::io::Error::other)?;
            tracing::info!(input = label, baud, "serial port open");
            read_frames(port, format, label, &tx, None, Timing::Now).await
        },
    )
    .await;
}
