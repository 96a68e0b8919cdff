//! The `kb_en` analyzer: how text becomes terms, identically at index time and query time.
//!
//! The chain, in order:
//! 1. [`WordTokenizer`]: Unicode words (UAX #29 word boundaries, so CJK ideographs and
//!    accented words split properly), with an English possessive `'s` dropped;
//! 2. overly long tokens ([`LONG_WORD_BYTES`] or more) dropped;
//! 3. lowercasing, then ASCII folding (`naïve` -> `naive`);
//! 4. English stop words ([`STOP_WORDS`]: Lucene's 33 plus common function words) dropped,
//!    positions kept so phrases still line up;
//! 5. [`IrregularForms`]: irregular plurals the stemmer misses mapped to their singular
//!    (`calves` -> `calf`, `mice` -> `mouse`, `analyses` -> `analysis`);
//! 6. the English (Porter2) stemmer.
//!
//! What `kb_en` drops is not lost: the passage text is also indexed with the `kb_stop`
//! analyzer ([`stop_word_analyzer`]), which keeps exactly those words, so that a query made
//! only of stop words is answered from postings too.
//!
//! Typo tolerance reads a third analyzer's terms: `kb_words` ([`surface_word_analyzer`]) keeps
//! the words as written (lowercased and folded, not stemmed), so that a misspelling is matched
//! against the words a reader sees rather than against stems.

use std::ops::Range;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::Index;
use unicode_segmentation::{UWordBoundIndices, UnicodeSegmentation};

/// The name the analyzer is registered under in every index's tokenizer manager.
pub const ANALYZER_NAME: &str = "kb_en";

/// Builds the `kb_en` analyzer.
pub fn analyzer() -> TextAnalyzer {
    with_filters(WordTokenizer::default())
}

/// The `kb_en` filters alone, over a tokenizer that takes its whole input as one word: given a
/// word as [`WordTokenizer`] cuts it, the analyzer yields the term `kb_en` makes of that word,
/// or nothing for a stop word or an overly long word. Every filter of the chain maps one token
/// at a time, so a caller that splits text itself can analyze each distinct word once.
pub fn word_analyzer() -> TextAnalyzer {
    with_filters(RawTokenizer::default())
}

/// The `kb_en` chain of filters over `tokenizer` ([`analyzer`] is this over [`WordTokenizer`]).
pub fn with_filters<T: Tokenizer>(tokenizer: T) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(LONG_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(STOP_WORDS.split_whitespace().map(str::to_owned)))
        .filter(IrregularForms)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Registers the analyzers (`kb_en` and [`stop_word_analyzer`]) with an index.
/// [`crate::open_index`] and [`crate::create_index`] do this; call it only for an index
/// obtained some other way.
pub fn register(index: &Index) {
    index.tokenizers().register(ANALYZER_NAME, analyzer());
    index.tokenizers().register(STOP_WORD_ANALYZER_NAME, stop_word_analyzer());
    index.tokenizers().register(SURFACE_WORD_ANALYZER_NAME, surface_word_analyzer());
}

/// The name the [`surface_word_analyzer`] is registered under.
pub const SURFACE_WORD_ANALYZER_NAME: &str = "kb_words";

/// Words shorter than this (in characters) are left out of the surface words: no query word
/// typo tolerance corrects is that close to them (see [`surface_word_analyzer`]).
pub const MIN_SURFACE_WORD_CHARS: usize = 3;

/// Builds the `kb_words` analyzer: the words `kb_en` keeps, as written (lowercased and
/// ASCII-folded, not stemmed), without the words typo tolerance never needs: words with a
/// digit (ids, doses, years), words under [`MIN_SURFACE_WORD_CHARS`] characters, stop words
/// and overly long words.
///
/// Each such word's `kb_en` term is the word analyzed again with [`word_analyzer`]: a query
/// word close to a surface word (`injetcions` ~ `injections`) searches that word's stem
/// (`inject`).
pub fn surface_word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(LONG_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(SurfaceWords::default())
        .build()
}

