use std::path::Path;

use tantivy::directory::MmapDirectory;
use tantivy::Index;

use crate::readonly::LenientDirectory;
use crate::{analyzer, KbSchema, Manifest, OpenError, SCHEMA_VERSION};

/// Whether `dir` holds an index (its `meta.json` exists).
pub fn index_exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file()
}

/// Opens the index in `dir`, registers the analyzer and checks the schema version.
pub fn open_index(dir: &Path) -> Result<(Index, KbSchema), OpenError> {
    open_index_with_manifest(dir).map(|(index, schema, _)| (index, schema))
}

/// [`open_index`], also returning the [`Manifest`] it read to check the version (for a caller
/// that needs it, without reading the index's metadata again).
pub fn open_index_with_manifest(dir: &Path) -> Result<(Index, KbSchema, Manifest), OpenError> {
    open(dir, false)
}

/// [`open_index_with_manifest`] for searching only: the index opens, and readers can be made
/// of it, even when nothing can be written to its folder (a read-only file system or folder),
/// where tantivy's reader would fail to create its lock file (see `readonly`'s docs in
/// the source: no writer can run there, so there is nothing to lock against). Never use the
/// index it returns for writing.
pub fn open_index_for_reading(dir: &Path) -> Result<(Index, KbSchema, Manifest), OpenError> {
    open(dir, true)
}

fn open(dir: &Path, lenient: bool) -> Result<(Index, KbSchema, Manifest), OpenError> {
    if !index_exists(dir) {
        return Err(OpenError::NotFound(dir.to_path_buf()));
    }
    let damaged = |detail: String| OpenError::Damaged { path: dir.to_path_buf(), detail };
    let opened = if lenient {
        MmapDirectory::open(dir)
            .map_err(tantivy::TantivyError::from)
            .and_then(|d| Index::open(LenientDirectory(d)))
    } else {
        Index::open_in_dir(dir)
    };
    let index = opened.map_err(|e| match e {
        tantivy::TantivyError::IoError(_) => {
            OpenError::Other { path: dir.to_path_buf(), source: e }
        }
        other => damaged(other.to_string()),
    })?;
    let manifest = Manifest::read(&index).map_err(|e| damaged(e.to_string()))?;
    if manifest.schema_version != SCHEMA_VERSION {
        return Err(OpenError::OtherVersion {
            path: dir.to_path_buf(),
            found: manifest.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    let schema = KbSchema::from_schema(&index.schema())
        .ok_or_else(|| damaged("fields are missing from the schema".into()))?;
    analyzer::register(&index);
    Ok((index, schema, manifest))
}

/// Creates an empty index in `dir` (the folder is created if needed) and registers the analyzer.
/// Fails if `dir` already holds one.
pub fn create_index(dir: &Path) -> Result<(Index, KbSchema), OpenError> {
    let other = |source| OpenError::Other { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(|e| other(e.into()))?;
    let schema = KbSchema::new();
    let directory = MmapDirectory::open(dir).map_err(|e| other(e.into()))?;
    let index =
        Index::create(directory, schema.schema.clone(), Default::default()).map_err(other)?;
    analyzer::register(&index);
    Ok((index, schema))
}

/// Creates an empty index in memory (nothing on disk) and registers the analyzer.
pub fn create_index_in_ram() -> (Index, KbSchema) {
    let schema = KbSchema::new();
    let index = Index::create_in_ram(schema.schema.clone());
    analyzer::register(&index);
    (index, schema)
}

/// Opens the index in `dir`, or creates an empty one if there is none.
pub fn open_or_create_index(dir: &Path) -> Result<(Index, KbSchema), OpenError> {
    if index_exists(dir) {
        open_index(dir)
    } else {
        create_index(dir)
    }
}
