//! Where an export's synonyms come from: the one place to change when they move.

use std::path::{Path, PathBuf};

use kb_query::{Synonyms, SynonymsError};
use kb_schema::Manifest;

/// The name of the synonyms file at the top of a corpus folder.
const SYNONYMS_FILE: &str = "synonyms.txt";

/// Where the synonyms of an export came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynonymsFrom {
    /// The index's manifest ([`Manifest::synonyms`]): what `kb index` recorded.
    Manifest,
    /// A corpus folder's `synonyms.txt` (this file).
    File(PathBuf),
    /// Nowhere: the manifest records none and the corpus has no `synonyms.txt`.
    Nowhere,
}

/// The synonyms kb searches this index with, parsed by kb's own parser ([`Synonyms`]): the
/// groups the index's manifest records (what `kb index` read from each indexed folder's
/// `synonyms.txt`), else, for an index written before kb recorded them, `corpus/synonyms.txt`,
/// else none. A file that exists but cannot be read is an error:
/// an export must not silently drop synonyms kb uses. Unusable lines are skipped as `kb search`
/// skips them and listed in [`Synonyms::skipped`].
pub fn synonyms(
    manifest: &Manifest,
    corpus: Option<&Path>,
) -> Result<(Synonyms, SynonymsFrom), SynonymsError> {
    if !manifest.synonyms.is_empty() {
        return Ok((Synonyms::recorded(manifest), SynonymsFrom::Manifest));
    }
    let Some(path) = corpus.map(|c| c.join(SYNONYMS_FILE)).filter(|p| p.exists()) else {
        return Ok((Synonyms::new(), SynonymsFrom::Nowhere));
    };
    Ok((Synonyms::load(&path)?, SynonymsFrom::File(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_wins_then_the_corpus_file_then_nothing() {
        let corpus = tempfile::tempdir().unwrap();
        std::fs::write(corpus.path().join("synonyms.txt"), "botox, botulinum toxin\n").unwrap();
        let mut manifest = Manifest::new();

        let (s, from) = synonyms(&manifest, Some(corpus.path())).unwrap();
        assert_eq!(from, SynonymsFrom::File(corpus.path().join("synonyms.txt")));
        assert_eq!(s.member_texts().collect::<Vec<_>>(), [vec!["botox", "botulinum toxin"]]);

        manifest.synonyms.insert("/corpus".into(), "lipo, liposuction\n".into());
        let (s, from) = synonyms(&manifest, Some(corpus.path())).unwrap();
        assert_eq!(from, SynonymsFrom::Manifest);
        assert_eq!(s.member_texts().collect::<Vec<_>>(), [vec!["lipo", "liposuction"]]);

        let empty = tempfile::tempdir().unwrap();
        let (s, from) = synonyms(&Manifest::new(), Some(empty.path())).unwrap();
        assert_eq!((s.len(), from), (0, SynonymsFrom::Nowhere));
    }

    #[test]
    fn an_unreadable_synonyms_file_is_an_error() {
        let corpus = tempfile::tempdir().unwrap();
        // A folder where the file should be cannot be read as one.
        std::fs::create_dir(corpus.path().join("synonyms.txt")).unwrap();
        let err = synonyms(&Manifest::new(), Some(corpus.path())).unwrap_err();
        assert!(err.to_string().contains("synonyms.txt"), "{err}");
    }
}
