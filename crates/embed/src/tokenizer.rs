//! BERT uncased WordPiece tokenization, as Hugging Face `tokenizers` does it for
//! `BertTokenizer` models (`BertNormalizer` + `BertPreTokenizer` + `WordPiece`):
//!
//! 1. The special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]`) written in the raw text
//!    are split out first and kept as themselves (they are "added tokens", matched before
//!    normalization).
//! 2. Normalization: control characters (categories Cc, Cf, Co, except `\t\n\r`), NUL and U+FFFD
//!    are dropped and whitespace becomes a space; CJK ideographs get a space on each side; the
//!    text is decomposed (NFD) and its nonspacing marks (Mn) dropped, which strips accents; it is
//!    lowercased.
//! 3. Pre-tokenization: split at whitespace (removed), then at punctuation (ASCII punctuation and
//!    Unicode P* categories; each punctuation character is a word of its own).
//! 4. WordPiece: greedy longest match from the start of each word, continuations prefixed with
//!    `##`; a word that cannot be covered, or longer than 100 characters, becomes `[UNK]`.
//!
//! The character tables are those of the `unicode_categories` crate, the ones `tokenizers` uses,
//! so the two agree character for character.

use std::collections::HashMap;

use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

/// Words longer than this (in characters) are `[UNK]`, as in `tokenizers`' WordPiece.
const MAX_INPUT_CHARS_PER_WORD: usize = 100;
/// The special tokens that are matched in the raw text (when the vocabulary has them).
const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A WordPiece vocabulary and the BERT uncased tokenization around it.
#[derive(Debug)]
pub(crate) struct WordPiece {
    vocab: HashMap<String, u32>,
    /// The special tokens the vocabulary has, with their ids, longest first.
    specials: Vec<(&'static str, u32)>,
    unk: u32,
    cls: u32,
    sep: u32,
}

impl WordPiece {
    /// A tokenizer over `vocab` (token -> id). `Err` names the missing special token.
    pub(crate) fn new(vocab: HashMap<String, u32>) -> Result<WordPiece, String> {
        let id =
            |t: &str| vocab.get(t).copied().ok_or_else(|| format!("the vocabulary has no {t}"));
        let (unk, cls, sep) = (id("[UNK]")?, id("[CLS]")?, id("[SEP]")?);
        let mut specials: Vec<(&'static str, u32)> =
            SPECIAL_TOKENS.iter().filter_map(|&t| vocab.get(t).map(|&id| (t, id))).collect();
        specials.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        Ok(WordPiece { vocab, specials, unk, cls, sep })
    }

    /// Parses a `vocab.txt`: one token a line, its id the line number (from 0).
    pub(crate) fn parse_vocab_txt(text: &str) -> HashMap<String, u32> {
        let mut vocab = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            // Like `tokenizers`' WordPiece::read_file: a later duplicate wins.
            vocab.insert(line.trim_end_matches('\r').to_string(), i as u32);
        }
        vocab
    }

    /// The largest id of the vocabulary.
    pub(crate) fn max_id(&self) -> u32 {
        self.vocab.values().copied().max().unwrap_or(0)
    }

    /// `[CLS]`, the word pieces of `text` (the first `max_len - 2` of them) and `[SEP]`.
    pub(crate) fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let limit = max_len.saturating_sub(2);
        let mut ids = Vec::with_capacity(limit.min(text.len() / 3 + 8) + 2);
        ids.push(self.cls);
        self.word_pieces(text, limit, &mut ids);
        ids.push(self.sep);
        ids
    }

    /// Appends the ids of `text`'s word pieces to `out`, stopping once `limit` were appended.
    fn word_pieces(&self, text: &str, limit: usize, out: &mut Vec<u32>) {
        let stop = out.len() + limit;
        let mut scratch = Scratch::default();
        let mut rest = text;
        while !rest.is_empty() && out.len() < stop {
            // The next special token written in the text, if any.
            let next = self
                .specials
                .iter()
                .filter_map(|&(t, id)| rest.find(t).map(|at| (at, t.len(), id)))
                .min_by_key(|&(at, len, _)| (at, std::cmp::Reverse(len)));
            let (plain, special) = match next {
                Some((at, len, id)) => {
                    let plain = &rest[..at];
                    rest = &rest[at + len..];
                    (plain, Some(id))
                }
                None => (std::mem::take(&mut rest), None),
            };
            self.plain_pieces(plain, stop, out, &mut scratch);
            if let Some(id) = special {
                if out.len() < stop {
                    out.push(id);
                }
            }
        }
    }

    /// The word pieces of a text without special tokens, up to `out.len() == stop`.
    ///
    /// The text is normalized a whitespace-separated chunk at a time (so that a long text is
    /// read only as far as needed): normalization never joins or splits across whitespace, since
    /// whitespace is a starter for NFD and is kept (as a space) by the cleaning.
    fn plain_pieces(&self, text: &str, stop: usize, out: &mut Vec<u32>, scratch: &mut Scratch) {
        for chunk in text.split(is_separator).filter(|c| !c.is_empty()) {
            if out.len() >= stop {
                return;
            }
            normalize(chunk, &mut scratch.normalized);
            for word in scratch.normalized.split(char::is_whitespace) {
                for piece in split_punctuation(word) {
                    self.word(piece, stop, out, &mut scratch.candidate);
                    if out.len() >= stop {
                        return;
                    }
                }
            }
        }
    }

