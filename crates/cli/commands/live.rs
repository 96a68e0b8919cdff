//! A long-lived [`Kb`] handle, as `kb serve` and `kb mcp` keep one: its embedding model
//! loaded before the first request, and other processes' commits followed.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kb::{ApproximateDense, Kb};

/// How a service searches by meaning: the options `kb serve` and `kb mcp` share.
#[derive(Debug, Clone, clap::Args)]
pub struct ApproximateArgs {
    /// On a semantic index of at least N passages, search by meaning through an HNSW graph
    /// built in memory in the background (approximate, faster) instead of scanning every
    /// embedding (exact). Below N, and until the graph is built, the exact scan answers.
    #[arg(long, value_name = "N", default_value_t = ApproximateDense::DEFAULT_MIN_PASSAGES)]
    pub approximate_from: usize,
}

/// Opens the index at `index_dir` as a long-lived handle: past `--approximate-from` passages,
/// searches by meaning walk an HNSW graph built in the background (`kb search` scans exactly).
pub fn open(index_dir: &Path, approximate: &ApproximateArgs) -> anyhow::Result<Arc<Kb>> {
    let kb = Kb::open(index_dir).with_context(|| {
        format!("cannot serve {}: build it first with `kb index PATH...`", index_dir.display())
    })?;
    let settings = ApproximateDense {
        min_passages: approximate.approximate_from,
        ..ApproximateDense::default()
    };
    Ok(Arc::new(kb.with_approximate_dense(settings)))
}

/// How searches by meaning are answered now: `GET /health`'s `dense` (`"none"`, `"exact"`,
/// `"approximate"`) and the MCP `stats` tool's last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DenseMode {
    /// A lexical index: no search by meaning.
    None,
    /// Every embedding is scanned (below `--approximate-from`, or while the graph is built).
    Exact,
    /// The HNSW graph is walked.
    Approximate,
}

impl DenseMode {
    /// `kb`'s mode now. Blocking: the first call on a handle opens the index.
    pub fn of(kb: &Kb) -> DenseMode {
        match kb.semantic_model() {
            Ok(Some(_)) if kb.approximate_dense_ready() => DenseMode::Approximate,
            Ok(Some(_)) => DenseMode::Exact,
            _ => DenseMode::None,
        }
    }
}

/// How often the index's commit stamp is checked for other processes' commits.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(100);

/// On a semantic index, loads the embedding model before the first request (one search), so
/// no request pays for it. A model that cannot be had is reported on stderr; lexical searches
/// (semantic weight 0) still work.
pub async fn warm_up(kb: &Arc<Kb>) {
    let Ok(Some(_)) = kb.semantic_model() else { return };
    crate::model::announce_download_for(kb);
    let kb = Arc::clone(kb);
    let warmed =
        tokio::task::spawn_blocking(move || kb.search("warm up", &kb::SearchOptions::default()))
            .await;
    if let Ok(Err(err)) = warmed {
        eprintln!("kb: warning: {err}; only searches with semantic weight 0 work until it is");
    }
}

/// Reloads the handle whenever the index's commit stamp ([`Kb::commit_stamp`]) changes, so
/// other processes' commits (`kb index`, `kb index --watch`) reach searches within
/// [`FOLLOW_EVERY`] plus the reload's own time. Runs until its runtime stops.
pub async fn follow_commits(kb: Arc<Kb>) {
    let mut seen: Option<u64> = None;
    let mut last_error = String::new();
    let mut ticks = tokio::time::interval(FOLLOW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let handle = Arc::clone(&kb);
        let checked = tokio::task::spawn_blocking(move || -> kb::Result<Option<u64>> {
            // The stamp is read before reloading: a commit landing in between is seen next time.
            let stamp = handle.commit_stamp()?;
            if stamp != seen {
                handle.reload()?;
            }
            Ok(stamp)
        })
        .await;
        match checked {
            Ok(Ok(stamp)) => {
                seen = stamp;
                last_error.clear();
            }
            Ok(Err(err)) => {
                // Said once, not every tick; the previous view keeps answering.
                let message = err.to_string();
                if message != last_error {
                    eprintln!("kb: cannot reload the index: {message}");
                    last_error = message;
                }
            }
            Err(_) => {}
        }
    }
}
