//! Bytes -> text: the checks every format shares before it looks at the content.
//!
//! A file is refused as a whole when it is binary (a NUL byte early on), UTF-16, or empty. A
//! UTF-8 byte-order mark is dropped, since editors on Windows write one and it is not text.
//! Invalid UTF-8 costs as little as the format allows: the line of a JSON Lines file, the
//! paragraph of a text or Markdown file (see [`decode_by_paragraph`]); other formats are
//! refused whole, with the line and byte of the first bad sequence so it can be found and fixed.
//! JSON Lines files are checked line by line: only a NUL in the first line makes one binary.

use std::borrow::Cow;
use std::io::Read;

use super::SourceError;

/// How much of the file is looked at for NUL bytes. Text never holds NUL; binary formats almost
/// always do near their start (headers, lengths), so a prefix is enough and keeps huge files fast.
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &str = "\u{feff}";

/// How much of a file one bad spot costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// The whole file must be UTF-8 text.
    Whole,
    /// Lines are checked one by one later (JSON Lines): here only UTF-16, a NUL in the first
    /// line (a binary file) and emptiness refuse the file.
    ByLine,
}

/// Checks that `bytes` are non-empty UTF-8 text and returns them as a string without a BOM.
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, SourceError> {
    check_head(&bytes[..bytes.len().min(BINARY_SNIFF_BYTES)])?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let bad = e.valid_up_to();
        let line_start = bytes[..bad].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        invalid_utf8(line_number(&bytes[..bad]), bad - line_start + 1)
    })?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    if text.trim().is_empty() {
        return Err(whole_file("empty file"));
    }
    Ok(text)
}

/// The checks of [`Checks::ByLine`] on a file held in memory.
pub(crate) fn check_by_line(bytes: &[u8]) -> Result<(), SourceError> {
    let mut reader = bytes;
    check_stream_in(&mut reader, CHUNK_BYTES, Checks::ByLine, &mut |_| {})
        .map_err(|e| whole_file(&format!("cannot read: {e}")))?
        .verdict
}

/// [`decode`] for formats read as paragraphs (plain text, Markdown): a line that is not UTF-8
/// loses only its paragraph (the lines between blank lines around it), which is left out of the
/// text (its lines kept, empty, so that line numbers stay true) and reported with its line.
/// `Err` as [`decode`] does, and when nothing is left.
pub(crate) fn decode_by_paragraph(
    bytes: &[u8],
) -> Result<(Cow<'_, str>, Vec<SourceError>), SourceError> {
    let bad = match decode(bytes) {
        Ok(text) => return Ok((Cow::Borrowed(text), Vec::new())),
        Err(err) if err.reason.starts_with("invalid UTF-8") => err,
        Err(err) => return Err(err),
    };
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let blank = |l: &[u8]| l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
    let mut keep = vec![true; lines.len()];
    let mut lost = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if blank(lines[i]) {
            i += 1;
            continue;
        }
        let end = (i..lines.len()).find(|&j| blank(lines[j])).unwrap_or(lines.len());
        let first_bad = (i..end)
            .find_map(|j| std::str::from_utf8(lines[j]).err().map(|e| (j, e.valid_up_to() + 1)));
        if let Some((j, byte)) = first_bad {
            keep[i..end].iter_mut().for_each(|k| *k = false);
            let line = u32::try_from(j + 1).unwrap_or(u32::MAX);
            let mut err = invalid_utf8(line, byte);
            err.reason.push_str("; its paragraph is not indexed");
            lost.push(err);
        }
        i = end;
    }
    let mut text = String::with_capacity(bytes.len());
    for (n, (line, keep)) in lines.iter().zip(&keep).enumerate() {
        if n > 0 {
            text.push('\n');
        }
        if *keep {
            // Kept lines are whole paragraphs' lines that are all UTF-8.
            text.push_str(std::str::from_utf8(line).unwrap_or_default());
        }
    }
    let text = match text.strip_prefix(BOM) {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    if text.trim().is_empty() {
        return Err(bad);
    }
    Ok((Cow::Owned(text), lost))
}

/// The checks on the first [`BINARY_SNIFF_BYTES`] of a file.
fn check_head(head: &[u8]) -> Result<(), SourceError> {
    // UTF-16 text is full of NUL bytes too; saying so is more useful than "binary".
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(whole_file("UTF-16 text is not supported; save the file as UTF-8"));
    }
    if head.contains(&0) {
        return Err(whole_file("binary file"));
    }
    Ok(())
}

/// The error for a bad UTF-8 sequence at `byte` (1-based) of `line`.
pub(crate) fn invalid_utf8(line: u32, byte: usize) -> SourceError {
    SourceError { line: Some(line), reason: format!("invalid UTF-8 at line {line}, byte {byte}") }
}

/// Bytes read at a time by [`check_stream`].
const CHUNK_BYTES: usize = 256 * 1024;

/// What [`check_stream`] found.
pub(crate) struct Checked {
    /// Bytes read.
    pub bytes: u64,
    /// What [`decode`] would say of the whole file: `Ok` when it would accept it.
    pub verdict: Result<(), SourceError>,
}