/// Token filter keeping the words a typo may be close to: see [`surface_word_analyzer`].
#[derive(Clone, Default)]
pub struct SurfaceWords {
    dropped: DroppedWords,
}

impl SurfaceWords {
    /// Whether the (lowercased, folded) word `word` is kept.
    pub fn keeps(&self, word: &str) -> bool {
        !self.dropped.is_dropped(word)
            && !word.chars().any(char::is_numeric)
            && word.chars().count() >= MIN_SURFACE_WORD_CHARS
    }
}

impl WordTest for SurfaceWords {
    fn keeps(&self, word: &str) -> bool {
        SurfaceWords::keeps(self, word)
    }
}

impl TokenFilter for SurfaceWords {
    type Tokenizer<T: Tokenizer> = KeepingFilter<SurfaceWords, T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        KeepingFilter { test: self, inner: tokenizer }
    }
}

/// Which words a [`KeepingFilter`] lets through.
pub trait WordTest: Clone + Send + Sync + 'static {
    /// Whether the (lowercased, folded) token text `word` is kept.
    fn keeps(&self, word: &str) -> bool;
}

/// A tokenizer that keeps only the tokens its [`WordTest`] keeps: [`SurfaceWords`] and
/// [`DroppedWords`] as token filters.
#[derive(Clone)]
pub struct KeepingFilter<W, T> {
    test: W,
    inner: T,
}

impl<W: WordTest, T: Tokenizer> Tokenizer for KeepingFilter<W, T> {
    type TokenStream<'a> = KeepingStream<'a, W, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        KeepingStream { test: &self.test, inner: self.inner.token_stream(text) }
    }
}

/// The token stream of [`KeepingFilter`].
pub struct KeepingStream<'a, W, S> {
    test: &'a W,
    inner: S,
}

impl<W: WordTest, S: TokenStream> TokenStream for KeepingStream<'_, W, S> {
    fn advance(&mut self) -> bool {
        while self.inner.advance() {
            if self.test.keeps(&self.inner.token().text) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

/// The name the [`stop_word_analyzer`] is registered under.
pub const STOP_WORD_ANALYZER_NAME: &str = "kb_stop";

/// Words at least this long (in bytes) are dropped by `kb_en` and kept by the
/// [`stop_word_analyzer`].
pub const LONG_WORD_BYTES: usize = 40;

/// Builds the `kb_stop` analyzer: the words `kb_en` drops, lowercased and ASCII-folded like
/// its own terms, at their word positions: the [`STOP_WORDS`], and words of
/// [`LONG_WORD_BYTES`] or more (up to 255 bytes).
///
/// A query made only of such words has no term in the `kb_en` fields; the passage text's
/// `stop_words` field, analyzed with this, answers it from postings (a phrase over the words'
/// positions) instead of reading every passage.
pub fn stop_word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(256))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(DroppedWords::default())
        .build()
}

/// Token filter keeping only the words `kb_en` drops: see [`stop_word_analyzer`].
#[derive(Clone)]
pub struct DroppedWords {
    stop_words: std::sync::Arc<std::collections::HashSet<&'static str>>,
}

impl Default for DroppedWords {
    fn default() -> Self {
        DroppedWords { stop_words: std::sync::Arc::new(STOP_WORDS.split_whitespace().collect()) }
    }
}

impl DroppedWords {
    /// Whether `kb_en` drops the (lowercased, folded) word `word`.
    pub fn is_dropped(&self, word: &str) -> bool {
        word.len() >= LONG_WORD_BYTES || self.stop_words.contains(word)
    }
}

impl WordTest for DroppedWords {
    fn keeps(&self, word: &str) -> bool {
        self.is_dropped(word)
    }
}

impl TokenFilter for DroppedWords {
    type Tokenizer<T: Tokenizer> = KeepingFilter<DroppedWords, T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        KeepingFilter { test: self, inner: tokenizer }
    }
}

