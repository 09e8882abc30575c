//! Running the simulator in (accelerated) real time: a 100 ms tick
//! advances the engine and sends what each receiver heard to its Beast and
//! AVR servers; ground truth goes to a JSON-lines file.

use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use cloudradar_shared::format::{avr, beast};
use cloudradar_shared::time::now_ms;
use tokio_util::sync::CancellationToken;

use cloudradar_shared::wire::WireFrame;
use tokio_util::task::TaskTracker;

use crate::config::{Config, SerialFormat};
use crate::engine::{Engine, Reception};
use crate::output::fleet::{FleetSettings, VirtualAgent};
use crate::output::{SerialOutput, StreamServer, WireFormat};
use crate::receiver::Receiver;
use crate::replay::Replay;
use crate::truth;

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
    let fleet = Fleet::start(&config, &engine)?;
    let start_ms = now_ms();
    let mut outputs = Vec::new();
    for (i, r) in engine.receivers.iter().enumerate() {
        let o = Outputs::start(&config, i, r, &cancel).await?;
        o.print(r);
        outputs.push(o);
    }
    let _ = std::io::stdout().flush();
    let mut truth = match &config.truth {
        Some(p) => Some(truth::create(p, &engine.receivers)?),
        None => None,
    };
    let mut replay = match &config.replay {
        Some(p) => Some(Replay::open(p)?),
        None => None,
    };
    let mut clock = Clock {
        start_ms,
        replayed: 0.0,
        next_state: 0.0,
        held: Vec::new(),
    };
    let tick = Duration::from_millis(100);
    let mut interval = tokio::time::interval(tick);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = interval.tick() => {}
        }
        let total = tick.as_secs_f64() * config.speed;
        let mut out = TickOutput::new(outputs.len(), fleet.agents.len());
        match replay.as_mut() {
            Some(r) => clock.replay(r, total, &mut out),
            None => clock.simulate(&mut engine, &config, total, truth.is_some(), &mut out),
        }
        out.deliver(
            &outputs,
            &fleet.agents,
            config.serial_format,
            truth.as_mut(),
        )?;
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
    fleet.stop().await;
    Ok(())
}

/// The virtual agents (agent fleet mode), one per receiver; none without
/// `agents_mqtt`.
struct Fleet {
    agents: Vec<VirtualAgent>,
    cancel: CancellationToken,
    tasks: TaskTracker,
}

impl Fleet {
    fn start(config: &Config, engine: &Engine) -> anyhow::Result<Self> {
        let settings = match &config.agents_mqtt {
            Some(url) => Some(
                FleetSettings::from_url(url, config.agents_password.clone())
                    .context("key `agents_mqtt`")?,
            ),
            None => None,
        };
        // The virtual agents stop after the loop (their own token, not the
        // run's), so they flush the last frames.
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let agents = match &settings {
            Some(s) => engine
                .receivers
                .iter()
                .map(|r| VirtualAgent::start(s, r, &tasks, cancel.clone()))
                .collect(),
            None => Vec::new(),
        };
        Ok(Self {
            agents,
            cancel,
            tasks,
        })
    }

    /// Stops the agents and waits (at most 5 s) for their last batches.
    async fn stop(self) {
        self.cancel.cancel();
        self.tasks.close();
        if tokio::time::timeout(Duration::from_secs(5), self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("virtual agents did not finish within 5 s");
        }
    }
}

impl Outputs {
    /// Starts receiver `i`'s servers: those configured for it, or, for a
    /// generated receiver, Beast and AVR on ports from `beast_port_base`.
    async fn start(
        config: &Config,
        i: usize,
        r: &Receiver,
        cancel: &CancellationToken,
    ) -> anyhow::Result<Self> {
        let given = config.receivers.get(i);
        let generated = |offset| {
            given.is_none().then(|| {
                SocketAddr::from((
                    [127, 0, 0, 1],
                    generated_port(config.beast_port_base, offset),
                ))
            })
        };
        let beast_at = given.and_then(|g| g.beast_listen).or_else(|| generated(i));
        let avr_at = given
            .and_then(|g| g.avr_listen)
            .or_else(|| generated(1000 + i));
        let server = |at: Option<SocketAddr>, format, name: &str| {
            let label = format!("{} {name}", r.id);
            let cancel = cancel.clone();
            async move {
                match at {
                    Some(a) => StreamServer::start(a, format, label, cancel)
                        .await
                        .map(Some),
                    None => Ok(None),
                }
            }
        };
        let beast = server(beast_at, WireFormat::Beast, "beast").await?;
        let avr = server(avr_at, WireFormat::Avr, "avr").await?;
        let serial = match config.serial_path(i) {
            Some(p) => Some(SerialOutput::start(
                p,
                format!("{} serial", r.id),
                cancel.clone(),
            )?),
            None => None,
        };
        Ok(Self { beast, avr, serial })
    }

    /// Prints where receiver `r` can be reached (one line), at the
    /// position and antenna height (metres above the WGS84 ellipsoid) it
    /// reports: what its owner would give its agent.
    fn print(&self, r: &Receiver) {
        println!(
            "receiver {} at {:.6},{:.6} height {:.1}: beast {} avr {}{}",
            r.id,
            r.site.reported.lat,
            r.site.reported.lon,
            r.site.reported_alt_m,
            self.beast
                .as_ref()
                .map(|s| s.addr.to_string())
                .unwrap_or_else(|| "-".into()),
            self.avr
                .as_ref()
                .map(|s| s.addr.to_string())
                .unwrap_or_else(|| "-".into()),
            self.serial
                .as_ref()
                .map(|s| format!(" serial {} -> {}", s.link.display(), s.device.display()))
                .unwrap_or_default(),
        );
    }
}

