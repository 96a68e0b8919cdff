//! Indexes of BEIR corpora, built once and reused: cached under a folder named after the
//! corpus's content, so evaluating the same corpus again (even from another place) skips
//! indexing, and an edited corpus or a new index format gets an index of its own.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kb_indexer::{update_index, IndexOptions, SemanticModel};
use kb_schema::{Manifest, SkipRecord, SCHEMA_VERSION};

use crate::EvalError;

/// The index of one corpus, ready to search.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedIndex {
    /// The index directory, `<cache root>/<name>-<key>`.
    pub dir: PathBuf,
    /// Whether an index built earlier was reused (else it was built now).
    pub reused: bool,
    /// Time spent building it, or checking it for reuse, milliseconds.
    pub took_ms: f64,
    /// Documents in the index.
    pub documents: u64,
    /// Passages in the index.
    pub passages: u64,
    /// Records of the corpus that could not be indexed, with their lines.
    pub skipped: Vec<SkipRecord>,
}

/// The cache folder name of a corpus: `<name>-<key>`, the key being the first 16 hex digits of
/// blake3 over the corpus's blake3 hash and [`SCHEMA_VERSION`] (and, for a semantic index, the
/// embedding model's name, checksum and precision).
pub fn cache_dir_name(name: &str, corpus_hash: &blake3::Hash, semantic: Option<&str>) -> String {
    let mut key = format!("{}:schema-{SCHEMA_VERSION}", corpus_hash.to_hex());
    if let Some(model) = semantic {
        key.push_str(&format!(":semantic-{model}"));
    }
    let key = blake3::hash(key.as_bytes());
    format!("{name}-{}", &key.to_hex()[..16])
}

/// What of the embedding model names a semantic index's cache: its name, its checksum (another
/// model of the same name is another index), its precision (so that `KB_EMBED_PRECISION=f32
/// kb eval` measures f32 embeddings, not an index an int8 run left behind) and the tokens a
/// passage is embedded from (`kb_embed::ModelInfo::passage_tokens`: a build that cuts passages
/// elsewhere measures its own embeddings).
fn model_key(name: &str, checksum: &str, precision: &str, passage_tokens: usize) -> String {
    format!("{name}@{checksum}/{precision}/{passage_tokens}")
}

/// Returns the index of `corpus` under `cache_root`, building it if there is none yet.
///
/// `on_build` is called with the index directory before a build starts (indexing a large corpus
/// takes a while). The build goes to a temporary folder that is renamed into place only once
/// complete, so a killed build never leaves a half index behind for later runs to trust; an
/// index is reused only if its manifest lists a file with the corpus's exact hash.
///
/// With `semantic`, the index is a semantic one: every passage embedded with that model.
pub fn ensure_index(
    corpus: &Path,
    name: &str,
    cache_root: &Path,
    semantic: Option<&SemanticModel>,
    on_build: &mut dyn FnMut(&Path),
) -> Result<CachedIndex, EvalError> {
    let started = Instant::now();
    let hash = hash_file(corpus)?;
    let model = semantic.map(|m| m.name.as_str());
    let model_key = semantic.map(|m| {
        let info = m.embedder.info();
        model_key(&m.name, &info.checksum, info.precision.as_str(), info.passage_tokens)
    });
    let dir_name = cache_dir_name(name, &hash, model_key.as_deref());
    let dir = cache_root.join(&dir_name);
    let hex = hash.to_hex().to_string();
    let usable_manifest = |dir: &Path| usable_manifest(dir, &hex, model);
    let elapsed = |started: Instant| started.elapsed().as_secs_f64() * 1e3;
    if let Some(manifest) = usable_manifest(&dir) {
        return Ok(cached(dir, true, elapsed(started), &manifest));
    }

    on_build(&dir);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EvalError::Io { path, source }
    };
    std::fs::create_dir_all(cache_root).map_err(io(cache_root))?;
    let building = cache_root.join(format!(".{dir_name}.building-{}", std::process::id()));
    if building.exists() {
        std::fs::remove_dir_all(&building).map_err(io(&building))?;
    }
    let opts = IndexOptions { semantic: semantic.cloned(), ..IndexOptions::default() };
    let report = update_index(&building, &[corpus.to_path_buf()], &opts, &mut |_| {})
        .map_err(|source| EvalError::Index { corpus: corpus.to_path_buf(), source });
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    };
    if report.documents == 0 {
        let _ = std::fs::remove_dir_all(&building);
        let why = report.skipped.first().map_or_else(String::new, |s| match s.line {
            Some(line) => format!(" (line {line}: {})", s.reason),
            None => format!(" ({})", s.reason),
        });
        return Err(EvalError::Invalid {
            path: corpus.to_path_buf(),
            reason: format!("no document could be indexed{why}"),
        });
    }
    // An index already there is stale or damaged (it was not usable above): replace it.
    if dir.exists() && usable_manifest(&dir).is_none() {
        std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
    }
    if let Err(e) = std::fs::rename(&building, &dir) {
        let _ = std::fs::remove_dir_all(&building);
        // Another `kb eval` of the same corpus finished first: its index is as good as ours.
        if usable_manifest(&dir).is_none() {
            return Err(EvalError::Io { path: dir, source: e });
        }
    }
    let manifest = usable_manifest(&dir).ok_or_else(|| EvalError::Invalid {
        path: dir.clone(),
        reason: "the index just built cannot be opened".into(),
    })?;
    Ok(cached(dir, false, elapsed(started), &manifest))
}

