//! Query text -> [`ParsedQuery`]: kb's lenient query language.
//!
//! The grammar, item by item (items are separated by whitespace):
//!
//! - `word`: an optional word; passages matching more of the optional words rank higher;
//! - `"a phrase"`: the words in this order;
//! - `+word`, `+"a phrase"`: required; `-word`, `-"a phrase"`: excluded;
//! - `title:word`, `heading:word` (also with a quoted phrase): the word in that field only;
//!   `kind:answer` (`article`, `question`, `answer`, `code`) and `doc:ID` (also `doc:"an id"`): filters.
//!   Each can take `+` (the default for fields) or `-` (excluded);
//! - anything else is read as plain words: an unknown `foo:bar` is the words `foo` and `bar`, an
//!   unbalanced quote is dropped, a stray `+` or `-` is ignored, `AND`, `OR`, `NOT`, `*`, `^2`
//!   and brackets are ordinary text (which the analyzer mostly reduces to nothing).
//!
//! Parsing never fails and never analyzes: words are kept as typed, and turning them into index
//! terms is the query builder's job.

use kb_schema::Kind;

use crate::options::SearchOptions;

/// A query as the user wrote it, split into clauses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// The clauses, in query order.
    pub clauses: Vec<Clause>,
}

/// One item of a query and how it takes part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// Optional, required or excluded.
    pub presence: Presence,
    /// What is searched for.
    pub target: Target,
}

/// How a clause takes part in matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Passages matching it rank higher (plain words and phrases).
    Optional,
    /// Only passages matching it (`+word`, field filters).
    Required,
    /// No passage matching it (`-word`).
    Excluded,
}

/// The text fields a word or phrase is searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The passage text and its context fields (title, heading, question body), each weighted.
    All,
    /// Only the document title (`title:`).
    Title,
    /// Only the section heading (`heading:`).
    Heading,
}

/// What a clause searches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A word as typed (one word may analyze to several terms, e.g. `e-mail`, or to none).
    Word {
        /// The word.
        text: String,
        /// Where to look for it.
        scope: Scope,
    },
    /// A quoted phrase as typed, without its quotes.
    Phrase {
        /// The phrase.
        text: String,
        /// Where to look for it.
        scope: Scope,
    },
    /// `kind:KIND`: passages of that kind.
    Kind(Kind),
    /// `doc:ID`: passages of that document (exact id).
    Doc(String),
}

impl ParsedQuery {
    /// Adds a required clause (used for the `--kind` and `--doc` options).
    pub fn require(&mut self, target: Target) {
        self.clauses.push(Clause { presence: Presence::Required, target });
    }
}

/// Parses query text and adds the filters of `opts` ([`SearchOptions::kind`],
/// [`SearchOptions::doc`]) as required clauses.
pub(crate) fn with_options(text: &str, opts: &SearchOptions) -> ParsedQuery {
    let mut parsed = parse(text);
    if let Some(kind) = opts.kind {
        parsed.require(Target::Kind(kind));
    }
    if let Some(doc) = &opts.doc {
        parsed.require(Target::Doc(doc.clone()));
    }
    parsed
}

/// Parses query text. Never fails: whatever is not syntax is read as words.
pub fn parse(text: &str) -> ParsedQuery {
    let mut parser = Parser { rest: text, clauses: Vec::new(), carried: None };
    parser.run();
    ParsedQuery { clauses: parser.clauses }
}

struct Parser<'a> {
    rest: &'a str,
    clauses: Vec<Clause>,
    /// A `+` or `-` in front of an unbalanced quote: it applies to the next item.
    carried: Option<Presence>,
}

impl<'a> Parser<'a> {
    fn run(&mut self) {
        loop {
            self.rest = self.rest.trim_start();
            if self.rest.is_empty() {
                return;
            }
            let presence = self.prefix();
            if self.rest.is_empty() || self.rest.starts_with(char::is_whitespace) {
                // A stray `+` or `-`.
                continue;
            }
            if let Some(inner) = self.rest.strip_prefix('"') {
                match inner.find('"') {
                    Some(end) => {
                        let phrase = &inner[..end];
                        self.rest = &inner[end + 1..];
                        if !phrase.trim().is_empty() {
                            let presence = presence.unwrap_or(Presence::Optional);
                            self.push(presence, phrase_or_word(phrase));
                        }
                    }
                    None => {
                        // Unbalanced: drop the quote and read on as plain words.
                        self.rest = inner;
                        self.carried = presence;
                    }
                }
                continue;
            }
            self.item(presence);
        }
    }

