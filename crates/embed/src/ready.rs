//! The ready file: a model's weights in the layout the forward pass reads, written once after
//! the model is loaded from its folder and memory-mapped by later loads.
//!
//! Loading a model from its folder reads the whole `model.safetensors` (91 MB for
//! all-MiniLM-L6-v2), converts and transposes every matrix, quantizes the linear layers (with
//! [`Precision::Int8`]) and hashes every file for the model's checksum: a quarter of a second
//! that every `kb search` paid before its first word was ranked. The ready file holds the
//! result of that work (the arrays [`crate::model::Bert`] uses, exactly) so that a later load
//! maps it and uses the arrays in place: the word embedding table (47 MB) is never copied, the
//! rows a text needs are the only ones the kernel pages in.
//!
//! # Where, and who decides
//!
//! [`crate::Embedder::load_ready`] takes the folder to keep ready files in from its caller,
//! as [`crate::fetch::ensure_model`] takes the model cache: the crate decides nothing about
//! where a program keeps its caches (kb passes `$XDG_CACHE_HOME/kb/models/ready`), tests use
//! a temporary folder, and a program that wants no file written calls
//! [`crate::Embedder::load_with`]. The folder is created if need be; a folder that cannot be
//! created or written only costs the speed (the model loads from its folder), never an error.
//!
//! # The file
//!
//! One file per model folder and precision, named `{16 hex digits}-{f32|int8}.kbready` (the
//! digits are a hash of the folder's canonical path). Little-endian:
//!
//! - `kb-ready` (8 bytes), the format version (u32), the length of the header (u32), the
//!   blake3 hash of the header (32 bytes);
//! - the header, JSON ([`Header`]): the folder, the precision, the BERT configuration, the
//!   model's settings and checksum, what the source files were (name, length, modification
//!   time, inode), the length of the data, and each array's name, type, offset and length;
//! - the data, from the next multiple of 64 bytes: each array at a multiple of 64 (so a mapped
//!   array is aligned for its type).
//!
//! A load trusts the file when its header is intact and names this folder, precision,
//! configuration and settings, when the source files (`config.json`, the vocabulary,
//! `model.safetensors`) have the length, modification time and inode it recorded, and when the
//! file is as long as its header says: then the model's checksum is the one recorded, and the
//! 91 MB are neither read nor hashed (git trusts its index's stat data so). As in git, a
//! source modified in the same clock tick as the ready file was written would look unchanged:
//! such a file ("racy": a source's modification time not before the ready file's) is trusted
//! only once the sources are hashed again and give the recorded checksum. Anything else
//! (another format version, a truncated or corrupt header, another model) and the model loads
//! from its folder and the ready file is written again.
//!
//! The file is written to a temporary file in the same folder, then renamed over the old one:
//! a reader sees the old file or the new one, never half of one (a process that mapped the old
//! one keeps it until it exits). kb replaces only a file of its own name pattern that starts
//! with the magic bytes; a foreign file of that name is left alone (and the model loads from
//! its folder). Writing a ready file also removes, in the same folder, the ready files of model
//! folders that are gone (a temporary or moved folder) and the temporary files a killed writer
//! left an hour ago or more, each checked to be kb's by its name and magic bytes. Bytes of the
//! data damaged in place (the header's hash and the length cover the
//! rest) are not detected: that would mean reading the whole file, the cost the file avoids.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use memmap2::Mmap;
use serde::{Deserialize, Serialize};

use crate::model::Config;
use crate::Precision;

/// The first bytes of every ready file.
const MAGIC: &[u8; 8] = b"kb-ready";
/// The format version: a file of another version is not read (and is replaced).
const VERSION: u32 = 1;
/// The ready files' extension.
const EXTENSION: &str = "kbready";
/// Magic, version, header length, header hash.
const PREAMBLE: usize = 8 + 4 + 4 + 32;
/// The alignment of the data and of each array in it.
const ALIGN: usize = 64;

/// A type an array of the ready file holds.
///
/// # Safety
///
/// Plain data: no padding, and any bit pattern is a value (mapped bytes are read as it).
pub(crate) unsafe trait Element: Copy + Send + Sync + 'static {
    /// Its name in the header.
    const DTYPE: &'static str;
}

// SAFETY: f32, i8 and i32 have no padding and no invalid bit patterns.
unsafe impl Element for f32 {
    const DTYPE: &'static str = "f32";
}
unsafe impl Element for i8 {
    const DTYPE: &'static str = "i8";
}
unsafe impl Element for i32 {
    const DTYPE: &'static str = "i32";
}

