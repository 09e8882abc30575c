//! A child process that dies with the test.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Lines of a child's stderr printed when a test fails while it runs.
const TAIL: usize = 60;

/// A child process, killed (SIGKILL) and reaped when dropped. When it was
/// started with [`Proc::spawn`], its stderr is kept: tests read fields
/// from its log ([`Proc::wait_for_field`]), and a test failing while it
/// runs prints the last lines.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    name: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    /// Spawns `cmd` with its stderr captured (stdout as `cmd` says, else
    /// discarded); `name` labels it in failure messages.
    pub fn spawn(name: &str, cmd: &mut Command) -> Self {
        Self::spawn_capturing(name, cmd, None, false)
    }

    /// [`Proc::spawn`] for a program that logs to stdout: both streams
    /// are captured, as one log.
    pub fn spawn_with_stdout(name: &str, cmd: &mut Command) -> Self {
        Self::spawn_capturing(name, cmd.stdout(Stdio::piped()), None, true)
    }

    /// [`Proc::spawn`] that also writes its stderr to the file `log`, which
    /// outlives the process (for a test that keeps its logs).
    pub fn spawn_logging(name: &str, cmd: &mut Command, log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        Self::spawn_capturing(name, cmd, Some(file), false)
    }

    fn spawn_capturing(
        name: &str,
        cmd: &mut Command,
        log: Option<std::fs::File>,
        stdout: bool,
    ) -> Self {
        let mut child = cmd
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({cmd:?}): {e}"));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(pipe) = child.stderr.take() {
            keep_lines(pipe, stderr.clone(), log);
        }
        if stdout && let Some(pipe) = child.stdout.take() {
            keep_lines(pipe, stderr.clone(), None);
        }
        Self {
            child,
            name: name.to_string(),
            stderr,
        }
    }

    /// Takes over a child started elsewhere (its stderr is not kept).
    pub fn adopt(name: &str, child: Child) -> Self {
        Self {
            child,
            name: name.to_string(),
            stderr: Arc::default(),
        }
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The child itself (for its stdout pipe or `try_wait`).
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Its stderr so far, one entry per line, colours removed.
    pub fn stderr(&self) -> Vec<String> {
        lock(&self.stderr).clone()
    }

    /// Whether it has `path` open (Linux: a link in `/proc/<pid>/fd`
    /// resolves to it), e.g. a serial device it reads.
    pub fn has_open(&self, path: &std::path::Path) -> bool {
        let Ok(target) = std::fs::canonicalize(path) else {
            return false;
        };
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.child.id()));
        fds.into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGKILL and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`"TERM"`, `"STOP"`, `"CONT"`...).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap_or_else(|e| panic!("running kill: {e}"));
        assert!(status.success(), "kill -{signal} {}", self.name);
    }

    /// Sends SIGTERM and waits for the exit, up to 20 s.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        self.terminate_within(Duration::from_secs(20))
    }

    /// Sends SIGTERM and waits for the exit, up to `limit`.
    pub fn terminate_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.exited() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(crate::poll_interval());
        }
    }

    /// Waits until a stderr line contains `needle`; panics (with the
    /// stderr) if the process exits first or `timeout` passes.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        self.wait_for_log(timeout, needle, |l| {
            l.contains(needle).then(|| l.to_string())
        })
    }

    /// The value of the structured log field `field` (`field=value`, as
    /// `tracing`'s text format writes it) in the first stderr line that
    /// has it, waiting for it up to `timeout`: how a test reads the address
    /// a process bound to port 0 reports.
    pub fn wait_for_field(&mut self, field: &str, timeout: Duration) -> String {
        let key = format!("{field}=");
        self.wait_for_log(timeout, &key, |l| log_field(l, field))
    }

    fn wait_for_log(
        &mut self,
        timeout: Duration,
        what: &str,
        find: impl Fn(&str) -> Option<String>,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = lock(&self.stderr).iter().find_map(|l| find(l)) {
                return v;
            }
            let status = self.exited();
            assert!(
                status.is_none() && Instant::now() < deadline,
                "{} logged no {what:?} within {timeout:?} ({}); its stderr:\n{}",
                self.name,
                status.map_or("still running".to_string(), |s| format!("exited: {s}")),
                self.tail()
            );
            std::thread::sleep(crate::poll_interval());
        }
    }

    /// The last lines of its stderr, for a failure message.
    pub fn tail(&self) -> String {
        let lines = lock(&self.stderr);
        let from = lines.len().saturating_sub(TAIL);
        lines[from..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() && !lock(&self.stderr).is_empty() {
            eprintln!("--- last stderr of {} ---\n{}", self.name, self.tail());
        }
    }
}

/// Appends the lines `pipe` yields to `sink` (and to `log`) until it closes.
fn keep_lines(
    pipe: impl std::io::Read + Send + 'static,
    sink: Arc<Mutex<Vec<String>>>,
    mut log: Option<std::fs::File>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let line = strip_ansi(&line);
            if let Some(f) = log.as_mut() {
                let _ = writeln!(f, "{line}");
            }
            lock(&sink).push(line);
        }
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The value of the structured field `field` (`field=value`, as
/// `tracing`'s text format writes it) in the log line `line`, if it has it.
pub fn log_field(line: &str, field: &str) -> Option<String> {
    let line = strip_ansi(line);
    let key = format!("{field}=");
    let at = line
        .match_indices(&key)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || !is_ident(line.as_bytes()[i - 1]))?;
    let value = &line[at + key.len()..];
    let end = value.find(char::is_whitespace).unwrap_or(value.len());
    Some(value[..end].trim_matches('"').to_string())
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// `line` without ANSI escape sequences (`tracing` colours field names).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, then a final byte in @..~.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_read_from_a_coloured_log_line() {
        let mut p = Proc::spawn(
            "sh",
            Command::new("sh").args([
                "-c",
                r"printf 'INFO x: HTTP API listening \033[3mhttp_addr\033[0m\033[2m=\033[0m127.0.0.1:4242\n' >&2; sleep 5",
            ]),
        );
        assert_eq!(
            p.wait_for_field("http_addr", Duration::from_secs(5)),
            "127.0.0.1:4242"
        );
    }

    #[test]
    fn a_field_is_not_matched_inside_a_longer_name() {
        let mut p = Proc::spawn(
            "sh",
            Command::new("sh").args([
                "-c",
                "echo 'mqtt_http_addr=1.2.3.4:1 http_addr=5.6.7.8:2' >&2; sleep 5",
            ]),
        );
        assert_eq!(
            p.wait_for_field("http_addr", Duration::from_secs(5)),
            "5.6.7.8:2"
        );
    }

    #[test]
    #[should_panic(expected = "exited")]
    fn waiting_for_a_field_fails_fast_when_the_process_exits() {
        let mut p = Proc::spawn("sh", Command::new("sh").args(["-c", "echo no >&2"]));
        p.wait_for_field("http_addr", Duration::from_secs(30));
    }
}
