//! Whole-system fault scenarios (the fault tier: `scripts/test.sh` runs
//! them after the fast tier): simulator, agents, broker, collector, Redis
//! and SQLite, one fault each (SIGKILL, an outage of up to a minute, a cut
//! network link), reconciled with the simulator's ground truth. Every
//! batch accepted must end up stored exactly once.

mod support;

use std::time::Duration;

use support::scenario::{Broker, Scenario, scrape};
use support::*;

/// The scenarios run one at a time: each stalls or kills something on
/// purpose, and run together on two cores their timings interfere.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

// Whole-system scenarios: simulator → agents → broker → collector → Redis
// → SQLite, one fault each, then a reconciliation of SQLite with what the
// agents accepted and with the simulator's ground truth (see
// `support::scenario`). Progress is measured in stored batches, never in
// elapsed time.

/// Batches each receiver gets stored before the fault and after recovery.
const PROGRESS: i64 = 3;

/// How long the broker stays down in the Mosquitto scenario.
const OUTAGE: Duration = Duration::from_secs(60);

fn settle_and_reconcile(mut s: Scenario, what: &str) {
    let truth = s.finish(Duration::from_secs(120));
    for line in s.reconcile(&truth) {
        eprintln!("{what}: {line}");
    }
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test scenarios -- --ignored"]
fn scenario_collector_sigkill_with_agents_spooling_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    // The collector dies with its embedded broker: agents keep accepting
    // frames and spool them; Redis keeps what was added but not processed.
    s.kill_collector();
    wait_for!(Duration::from_secs(60), || {
        s.agents.iter().all(|a| a.spooling(PROGRESS as f64))
    });
    s.start_collector();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "collector SIGKILL");
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test scenarios -- --ignored"]
fn scenario_redis_sigkill_and_restart_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let http = s.http();
    let reconnects = || scrape(http, "cloudradar_collector_mqtt_reconnects_total");
    let reconnects_before = reconnects();
    s.kill_redis();
    let down = std::time::Instant::now();
    wait_for!(Duration::from_secs(30), || {
        get(http, "/readyz").is_ok_and(|(code, _)| code == 503)
    });
    // Traffic goes on while Redis is gone: every agent makes more batches.
    let made = |s: &Scenario| -> Vec<f64> {
        s.agents
            .iter()
            .map(|a| a.metric("cloudradar_agent_batches_total"))
            .collect()
    };
    let at_kill = made(&s);
    wait_for!(Duration::from_secs(60), || {
        made(&s)
            .iter()
            .zip(&at_kill)
            .all(|(now, then)| *now >= then + PROGRESS as f64)
    });
    // The collector's queue is full: the embedded broker's gate holds the
    // receivers back, so their new batches wait in their own spools
    // instead of piling up in the broker's memory.
    wait_for!(Duration::from_secs(60), || {
        scrape(http, "cloudradar_collector_receivers_held") == 1.0
            && s.agents.iter().all(|a| a.spooled() >= PROGRESS as f64)
    });
    // Down longer than the embedded broker waits for the subscriber's
    // keep-alive (1.5 x 15 s): the subscriber must keep its connection.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(down.elapsed()));
    s.restart_redis();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    // Regression: the subscriber stopped polling its connection while the
    // queue was full, the broker dropped it, and the batches queued from it
    // were acknowledged on the next connection under stale packet ids,
    // which the broker answered by disconnecting again, several times.
    assert_eq!(reconnects(), reconnects_before, "subscriber reconnected");
    settle_and_reconcile(s, "Redis SIGKILL");
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test scenarios -- --ignored"]
fn scenario_agent_sigkill_and_restart_stores_what_it_made_durable_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(false);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    // Killed with batches in its spool: the collector (and its broker) is
    // frozen, so nothing is acknowledged; some may have reached the broker.
    s.freeze_collector(true);
    wait_for!(Duration::from_secs(60), || {
        s.agents[0].spooled() >= PROGRESS as f64
    });
    s.kill_agent(0);
    s.freeze_collector(false);
    // The others go on while it is dead.
    let at_kill = s.batches_stored();
    let others: Vec<String> = s.agents[1..].iter().map(|a| a.id.clone()).collect();
    wait_for!(Duration::from_secs(60), || {
        let now = s.batches_stored();
        others.iter().all(|id| {
            now.get(id).copied().unwrap_or(0) >= at_kill.get(id).copied().unwrap_or(0) + PROGRESS
        })
    });
    s.agents[0].restart();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "agent SIGKILL");
}

#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test scenarios -- --ignored"]
fn scenario_mosquitto_down_while_agents_spool_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let mut s = Scenario::start(true);
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let Broker::Mosquitto(m) = &mut s.broker else {
        unreachable!("started with Mosquitto")
    };
    m.stop();
    let down = std::time::Instant::now();
    wait_for!(Duration::from_secs(60), || {
        s.agents.iter().all(|a| a.spooling(PROGRESS as f64))
    });
    // Down for a minute, as the issue asks, while the spools fill.
    std::thread::sleep(OUTAGE.saturating_sub(down.elapsed()));
    let Broker::Mosquitto(m) = &mut s.broker else {
        unreachable!("started with Mosquitto")
    };
    m.restart();
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(90));
    settle_and_reconcile(s, "Mosquitto down");
}

/// The link between the receiver site (simulator and agents in their own
/// network namespace) and the collector is cut: packets vanish, no error
/// either side. Held until the embedded broker has given up on every agent
/// (keepalive) and published its last will, then restored: the agents find
/// their connection dead, reconnect and re-send their spools.
#[test]
#[ignore = "fault tier (scripts/test.sh runs it): cargo test -p cloudradar-collector --test scenarios -- --ignored"]
fn scenario_network_cut_between_agents_and_collector_stores_every_accepted_frame_once() {
    let _serial = one_at_a_time();
    let Some(netns) = support::scenario::netns_or_skip("scenario_network_cut") else {
        return;
    };
    let s = Scenario::start_with(false, Some(netns));
    s.wait_batches(&Default::default(), PROGRESS, Duration::from_secs(60));
    let cut_at = std::time::Instant::now();
    s.netns.as_ref().expect("netns").cut(true);
    // Read from the spool directories: the agents' /metrics is across the cut.
    wait_for!(Duration::from_secs(60), || {
        s.agents
            .iter()
            .all(|a| a.spool_files() >= PROGRESS as usize)
    });
    let http = s.http();
    let ids: Vec<String> = s.agents.iter().map(|a| a.id.clone()).collect();
    wait_for!(Duration::from_secs(120), || {
        get(http, "/metrics").is_ok_and(|(_, text)| {
            ids.iter().all(|id| {
                let series = format!("cloudradar_collector_receiver_online{{receiver=\"{id}\"}}");
                support::scenario::metric(&text, &series) == Some(0.0)
            })
        })
    });
    s.netns.as_ref().expect("netns").cut(false);
    eprintln!("network cut: link down for {:?}", cut_at.elapsed());
    let after = s.batches_stored();
    s.wait_batches(&after, PROGRESS, Duration::from_secs(120));
    settle_and_reconcile(s, "network cut");
}
