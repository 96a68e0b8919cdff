//! `kb index -`: what standard input holds, a list of paths or JSON Lines records.

use std::ffi::OsString;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use kb::SkipRecord;

/// How standard input is named in messages and skip records.
pub const NAME: &str = "(standard input)";

/// What `kb index -` read.
pub enum Input {
    /// Files and folders to index, one a line (blank lines left out).
    Paths(Vec<PathBuf>),
    /// JSON Lines records: the input's first character that is not blank is `{`.
    Records(Records),
}

/// Records read from standard input.
pub struct Records {
    /// The records that parse, in order.
    pub documents: Vec<kb::Document>,
    /// The line of each of `documents`, from 1.
    pub lines: Vec<u32>,
    /// Lines that are not records.
    pub skipped: Vec<SkipRecord>,
}

impl Input {
    /// Standard input, read, when the only path given is `-`; `None` when no path is `-`.
    pub fn from_args(paths: &[PathBuf], watch: bool) -> anyhow::Result<Option<Input>> {
        if !paths.iter().any(|p| p == Path::new("-")) {
            return Ok(None);
        }
        if paths.len() > 1 {
            bail!("`-` (standard input) cannot be mixed with other paths; list them all on it");
        }
        if watch {
            bail!("--watch needs files and folders to watch, not standard input");
        }
        let mut stdin = std::io::stdin().lock();
        if stdin.is_terminal() && !super::quiet() {
            eprintln!("kb: reading paths or JSON Lines records from standard input (Ctrl-D ends)");
        }
        let mut bytes = Vec::new();
        stdin.read_to_end(&mut bytes).context("cannot read standard input")?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        match first {
            None => bail!("standard input holds no paths and no records"),
            Some(b'{') => Ok(Some(Input::Records(records(&bytes)))),
            Some(_) => Ok(Some(Input::Paths(paths_of(&bytes)))),
        }
    }
}

/// One path a line; a line's `\r` ending and blank lines are left out. Names need not be
/// UTF-8 (on Unix).
fn paths_of(bytes: &[u8]) -> Vec<PathBuf> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(|line| PathBuf::from(os_string(line)))
        .collect()
}

#[cfg(unix)]
fn os_string(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::OsStr::from_bytes(bytes).to_owned()
}

#[cfg(not(unix))]
fn os_string(bytes: &[u8]) -> OsString {
    OsString::from(String::from_utf8_lossy(bytes).into_owned())
}

/// One record a line, blank lines left out; a line that is not a record is skipped, a failure
/// named by its line.
fn records(bytes: &[u8]) -> Records {
    let mut out = Records { documents: Vec::new(), lines: Vec::new(), skipped: Vec::new() };
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<kb::Document>(line) {
            Ok(doc) => {
                out.documents.push(doc);
                out.lines.push(n);
            }
            Err(e) => {
                out.skipped.push(SkipRecord::failure(NAME, Some(n), format!("not a record: {e}")))
            }
        }
    }
    out
}