/// The numbers of a weight array: owned (a model loaded from its folder) or in a mapped ready
/// file. Derefs to the slice.
pub(crate) struct Array<T: Element> {
    inner: Inner<T>,
}

enum Inner<T> {
    Owned(Vec<T>),
    /// `len` values at `offset` in `map`. Invariant (checked by [`Ready::array`]): `offset` is
    /// a multiple of `T`'s alignment and the values lie inside the map.
    Mapped {
        map: Arc<Mmap>,
        offset: usize,
        len: usize,
    },
}

impl<T: Element> From<Vec<T>> for Array<T> {
    fn from(v: Vec<T>) -> Array<T> {
        Array { inner: Inner::Owned(v) }
    }
}

impl<T: Element> Deref for Array<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Owned(v) => v,
            // SAFETY: the map is page-aligned and `offset` a multiple of T's alignment, the
            // `len` values lie inside the map (the invariant of `Mapped`), every bit pattern is
            // a T (`Element`), and the map lives as long as `self` (the Arc). The file is one kb
            // wrote under a name of its own and never changes in place (it is replaced by
            // rename), so the bytes do not change under the slice.
            Inner::Mapped { map, offset, len } => unsafe {
                std::slice::from_raw_parts(map.as_ptr().add(*offset).cast::<T>(), *len)
            },
        }
    }
}

impl<T: Element> Clone for Array<T> {
    fn clone(&self) -> Array<T> {
        let inner = match &self.inner {
            Inner::Owned(v) => Inner::Owned(v.clone()),
            Inner::Mapped { map, offset, len } => {
                Inner::Mapped { map: Arc::clone(map), offset: *offset, len: *len }
            }
        };
        Array { inner }
    }
}

impl<T: Element> std::fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if matches!(self.inner, Inner::Owned(_)) { "owned" } else { "mapped" };
        write!(f, "[{}; {}] ({how})", T::DTYPE, self.len())
    }
}

/// An array of the model to write: its name and its values.
pub(crate) struct Named<'a> {
    pub(crate) name: String,
    dtype: &'static str,
    bytes: &'a [u8],
}

impl<'a> Named<'a> {
    pub(crate) fn new<T: Element>(name: String, values: &'a [T]) -> Named<'a> {
        // SAFETY: an `Element` is plain data without padding; its bytes are initialized.
        let bytes = unsafe {
            std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
        };
        Named { name, dtype: T::DTYPE, bytes }
    }
}

/// What a source file of the model was when the ready file was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Source {
    /// Its name in the model folder.
    name: String,
    len: u64,
    /// Modification time: seconds and nanoseconds since the Unix epoch.
    mtime_s: i64,
    mtime_ns: u32,
    /// The inode (0 where there is none).
    ino: u64,
}

impl Source {
    /// `path`'s stat data, `None` if it cannot be had.
    pub(crate) fn of(path: &Path) -> Option<Source> {
        let meta = std::fs::metadata(path).ok()?;
        let (mtime_s, mtime_ns) = split_time(meta.modified().ok()?);
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let ino = 0;
        Some(Source {
            name: path.file_name()?.to_string_lossy().into_owned(),
            len: meta.len(),
            mtime_s,
            mtime_ns,
            ino,
        })
    }
}

fn split_time(t: SystemTime) -> (i64, u32) {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            if d.subsec_nanos() == 0 {
                (-(d.as_secs() as i64), 0)
            } else {
                (-(d.as_secs() as i64) - 1, 1_000_000_000 - d.subsec_nanos())
            }
        }
    }
}

/// What a ready file must say to be this model's.
pub(crate) struct Key<'a> {
    /// The model folder, canonical.
    pub(crate) dir: PathBuf,
    pub(crate) precision: Precision,
    pub(crate) config: &'a Config,
    /// The settings that enter the checksum, as the checksum hashes them.
    pub(crate) described: &'a str,
    /// The source files, stat'ed before they were read.
    pub(crate) sources: Vec<Source>,
}

impl Key<'_> {
    /// Whether every source was modified before now, so that a ready file written now is not
    /// racy on the next load. A source dated in the future (clock skew, an archive unpacked
    /// with its dates) would make every file written racy again: rewriting it would only cost.
    pub(crate) fn settled(&self) -> bool {
        let now = split_time(SystemTime::now());
        self.sources.iter().all(|s| (s.mtime_s, s.mtime_ns) < now)
    }

    /// The ready file of this model in `ready_dir`.
    pub(crate) fn path(&self, ready_dir: &Path) -> PathBuf {
        let hash = blake3::hash(self.dir.as_os_str().as_encoded_bytes()).to_hex();
        ready_dir.join(format!("{}-{}.{EXTENSION}", &hash[..16], self.precision.as_str()))
    }
}

