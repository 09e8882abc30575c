//! TCP client input: connects to a Beast/AVR server and reconnects with
//! exponential backoff and jitter when the connection fails or ends.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::stream::{Timing, read_frames};
use super::{Arrival, Backoff, Format, reconnecting};

pub async fn run(
    host: &str,
    port: u16,
    format: Format,
    label: &str,
    tx: mpsc::Sender<Arrival>,
    cancel: CancellationToken,
) {
    let connected =
        || metrics::gauge!("cloudradar_agent_input_connected", "input" => label.to_string());
    reconnecting(
        label,
        Backoff::new(Duration::from_millis(500), Duration::from_secs(60)),
        &tx,
        &cancel,
        || async {
            let stream = TcpStream::connect((host, port)).await?;
            tracing::info!(input = label, "connected");
            connected().set(1.0);
            let result = read_frames(stream, format, label, &tx, None, Timing::Now).await;
            connected().set(0.0);
            result
        },
    )
    .await;
}
