//! The model download (`kb_embed::fetch::install`) against an HTTP server on 127.0.0.1 that the
//! test starts and that serves a tiny model the test writes: the files are installed when they
//! are what the source pins, and nothing is installed when one is not (a wrong checksum, a
//! download cut short, too many bytes, a missing file).
#![cfg(feature = "download")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kb_embed::fetch::{self, RemoteFile, Source};
use kb_embed::{EmbedError, Embedder};
use sha2::{Digest, Sha256};

/// What the server answers for a path.
#[derive(Clone)]
enum Reply {
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// 200 announcing these bytes (Content-Length), of which only the first `cut` are sent
    /// before the connection is closed.
    CutShort(Vec<u8>, usize),
}

/// A server on 127.0.0.1 answering at most `max_requests` requests, for at most 30 s; it counts
/// the requests it gets. Unknown paths get a 404.
struct Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn start(replies: HashMap<String, Reply>, max_requests: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut served = 0;
            while served < max_requests && Instant::now() < deadline {
                let stream = match listener.accept() {
                    Ok((stream, _)) => stream,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                served += 1;
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = answer(stream, &replies);
            }
        });
        Server { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn answer(stream: std::net::TcpStream, replies: &HashMap<String, Reply>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut out = stream;
    let head = |len: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    match replies.get(&path) {
        Some(Reply::Body(bytes)) => {
            out.write_all(head(bytes.len()).as_bytes())?;
            out.write_all(bytes)?;
        }
        Some(Reply::CutShort(bytes, cut)) => {
            out.write_all(head(bytes.len()).as_bytes())?;
            out.write_all(&bytes[..*cut])?;
        }
        None => {
            out.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
        }
    }
    out.flush()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A tiny model written by `kb_embed::testing` (CLS-pooled, so it has a subfolder): its folder
/// and its files, relative path -> bytes.
fn tiny_model() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let dir = tempfile::tempdir().unwrap();
    kb_embed::testing::write_word_model_cls(dir.path(), &[&["car", "automobile"], &["soup"]])
        .unwrap();
    let files =
        ["config.json", "vocab.txt", "modules.json", "1_Pooling/config.json", "model.safetensors"]
            .iter()
            .map(|f| (f.to_string(), std::fs::read(dir.path().join(f)).unwrap()))
            .collect();
    (dir, files)
}

/// A source pinning `files` (leaked: a `Source` borrows its strings).
fn source(files: &[(String, Vec<u8>)]) -> Source<'static> {
    let pinned: Vec<RemoteFile<'static>> = files
        .iter()
        .map(|(path, bytes)| RemoteFile {
            path: Box::leak(path.clone().into_boxed_str()),
            size: bytes.len() as u64,
            sha256: Box::leak(sha256_hex(bytes).into_boxed_str()),
        })
        .collect();
    Source {
        name: "tiny-model",
        repo: "kb-tests/tiny-model",
        revision: "0123456789abcdef0123456789abcdef01234567",
        files: Box::leak(pinned.into_boxed_slice()),
    }
}

