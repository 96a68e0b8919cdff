//! Reading the line-oriented text files kb-eval takes: UTF-8, any line ending.

use std::path::Path;

use crate::EvalError;

/// Reads a whole text file. Invalid UTF-8 is an error naming the line it is on; a leading
/// byte-order mark is dropped (editors on Windows write one).
pub(crate) fn read_text(path: &Path, hint: &str) -> Result<String, EvalError> {
    let bytes = std::fs::read(path).map_err(|e| EvalError::io(path, e, hint))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..bad].iter().filter(|&&b| b == b'\n').count() + 1;
        EvalError::parse(path, line, "not valid UTF-8 text")
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// The lines of `text` with their 1-based numbers. Splits on `\n` and drops a trailing `\r`,
/// because BEIR ships its qrels with CRLF line endings.
pub(crate) fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix('\r').unwrap_or(line)))
        .filter(|(_, line)| !line.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_blank_lines() {
        let lines: Vec<_> = numbered_lines("a\r\n\r\nb\nc\r\n").collect();
        assert_eq!(lines, [(1, "a"), (3, "b"), (4, "c")]);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.txt");
        std::fs::write(&path, b"fine\nalso fine\ncaf\xe9\n").unwrap();
        let err = read_text(&path, "").unwrap_err().to_string();
        assert!(err.ends_with("q.txt:3: not valid UTF-8 text"), "{err}");
    }

    #[test]
    fn missing_file_says_what_it_is() {
        let err = read_text(Path::new("/nonexistent/queries.jsonl"), "the queries").unwrap_err();
        assert_eq!(err.to_string(), "/nonexistent/queries.jsonl not found: the queries");
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.txt");
        std::fs::write(&path, "\u{feff}first query\n").unwrap();
        assert_eq!(read_text(&path, "").unwrap(), "first query\n");
    }
}