/// The header of a ready file.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    dir: PathBuf,
    precision: String,
    /// The BERT configuration, serialized.
    config: String,
    described: String,
    checksum: String,
    sources: Vec<Source>,
    /// The length of the data, from its first (aligned) byte.
    data_len: u64,
    arrays: Vec<Entry>,
}

/// Where an array is in the data.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    name: String,
    dtype: String,
    /// From the first byte of the data; a multiple of [`ALIGN`].
    offset: u64,
    /// In values.
    len: u64,
}

/// A ready file found to be the model's, mapped.
pub(crate) struct Ready {
    map: Arc<Mmap>,
    /// The data's offset in the map.
    data: usize,
    entries: HashMap<String, Entry>,
    /// The model's checksum, as recorded.
    pub(crate) checksum: String,
    /// Whether a source file may have changed unseen (see the module docs): the sources must
    /// be hashed again before the file is trusted.
    pub(crate) racy: bool,
}

impl Ready {
    /// The array `name` of `len` values of type `T`.
    pub(crate) fn array<T: Element>(&self, name: &str, len: usize) -> Result<Array<T>, String> {
        let entry = self.entries.get(name).ok_or_else(|| format!("no array {name}"))?;
        if entry.dtype != T::DTYPE || entry.len != len as u64 {
            return Err(format!(
                "array {name} is [{}; {}], expected [{}; {len}]",
                entry.dtype,
                entry.len,
                T::DTYPE
            ));
        }
        // Checked by `open`: inside the map, at a multiple of ALIGN (64) from the data's
        // first byte, itself at a multiple of 64 from the page-aligned start of the map. Checked
        // again here, as `Array`'s deref relies on it.
        let offset = self.data + entry.offset as usize;
        let end = len.checked_mul(std::mem::size_of::<T>()).and_then(|b| b.checked_add(offset));
        if !offset.is_multiple_of(std::mem::align_of::<T>())
            || end.is_none_or(|end| end > self.map.len())
        {
            return Err(format!("array {name} lies outside the file"));
        }
        Ok(Array { inner: Inner::Mapped { map: Arc::clone(&self.map), offset, len } })
    }
}

/// The ready file at `path` mapped, if it is `key`'s model; else why not.
pub(crate) fn open(path: &Path, key: &Key<'_>) -> Result<Ready, String> {
    if !cfg!(target_endian = "little") {
        return Err("ready files are little-endian".into());
    }
    // Only a regular file, not a link to one elsewhere: what is mapped must be kb's own.
    let linked = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !linked.file_type().is_file() {
        return Err("not a regular file".into());
    }
    let file = File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if meta.len() < PREAMBLE as u64 {
        return Err("shorter than its preamble".into());
    }
    // SAFETY: the file is kb's own (name and magic), written once to a temporary file and
    // renamed into place, never modified in place (see `Array`'s deref).
    let map = unsafe { Mmap::map(&file) }.map_err(|e| e.to_string())?;
    if &map[..8] != MAGIC {
        return Err("not a ready file".into());
    }
    let word = |at: usize| u32::from_le_bytes([map[at], map[at + 1], map[at + 2], map[at + 3]]);
    if word(8) != VERSION {
        return Err(format!("format version {}, not {VERSION}", word(8)));
    }
    let (header, header_end) = parse_header(&map)?;
    if header.dir != key.dir
        || header.precision != key.precision.as_str()
        || serde_json::to_string(key.config).ok().as_ref() != Some(&header.config)
        || header.described != key.described
    {
        return Err("another model".into());
    }
    if header.sources != key.sources {
        return Err("a source file changed".into());
    }
    let data = header_end.next_multiple_of(ALIGN);
    let end = (data as u64).checked_add(header.data_len);
    if data > map.len() || end != Some(map.len() as u64) {
        return Err("truncated or too long".into());
    }
    let mut entries = HashMap::with_capacity(header.arrays.len());
    for entry in header.arrays {
        let size = dtype_size(&entry.dtype).ok_or("unknown array type")?;
        let end = entry.len.checked_mul(size).and_then(|b| b.checked_add(entry.offset));
        if entry.offset % ALIGN as u64 != 0 || end.is_none_or(|end| end > header.data_len) {
            return Err(format!("array {} lies outside the data", entry.name));
        }
        entries.insert(entry.name.clone(), entry);
    }
    // Racy: a source whose modification time is not before the ready file's may have been
    // modified again within the same clock tick, unseen by its stat data.
    let written = meta.modified().map(split_time).ok();
    let racy = key.sources.iter().any(|s| written.is_none_or(|w| (s.mtime_s, s.mtime_ns) >= w));
    Ok(Ready { map: Arc::new(map), data, entries, checksum: header.checksum, racy })
}

