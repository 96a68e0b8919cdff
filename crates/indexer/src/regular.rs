//! Opening source files so that nothing blocks or runs away: only regular files are read.
//!
//! The walk ([`crate::walk`]) already lists named pipes, sockets and devices as skipped, from
//! their metadata, without opening them. A file can still be swapped for one between the walk and
//! the read, so the read opens without blocking (`O_NONBLOCK`: opening a named pipe with no
//! writer would wait forever) and checks what it opened before reading a byte.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Opens `path` for reading if it is a regular file; anything else is an error ("not a regular
/// file"), found without blocking.
pub(crate) fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

/// Reads the whole of `path` if it is a regular file (see [`open`]).
pub(crate) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open(path)?;
    let mut bytes = Vec::with_capacity(file.metadata().map_or(0, |m| m.len() as usize));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn pipes_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let pipe = dir.path().join("pipe.md");
        let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        // Would block forever in open() without O_NONBLOCK.
        let err = read(&pipe).unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
        assert_eq!(read(Path::new("/dev/zero")).unwrap_err().to_string(), "not a regular file");
        std::fs::write(dir.path().join("a.md"), "text").unwrap();
        assert_eq!(read(&dir.path().join("a.md")).unwrap(), b"text");
    }
}