/// Where the run is in time, across ticks.
struct Clock {
    /// Wall clock at the start, Unix ms (virtual agents' reception times).
    start_ms: u64,
    /// Simulated seconds of the recording played so far.
    replayed: f64,
    /// Simulated time of the next ground-truth state line.
    next_state: f64,
    /// Per receiver: receptions arriving after the last tick's end.
    held: Vec<Vec<Reception>>,
}

/// What one tick produced, per receiver (by index) and for the truth file.
struct TickOutput {
    beast: Vec<Vec<u8>>,
    avr: Vec<Vec<u8>>,
    fleet: Vec<Vec<WireFrame>>,
    truth: Vec<serde_json::Value>,
}

impl Clock {
    /// A recording instead of the traffic model, on the first receiver:
    /// the frames of the next `total` simulated seconds.
    fn replay(&mut self, r: &mut Replay, total: f64, out: &mut TickOutput) {
        self.replayed += total;
        for (t, rx) in r.until(self.replayed) {
            if let (Some(b), Some(a)) = (out.beast.first_mut(), out.avr.first_mut()) {
                beast::write(rx, b);
                avr::write(rx, a);
            }
            if let Some(batch) = out.fleet.first_mut() {
                batch.push(WireFrame {
                    rx_ms: (t * 1000.0) as u64,
                    timestamp: rx.timestamp,
                    signal: rx.signal,
                    frame: rx.frame,
                });
            }
        }
    }

    /// Advances the traffic model by `total` simulated seconds, in steps of
    /// at most [`MAX_STEP_S`]: frames carry the state at the end of their
    /// step, so this bounds how stale an encoded position is at any
    /// acceleration.
    fn simulate(
        &mut self,
        engine: &mut Engine,
        config: &Config,
        total: f64,
        with_truth: bool,
        out: &mut TickOutput,
    ) {
        let steps = (total / MAX_STEP_S).ceil().max(1.0) as usize;
        let dt = total / steps as f64;
        let mut heard = std::mem::take(&mut self.held);
        heard.resize_with(out.beast.len(), Vec::new);
        for _ in 0..steps {
            engine.advance(
                dt,
                |rec| {
                    if let Some(h) = heard.get_mut(rec.receiver) {
                        h.push(rec);
                    }
                },
                |tf, _| {
                    if with_truth {
                        out.truth.push(truth::frame_line(tf));
                    }
                },
            );
            // Every aircraft's true state once per simulated second.
            let now = engine.traffic.elapsed();
            if with_truth && now + 1e-6 >= self.next_state {
                self.next_state = (now + 1e-6).floor() + 1.0;
                out.truth
                    .push(truth::state_line(now, &engine.traffic.aircraft));
            }
        }
        // A receiver sends what it hears in order of arrival; the engine
        // goes in order of transmission. What arrives after this tick's
        // end (up to 1.3 ms of propagation) waits for the next tick, when
        // nothing can arrive before it any more.
        let end = engine.traffic.elapsed();
        for (i, mut list) in heard.into_iter().enumerate() {
            list.sort_by(|a, b| a.t.total_cmp(&b.t));
            let later = list.split_off(list.partition_point(|r| r.t <= end));
            for rec in &list {
                out.write(i, rec, self.start_ms, config.speed);
            }
            self.held.push(later);
        }
    }
}

impl TickOutput {
    /// Receiver `i`'s reception `rec`, on its servers and to its virtual
    /// agent; the agent's wall-clock reception time is the true arrival,
    /// scaled back from the simulation's speed.
    fn write(&mut self, i: usize, rec: &Reception, start_ms: u64, speed: f64) {
        if let (Some(b), Some(a)) = (self.beast.get_mut(i), self.avr.get_mut(i)) {
            beast::write(&rec.rx, b);
            avr::write(&rec.rx, a);
        }
        if let Some(batch) = self.fleet.get_mut(i) {
            batch.push(WireFrame {
                rx_ms: start_ms + (rec.t * 1000.0 / speed) as u64,
                timestamp: rec.rx.timestamp,
                signal: rec.rx.signal,
                frame: rec.rx.frame,
            });
        }
    }

    fn new(receivers: usize, agents: usize) -> Self {
        Self {
            beast: vec![Vec::new(); receivers],
            avr: vec![Vec::new(); receivers],
            fleet: vec![Vec::new(); agents],
            truth: Vec::new(),
        }
    }

    /// Hands the tick's frames to the virtual agents and servers, and its
    /// truth lines to the file.
    fn deliver(
        self,
        outputs: &[Outputs],
        agents: &[VirtualAgent],
        serial_format: SerialFormat,
        truth: Option<&mut BufWriter<std::fs::File>>,
    ) -> anyhow::Result<()> {
        for (agent, frames) in agents.iter().zip(self.fleet) {
            agent.send(frames);
        }
        for (o, (b, a)) in outputs.iter().zip(self.beast.into_iter().zip(self.avr)) {
            if let Some(s) = &o.serial {
                s.send(match serial_format {
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
        if let Some(w) = truth {
            for l in self.truth {
                writeln!(w, "{l}")?;
            }
        }
        Ok(())
    }
}
