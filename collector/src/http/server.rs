//! The HTTP server as a component: binds first, so `/healthz` answers
//! from the first second, and serves on its own runtime.

use std::net::SocketAddr;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::component::{Component, Tasks};

/// The API, dashboard and probes on one address.
#[derive(Debug)]
pub struct Server {
    /// Where to listen.
    pub listen: SocketAddr,
    /// What to serve.
    pub router: axum::Router,
}

impl Component for Server {
    /// The bound address.
    type Handle = SocketAddr;

    async fn start(self, tasks: &Tasks) -> anyhow::Result<SocketAddr> {
        serve_http(self.listen, self.router, tasks, &tasks.cancel).await
    }
}

/// Binds the HTTP API and serves it on its own runtime (2 workers) on its
/// own thread until cancelled: a worker of the main runtime busy building
/// a snapshot or processing a batch would otherwise hold up the requests
/// queued on it (tens of ms of tail latency every refresh); separate
/// threads are shared by the OS.
async fn serve_http(
    listen: SocketAddr,
    app: axum::Router,
    tasks: &Tasks,
    cancel: &CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding HTTP on {listen}"))?;
    let http_addr = listener.local_addr()?;
    tracing::info!(%http_addr, "HTTP API listening");
    let http_cancel = cancel.clone();
    let listener = listener.into_std()?;
    let (http_done, http_stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("http-worker")
                .enable_all()
                .build()
            {
                Ok(rt) => {
                    rt.block_on(async move {
                        let draining = http_cancel.clone();
                        let serve = match tokio::net::TcpListener::from_std(listener) {
                            Ok(l) => axum::serve(l, app).with_graceful_shutdown(async move {
                                http_cancel.cancelled().await;
                            }),
                            Err(e) => {
                                tracing::error!(error = %e, "HTTP listener unusable");
                                return;
                            }
                        };
                        // Open live streams and downloads never end by
                        // themselves: they get a few seconds, then are cut.
                        tokio::select! {
                            r = serve => if let Err(e) = r {
                                tracing::error!(error = %e, "HTTP server failed");
                            },
                            _ = async {
                                draining.cancelled().await;
                                tokio::time::sleep(HTTP_DRAIN).await;
                            } => tracing::info!(
                                "HTTP connections still open {HTTP_DRAIN:?} into the shutdown (live streams, downloads): closed"
                            ),
                        }
                    });
                    // Downloads still streaming are cut off.
                    rt.shutdown_timeout(std::time::Duration::from_secs(5));
                }
                Err(e) => tracing::error!(error = %e, "HTTP runtime failed to start"),
            }
            let _ = http_done.send(());
        })
        .context("starting the HTTP thread")?;
    tasks.spawn(async move {
        let _ = http_stopped.await;
    });
    Ok(http_addr)
}

/// How long open HTTP connections may go on once shutdown begins.
const HTTP_DRAIN: std::time::Duration = std::time::Duration::from_secs(3);