fn dtype_size(dtype: &str) -> Option<u64> {
    match dtype {
        "f32" | "i32" => Some(4),
        "i8" => Some(1),
        _ => None,
    }
}

/// Writes the ready file of `key`'s model (of checksum `checksum` and weights `arrays`) at
/// `path`, through a temporary file in the same folder (created if need be) renamed into place.
/// An existing file of that name that does not start with the magic bytes is not kb's: it is
/// left alone (an error).
pub(crate) fn write(
    path: &Path,
    key: &Key<'_>,
    checksum: &str,
    arrays: &[Named<'_>],
) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if !cfg!(target_endian = "little") {
        return Err(Error::new(ErrorKind::Unsupported, "ready files are little-endian"));
    }
    let dir = path.parent().ok_or_else(|| Error::new(ErrorKind::InvalidInput, "no folder"))?;
    if path.symlink_metadata().is_ok() && !is_ready_file(path) {
        return Err(Error::new(ErrorKind::AlreadyExists, "a file of another program"));
    }
    let mut entries = Vec::with_capacity(arrays.len());
    let mut offset = 0u64;
    for array in arrays {
        offset = offset.next_multiple_of(ALIGN as u64);
        let size = dtype_size(array.dtype).expect("an Element's type");
        entries.push(Entry {
            name: array.name.clone(),
            dtype: array.dtype.to_string(),
            offset,
            len: array.bytes.len() as u64 / size,
        });
        offset += array.bytes.len() as u64;
    }
    let header = Header {
        dir: key.dir.clone(),
        precision: key.precision.as_str().to_string(),
        config: serde_json::to_string(key.config).map_err(Error::other)?,
        described: key.described.to_string(),
        checksum: checksum.to_string(),
        sources: key.sources.clone(),
        data_len: offset,
        arrays: entries,
    };
    let header = serde_json::to_vec(&header).map_err(Error::other)?;
    let header_len = u32::try_from(header.len()).map_err(Error::other)?;

    std::fs::create_dir_all(dir)?;
    remove_abandoned(dir);
    let tmp = tempfile::Builder::new().prefix(TMP_PREFIX).suffix(TMP_SUFFIX).tempfile_in(dir)?;
    let mut out = BufWriter::with_capacity(1 << 20, tmp.as_file());
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_le_bytes())?;
    out.write_all(&header_len.to_le_bytes())?;
    out.write_all(blake3::hash(&header).as_bytes())?;
    out.write_all(&header)?;
    let mut at = (PREAMBLE + header.len()) as u64;
    let zeros = [0u8; ALIGN];
    let pad_to = |out: &mut BufWriter<&File>, at: &mut u64, to: u64| {
        let pad = (to - *at) as usize;
        *at = to;
        out.write_all(&zeros[..pad])
    };
    let data = at.next_multiple_of(ALIGN as u64);
    pad_to(&mut out, &mut at, data)?;
    for array in arrays {
        let start = (at - data).next_multiple_of(ALIGN as u64) + data;
        pad_to(&mut out, &mut at, start)?;
        out.write_all(array.bytes)?;
        at += array.bytes.len() as u64;
    }
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The temporary files of ready files being written: `.kbready-XXXXXX.tmp`.
const TMP_PREFIX: &str = ".kbready-";
const TMP_SUFFIX: &str = ".tmp";