    /// Reads leading `+` / `-` signs; the first one counts.
    fn prefix(&mut self) -> Option<Presence> {
        let mut presence = self.carried.take();
        while let Some(c) = self.rest.chars().next() {
            let sign = match c {
                '+' => Presence::Required,
                '-' => Presence::Excluded,
                _ => break,
            };
            presence.get_or_insert(sign);
            self.rest = &self.rest[1..];
        }
        presence
    }

    /// Reads a bare item: a word, or `field:value`.
    fn item(&mut self, presence: Option<Presence>) {
        let end = self.rest.find(char::is_whitespace).unwrap_or(self.rest.len());
        let item = &self.rest[..end];
        if let Some((name, value)) = item.split_once(':') {
            if let Some(field) = FieldName::parse(name) {
                if !value.is_empty() {
                    self.field(presence.unwrap_or(Presence::Required), field, name.len() + 1);
                    return;
                }
            }
        }
        self.rest = &self.rest[end..];
        // Unknown `foo:bar` (and stray colons) are plain words.
        for word in item.split(':').filter(|w| !w.is_empty()) {
            let target = Target::Word { text: word.to_owned(), scope: Scope::All };
            self.push(presence.unwrap_or(Presence::Optional), target);
        }
    }

    /// Reads the value of a known field; `value_at` is where it starts in `rest`.
    fn field(&mut self, presence: Presence, field: FieldName, value_at: usize) {
        let after = &self.rest[value_at..];
        let (value, quoted, rest) = match after.strip_prefix('"') {
            Some(inner) => match inner.find('"') {
                Some(end) => (&inner[..end], true, &inner[end + 1..]),
                None => {
                    let end = inner.find(char::is_whitespace).unwrap_or(inner.len());
                    (&inner[..end], false, &inner[end..])
                }
            },
            None => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], false, &after[end..])
            }
        };
        self.rest = rest;
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let target = match field {
            FieldName::Title | FieldName::Heading => {
                let scope = if field == FieldName::Title { Scope::Title } else { Scope::Heading };
                if quoted {
                    Target::Phrase { text: value.to_owned(), scope }
                } else {
                    Target::Word { text: value.to_owned(), scope }
                }
            }
            FieldName::Kind => match parse_kind(value) {
                Some(kind) => Target::Kind(kind),
                None => {
                    // Not a kind: the words as typed.
                    let optional = if presence == Presence::Excluded {
                        Presence::Excluded
                    } else {
                        Presence::Optional
                    };
                    for text in ["kind", value] {
                        let target = Target::Word { text: text.to_owned(), scope: Scope::All };
                        self.push(optional, target);
                    }
                    return;
                }
            },
            FieldName::Doc => Target::Doc(value.to_owned()),
        };
        self.push(presence, target);
    }

    fn push(&mut self, presence: Presence, target: Target) {
        self.clauses.push(Clause { presence, target });
    }
}

