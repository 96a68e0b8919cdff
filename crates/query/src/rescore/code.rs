//! Stage 4, rescore by kind: code ranks below prose for a question in words, and above it for
//! a query that looks like code.
//!
//! A block of code repeats identifiers, so BM25 often ranks it first for a question whose
//! words it happens to contain; someone asking in words wants the prose that explains. Someone
//! who types code wants the code. So every passage of kind `code` has its score multiplied by
//! [`FOR_WORDS`] when the query reads as words, by [`FOR_CODE`] when it looks like code
//! ([`looks_like_code`]); other kinds keep theirs.
//!
//! A query **looks like code** when its text (leaving out field prefixes such as `kind:` and
//! `doc:` and their values) has any of:
//!
//! - an operator or bracket code is full of: `::`, `->`, `=>`, `()`, `[]`, `{`, `}`, `;`, `==`,
//!   `!=`, `&&`, `||`, `</`, `/>`, `#[`, `#include`;
//! - a call: a name right before `(` (`println!(`, `len(`);
//! - a name with `_` inside it (`read_to_string`, `__init__`);
//! - camelCase or PascalCase: a lowercase letter right before an uppercase one (`HashMap`,
//!   `getElementById`);
//! - a member or file name: two names joined by a dot, the second at least two letters long
//!   (`args.len`, `main.rs`; not `e.g.`);
//! - a command-line flag: `--` then a letter (`--release`);
//! - keywords of common languages that are not English words (`fn`, `impl`, `struct`, `enum`,
//!   `pub`, `mut`, `usize`, `def`, `elif`, `typedef`, `nullptr`, `println`, ...) for at least
//!   half of its words (`impl Display`, `pub fn`): one keyword in a question in words ("how do I
//!   define a struct") leaves it a question in words.
//!
//! An index without code passages skips all this for the cost of one dictionary lookup.

use kb_schema::Kind;
use tantivy::DocAddress;

use crate::candidate::Candidate;
use crate::explanation::Explanation;
use crate::snapshot::KindColumns;

/// The weight of a code passage's score when the query reads as words.
pub(crate) const FOR_WORDS: f32 = 0.5;

/// The weight of a code passage's score when the query looks like code.
pub(crate) const FOR_CODE: f32 = 1.5;

/// Symbols that, anywhere in a query, make it look like code.
const SYMBOLS: &[&str] = &[
    "::", "->", "=>", "()", "[]", "{", "}", ";", "==", "!=", "&&", "||", "</", "/>", "#[",
    "#include",
];

/// Keywords and names of common languages that are not English words.
const KEYWORDS: &[&str] = &[
    "fn",
    "impl",
    "struct",
    "enum",
    "pub",
    "mut",
    "usize",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "f32",
    "f64",
    "str",
    "bool",
    "def",
    "elif",
    "typedef",
    "nullptr",
    "println",
    "printf",
    "stdin",
    "stdout",
    "stderr",
    "std",
    "dyn",
    "namespace",
    "func",
    "defn",
    "var",
    "const",
    "int",
    "void",
];

/// Whether `query` looks like code (see the [module docs](self)).
pub(crate) fn looks_like_code(query: &str) -> bool {
    let words: Vec<&str> = query
        .split_whitespace()
        .map(|w| if w.starts_with("--") { w } else { w.trim_start_matches(['+', '-']) })
        .filter(|w| !crate::parse::is_field(w))
        .collect();
    if words.iter().any(|w| SYMBOLS.iter().any(|s| w.contains(s)) || word_looks_like_code(w)) {
        return true;
    }
    let keywords = words
        .iter()
        .filter(|w| KEYWORDS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())))
        .count();
    keywords > 0 && keywords * 2 >= words.len()
}

