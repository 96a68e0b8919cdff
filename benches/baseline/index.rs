//! Building the baseline index.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tantivy::{doc, Index, IndexWriter};

use super::PlainSchema;
use crate::support::disk::dir_bytes;
use crate::support::records::for_each_record;

/// What building the index took.
pub struct IndexFigures {
    /// Records indexed (one tantivy document each).
    pub records: u64,
    /// Bytes of the input files.
    pub source_bytes: u64,
    /// From opening the first input to the end of merging, milliseconds.
    pub wall_ms: f64,
    /// Size of the index on disk, bytes.
    pub index_bytes: u64,
}

/// Indexes every record of `inputs` into a new index in `dir` with `threads` writer threads
/// sharing `memory_budget` bytes, the way kb sizes its writer (at least 15 MiB a thread).
pub fn build_index(
    dir: &Path,
    inputs: &[PathBuf],
    threads: usize,
    memory_budget: usize,
) -> Result<IndexFigures, String> {
    let started = Instant::now();
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let s = PlainSchema::new();
    let index = Index::create_in_dir(dir, s.schema.clone())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let threads = threads.max(1);
    let per_thread = (memory_budget / threads).max(15 << 20);
    let mut writer: IndexWriter =
        index.writer_with_num_threads(threads, per_thread * threads).map_err(|e| e.to_string())?;
    let mut records = 0u64;
    let mut source_bytes = 0u64;
    for input in inputs {
        source_bytes +=
            std::fs::metadata(input).map_err(|e| format!("{}: {e}", input.display()))?.len();
        for_each_record(input, &mut |r, line| {
            writer
                .add_document(doc!(s.id => r.id, s.title => r.title, s.text => r.text))
                .map_err(|e| format!("{}:{line}: {e}", input.display()))?;
            records += 1;
            Ok(())
        })?;
    }
    writer.commit().map_err(|e| e.to_string())?;
    writer.wait_merging_threads().map_err(|e| e.to_string())?;
    Ok(IndexFigures {
        records,
        source_bytes,
        wall_ms: started.elapsed().as_secs_f64() * 1e3,
        index_bytes: dir_bytes(dir),
    })
}