/// An analyzed token: the term and the byte range of the word it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The term as indexed (lowercased, folded, stemmed).
    pub term: String,
    /// Byte range of the source word in the analyzed text.
    pub range: Range<usize>,
    /// Word position (stop words leave gaps).
    pub position: usize,
}

/// Runs the analyzer over `text` and returns every token with its source range.
pub fn tokens(text: &str) -> Vec<AnalyzedToken> {
    let mut a = analyzer();
    let mut out = Vec::new();
    let mut stream = a.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(AnalyzedToken {
            term: t.text.clone(),
            range: t.offset_from..t.offset_to,
            position: t.position,
        });
    }
    out
}

/// Runs the analyzer over `text` and returns the terms only.
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.term).collect()
}

/// Splits text into Unicode words (UAX #29) and drops a trailing possessive `'s` / `’s`.
///
/// Plain ASCII words take a fast path that yields exactly the tokens (text, offsets, positions)
/// UAX #29 would: a run of ASCII letters and digits is a word on its own when nothing around it
/// can join it to more text. Only the characters the word-boundary rules treat specially
/// (`_`, which joins; `.` `,` `;` `'` `:`, which join letters or digits on both sides; anything
/// non-ASCII) send a stretch of text, up to the next plain word, through UAX #29.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// The token stream of [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    /// Where the fast path resumes: the start of the text, the end of a word whose end is
    /// certain, or the end of a stretch segmented by UAX #29. UAX #29 has a word boundary there
    /// and nothing before it can change the boundaries after it.
    pos: usize,
    /// The UAX #29 segments of a stretch the fast path left, and the stretch's offset.
    fallback: Option<(usize, UWordBoundIndices<'a>)>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream { text, pos: 0, fallback: None, token: &mut self.token }
    }
}

/// How the fast path sees a byte.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An ASCII letter or digit (UAX #29: ALetter, Numeric).
    Alnum,
    /// Other ASCII that never joins a word (space, controls, most punctuation).
    Separator,
    /// `.` `,` `;` `'` `:` (MidLetter, MidNum, MidNumLet, Single_Quote): joins the letters or
    /// digits on either side, so only safe when a separator (or another such mark) follows.
    Mid,
    /// `_` (ExtendNumLet) and every byte of a non-ASCII character: UAX #29 decides.
    Other,
}

/// [`Class`] of every byte value.
const CLASSES: [Class; 256] = {
    let mut table = [Class::Other; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphanumeric() {
            Class::Alnum
        } else if matches!(c, b'.' | b',' | b';' | b'\'' | b':') {
            Class::Mid
        } else if c == b'_' {
            Class::Other
        } else {
            Class::Separator
        };
        b += 1;
    }
    table
};

fn class(bytes: &[u8], i: usize) -> Option<Class> {
    bytes.get(i).map(|&b| CLASSES[b as usize])
}

/// Whether an ASCII letter/digit run ending at `end` ends a word: the text ends, a separator
/// follows, or a mark that nothing joins on its right (end, separator or another mark).
fn ends_word(bytes: &[u8], end: usize) -> bool {
    match class(bytes, end) {
        None | Some(Class::Separator) => true,
        Some(Class::Mid) => {
            matches!(class(bytes, end + 1), None | Some(Class::Separator | Class::Mid))
        }
        Some(Class::Alnum | Class::Other) => false,
    }
}

/// The first position after `from` where a letter or digit follows a separator (where the fast
/// path can take over again), or the end of the text.
fn next_fast_start(bytes: &[u8], from: usize) -> usize {
    (from + 1..bytes.len())
        .find(|&i| {
            CLASSES[bytes[i] as usize] == Class::Alnum
                && CLASSES[bytes[i - 1] as usize] == Class::Separator
        })
        .unwrap_or(bytes.len())
}

