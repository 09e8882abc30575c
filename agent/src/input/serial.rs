//! Serial input (tokio-serial): a Beast or AVR receiver on a serial port.
//! When the device disappears (unplugged) it is reopened with backoff.

use tokio::sync::mpsc;
use tokio_serial::SerialPortBuilderExt;
use tokio_util::sync::CancellationToken;

use super::stream::read_frames;
use super::{Arrival, Backoff, Format};

pub async fn run(
    device: &str,
    baud: u32,
    format: Format,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(1_000, 30_000);
    while !cancel.is_cancelled() {
        let result = match tokio_serial::new(device, baud).open_native_async() {
            Ok(port) => {
                tracing::info!(input = label, baud, "serial port open");
                backoff.reset();
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    r = read_frames(port, format, label, &tx) => r,
                }
            }
            Err(e) => Err(std::io::Error::other(e)),
        };
        if tx.is_closed() {
            break;
        }
        if let Err(e) = result {
            tracing::warn!(input = label, error = %e, "serial port unavailable");
        }
        metrics::counter!("cloudradar_agent_input_reconnects_total", "input" => label.to_string())
            .increment(1);
        let delay = backoff.next_delay();
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}
