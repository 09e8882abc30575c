//! The agent's small local HTTP endpoint: `/healthz` and `/metrics`.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Builds the router.
pub fn router(metrics: Option<PrometheusHandle>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(move || {
                let body = metrics.as_ref().map(|h| h.render()).unwrap_or_default();
                async move { ([("content-type", "text/plain; version=0.0.4")], body) }
            }),
        )
}

/// Binds `addr` and serves the router on `tracker` until `stop` fires.
pub async fn start(
    addr: SocketAddr,
    metrics: Option<PrometheusHandle>,
    stop: CancellationToken,
    tracker: &TaskTracker,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding HTTP on {addr}"))?;
    let bound = listener.local_addr()?;
    // Tests and operators bind port 0 and read the bound address from here.
    tracing::info!(http_addr = %bound, "HTTP listening");
    tracker.spawn(async move {
        let _ = axum::serve(listener, router(metrics))
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
    });
    Ok(bound)
}