impl WordTokenStream<'_> {
    fn emit(&mut self, from: usize, to: usize) {
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.token.position.wrapping_add(1);
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some((base, words)) = &mut self.fallback {
                let base = *base;
                let next = words.find(|(_, word)| word.chars().any(char::is_alphanumeric));
                if let Some((start, word)) = next {
                    let word = strip_possessive(word);
                    self.emit(base + start, base + start + word.len());
                    return true;
                }
                self.fallback = None;
            }
            let bytes = self.text.as_bytes();
            let mut i = self.pos;
            // Separators and marks with no letter or digit before them are words of their own
            // with nothing to index.
            while matches!(class(bytes, i), Some(Class::Separator | Class::Mid)) {
                i += 1;
            }
            if i == bytes.len() {
                self.pos = i;
                return false;
            }
            let stretch_start = if CLASSES[bytes[i] as usize] == Class::Alnum {
                let start = i;
                while class(bytes, i) == Some(Class::Alnum) {
                    i += 1;
                }
                if ends_word(bytes, i) {
                    self.emit(start, i);
                    self.pos = i;
                    return true;
                }
                start
            } else {
                // A separator before a combining mark belongs to it: start where the fast path
                // left off, not at the mark.
                self.pos
            };
            let end = next_fast_start(bytes, i);
            let words = self.text[stretch_start..end].split_word_bound_indices();
            self.fallback = Some((stretch_start, words));
            self.pos = end;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

fn strip_possessive(word: &str) -> &str {
    for suffix in ["'s", "’s", "'S", "’S"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            if !stem.is_empty() {
                return stem;
            }
        }
    }
    word
}

/// English stop words, separated by spaces: Lucene's list (what tantivy ships, the first 33) plus pronouns, auxiliaries and other
/// function words. Measured on the BEIR sets (train/dev and test alike), the longer list lifts
/// nDCG@10 on both SciFact and NFCorpus: question-like queries ("how does ... have ...") stop
/// spending their weight on words every passage contains. Positions keep the gaps, so phrases
/// still line up.
pub const STOP_WORDS: &str = "\
    a an and are as at be but by for if in into is it no not of on or such that the their then \
    there these they this to was will with \
    about above after again against all also am any because been before being below between both \
    can could did do does doing down during each few from further had has have having he her \
    here hers herself him himself his how i its itself just may me might more most must my \
    myself nor now off once only other our ours ourselves out over own same shall she should so \
    some than theirs them themselves those through too under until up very we were what when \
    where which while who whom why would you your yours yourself yourselves";

/// Irregular English plurals (and a few other forms) that the Porter2 stemmer does not conflate
/// with their base form. Input is lowercase and ASCII-folded; the output is stemmed afterwards.
pub const IRREGULAR_FORMS: &[(&str, &str)] = &[
    ("calves", "calf"),
    ("halves", "half"),
    ("leaves", "leaf"),
    ("knives", "knife"),
    ("wives", "wife"),
    ("lives", "life"),
    ("wolves", "wolf"),
    ("loaves", "loaf"),
    ("shelves", "shelf"),
    ("thieves", "thief"),
    ("selves", "self"),
    ("elves", "elf"),
    ("hooves", "hoof"),
    ("scarves", "scarf"),
    ("wharves", "wharf"),
    ("mice", "mouse"),
    ("lice", "louse"),
    ("geese", "goose"),
    ("teeth", "tooth"),
    ("feet", "foot"),
    ("men", "man"),
    ("women", "woman"),
    ("children", "child"),
    ("oxen", "ox"),
    ("dice", "die"),
    ("indices", "index"),
    ("matrices", "matrix"),
    ("vertices", "vertex"),
    ("appendices", "appendix"),
    ("cortices", "cortex"),
    ("analyses", "analysis"),
    ("diagnoses", "diagnosis"),
    ("prognoses", "prognosis"),
    ("crises", "crisis"),
    ("theses", "thesis"),
    ("hypotheses", "hypothesis"),
    ("syntheses", "synthesis"),
    ("metastases", "metastasis"),
    ("phenomena", "phenomenon"),
    ("criteria", "criterion"),
    ("bacteria", "bacterium"),
    ("nuclei", "nucleus"),
    ("fungi", "fungus"),
    ("stimuli", "stimulus"),
    ("foci", "focus"),
    ("radii", "radius"),
    ("bronchi", "bronchus"),
    ("emboli", "embolus"),
    ("vertebrae", "vertebra"),
    ("larvae", "larva"),
    ("formulae", "formula"),
    ("ova", "ovum"),
    ("ganglia", "ganglion"),
];