/// A quoted text of one word is just that word.
fn phrase_or_word(text: &str) -> Target {
    let text = text.trim();
    if text.contains(char::is_whitespace) {
        Target::Phrase { text: text.to_owned(), scope: Scope::All }
    } else {
        Target::Word { text: text.to_owned(), scope: Scope::All }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldName {
    Title,
    Heading,
    Kind,
    Doc,
}

impl FieldName {
    fn parse(name: &str) -> Option<FieldName> {
        Some(match name.to_ascii_lowercase().as_str() {
            "title" => FieldName::Title,
            "heading" => FieldName::Heading,
            "kind" => FieldName::Kind,
            "doc" => FieldName::Doc,
            _ => return None,
        })
    }
}

/// Whether `word` starts with a field of the query language (`title:`, `Kind:`...), whose
/// value is not searched text.
pub(crate) fn is_field(word: &str) -> bool {
    word.split_once(':').is_some_and(|(name, _)| FieldName::parse(name).is_some())
}

/// `answer`, `Answers`, ... -> the kind.
fn parse_kind(value: &str) -> Option<Kind> {
    let lower = value.to_ascii_lowercase();
    Kind::parse(&lower).or_else(|| lower.strip_suffix('s').and_then(Kind::parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(presence: Presence, text: &str) -> Clause {
        Clause { presence, target: Target::Word { text: text.into(), scope: Scope::All } }
    }

    fn phrase(presence: Presence, text: &str) -> Clause {
        Clause { presence, target: Target::Phrase { text: text.into(), scope: Scope::All } }
    }

    use Presence::{Excluded, Optional, Required};

    #[test]
    fn words_phrases_and_signs() {
        assert_eq!(
            parse(r#"botox "calf muscle" +nerve -surgery +"selective neurectomy" -"hard patches""#)
                .clauses,
            [
                word(Optional, "botox"),
                phrase(Optional, "calf muscle"),
                word(Required, "nerve"),
                word(Excluded, "surgery"),
                phrase(Required, "selective neurectomy"),
                phrase(Excluded, "hard patches"),
            ]
        );
    }

    #[test]
    fn fields_are_filters_and_take_phrases() {
        let parsed = parse(
            r#"title:calf heading:"green tea" kind:answer doc:"with space é" -kind:question"#,
        );
        assert_eq!(
            parsed.clauses,
            [
                Clause {
                    presence: Required,
                    target: Target::Word { text: "calf".into(), scope: Scope::Title }
                },
                Clause {
                    presence: Required,
                    target: Target::Phrase { text: "green tea".into(), scope: Scope::Heading }
                },
                Clause { presence: Required, target: Target::Kind(Kind::Answer) },
                Clause { presence: Required, target: Target::Doc("with space é".into()) },
                Clause { presence: Excluded, target: Target::Kind(Kind::Question) },
            ]
        );
        assert_eq!(parse("KIND:Answers").clauses[0].target, Target::Kind(Kind::Answer));
    }

    #[test]
    fn unknown_fields_and_bad_kinds_are_plain_words() {
        assert_eq!(parse("foo:bar").clauses, [word(Optional, "foo"), word(Optional, "bar")]);
        assert_eq!(
            parse("kind:banana").clauses,
            [word(Optional, "kind"), word(Optional, "banana")]
        );
        assert_eq!(parse("title:").clauses, [word(Optional, "title")]);
        assert_eq!(parse(":::").clauses, []);
    }

    #[test]
    fn malformed_syntax_is_read_as_words() {
        assert_eq!(
            parse(r#""unbalanced botox"#).clauses,
            [word(Optional, "unbalanced"), word(Optional, "botox")]
        );
        assert_eq!(
            parse(r#"+"unbalanced botox"#).clauses,
            [word(Required, "unbalanced"), word(Optional, "botox")]
        );
        assert_eq!(parse("+").clauses, []);
        assert_eq!(parse("- + -").clauses, []);
        assert_eq!(
            parse("AND OR NOT").clauses,
            [word(Optional, "AND"), word(Optional, "OR"), word(Optional, "NOT")]
        );
        assert_eq!(parse("((").clauses, [word(Optional, "((")]);
        assert_eq!(parse("^2 *").clauses, [word(Optional, "^2"), word(Optional, "*")]);
        assert_eq!(parse("e-mail").clauses, [word(Optional, "e-mail")]);
        assert_eq!(parse(r#""" "one""#).clauses, [word(Optional, "one")]);
    }

    #[test]
    fn unicode_and_odd_whitespace() {
        assert_eq!(
            parse("ñ\u{3000}東京\t-café").clauses,
            [word(Optional, "ñ"), word(Optional, "東京"), word(Excluded, "café")]
        );
    }

    #[test]
    fn options_add_required_filters() {
        let mut parsed = parse("calf");
        parsed.require(Target::Kind(Kind::Answer));
        assert_eq!(
            parsed.clauses[1],
            Clause { presence: Required, target: Target::Kind(Kind::Answer) }
        );
    }
}
