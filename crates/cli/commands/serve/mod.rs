/*!
`kb serve`: the knowledge base over HTTP, JSON in and out, with the index (and, on a semantic
index, the embedding model) kept warm in one process.

# Why here, and why axum on tokio

The server is a command of the `kb` binary, so it lives with the other commands (in a folder,
being several files): it is glue between HTTP and the `kb` library's [`kb::Kb`] handle, which
does all the work; a crate of its own would only add a second front door. It is compiled only
with the `serve` cargo feature (on by default), so a library user who turns default features
off builds none of it.

axum on tokio is the Rust ecosystem's default HTTP stack: hyper underneath (the most used and
most tested HTTP/1.1 implementation in Rust), typed extractors that turn a bad parameter into an
error instead of a panic, and tower layers for the cross-cutting rules (token, body limit,
timeout). Searching is blocking work (tantivy reads segments with ordinary calls), so every
library call runs on tokio's blocking pool ([`tokio::task::spawn_blocking`]): the async workers
only move bytes, and many searches run at once on all cores.

# Behaviour (the contract is in the README)

- [`routes`]: the endpoints and how parameters are read;
- [`page`]: the search page for people at `/` (server-rendered HTML, its assets, the login
  form of `--token`);
- [`auth`]: the bearer token, compared in constant time, and the page's session cookie;
- [`error`]: errors as `{"error": "..."}` with their HTTP status;
- here: listening, following other processes' commits, graceful shutdown.

Other processes' commits (`kb index`, `kb index --watch`) are followed by polling the index's
commit stamp ([`kb::Kb::commit_stamp`]) every [`live::FOLLOW_EVERY`] and reloading the handle when it
changed, so searches see them well within a second. The server never holds the index's writer
lock except while a `POST`/`DELETE /documents` is being written.
*/

mod auth;
mod error;
mod page;
mod routes;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kb::Kb;

use super::{live, EXIT_OK};

/// `kb serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. The default answers this machine only (loopback); to answer
    /// others, name an interface (0.0.0.0:8787) and set a --token. Port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8787")]
    pub addr: String,
    /// Require `Authorization: Bearer TOKEN` on every request, and allow writes (POST and
    /// DELETE /documents), which exist only with a token. An empty token counts as none.
    #[arg(long, env = "KB_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Largest request body, in MiB (larger: 413).
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub max_body_mb: usize,
    /// Longest a request may take, in seconds (longer: 503).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_s: u64,
    #[command(flatten)]
    pub approximate: live::ApproximateArgs,
}

/// How long in-flight requests get to finish after SIGINT/SIGTERM before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

pub fn run(index_dir: &Path, args: ServeArgs) -> anyhow::Result<u8> {
    // Like `kb search`: the first use builds the index from the corpus, so `kb serve` in a
    // fresh checkout serves the bundled corpus (and with no corpus either, says so).
    super::search::ensure_index(index_dir, None)?;
    let kb = live::open(index_dir, &args.approximate)?;
    let token = args.token.clone().filter(|t| !t.is_empty()).map(auth::Token::new);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let result = runtime.block_on(serve(kb, token, &args));
    // Searches still running on the blocking pool (a request that timed out) are not waited
    // for: they only read.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result.map(|()| EXIT_OK)
}

async fn serve(kb: Arc<Kb>, token: Option<auth::Token>, args: &ServeArgs) -> anyhow::Result<()> {
    let addr = args.addr.as_str();
    live::warm_up(&kb).await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr().context("cannot read the address listened on")?;
    if let Some(warning) = exposure_warning(local, token.is_some()) {
        eprintln!("kb: warning: {warning}");
    }
    let app = routes::App {
        kb: Arc::clone(&kb),
        token,
        timeout: Duration::from_secs(args.timeout_s),
        max_body: args.max_body_mb.saturating_mul(1 << 20),
    };
    let router = routes::router(Arc::new(app));
    tokio::spawn(live::follow_commits(kb));

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        eprintln!("kb: shutting down: no new connections; finishing the requests in flight");
        let _ = stop_tx.send(true);
    });
    let mut stopped = stop_rx.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|s| *s).await;
    });
    eprintln!("kb: listening on http://{local}");
    let mut grace = stop_rx;
    tokio::select! {
        result = server => result.context("the server failed")?,
        () = async {
            let _ = grace.wait_for(|s| *s).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => eprintln!("kb: requests still running after {} s; leaving them", SHUTDOWN_GRACE.as_secs()),
    }
    Ok(())
}

/// The warning for listening on `addr`: a non-loopback address without a token puts the whole
/// index within reach of anyone on the network (the user's explicit choice, said out loud).
fn exposure_warning(addr: std::net::SocketAddr, token: bool) -> Option<String> {
    (!addr.ip().is_loopback() && !token).then(|| {
        format!(
            "{addr} is not a loopback address and no token is set: anyone who can reach it can \
             read the whole index (set --token or KB_TOKEN)"
        )
    })
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_loopback_address_without_a_token_is_warned_about() {
        let addr = |a: &str| a.parse::<std::net::SocketAddr>().unwrap();
        let warning = exposure_warning(addr("0.0.0.0:8787"), false).expect("a warning");
        assert!(warning.starts_with("0.0.0.0:8787 is not a loopback address"), "{warning}");
        assert!(exposure_warning(addr("192.168.1.5:80"), false).is_some());
        assert!(exposure_warning(addr("[::]:8787"), false).is_some());
        assert_eq!(exposure_warning(addr("0.0.0.0:8787"), true), None);
        assert_eq!(exposure_warning(addr("127.0.0.1:8787"), false), None);
        assert_eq!(exposure_warning(addr("[::1]:8787"), false), None);
    }
}