/// Token filter mapping [`IRREGULAR_FORMS`] to their base forms, before stemming.
#[derive(Clone, Copy, Default)]
pub struct IrregularForms;

impl TokenFilter for IrregularForms {
    type Tokenizer<T: Tokenizer> = IrregularFormsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> IrregularFormsFilter<T> {
        IrregularFormsFilter { inner: tokenizer }
    }
}

/// The tokenizer produced by [`IrregularForms`].
#[derive(Clone)]
pub struct IrregularFormsFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for IrregularFormsFilter<T> {
    type TokenStream<'a> = IrregularFormsStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        IrregularFormsStream { inner: self.inner.token_stream(text) }
    }
}

/// The token stream of [`IrregularFormsFilter`].
pub struct IrregularFormsStream<S> {
    inner: S,
}

impl<S: TokenStream> TokenStream for IrregularFormsStream<S> {
    fn advance(&mut self) -> bool {
        if !self.inner.advance() {
            return false;
        }
        let token = self.inner.token_mut();
        if let Some(base) = base_form(&token.text) {
            token.text.clear();
            token.text.push_str(base);
        }
        true
    }

    fn token(&self) -> &Token {
        self.inner.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}

/// The base form of an irregular word, if it is one.
pub fn base_form(word: &str) -> Option<&'static str> {
    // Most words are ruled out by their first letter and length, without comparing strings.
    let bytes = word.as_bytes();
    let (Some(&first), len) = (bytes.first(), bytes.len()) else {
        return None;
    };
    if !first.is_ascii_lowercase()
        || len >= 32
        || FORM_LENGTHS[(first - b'a') as usize] & (1 << len) == 0
    {
        return None;
    }
    IRREGULAR_FORMS.iter().find(|(form, _)| *form == word).map(|(_, base)| *base)
}

