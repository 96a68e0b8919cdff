//! A long-lived [`Kb`] handle, as `kb serve` and `kb mcp` keep one: its embedding model
//! loaded before the first request, and other processes' commits followed.

use std::sync::Arc;
use std::time::Duration;

use kb::Kb;

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
