//! A TCP server that sends the same byte stream to every connected client.
//! Each client has a bounded queue; a client that falls behind (or
//! disconnects) is dropped without affecting the others.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Which byte format a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    /// Beast binary.
    Beast,
    /// AVR text with timestamps (`@…;`).
    Avr,
}

/// A running server.
#[derive(Debug, Clone)]
pub struct StreamServer {
    tx: broadcast::Sender<Arc<Vec<u8>>>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its format.
    pub format: WireFormat,
}

impl StreamServer {
    /// Binds and starts accepting clients.
    pub async fn start(
        listen: SocketAddr,
        format: WireFormat,
        label: String,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("{label}: cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr()?;
        // 256 chunks of 100 ms: a client more than ~25 s behind is dropped.
        let (tx, _) = broadcast::channel::<Arc<Vec<u8>>>(256);
        let sender = tx.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = cancel.cancelled() => break,
                    a = listener.accept() => a,
                };
                let Ok((mut sock, peer)) = accepted else {
                    continue;
                };
                let mut rx = sender.subscribe();
                let label = label.clone();
                let cancel = cancel.clone();
                tracing::info!(server = %label, %peer, "client connected");
                tokio::spawn(async move {
                    let _ = sock.set_nodelay(true);
                    loop {
                        let chunk = tokio::select! {
                            _ = cancel.cancelled() => break,
                            c = rx.recv() => c,
                        };
                        match chunk {
                            Ok(bytes) => {
                                if sock.write_all(&bytes).await.is_err() {
                                    break;
                                }
                            }
                            Err(broadcast::error::RecvError::Lagged(n)) => {
                                tracing::warn!(server = %label, %peer, missed = n, "slow client dropped");
                                break;
                            }
                            Err(broadcast::error::RecvError::Closed) => break,
                        }
                    }
                    tracing::info!(server = %label, %peer, "client gone");
                });
            }
        });
        Ok(Self { tx, addr, format })
    }

    /// Sends a chunk to every client (nothing happens without clients).
    pub fn send(&self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            let _ = self.tx.send(Arc::new(bytes));
        }
    }
}
