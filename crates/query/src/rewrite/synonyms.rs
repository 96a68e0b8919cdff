//! [`Synonyms`]: groups of words and phrases that mean the same, read from a plain-text file.
//!
//! The format, one group a line:
//!
//! ```text
//! # Comments start with '#', blank lines are ignored.
//! botox, botulinum toxin
//! liposuction, lipo
//! ```
//!
//! Members are separated by commas, compared after analysis (so case, plurals and other
//! inflections do not matter: `Botulinum toxins` is the member `botulinum toxin`), and a member of
//! several words is searched as a phrase. A query word or phrase equal to a member also searches
//! every other member of its group, a little below the words as typed (a synonym's score
//! counts 0.8 times, a phrase's shared among its words). Expansion happens at search time, so
//! editing the file needs no re-indexing.
//!
//! A bad line (one member only, or members that are all stop words) is skipped and reported in
//! [`Synonyms::skipped`] with its line number; it never fails the whole file.

use std::path::{Path, PathBuf};

use crate::analysis;

/// How much a synonym's score counts next to the words as typed.
pub(crate) const SYNONYM_BOOST: f32 = 0.8;

/// Groups of synonyms. See the [module docs](self) for the file format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<Member>>,
    skipped: Vec<SkippedLine>,
}

/// One member of a group: as written, and analyzed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// As written in the file (trimmed).
    pub text: String,
    /// Its terms with positions relative to the first (stop words leave gaps, as in the index).
    pub terms: Vec<(usize, String)>,
}

impl Member {
    /// The terms without their positions.
    pub(crate) fn term_list(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|(_, t)| t.as_str())
    }
}

/// A line of a synonyms file that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: usize,
    /// Why it was skipped.
    pub reason: String,
}

/// A synonyms file that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the synonyms file {}: {source}", path.display())]
pub struct SynonymsError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: std::io::Error,
}

impl Synonyms {
    /// No synonyms.
    pub fn new() -> Synonyms {
        Synonyms::default()
    }

    /// Reads a synonyms file. Fails only if the file cannot be read; bad lines (including
    /// lines that are not UTF-8) are skipped and listed in [`Synonyms::skipped`].
    pub fn load(path: &Path) -> Result<Synonyms, SynonymsError> {
        let bytes = std::fs::read(path)
            .map_err(|source| SynonymsError { path: path.to_path_buf(), source })?;
        Ok(Synonyms::parse_bytes(&bytes))
    }

    /// The groups an index records (`kb index` keeps each indexed folder's `synonyms.txt` in
    /// the manifest, [`kb_schema::Manifest::synonyms`]): every folder's, together.
    pub fn recorded(manifest: &kb_schema::Manifest) -> Synonyms {
        let text: String = manifest.synonyms.values().map(|t| format!("{t}\n")).collect();
        Synonyms::parse(&text)
    }

    /// Parses the text of a synonyms file.
    pub fn parse(text: &str) -> Synonyms {
        Synonyms::parse_bytes(text.as_bytes())
    }

    fn parse_bytes(bytes: &[u8]) -> Synonyms {
        let mut synonyms = Synonyms::default();
        for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
            let number = i + 1;
            let Ok(line) = std::str::from_utf8(line) else {
                synonyms.skip(number, "not valid UTF-8");
                continue;
            };
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let mut members: Vec<Member> = Vec::new();
            for text in line.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                let terms = relative(analysis::terms_with_positions(text));
                // Two spellings the analyzer already makes one ("calf, calves") are one member.
                if !terms.is_empty() && !members.iter().any(|m| m.terms == terms) {
                    members.push(Member { text: text.to_owned(), terms });
                }
            }
            match members.len() {
                0 | 1 if line.contains(',') => synonyms.skip(
                    number,
                    "fewer than two different members once analyzed (stop words, or one word \
                     in two spellings kb already treats as one)",
                ),
                0 | 1 => {
                    synonyms.skip(number, "a group needs two or more members, comma-separated")
                }
                _ => synonyms.groups.push(members),
            }
        }
        synonyms
    }

    fn skip(&mut self, line: usize, reason: &str) {
        self.skipped.push(SkippedLine { line, reason: reason.to_owned() });
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// The lines that were skipped, in file order.
    pub fn skipped(&self) -> &[SkippedLine] {
        &self.skipped
    }

    /// The groups in file order, each the texts of its members as written (trimmed), for tools
    /// that hand them on to another engine (`kb export`).
    pub fn member_texts(&self) -> impl Iterator<Item = Vec<&str>> {
        self.groups.iter().map(|g| g.iter().map(|m| m.text.as_str()).collect())
    }

    /// The groups, each a list of members.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &[Member]> {
        self.groups.iter().map(Vec::as_slice)
    }
}

/// Positions made relative to the first term's.
fn relative(terms: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let first = terms.first().map_or(0, |(p, _)| *p);
    terms.into_iter().map(|(p, t)| (p - first, t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Synonyms) -> Vec<Vec<&str>> {
        s.groups().map(|g| g.iter().map(|m| m.text.as_str()).collect()).collect()
    }

    #[test]
    fn groups_comments_and_blank_lines() {
        let s = Synonyms::parse(
            "# a comment\n\nbotox, Botulinum Toxin  # trailing comment\r\n lipo ,liposuction,\n",
        );
        assert_eq!(members(&s), [vec!["botox", "Botulinum Toxin"], vec!["lipo", "liposuction"]]);
        assert_eq!(s.member_texts().collect::<Vec<_>>(), members(&s));
        assert!(s.skipped().is_empty(), "{:?}", s.skipped());
        let group: Vec<&[Member]> = s.groups().collect();
        assert_eq!(group[0][1].terms, [(0, "botulinum".to_owned()), (1, "toxin".to_owned())]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn bad_lines_are_skipped_with_their_number() {
        let s = Synonyms::parse("calf, calves\nlonely\nthe, of\n,,,\natrophy, wasting\n");
        assert_eq!(members(&s), [vec!["atrophy", "wasting"]]);
        let lines: Vec<usize> = s.skipped().iter().map(|l| l.line).collect();
        assert_eq!(lines, [1, 2, 3, 4]);
        assert!(s.skipped()[1].reason.contains("two or more members"));
    }

    #[test]
    fn invalid_utf8_skips_the_line_only() {
        let s = Synonyms::parse_bytes(b"botox, botulinum toxin\n\xff\xfe, x\nlipo, liposuction\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s.skipped(), [SkippedLine { line: 2, reason: "not valid UTF-8".into() }]);
    }

    #[test]
    fn a_missing_file_names_itself() {
        let err = Synonyms::load(Path::new("/no/such/synonyms.txt")).unwrap_err();
        assert!(err.to_string().contains("/no/such/synonyms.txt"), "{err}");
    }
}