/// Makes the checks of [`decode`] (same errors, same order), or those of [`Checks::ByLine`], on
/// a file read piece by piece, so that a file of any size is checked in bounded memory. Every
/// byte read is passed to `on_bytes` (to hash it), all of them even when the file is refused.
pub(crate) fn check_stream(
    reader: &mut dyn Read,
    checks: Checks,
    on_bytes: &mut dyn FnMut(&[u8]),
) -> std::io::Result<Checked> {
    check_stream_in(reader, CHUNK_BYTES, checks, on_bytes)
}

/// [`check_stream`] reading `chunk` bytes at a time (at least 4, so that a piece always holds a
/// whole character after the partial one the last piece ended with).
fn check_stream_in(
    reader: &mut dyn Read,
    chunk: usize,
    checks: Checks,
    on_bytes: &mut dyn FnMut(&[u8]),
) -> std::io::Result<Checked> {
    let mut buf = vec![0u8; chunk.max(4)];
    let mut head = Vec::new();
    let mut total = 0u64;
    // `buf[..carry]` is the start of a character cut by the end of the last piece.
    let mut carry = 0;
    let mut lines = LineTracker::default();
    let mut bad_utf8: Option<SourceError> = None;
    let mut has_text = false;
    // By line: whether a byte past the first three (a BOM's place) is not whitespace.
    let mut text_after_bom = false;
    loop {
        let n = fill(reader, &mut buf[carry..])?;
        let new = &buf[carry..carry + n];
        on_bytes(new);
        let offset = total;
        total += n as u64;
        if head.len() < BINARY_SNIFF_BYTES {
            head.extend_from_slice(&new[..n.min(BINARY_SNIFF_BYTES - head.len())]);
        }
        if checks == Checks::ByLine {
            if !text_after_bom {
                let skip = 3u64.saturating_sub(offset).min(n as u64) as usize;
                text_after_bom = new[skip..].iter().any(|b| !b.is_ascii_whitespace());
            }
            if n == 0 {
                break;
            }
            continue;
        }
        if bad_utf8.is_none() {
            let piece = &buf[..carry + n];
            let (valid_up_to, bad) = match std::str::from_utf8(piece) {
                Ok(_) => (piece.len(), false),
                // A character cut by the end of the piece: finished by the next one.
                Err(e) if e.error_len().is_none() && n > 0 => (e.valid_up_to(), false),
                Err(e) => (e.valid_up_to(), true),
            };
            let valid = &piece[..valid_up_to];
            if !has_text {
                // Valid by construction; looked at only until some text is found.
                let text = std::str::from_utf8(valid).unwrap_or_default();
                let text =
                    if lines.offset == 0 { text.strip_prefix(BOM).unwrap_or(text) } else { text };
                has_text = !text.trim().is_empty();
            }
            lines.advance(valid);
            if bad {
                bad_utf8 = Some(invalid_utf8(lines.line(), lines.column()));
                carry = 0;
            } else {
                carry = piece.len() - valid_up_to;
                buf.copy_within(valid_up_to..valid_up_to + carry, 0);
            }
        } else {
            carry = 0;
        }
        if n == 0 {
            break;
        }
    }
    if checks == Checks::ByLine {
        let first3 = &head[..head.len().min(3)];
        let has_text = text_after_bom
            || (first3 != BOM.as_bytes() && first3.iter().any(|b| !b.is_ascii_whitespace()));
        let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
        let verdict = check_head(first_line).and_then(|()| {
            if has_text {
                Ok(())
            } else {
                Err(whole_file("empty file"))
            }
        });
        return Ok(Checked { bytes: total, verdict });
    }
    let verdict = check_head(&head).and_then(|()| match bad_utf8 {
        Some(err) => Err(err),
        None if !has_text => Err(whole_file("empty file")),
        None => Ok(()),
    });
    Ok(Checked { bytes: total, verdict })
}

/// Line and column of the end of text seen piece by piece.
#[derive(Default)]
struct LineTracker {
    /// Bytes seen.
    offset: usize,
    /// Newlines seen.
    newlines: usize,
    /// Offset where the current line starts.
    line_start: usize,
}

impl LineTracker {
    fn advance(&mut self, bytes: &[u8]) {
        self.newlines += bytes.iter().filter(|&&b| b == b'\n').count();
        if let Some(i) = bytes.iter().rposition(|&b| b == b'\n') {
            self.line_start = self.offset + i + 1;
        }
        self.offset += bytes.len();
    }

    /// The 1-based line of the next byte.
    fn line(&self) -> u32 {
        u32::try_from(self.newlines + 1).unwrap_or(u32::MAX)
    }

    /// The 1-based byte in its line of the next byte.
    fn column(&self) -> usize {
        self.offset - self.line_start + 1
    }
}

