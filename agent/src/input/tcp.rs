//! TCP client input: connects to a Beast/AVR server and reconnects with
//! exponential backoff and jitter when the connection fails or ends.

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::stream::read_frames;
use super::{Arrival, Backoff, Format};

pub async fn run(
    host: &str,
    port: u16,
    format: Format,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let mut backoff = Backoff::new(500, 60_000);
    while !cancel.is_cancelled() {
        let attempt = async {
            let stream = TcpStream::connect((host, port)).await?;
            tracing::info!(input = label, "connected");
            metrics::gauge!("cloudradar_agent_input_connected", "input" => label.to_string())
                .set(1.0);
            read_frames(stream, format, label, &tx).await
        };
        let result = tokio::select! {
            _ = cancel.cancelled() => break,
            r = attempt => r,
        };
        metrics::gauge!("cloudradar_agent_input_connected", "input" => label.to_string()).set(0.0);
        if tx.is_closed() {
            break;
        }
        match result {
            Ok(()) => {
                tracing::warn!(input = label, "receiver closed the connection");
                backoff.reset();
            }
            Err(e) => tracing::warn!(input = label, error = %e, "receiver connection failed"),
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
