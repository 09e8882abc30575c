//! `GET /api/v1/stream`: live aircraft as Server-Sent Events, so a
//! dashboard does not poll. Each `aircraft` event carries the same JSON as
//! `/api/v1/aircraft`, sent when a new snapshot exists (about once a
//! second); a keep-alive comment flows when nothing changes.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;

use super::AppState;
use super::live::current_json;

/// How often a client is sent the latest snapshot.
const EVERY: Duration = Duration::from_secs(1);

/// The event stream for one client.
pub async fn stream(
    State(s): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    metrics::gauge!("cloudradar_collector_http_streams").increment(1.0);
    let events = futures_util::stream::unfold(Client::new(s), |mut c| async move {
        let event = c.next().await;
        Some((Ok(event), c))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One subscriber: remembers which snapshot it was sent last.
struct Client {
    state: AppState,
    last_sent: Option<u64>,
    tick: tokio::time::Interval,
}

impl Client {
    fn new(state: AppState) -> Self {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Self {
            state,
            last_sent: None,
            tick,
        }
    }

    /// Waits for the next snapshot this client has not seen.
    async fn next(&mut self) -> Event {
        loop {
            self.tick.tick().await;
            let taken = self.state.shared.snapshot.read().map(|s| s.now_ms).ok();
            if taken.is_some() && taken == self.last_sent {
                continue;
            }
            self.last_sent = taken;
            let json = current_json(&self.state);
            return Event::default()
                .event("aircraft")
                .data(String::from_utf8_lossy(&json));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        metrics::gauge!("cloudradar_collector_http_streams").decrement(1.0);
    }
}
