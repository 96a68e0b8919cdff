//! Measuring processes: wall time and peak resident memory.
//!
//! A child's peak RSS comes from `wait4`, which returns the resource usage of exactly that child
//! (`getrusage(RUSAGE_CHILDREN)` would give the largest of all children reaped so far).

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

/// This process's peak resident set size so far, KiB (`None` where it cannot be read).
pub fn peak_rss_self_kb() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes into the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            return Some(max_rss_kb(&usage));
        }
    }
    None
}

/// What a measured child process did.
#[derive(Debug)]
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// From spawning to reaping, milliseconds (process start-up included).
    pub wall_ms: f64,
    /// Its peak resident set size, KiB (`None` where `wait4` is not available).
    pub peak_rss_kb: Option<u64>,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Finished {
    /// An error naming the command when it did not exit with 0, showing its stderr.
    pub fn check(self, what: &str) -> Result<Finished, String> {
        if self.status.success() {
            Ok(self)
        } else {
            Err(format!("{what} failed ({}):\n{}{}", self.status, self.stderr, self.stdout))
        }
    }

    /// The last line of standard output that is a JSON object: the benchmarks' result line.
    pub fn json_line(&self) -> Result<serde_json::Value, String> {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .ok_or_else(|| format!("no JSON line in the output:\n{}", self.stdout))?;
        serde_json::from_str(line).map_err(|e| format!("bad JSON line ({e}): {line}"))
    }
}

/// Runs `cmd` to completion with its output captured, measuring wall time and peak RSS.
pub fn run_measured(cmd: &mut Command) -> Result<Finished, String> {
    let shown = format!("{cmd:?}");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start {shown}: {e}"))?;
    // Both pipes are drained on their own threads, so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let mut bytes = Vec::new();
                let _ = p.read_to_end(&mut bytes);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let (status, peak_rss_kb) =
        reap(&mut child).map_err(|e| format!("waiting for {shown}: {e}"))?;
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    Ok(Finished { status, wall_ms, peak_rss_kb, stdout, stderr })
}

#[cfg(unix)]
fn reap(child: &mut std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes the status and the usage into the locals it is given; the pid is our
    // own child, not yet reaped (std's `Child` is never waited on after this).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((ExitStatus::from_raw(status), Some(max_rss_kb(&usage))));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(not(unix))]
fn reap(child: &mut std::process::Child) -> std::io::Result<(ExitStatus, Option<u64>)> {
    Ok((child.wait()?, None))
}

/// `ru_maxrss` in KiB: Linux reports KiB, macOS bytes.
#[cfg(unix)]
fn max_rss_kb(usage: &libc::rusage) -> u64 {
    let raw = usage.ru_maxrss.max(0) as u64;
    if cfg!(target_os = "macos") {
        raw / 1024
    } else {
        raw
    }
}