fn cached(dir: PathBuf, reused: bool, took_ms: f64, manifest: &Manifest) -> CachedIndex {
    CachedIndex {
        dir,
        reused,
        took_ms,
        documents: manifest.documents(),
        passages: manifest.passages(),
        skipped: manifest.files.values().flat_map(|f| f.skipped.iter().cloned()).collect(),
    }
}

/// The manifest of the index in `dir` if it opens and holds the corpus with this hash, embedded
/// with `semantic` (or not embedded, for `None`).
fn usable_manifest(dir: &Path, corpus_hash: &str, semantic: Option<&str>) -> Option<Manifest> {
    let (index, _) = kb_schema::open_index(dir).ok()?;
    let manifest = Manifest::read(&index).ok()?;
    let holds = manifest.files.values().any(|f| f.hash == corpus_hash && f.passages > 0);
    (holds && manifest.semantic.as_deref() == semantic).then_some(manifest)
}

fn hash_file(path: &Path) -> Result<blake3::Hash, EvalError> {
    let io = |source| EvalError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = blake3::Hasher::new();
    std::io::copy(&mut file, &mut hasher).map_err(io)?;
    Ok(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = "{\"_id\": \"d1\", \"title\": \"Kettles\", \"text\": \"A kettle boils water.\"}\n\
                          {\"_id\": \"d2\", \"title\": \"Teapots\", \"text\": \"A teapot brews tea.\\n\\nWarm it first.\"}\n";

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn ensure(corpus: &Path, cache: &Path, builds: &mut Vec<PathBuf>) -> CachedIndex {
        ensure_index(corpus, "mini", cache, None, &mut |d| builds.push(d.to_path_buf())).unwrap()
    }

    #[test]
    fn built_once_then_reused_by_content() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let corpus = write(tmp.path(), "a/corpus.jsonl", CORPUS);
        let mut builds = Vec::new();
        let first = ensure(&corpus, &cache, &mut builds);
        assert!(!first.reused);
        assert_eq!((first.documents, first.passages), (2, 3));
        assert_eq!(builds, std::slice::from_ref(&first.dir));
        assert!(first.dir.file_name().unwrap().to_str().unwrap().starts_with("mini-"));

        let again = ensure(&corpus, &cache, &mut builds);
        assert!(again.reused);
        assert_eq!((again.dir.as_path(), again.documents), (first.dir.as_path(), 2));
        // The same bytes elsewhere are the same corpus.
        let copy = write(tmp.path(), "b/corpus.jsonl", CORPUS);
        assert!(ensure(&copy, &cache, &mut builds).reused);
        assert_eq!(builds.len(), 1);
        // Nothing but the index is left in the cache.
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);

        // Changed content: an index of its own.
        std::fs::write(&corpus, format!("{CORPUS}{{\"_id\": \"d3\", \"text\": \"Cups.\"}}\n"))
            .unwrap();
        let changed = ensure(&corpus, &cache, &mut builds);
        assert!(!changed.reused);
        assert_ne!(changed.dir, first.dir);
        assert_eq!(changed.documents, 3);
    }

    #[test]
    fn a_damaged_index_in_the_cache_is_rebuilt() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let corpus = write(tmp.path(), "corpus.jsonl", CORPUS);
        let name = cache_dir_name("mini", &blake3::hash(CORPUS.as_bytes()), None);
        write(&cache, &format!("{name}/meta.json"), "{ not json");
        let mut builds = Vec::new();
        let index = ensure(&corpus, &cache, &mut builds);
        assert!(!index.reused);
        assert_eq!(index.dir, cache.join(name));
        assert_eq!(index.documents, 2);
        assert!(ensure(&corpus, &cache, &mut builds).reused);
    }

    #[test]
    fn a_corpus_without_documents_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let corpus = write(tmp.path(), "corpus.jsonl", "not json\n");
        let err = ensure_index(&corpus, "mini", &cache, None, &mut |_| {}).unwrap_err().to_string();
        assert!(err.contains("corpus.jsonl: no document could be indexed (line 1: "), "{err}");
        assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0, "no index left behind");
    }

    #[test]
    fn the_key_depends_on_content_and_schema_only() {
        let a = cache_dir_name("x", &blake3::hash(b"one"), None);
        assert_eq!(a, cache_dir_name("x", &blake3::hash(b"one"), None));
        assert_ne!(a, cache_dir_name("x", &blake3::hash(b"two"), None));
        assert_ne!(a, cache_dir_name("x", &blake3::hash(b"one"), Some("all-MiniLM-L6-v2")));
        assert_eq!(a.len(), "x-".len() + 16);
    }

    #[test]
    fn another_precision_or_passage_length_is_another_semantic_index() {
        let key = |checksum, precision, tokens| {
            let model = model_key("all-MiniLM-L6-v2", checksum, precision, tokens);
            cache_dir_name("x", &blake3::hash(b"one"), Some(&model))
        };
        assert_eq!(key("abc", "int8", 208), key("abc", "int8", 208));
        assert_ne!(key("abc", "int8", 208), key("abc", "f32", 208));
        assert_ne!(key("abc", "int8", 208), key("abd", "int8", 208));
        assert_ne!(key("abc", "int8", 208), key("abc", "int8", 256));
    }
}
