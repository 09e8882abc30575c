//! Running the simulator in (accelerated) real time: a 100 ms tick
//! advances the engine and sends what each receiver heard to its Beast and
//! AVR servers; ground truth goes to a JSON-lines file.

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use cloudradar_shared::format::{avr, beast};
use cloudradar_shared::time::now_ms;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, SerialFormat};
use crate::engine::Engine;
use crate::output::fleet::{FleetSettings, VirtualAgent};
use crate::output::{SerialOutput, StreamServer, WireFormat};
use cloudradar_shared::wire::WireFrame;
use tokio_util::task::TaskTracker;

/// Servers of one receiver.
#[derive(Debug)]
struct Outputs {
    beast: Option<StreamServer>,
    avr: Option<StreamServer>,
    serial: Option<SerialOutput>,
}

/// Longest simulated step, seconds.
const MAX_STEP_S: f64 = 0.1;

/// Port of generated receiver output `offset` (0 = any free port).
fn generated_port(base: u16, offset: usize) -> u16 {
    if base == 0 {
        0
    } else {
        base.saturating_add(offset as u16)
    }
}

/// Runs until the duration passes or `cancel` fires. Prints each
/// receiver's server addresses (one line each) once listening.
pub async fn run(config: Config, cancel: CancellationToken) -> anyhow::Result<()> {
    let mut engine = Engine::new(&config);
    let fleet_settings = match &config.agents_mqtt {
        Some(url) => Some(
            FleetSettings::from_url(url, config.agents_password.clone())
                .context("key `agents_mqtt`")?,
        ),
        None => None,
    };
    // The virtual agents stop after the loop, so they flush the last frames.
    let fleet_cancel = CancellationToken::new();
    let fleet_tasks = TaskTracker::new();
    let agents: Vec<VirtualAgent> = match &fleet_settings {
        Some(s) => engine
            .receivers
            .iter()
            .map(|r| VirtualAgent::start(s, r, &fleet_tasks, fleet_cancel.clone()))
            .collect(),
        None => Vec::new(),
    };
    let start_ms = now_ms();
    let mut outputs = Vec::new();
    for (i, r) in engine.receivers.iter().enumerate() {
        let given = config.receivers.get(i);
        let beast_at = given.and_then(|g| g.beast_listen).or_else(|| {
            given.is_none().then(|| {
                SocketAddr::from(([127, 0, 0, 1], generated_port(config.beast_port_base, i)))
            })
        });
        let avr_at = given.and_then(|g| g.avr_listen).or_else(|| {
            given.is_none().then(|| {
                SocketAddr::from((
                    [127, 0, 0, 1],
                    generated_port(config.beast_port_base, 1000 + i),
                ))
            })
        });
        let beast = match beast_at {
            Some(a) => Some(
                StreamServer::start(
                    a,
                    WireFormat::Beast,
                    format!("{} beast", r.id),
                    cancel.clone(),
                )
                .await?,
            ),
            None => None,
        };
        let avr = match avr_at {
            Some(a) => Some(
                StreamServer::start(a, WireFormat::Avr, format!("{} avr", r.id), cancel.clone())
                    .await?,
            ),
            None => None,
        };
        let serial = match config.serial_path(i) {
            Some(p) => Some(SerialOutput::start(
                p,
                format!("{} serial", r.id),
                cancel.clone(),
            )?),
            None => None,
        };
        println!(
            "receiver {} at {:.4},{:.4}: beast {} avr {}{}",
            r.id,
            r.position.lat,
            r.position.lon,
            beast
                .as_ref()
                .map(|s| s.addr.to_string())
                .unwrap_or_else(|| "-".into()),
            avr.as_ref()
                .map(|s| s.addr.to_string())
                .unwrap_or_else(|| "-".into()),
            serial
                .as_ref()
                .map(|s| format!(" serial {} -> {}", s.link.display(), s.device.display()))
                .unwrap_or_default(),
        );
        outputs.push(Outputs { beast, avr, serial });
    }
    let _ = std::io::stdout().flush();
    let mut truth = match &config.truth {
        Some(p) => Some(BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("creating ground truth {}", p.display()))?,
        )),
        None => None,
    };
    let mut replay = match &config.replay {
        Some(p) => Some(crate::replay::Replay::open(p)?),
        None => None,
    };
    let mut replayed = 0.0;
    let tick = Duration::from_millis(100);
    let mut interval = tokio::time::interval(tick);
    let mut next_state = 0.0;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = interval.tick() => {}
        }
        // Advance in steps of at most 0.1 simulated seconds: frames carry
        // the state at the end of their step, so this bounds how stale an
        // encoded position is at any acceleration.
        let total = tick.as_secs_f64() * config.speed;
        let steps = (total / MAX_STEP_S).ceil().max(1.0) as usize;
        let dt = total / steps as f64;
        let mut beast_out: Vec<Vec<u8>> = vec![Vec::new(); outputs.len()];
        let mut avr_out: Vec<Vec<u8>> = vec![Vec::new(); outputs.len()];
        let mut fleet_out: Vec<Vec<WireFrame>> = vec![Vec::new(); agents.len()];
        let mut truth_lines = Vec::new();
        if let Some(r) = replay.as_mut() {
            // A recording instead of the traffic model, on the first receiver.
            replayed += total;
            for (t, rx) in r.until(replayed) {
                if let (Some(b), Some(a)) = (beast_out.first_mut(), avr_out.first_mut()) {
                    beast::write(rx, b);
                    avr::write(rx, a);
                }
                if let Some(batch) = fleet_out.first_mut() {
                    batch.push(WireFrame {
                        rx_ms: (t * 1000.0) as u64,
                        timestamp: rx.timestamp,
                        signal: rx.signal,
                        frame: rx.frame,
                    });
                }
            }
        }
        for _ in 0..steps {
            if replay.is_some() {
                break;
            }
            engine.advance(
            dt,
            |rec| {
                beast::write(&rec.rx, &mut beast_out[rec.receiver]);
                avr::write(&rec.rx, &mut avr_out[rec.receiver]);
                if let Some(batch) = fleet_out.get_mut(rec.receiver) {
                    // Wall-clock reception time: the simulated time on the 12 MHz clock, scaled back.
                    let sim_ms = rec.rx.timestamp as f64 / 12_000.0;
                    batch.push(WireFrame {
                        rx_ms: start_ms + (sim_ms / config.speed) as u64,
                        timestamp: rec.rx.timestamp,
                        signal: rec.rx.signal,
                        frame: rec.rx.frame,
                    });
                }
            },
            |tf, _| {
                if truth.is_some() {
                    truth_lines.push(json!({"type": "frame", "t": tf.t, "icao": tf.icao, "raw": tf.raw, "heard": tf.heard}));
                }
            },
        );
            // Every aircraft's true state once per simulated second.
            let now = engine.traffic.elapsed();
            if truth.is_some() && now + 1e-6 >= next_state {
                next_state = (now + 1e-6).floor() + 1.0;
                truth_lines
                    .push(json!({"type": "state", "t": now, "aircraft": engine.traffic.aircraft}));
            }
        }
        for (agent, frames) in agents.iter().zip(fleet_out) {
            agent.send(frames);
        }
        for (o, (b, a)) in outputs.iter().zip(beast_out.into_iter().zip(avr_out)) {
            if let Some(s) = &o.serial {
                s.send(match config.serial_format {
                    SerialFormat::Beast => b.clone(),
                    SerialFormat::Avr => a.clone(),
                });
            }
            if let Some(s) = &o.beast {
                s.send(b);
            }
            if let Some(s) = &o.avr {
                s.send(a);
            }
        }
        if let Some(w) = truth.as_mut() {
            for l in truth_lines {
                writeln!(w, "{l}")?;
            }
        }
        if config
            .duration_s
            .is_some_and(|d| engine.traffic.elapsed() >= d)
            || replay.as_ref().is_some_and(|r| r.finished())
        {
            break;
        }
    }
    if let Some(mut w) = truth {
        w.flush()?;
    }
    for s in outputs.iter().filter_map(|o| o.serial.as_ref()) {
        s.remove_link();
    }
    fleet_cancel.cancel();
    fleet_tasks.close();
    if tokio::time::timeout(Duration::from_secs(5), fleet_tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("virtual agents did not finish within 5 s");
    }
    Ok(())
}
