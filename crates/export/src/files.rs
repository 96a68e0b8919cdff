//! Writing the output folder without ever destroying a file kb cannot prove is its own.
//!
//! Each file is written to a temporary file in the folder and renamed over its final name once
//! complete. `.kb-export.json` in the folder records the BLAKE3 hash of every file kb wrote
//! there; an existing file is replaced only when its hash is recorded (kb wrote it, and it has
//! not changed since). While files are being renamed the record lists both the old and the new
//! hash of each, so an export killed at any point leaves every file provably kb's.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use crate::ExportError;

/// The record of what kb wrote into an output folder.
const RECORD: &str = ".kb-export.json";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    /// Always `"kb export"`: what wrote the folder's files.
    written_by: String,
    /// File name -> the hashes it may have (one, except while an export is renaming).
    files: BTreeMap<String, Vec<String>>,
}

const WRITTEN_BY: &str = "kb export";

/// An output folder being written.
pub(crate) struct Output {
    dir: PathBuf,
    record: Record,
}

/// A file being written: a temporary file, hashed as it is written.
pub(crate) struct Pending {
    name: &'static str,
    writer: BufWriter<NamedTempFile>,
    hasher: blake3::Hasher,
}

impl Pending {
    /// Appends bytes.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.hasher.update(bytes);
        let path = self.writer.get_ref().path().to_path_buf();
        self.writer.write_all(bytes).map_err(ExportError::io(path))
    }
}

impl Output {
    /// Creates `dir` if needed and checks that every one of `names` in it is absent or kb's.
    pub(crate) fn open(dir: &Path, names: &[&str]) -> Result<Output, ExportError> {
        std::fs::create_dir_all(dir).map_err(ExportError::io(dir))?;
        let record_path = dir.join(RECORD);
        let record = match std::fs::read(&record_path) {
            Ok(bytes) => match serde_json::from_slice::<Record>(&bytes) {
                Ok(record) if record.written_by == WRITTEN_BY => record,
                _ => return Err(ExportError::NotOurs { path: record_path }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Record { written_by: WRITTEN_BY.to_owned(), files: BTreeMap::new() }
            }
            Err(e) => return Err(ExportError::io(record_path)(e)),
        };
        for name in names {
            let path = dir.join(name);
            let hash = match File::open(&path) {
                Ok(file) => hash_of(file).map_err(ExportError::io(&path))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(ExportError::io(path)(e)),
            };
            let known = record.files.get(*name).is_some_and(|hashes| hashes.contains(&hash));
            if !known || !path.is_file() {
                return Err(ExportError::NotOurs { path });
            }
        }
        Ok(Output { dir: dir.to_path_buf(), record })
    }

    /// Starts writing the file `name`.
    pub(crate) fn create(&self, name: &'static str) -> Result<Pending, ExportError> {
        let file = builder()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&self.dir)
            .map_err(ExportError::io(&self.dir))?;
        Ok(Pending {
            name,
            writer: BufWriter::with_capacity(1 << 20, file),
            hasher: blake3::Hasher::new(),
        })
    }

    /// Puts the finished files in place (in order) and returns their paths.
    pub(crate) fn commit(mut self, pending: Vec<Pending>) -> Result<Vec<PathBuf>, ExportError> {
        let mut finished = Vec::with_capacity(pending.len());
        for p in pending {
            let path = p.writer.get_ref().path().to_path_buf();
            let temp = p.writer.into_inner().map_err(|e| ExportError::io(path)(e.into_error()))?;
            temp.as_file().sync_all().map_err(ExportError::io(temp.path()))?;
            finished.push((p.name, temp, p.hasher.finalize().to_hex().to_string()));
        }
        // While renaming, a file may hold its old content or its new one: both are recorded.
        for (name, _, hash) in &finished {
            self.record.files.entry((*name).to_owned()).or_default().push(hash.clone());
        }
        self.write_record()?;
        let mut paths = Vec::with_capacity(finished.len());
        for (name, temp, hash) in finished {
            let path = self.dir.join(name);
            temp.persist(&path).map_err(|e| ExportError::io(&path)(e.error))?;
            self.record.files.insert(name.to_owned(), vec![hash]);
            paths.push(path);
        }
        self.write_record()?;
        Ok(paths)
    }

    fn write_record(&self) -> Result<(), ExportError> {
        let path = self.dir.join(RECORD);
        let mut temp = builder().tempfile_in(&self.dir).map_err(ExportError::io(&self.dir))?;
        let json = serde_json::to_vec_pretty(&self.record).expect("the record serializes");
        temp.write_all(&json).map_err(ExportError::io(temp.path()))?;
        temp.as_file().sync_all().map_err(ExportError::io(temp.path()))?;
        temp.persist(&path).map_err(|e| ExportError::io(&path)(e.error))?;
        Ok(())
    }
}

/// Temporary files that become ordinary files: readable by all, as `std::fs::write` makes them
/// under the usual umask (a temporary file is otherwise private to its owner).
fn builder() -> tempfile::Builder<'static, 'static> {
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
}

fn hash_of(file: File) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(file)?;
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(out: Output, name: &'static str, text: &str) -> Result<Vec<PathBuf>, ExportError> {
        let mut p = out.create(name)?;
        p.write_all(text.as_bytes())?;
        out.commit(vec![p])
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn kb_s_own_files_are_replaced_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        write(Output::open(dir.path(), &["a.json"]).unwrap(), "a.json", "one").unwrap();
        write(Output::open(dir.path(), &["a.json"]).unwrap(), "a.json", "two").unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join("a.json")).unwrap(), "two");
        assert_eq!(leftovers(dir.path()), [".kb-export.json", "a.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("a.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644, "an ordinary file, readable by all");
        }
    }

    #[test]
    fn a_file_kb_did_not_write_or_that_changed_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "the user's").unwrap();
        let err = Output::open(dir.path(), &["a.json"]).err().unwrap();
        assert!(matches!(err, ExportError::NotOurs { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("a.json")).unwrap(), "the user's");

        // Written by kb, then edited: no longer provably kb's.
        let other = tempfile::tempdir().unwrap();
        write(Output::open(other.path(), &["a.json"]).unwrap(), "a.json", "kb's").unwrap();
        std::fs::write(other.path().join("a.json"), "edited").unwrap();
        assert!(Output::open(other.path(), &["a.json"]).is_err());

        // A record kb cannot read is not replaced either.
        let third = tempfile::tempdir().unwrap();
        std::fs::write(third.path().join(RECORD), "not json").unwrap();
        assert!(matches!(
            Output::open(third.path(), &["a.json"]),
            Err(ExportError::NotOurs { .. })
        ));
    }
}