/// For each first letter `a..=z`, bit `n` is set when an [`IRREGULAR_FORMS`] form of `n` bytes
/// begins with it.
const FORM_LENGTHS: [u32; 26] = {
    let mut masks = [0u32; 26];
    let mut i = 0;
    while i < IRREGULAR_FORMS.len() {
        let form = IRREGULAR_FORMS[i].0.as_bytes();
        assert!(form[0].is_ascii_lowercase() && form.len() < 32);
        masks[(form[0] - b'a') as usize] |= 1 << form.len();
        i += 1;
    }
    masks
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The `kb_stop` tokens of `text`: (position, term).
    fn stop_tokens(text: &str) -> Vec<(usize, String)> {
        let mut analyzer = stop_word_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    #[test]
    fn the_stop_word_analyzer_keeps_what_kb_en_drops_at_its_positions() {
        let long = "pneumonoultramicroscopicsilicovolcanoconiosisitis";
        let text = format!("What is THE calf, and thé {long} for?");
        let tokens = stop_tokens(&text);
        let expected: Vec<(usize, String)> =
            [(0, "what"), (1, "is"), (2, "the"), (4, "and"), (5, "the"), (6, long), (7, "for")]
                .into_iter()
                .map(|(p, t)| (p, t.to_owned()))
                .collect();
        assert_eq!(tokens, expected);
        // Exactly the words kb_en leaves out: every kept word analyzes to nothing there.
        for (_, word) in &tokens {
            assert!(terms(word).is_empty(), "{word} is a kb_en term");
        }
        assert!(terms("calf").len() == 1 && stop_tokens("calf").is_empty());
    }

    #[test]
    fn irregular_plurals_meet_their_singular() {
        for (plural, singular) in [("calves", "calf"), ("halves", "half"), ("mice", "mouse")] {
            assert_eq!(terms(plural), terms(singular), "{plural} vs {singular}");
        }
        assert_eq!(terms("Calfs"), terms("calf"));
    }

    #[test]
    fn base_forms_found_by_their_letter_and_length() {
        for (form, base) in IRREGULAR_FORMS {
            assert_eq!(base_form(form), Some(*base), "{form}");
        }
        for word in ["", "calf", "calvesx", "xcalves", "Calves", "c", "éé", "mices", "me", "a"] {
            assert_eq!(base_form(word), None, "{word}");
        }
    }

    #[test]
    fn chain_folds_stems_and_drops_stop_words() {
        assert_eq!(
            terms("The Café of the Calves, running & jumping — naïve"),
            ["cafe", "calf", "run", "jump", "naiv"]
        );
    }

    #[test]
    fn surface_words_are_written_words_without_stems_digits_or_stop_words() {
        let mut a = surface_word_analyzer();
        let mut stream = a.token_stream("The Injections of B12 in Naïve calves: ok, mice");
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        assert_eq!(words, ["injections", "naive", "calves", "mice"]);
    }

    #[test]
    fn function_words_are_stop_words() {
        assert!(terms("How does it have what they would").is_empty());
        assert_eq!(
            terms("how long before botox results are visible"),
            ["long", "botox", "result", "visibl"]
        );
    }

    #[test]
    fn positions_keep_stop_word_gaps_and_ranges_point_at_words() {
        let text = "Doctor’s view of the calves";
        let toks = tokens(text);
        let words: Vec<&str> = toks.iter().map(|t| &text[t.range.clone()]).collect();
        assert_eq!(words, ["Doctor", "view", "calves"]);
        assert_eq!(toks.iter().map(|t| t.position).collect::<Vec<_>>(), [0, 1, 4]);
    }

    /// Tokens as (text, from, to, position).
    type Raw = Vec<(String, usize, usize, usize)>;

    fn word_tokens(text: &str) -> Raw {
        let mut tokenizer = WordTokenizer::default();
        let mut stream = tokenizer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
        }
        out
    }

    /// What `WordTokenizer` yields by definition: every UAX #29 word of the whole text that
    /// holds a letter or digit, its possessive dropped (the tokenizer before its fast path).
    fn uax29_tokens(text: &str) -> Raw {
        text.split_word_bound_indices()
            .filter(|(_, word)| word.chars().any(char::is_alphanumeric))
            .enumerate()
            .map(|(position, (start, word))| {
                let word = strip_possessive(word);
                (word.to_owned(), start, start + word.len(), position)
            })
            .collect()
    }

    #[test]
    fn fast_path_matches_uax29_on_tricky_ascii() {
        for text in [
            "",
            "plain words only",
            "e.g. 3.5 mg, 1,000 units; 10:30 a.m. U.S.A. vs. i.e.",
            "don't patient's patients' O'Neil 'quoted' rock 'n' roll",
            "snake_case _lead trail_ __ a_1 1_a a._b",
            "word. Next, then; this: that",
            "a..b a.,b 1.,2 1..2 a:b:c 1:2 a;b 1;2 a,b 1,2 a'b 1'2",
            "x.y.z. 3.14.15 v1.2.3-beta.4 foo@bar.com http://x.org/a_b?c=d&e=f#g",
            "tabs\tand\nnew\r\nlines\u{b}\u{c} \"quoted\" (paren) [br] {br} -dash- +plus+",
            ".leading .5 ,5 ;a :a 'a a' a. a, a; a: 1. 1, 1; 1:",
            "'s 's's s's a's A'S Doctor's DOCTOR'S",
            "12ab34 ab12cd 9 99 999a a999",
        ] {
            assert_eq!(word_tokens(text), uax29_tokens(text), "{text:?}");
        }
    }

    #[test]
    fn fast_path_matches_uax29_around_non_ascii() {
        for text in [
            "café naïve résumé, Doctor’s view; the doctor’S",
            "a \u{301}b  \u{93f}c \u{93f}",
            "x\u{200d}\u{1f600} \u{1f600}\u{200d}\u{1f600} a\u{ad}b a.\u{301}b",
            "\u{5d0}\"\u{5d1} a\"b \u{5d0}'s",
            "東京タワー 東京 tokyo 東京tower 3.5東",
            "\u{1f1eb}\u{1f1f7}\u{1f1eb} flag",
            "end\u{85}next \u{a0}nbsp\u{a0} a\u{2019}s",
            "ÉCOLE école. 1.\u{301}2 a\u{301}.b",
        ] {
            assert_eq!(word_tokens(text), uax29_tokens(text), "{text:?}");
        }
    }

    /// Every string of up to four characters from an alphabet holding each class the fast path
    /// tells apart, and the non-ASCII characters that interact with them.
    #[test]
    fn fast_path_matches_uax29_on_all_short_strings() {
        let alphabet = [
            "a", "Z", "7", " ", "\n", "\r", "-", "\"", ".", ",", ";", "'", ":", "_", "é",
            "\u{301}", "’", "東", "\u{200d}", "\u{5d0}",
        ];
        let mut text = String::new();
        let mut checked = 0;
        let n = alphabet.len();
        for len in 1..=4u32 {
            for mut code in 0..n.pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push_str(alphabet[code % n]);
                    code /= n;
                }
                assert_eq!(word_tokens(&text), uax29_tokens(&text), "{text:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 20 + 400 + 8000 + 160_000);
    }

    #[test]
    fn fast_path_words_keep_offsets_and_positions() {
        // `:` joins letters (`a:b`) but not digits; `.` joins both.
        let toks = word_tokens("Take 2 tablets, e.g. at 8:30 or 8.30.");
        let expected = [
            ("Take", 0, 4, 0),
            ("2", 5, 6, 1),
            ("tablets", 7, 14, 2),
            ("e.g", 16, 19, 3),
            ("at", 21, 23, 4),
            ("8", 24, 25, 5),
            ("30", 26, 28, 6),
            ("or", 29, 31, 7),
            ("8.30", 32, 36, 8),
        ];
        let expected: Raw = expected.iter().map(|&(t, a, b, p)| (t.to_owned(), a, b, p)).collect();
        assert_eq!(toks, expected);
    }

    /// Text heavy in ASCII letters, digits and the punctuation UAX #29 treats specially, with
    /// some non-ASCII characters mixed in.
    fn ascii_heavy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        proptest::collection::vec(
            prop_oneof![
                8 => "[a-zA-Z0-9]{1,8}",
                6 => "[ .,;:'_\"\n\r\t!?()/@#&*+=<>|-]{1,3}",
                2 => "[\\x00-\\x7f]{1,4}",
                1 => "[éü’–“”東タ\u{301}\u{93f}\u{200d}\u{ad}\u{a0}\u{85}\u{5d0}\u{1f600}\u{1f1eb}]",
                1 => any::<char>().prop_map(String::from),
            ],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
        ))]

        #[test]
        fn fast_path_matches_uax29(text in ascii_heavy()) {
            proptest::prop_assert_eq!(word_tokens(&text), uax29_tokens(&text), "{:?}", text);
        }

        #[test]
        fn fast_path_matches_uax29_on_any_string(text in ".*") {
            proptest::prop_assert_eq!(word_tokens(&text), uax29_tokens(&text), "{:?}", text);
        }
    }

    #[test]
    fn the_word_analyzer_makes_the_same_term_of_each_word() {
        let text = "The Café's calves, running: e-mail naïve 東京 Doctor’s U.S.A 3.14 a_b";
        let mut words = WordTokenizer::default();
        let mut stream = words.token_stream(text);
        let mut one_by_one = Vec::new();
        let mut word_analyzer = word_analyzer();
        while stream.advance() {
            let mut word = word_analyzer.token_stream(&stream.token().text);
            while word.advance() {
                one_by_one.push(word.token().text.clone());
            }
        }
        assert_eq!(one_by_one, terms(text));
    }

    #[test]
    fn cjk_ideographs_split() {
        let terms = terms("東京タワー 東京");
        assert!(terms.len() >= 3, "{terms:?}");
    }
}