    /// Greedy longest-match WordPiece of one pre-tokenized word.
    fn word(&self, word: &str, stop: usize, out: &mut Vec<u32>, candidate: &mut String) {
        if word.chars().count() > MAX_INPUT_CHARS_PER_WORD {
            out.push(self.unk);
            return;
        }
        let first = out.len();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let mut found = None;
            while start < end {
                candidate.clear();
                if start > 0 {
                    candidate.push_str("##");
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = self.vocab.get(candidate.as_str()) {
                    found = Some(id);
                    break;
                }
                end -= word[..end].chars().next_back().map_or(1, char::len_utf8);
            }
            match found {
                Some(id) => out.push(id),
                None => {
                    out.truncate(first);
                    out.push(self.unk);
                    return;
                }
            }
            start = end;
        }
        out.truncate(stop.max(first));
    }
}

/// Buffers reused across the chunks of one text.
#[derive(Default)]
struct Scratch {
    normalized: String,
    candidate: String,
}

/// `tokenizers`' BertNormalizer control test: Cc, Cf and Co, except the three whitespace controls.
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

/// Whitespace that survives the cleaning (as a space): where the raw text can be cut.
fn is_separator(c: char) -> bool {
    c.is_whitespace() && !is_control(c)
}

/// Dropped by the cleaning.
fn is_dropped(c: char) -> bool {
    c == '\0' || c == '\u{fffd}' || is_control(c)
}

/// The CJK ideograph ranges of `tokenizers`' BertNormalizer.
fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// BertNormalizer with clean_text, handle_chinese_chars, strip_accents and lowercase, into `out`.
fn normalize(text: &str, out: &mut String) {
    out.clear();
    let cleaned = text.chars().filter(|&c| !is_dropped(c)).flat_map(|c| {
        let c = if c.is_whitespace() { ' ' } else { c };
        let spaced = is_chinese_char(c);
        [spaced.then_some(' '), Some(c), spaced.then_some(' ')].into_iter().flatten()
    });
    for c in cleaned.nfd().filter(|c| !c.is_mark_nonspacing()) {
        out.extend(c.to_lowercase());
    }
}

/// Splits a whitespace-free word at punctuation, each punctuation character a piece of its own.
fn split_punctuation(word: &str) -> impl Iterator<Item = &str> {
    let mut rest = word;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        let (_, first) = chars.next()?;
        let len = if is_punctuation(first) {
            first.len_utf8()
        } else {
            chars.find(|&(_, c)| is_punctuation(c)).map_or(rest.len(), |(i, _)| i)
        };
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vocabulary of the tiny test model (tests/tiny.rs uses the same one).
    pub(crate) const TINY_VOCAB: &str = include_str!("../tests/data/tiny_vocab.txt");

    fn tiny() -> WordPiece {
        WordPiece::new(WordPiece::parse_vocab_txt(TINY_VOCAB)).unwrap()
    }

    #[test]
    fn punctuation_split() {
        let pieces: Vec<&str> = split_punctuation("a,b!!c-").collect();
        assert_eq!(pieces, ["a", ",", "b", "!", "!", "c", "-"]);
        assert_eq!(split_punctuation("").count(), 0);
        assert_eq!(split_punctuation("«x»").collect::<Vec<_>>(), ["«", "x", "»"]);
    }

    #[test]
    fn normalization() {
        let mut s = String::new();
        normalize("Café\u{200b}NAÏVE\u{0}x\u{fffd}", &mut s);
        assert_eq!(s, "cafenaivex");
        normalize("中文A", &mut s);
        assert_eq!(s, " 中  文 a");
        normalize("İ", &mut s);
        assert_eq!(s, "i");
    }

    #[test]
    fn missing_special_token() {
        let vocab = WordPiece::parse_vocab_txt("[PAD]\n[UNK]\n[CLS]\nhello\n");
        assert_eq!(WordPiece::new(vocab).unwrap_err(), "the vocabulary has no [SEP]");
    }

    /// Golden ids from the Python `tokenizers` library (BertNormalizer + BertPreTokenizer +
    /// WordPiece over tests/data/tiny_vocab.txt, `[CLS] $A [SEP]`, truncation 16): see
    /// tests/data/make_tiny_golden.py.
    #[test]
    fn golden_ids_tiny_vocab() {
        let t = tiny();
        for (text, ids) in crate::tests_golden::TINY_TOKEN_IDS {
            assert_eq!(t.encode(text, 16), *ids, "{text:?}");
        }
    }

    #[test]
    fn truncation_keeps_cls_and_sep() {
        let t = tiny();
        let long = "the cat sat on the mat ".repeat(50);
        let ids = t.encode(&long, 8);
        assert_eq!(ids.len(), 8);
        assert_eq!(ids[0], t.cls);
        assert_eq!(ids[7], t.sep);
        assert_eq!(ids[1..7], t.encode(&long, 64)[1..7]);
        // A word split into several pieces is cut mid-word, as `tokenizers` truncates.
        assert_eq!(t.encode("unable unable", 4), [t.cls, 20, 21, t.sep]);
        assert_eq!(t.encode("unable unable", 3), [t.cls, 20, t.sep]);
        assert_eq!(t.encode("", 2), [t.cls, t.sep]);
    }

    #[test]
    fn long_word_is_unknown() {
        let t = tiny();
        let word = "a".repeat(101);
        assert_eq!(t.encode(&word, 16), [t.cls, t.unk, t.sep]);
    }
}