/// Reads until `buf` is full or the reader is exhausted; the bytes read.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
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

    /// What `check_stream_in` says of `bytes` read `chunk` bytes at a time; checks that it saw
    /// every byte.
    fn streamed(bytes: &[u8], chunk: usize) -> Result<(), SourceError> {
        let mut seen = Vec::new();
        let checked = check_stream_in(&mut &bytes[..], chunk, Checks::Whole, &mut |b| {
            seen.extend_from_slice(b)
        })
        .unwrap();
        assert_eq!(seen, bytes);
        assert_eq!(checked.bytes, bytes.len() as u64);
        checked.verdict
    }

    #[test]
    fn streamed_checks_agree_with_decode() {
        let mut long = vec![b'a'; BINARY_SNIFF_BYTES - 2];
        long.extend_from_slice(b"\n\x00\n\xff");
        let mut late_nul = vec![b' '; BINARY_SNIFF_BYTES];
        late_nul.extend_from_slice(b"\x00 x");
        let cases: [&[u8]; 16] = [
            b"",
            b"  \r\n",
            "\u{feff}".as_bytes(),
            "\u{feff} \n x".as_bytes(),
            "x\u{feff}".as_bytes(),
            b"\xff\xfeT\x00",
            b"Title\n\nCaf\xe9 au lait\n",
            b"\xc3",
            b"ab\xc3",
            "ab\ncd\né東\n\u{1f600}".as_bytes(),
            b"ab\ncd\n\xe6\x9d",
            b"ab\ncd\n\xe6\x9d\x0a",
            b"\n\n\x00",
            &long,
            &late_nul,
            b"{\"a\":\n\n\"Caf\xe9\"}",
        ];
        for bytes in cases {
            let expected = decode(bytes).map(|_| ());
            for chunk in [1, 2, 3, 4, 5, 7, 64, CHUNK_BYTES] {
                assert_eq!(streamed(bytes, chunk), expected, "{bytes:?} by {chunk}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn streamed_checks_agree_with_decode_on_any_bytes(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::prelude::Just(&b"\n"[..]),
                    proptest::prelude::Just(&b" "[..]),
                    proptest::prelude::Just(&b"abc"[..]),
                    proptest::prelude::Just("\u{feff}".as_bytes()),
                    proptest::prelude::Just("é".as_bytes()),
                    proptest::prelude::Just("東".as_bytes()),
                    proptest::prelude::Just("\u{1f600}".as_bytes()),
                    proptest::prelude::Just(&b"\xe6\x9d"[..]),
                    proptest::prelude::Just(&b"\x80"[..]),
                    proptest::prelude::Just(&b"\xff"[..]),
                    proptest::prelude::Just(&b"\x00"[..]),
                ],
                0..40,
            ),
            chunk in 1usize..12,
        ) {
            let bytes = parts.concat();
            proptest::prop_assert_eq!(streamed(&bytes, chunk), decode(&bytes).map(|_| ()));
        }
    }

    /// What `check_stream_in` says by line of `bytes` read `chunk` bytes at a time.
    fn by_line(bytes: &[u8], chunk: usize) -> Result<(), SourceError> {
        check_stream_in(&mut &bytes[..], chunk, Checks::ByLine, &mut |_| {}).unwrap().verdict
    }

    #[test]
    fn checks_by_line_refuse_only_binary_utf16_and_empty_files() {
        let cases: [(&[u8], Option<&str>); 9] = [
            (b"{\"a\": 1}\n\xff\n{\"b\": \x00}\n", None),
            (b"\xff", None),
            (b"\xef\xbb", None),
            ("\u{feff}x".as_bytes(), None),
            (b"{\"a\": \x00}\n{}\n", Some("binary file")),
            (b"\xff\xfe{\x00", Some("UTF-16 text is not supported; save the file as UTF-8")),
            (b"", Some("empty file")),
            (b" \r\n\t\n", Some("empty file")),
            ("\u{feff}\n ".as_bytes(), Some("empty file")),
        ];
        for (bytes, expected) in cases {
            for chunk in [1, 2, 3, 4, 7, CHUNK_BYTES] {
                let verdict = by_line(bytes, chunk).map_err(|e| e.reason);
                assert_eq!(
                    verdict,
                    expected.map_or(Ok(()), |r| Err(r.to_owned())),
                    "{bytes:?} by {chunk}"
                );
            }
            assert_eq!(check_by_line(bytes), by_line(bytes, CHUNK_BYTES));
        }
    }

    #[test]
    fn paragraphs_that_are_not_utf8_are_blanked_keeping_lines() {
        let (text, lost) = decode_by_paragraph(b"T\n\na\xff\nb\n\nc\n\n\xc3\n").unwrap();
        assert_eq!(text, "T\n\n\n\n\nc\n\n\n");
        let lines: Vec<_> = lost.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(3), Some(8)]);
        assert!(matches!(decode_by_paragraph(b"ok\n").unwrap().0, Cow::Borrowed("ok\n")));
        assert_eq!(decode_by_paragraph(b"\x00x\xff").unwrap_err().reason, "binary file");
        assert_eq!(decode_by_paragraph(b" \n\xff").unwrap_err().line, Some(2));
    }

    #[test]
    fn line_endings_become_newlines() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        assert!(matches!(normalize_newlines("a\nb"), Cow::Borrowed(_)));
    }
}
