//! Request metrics: latency by route (the matched pattern, never the raw
//! path, so label values stay a small fixed set), method and status class.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Records `cloudradar_collector_http_request_duration_seconds`.
pub async fn record(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("static", |p| p.as_str())
        .to_string();
    let method: &'static str = match req.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let response = next.run(req).await;
    let status = match response.status().as_u16() {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::histogram!(
        "cloudradar_collector_http_request_duration_seconds",
        "route" => route,
        "method" => method,
        "status" => status,
    )
    .record(started.elapsed().as_secs_f64());
    response
}