/// The replies serving `files` under the URL path `prefix`.
fn replies(prefix: &str, files: &[(String, Vec<u8>)]) -> HashMap<String, Reply> {
    files
        .iter()
        .map(|(path, bytes)| (format!("{prefix}/{path}"), Reply::Body(bytes.clone())))
        .collect()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(read) => read.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn the_files_are_downloaded_checked_and_installed() {
    let (model_dir, files) = tiny_model();
    let src = source(&files);
    // The Hub's layout: {endpoint}/{repo}/resolve/{revision}/{file}.
    let prefix = format!("/{}/resolve/{}", src.repo, src.revision);
    let server = Server::start(replies(&prefix, &files), 20);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("models");
    let base = src.hub_url(&server.url);
    let dir = fetch::install(&cache_dir, &src, &base).unwrap();
    assert_eq!(dir, cache_dir.join("tiny-model"));
    assert_eq!(server.requests(), files.len());
    for (path, bytes) in &files {
        assert_eq!(&std::fs::read(dir.join(path)).unwrap(), bytes, "{path}");
    }
    // Only the model is left in the cache: the temporary folder is gone.
    assert_eq!(entries(&cache_dir), std::slice::from_ref(&dir));
    // The installed model embeds as the original does.
    let installed = Embedder::load(&dir).unwrap();
    let original = Embedder::load(model_dir.path()).unwrap();
    assert_eq!(installed.embed("an automobile"), original.embed("an automobile"));
    assert_eq!(installed.info().checksum, original.info().checksum);
    // A second call finds the model and asks the server nothing.
    assert_eq!(fetch::install(&cache_dir, &src, &base).unwrap(), dir);
    assert_eq!(server.requests(), files.len());
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_installed() {
    let (_model_dir, files) = tiny_model();
    let src = source(&files);
    let mut served = replies("", &files);
    // One bit flipped in the weights: same size, other SHA-256.
    let mut weights = files.iter().find(|(p, _)| p == "model.safetensors").unwrap().1.clone();
    let middle = weights.len() / 2;
    weights[middle] ^= 0x10;
    served.insert("/model.safetensors".into(), Reply::Body(weights));
    let server = Server::start(served, 20);
    let cache = tempfile::tempdir().unwrap();
    let err = fetch::install(cache.path(), &src, &server.url).unwrap_err();
    let expected = src.files.iter().find(|f| f.path == "model.safetensors").unwrap().sha256;
    assert!(
        matches!(&err, EmbedError::Checksum { path, expected: e, .. }
            if path.to_string_lossy().ends_with("/model.safetensors") && e == expected),
        "{err}"
    );
    assert!(err.to_string().contains(expected), "{err}");
    assert_eq!(entries(cache.path()), Vec::<PathBuf>::new(), "nothing is left in the cache");
}

#[test]
fn an_interrupted_download_leaves_nothing_half_installed() {
    let (_model_dir, files) = tiny_model();
    let src = source(&files);
    let mut served = replies("", &files);
    let weights = files.iter().find(|(p, _)| p == "model.safetensors").unwrap().1.clone();
    let cut = weights.len() / 3;
    served.insert("/model.safetensors".into(), Reply::CutShort(weights, cut));
    let server = Server::start(served, 20);
    let cache = tempfile::tempdir().unwrap();
    let err = fetch::install(cache.path(), &src, &server.url).unwrap_err();
    assert!(
        matches!(&err, EmbedError::Download { url, .. } if url.ends_with("/model.safetensors")),
        "{err}"
    );
    assert_eq!(entries(cache.path()), Vec::<PathBuf>::new(), "nothing is left in the cache");
    assert!(!fetch::is_cached(cache.path()));
}

#[test]
fn too_many_bytes_and_missing_files_are_refused() {
    let (_model_dir, files) = tiny_model();
    let src = source(&files);
    // vocab.txt with a line more than pinned.
    let mut served = replies("", &files);
    let mut vocab = files.iter().find(|(p, _)| p == "vocab.txt").unwrap().1.clone();
    vocab.extend(b"extra\n");
    served.insert("/vocab.txt".into(), Reply::Body(vocab));
    let server = Server::start(served, 20);
    let cache = tempfile::tempdir().unwrap();
    let err = fetch::install(cache.path(), &src, &server.url).unwrap_err();
    assert!(
        matches!(&err, EmbedError::Download { url, reason } if url.ends_with("/vocab.txt")
            && reason.contains("expected")),
        "{err}"
    );
    assert_eq!(entries(cache.path()), Vec::<PathBuf>::new());

    // A 404: the URL is named.
    let mut served = replies("", &files);
    served.remove("/1_Pooling/config.json");
    let server = Server::start(served, 20);
    let err = fetch::install(cache.path(), &src, &server.url).unwrap_err();
    assert!(
        matches!(&err, EmbedError::Download { url, .. } if url.ends_with("/1_Pooling/config.json")),
        "{err}"
    );
    assert!(err.to_string().contains("404"), "{err}");
    assert_eq!(entries(cache.path()), Vec::<PathBuf>::new());
}

#[test]
fn the_download_url_is_kb_model_url_else_hf_endpoint_else_the_hub() {
    // The only test here that reads these variables.
    std::env::remove_var(fetch::MODEL_URL_ENV);
    std::env::remove_var(fetch::HF_ENDPOINT_ENV);
    assert_eq!(fetch::download_url(), fetch::MINILM.hub_url(fetch::DEFAULT_ENDPOINT));
    assert!(fetch::download_url().ends_with(
        "/sentence-transformers/all-MiniLM-L6-v2/resolve/1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
    ));
    std::env::set_var(fetch::HF_ENDPOINT_ENV, "http://127.0.0.1:9/");
    assert_eq!(fetch::download_url(), fetch::MINILM.hub_url("http://127.0.0.1:9"));
    std::env::set_var(fetch::MODEL_URL_ENV, "http://127.0.0.1:8/models/minilm/");
    assert_eq!(fetch::download_url(), "http://127.0.0.1:8/models/minilm");
    std::env::remove_var(fetch::MODEL_URL_ENV);
    std::env::remove_var(fetch::HF_ENDPOINT_ENV);
}
