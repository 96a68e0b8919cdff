//! Bytes -> text: the checks every format shares before it looks at the content.
//!
//! A file is refused as a whole when it is binary (a NUL byte early on), not UTF-8 (with the line
//! and byte of the first bad sequence, so it can be found and fixed), or empty. A UTF-8 byte-order
//! mark is dropped, since editors on Windows write one and it is not text.

use std::borrow::Cow;

use super::SourceError;

/// How much of the file is looked at for NUL bytes. Text never holds NUL; binary formats almost
/// always do near their start (headers, lengths), so a prefix is enough and keeps huge files fast.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// The UTF-8 byte-order mark.
const BOM: &str = "\u{feff}";

/// Checks that `bytes` are non-empty UTF-8 text and returns them as a string without a BOM.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, SourceError> {
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    // UTF-16 text is full of NUL bytes too; saying so is more useful than "binary".
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(whole_file("UTF-16 text is not supported; save the file as UTF-8"));
    }
    if head.contains(&0) {
        return Err(whole_file("binary file"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let bad = e.valid_up_to();
        let line_start = bytes[..bad].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = line_number(&bytes[..bad]);
        SourceError {
            line: Some(line),
            reason: format!("invalid UTF-8 at line {line}, byte {}", bad - line_start + 1),
        }
    })?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if text.trim().is_empty() {
        return Err(whole_file("empty file"));
    }
    Ok(text)
}

/// The text with every line ending (`\r\n`, or a lone `\r` as old Mac files have) made `\n`, so
/// that line numbers match what an editor shows and no `\r` ends up in a passage.
pub(crate) fn normalize_newlines(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The 1-based number of the line that follows `before` (the bytes preceding a position).
fn line_number(before: &[u8]) -> u32 {
    let newlines = before.iter().filter(|&&b| b == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// An error about the whole file, with no line.
pub(crate) fn whole_file(reason: &str) -> SourceError {
    SourceError { line: None, reason: reason.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_utf8_passes_through_without_its_bom() {
        assert_eq!(decode("\u{feff}Tea\n".as_bytes()).unwrap(), "Tea\n");
        assert_eq!(decode("Thé\n".as_bytes()).unwrap(), "Thé\n");
    }

    #[test]
    fn empty_and_blank_files_are_refused() {
        for bytes in [&b""[..], b"   \n\t\r\n", "\u{feff}\n".as_bytes()] {
            assert_eq!(decode(bytes).unwrap_err(), whole_file("empty file"), "{bytes:?}");
        }
    }

    #[test]
    fn nul_bytes_make_a_binary_file() {
        assert_eq!(decode(b"\x00\x01\x02binary").unwrap_err(), whole_file("binary file"));
        // A NUL far into a long text file is not looked for.
        let mut late = vec![b'a'; BINARY_SNIFF_BYTES + 10];
        late.push(0);
        assert!(decode(&late).is_ok());
    }

    #[test]
    fn utf16_is_named() {
        let err = decode(b"\xff\xfeT\x00e\x00a\x00").unwrap_err();
        assert!(err.reason.contains("UTF-16"), "{err:?}");
    }

    #[test]
    fn invalid_utf8_names_the_line_and_byte() {
        let err = decode(b"Title\n\nCaf\xe9 au lait\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert_eq!(err.reason, "invalid UTF-8 at line 3, byte 4");
        let err = decode(b"\xc3").unwrap_err();
        assert_eq!((err.line, err.reason.as_str()), (Some(1), "invalid UTF-8 at line 1, byte 1"));
    }

    #[test]
    fn line_endings_become_newlines() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(matches!(normalize_newlines("a\nb"), Cow::Borrowed(_)));
    }
}