/// Whether one word of a query looks like code: a call, `_` inside a name, camelCase, a dotted
/// name or a flag.
fn word_looks_like_code(word: &str) -> bool {
    let word = word.trim_matches(|c| matches!(c, '"' | '\'' | '`' | ',' | '?'));
    if word.strip_prefix("--").is_some_and(|w| w.starts_with(|c: char| c.is_ascii_alphabetic())) {
        return true;
    }
    let chars: Vec<char> = word.chars().collect();
    let name = |c: char| c.is_alphanumeric() || c == '_';
    for (i, pair) in chars.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let call = (name(a) || a == '!') && b == '(' && i > 0;
        let underscore = (a == '_' && b.is_alphanumeric()) || (a.is_alphanumeric() && b == '_');
        let camel = a.is_lowercase() && b.is_uppercase();
        let dotted = name(a) && b == '.' && {
            let after: String = chars[i + 2..].iter().take_while(|&&c| name(c)).collect();
            after.chars().count() >= 2 && after.starts_with(|c: char| c.is_alphabetic() || c == '_')
        };
        if call || (underscore && chars.len() > 2) || camel || dotted {
            return true;
        }
    }
    false
}

/// The weight code passages get for one query, and which candidates are code.
pub(crate) struct CodeWeight<'a> {
    /// The weight of a code passage's score: [`FOR_WORDS`] or [`FOR_CODE`].
    weight: f32,
    /// The kind of each passage; `None` when the index has no code passages.
    kinds: Option<&'a KindColumns>,
}

impl<'a> CodeWeight<'a> {
    /// The weight for `query` over an index whose passages are of the kinds `kinds`.
    pub(crate) fn new(kinds: &'a KindColumns, query: &str) -> CodeWeight<'a> {
        let weight = if looks_like_code(query) { FOR_CODE } else { FOR_WORDS };
        CodeWeight { weight, kinds: kinds.any(Kind::Code).then_some(kinds) }
    }

    /// No weighting (an index without code passages).
    fn is_none(&self) -> bool {
        self.kinds.is_none()
    }

    /// Whether the passage at `address` is code.
    fn is_code(&self, address: DocAddress) -> bool {
        self.kinds.is_some_and(|kinds| kinds.of(address) == Some(Kind::Code))
    }

    /// The weight of the passage at `address`: 1 unless it is code.
    pub(crate) fn of(&self, address: DocAddress) -> f32 {
        if self.is_code(address) {
            self.weight
        } else {
            1.0
        }
    }

    /// Weights the code among `candidates` and sorts them again, best first (ties in index
    /// order, so rankings are repeatable).
    pub(crate) fn apply(&self, candidates: &mut [Candidate]) {
        if self.is_none() {
            return;
        }
        for c in candidates.iter_mut() {
            c.score *= self.of(c.address);
        }
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.address.cmp(&b.address)));
    }

    /// This stage's part of the explanation of the passage at `address`: `below` (its score
    /// before), weighted, which makes `score`; `below` alone when it is not code.
    pub(crate) fn explain(
        &self,
        address: DocAddress,
        score: f32,
        below: Explanation,
    ) -> Explanation {
        if !self.is_code(address) {
            return below;
        }
        let why = if self.weight < 1.0 {
            "the query reads as words"
        } else {
            "the query looks like code"
        };
        let what = format!("× {}: a code passage, and {why}", self.weight);
        Explanation { score, what, parts: vec![below] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_looking_queries() {
        for query in [
            "fs::read_to_string",
            "HashMap::new()",
            "read_to_string",
            "getElementById",
            "HashMap",
            "println!(",
            "len(args)",
            "args.len",
            "main.rs",
            "cargo build --release",
            "impl Display",
            "pub fn",
            "fn main",
            "x => x + 1",
            "let x = 5;",
            "#[derive(Debug)]",
            "__init__",
            "if (a && b)",
        ] {
            assert!(looks_like_code(query), "{query:?}");
        }
    }

    #[test]
    fn questions_in_words() {
        for query in [
            "how do I read a file into a string",
            "what is a closure",
            "how do I define a struct in rust",
            "e.g. tea (green or black)",
            "version 1.2 release notes",
            "kind:code closures",
            "doc:my_notes closures",
            "Rust ownership rules",
            "well-known - dashes",
            "",
        ] {
            assert!(!looks_like_code(query), "{query:?}");
        }
    }
}