/// Removes from `dir` what no load will use: the temporary files of ready files that a killed
/// process left (an hour old, of the temporary files' name pattern, starting with the magic
/// bytes; a write in progress is younger), and the ready files (name pattern, magic bytes, a
/// header kb can read) of model folders that are gone (a temporary or moved folder).
fn remove_abandoned(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX) {
            let old = path
                .symlink_metadata()
                .is_ok_and(|m| m.is_file() && m.modified().is_ok_and(|t| t < hour_ago));
            if old && starts_with_magic(&path) {
                let _ = std::fs::remove_file(&path);
            }
        } else if is_ready_file(&path)
            && model_dir_of(&path).is_some_and(|d| !d.join("config.json").exists())
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The header of a ready file whose first bytes (preamble, then at least the header) are
/// `start`, and the offset where it ends: its length from the preamble, checked against its
/// hash there. (The magic and the version are the caller's to check.)
fn parse_header(start: &[u8]) -> Result<(Header, usize), String> {
    let len = start.get(12..16).ok_or("shorter than its preamble")?;
    let len = u32::from_le_bytes(len.try_into().map_err(|_| "shorter than its preamble")?);
    let end = PREAMBLE.checked_add(len as usize).filter(|&end| end <= start.len());
    let end = end.ok_or("truncated header")?;
    let bytes = &start[PREAMBLE..end];
    if blake3::hash(bytes).as_bytes() != &start[16..48] {
        return Err("the header's hash is wrong".into());
    }
    Ok((serde_json::from_slice(bytes).map_err(|e| e.to_string())?, end))
}

/// The model folder the header of the ready file at `path` names, if it can be read.
fn model_dir_of(path: &Path) -> Option<PathBuf> {
    let mut file = File::open(path).ok()?;
    let mut start = vec![0u8; PREAMBLE];
    file.read_exact(&mut start).ok()?;
    let len = u32::from_le_bytes(start[12..16].try_into().ok()?) as u64;
    if len > file.metadata().ok()?.len() {
        return None;
    }
    start.resize(PREAMBLE + len as usize, 0);
    file.read_exact(&mut start[PREAMBLE..]).ok()?;
    parse_header(&start).ok().map(|(header, _)| header.dir)
}

fn starts_with_magic(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == MAGIC
}

/// Whether `path` is a ready file kb wrote: a regular file of the ready files' name pattern
/// that starts with the magic bytes.
pub(crate) fn is_ready_file(path: &Path) -> bool {
    let named = path.file_name().and_then(|n| n.to_str()).is_some_and(|name| {
        let Some(stem) = name.strip_suffix(&format!(".{EXTENSION}")) else { return false };
        let Some((hash, precision)) = stem.split_once('-') else { return false };
        hash.len() == 16
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && (precision == "f32" || precision == "int8")
    });
    named && path.symlink_metadata().is_ok_and(|m| m.is_file()) && starts_with_magic(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_of_the_pattern_and_magic_are_ready_files() {
        let dir = tempfile::tempdir().unwrap();
        let ours = dir.path().join("0123456789abcdef-int8.kbready");
        std::fs::write(&ours, b"kb-ready and more").unwrap();
        assert!(is_ready_file(&ours));
        let foreign = dir.path().join("0123456789abcdef-f32.kbready");
        std::fs::write(&foreign, b"something else").unwrap();
        assert!(!is_ready_file(&foreign));
        let odd_name = dir.path().join("notes-int8.kbready");
        std::fs::write(&odd_name, b"kb-ready").unwrap();
        assert!(!is_ready_file(&odd_name));
        assert!(!is_ready_file(&dir.path().join("0123456789abcdef-f16.kbready")));
    }

    #[test]
    fn only_old_temporary_files_of_ours_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(7200);
        let make = |name: &str, contents: &[u8], when: Option<SystemTime>| {
            let path = dir.path().join(name);
            std::fs::write(&path, contents).unwrap();
            if let Some(when) = when {
                File::options().write(true).open(&path).unwrap().set_modified(when).unwrap();
            }
            path
        };
        let abandoned = make(".kbready-abc123.tmp", b"kb-ready...", Some(old));
        let writing = make(".kbready-def456.tmp", b"kb-ready...", None);
        let foreign = make(".kbready-ghi789.tmp", b"not ours", Some(old));
        let other_name = make("notes.tmp", b"kb-ready...", Some(old));
        remove_abandoned(dir.path());
        assert!(!abandoned.exists());
        assert!(writing.exists() && foreign.exists() && other_name.exists());
    }

    #[test]
    fn times_before_the_epoch_order_correctly() {
        let before = SystemTime::UNIX_EPOCH - std::time::Duration::from_millis(1500);
        let after = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1500);
        assert_eq!(split_time(before), (-2, 500_000_000));
        assert!(split_time(before) < split_time(SystemTime::UNIX_EPOCH));
        assert_eq!(split_time(after), (1, 500_000_000));
    }
}
