//! The `kb_en` analyzer at query time, without rebuilding it for every call.
//!
//! [`kb_schema::analyzer::tokens`] builds a fresh analyzer (stop-word set included) on each
//! call; a search analyzes the query and then every hit's text, so the query side keeps one
//! analyzer per thread instead.

use std::cell::RefCell;

use tantivy::tokenizer::{TextAnalyzer, Token};

thread_local! {
    static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(kb_schema::analyzer::analyzer());
}

/// Calls `f` with every token the `kb_en` analyzer makes of `text`: the term in `text`, the
/// byte range of the source word in `offset_from..offset_to`, the word position in `position`.
pub(crate) fn for_each_token(text: &str, mut f: impl FnMut(&Token)) {
    ANALYZER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut analyzer) => run(&mut analyzer, text, &mut f),
        // Only if `f` itself analyzes text: then this nested call gets an analyzer of its own.
        Err(_) => run(&mut kb_schema::analyzer::analyzer(), text, &mut f),
    });
}

fn run(analyzer: &mut TextAnalyzer, text: &str, f: &mut impl FnMut(&Token)) {
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        f(stream.token());
    }
}

/// The terms of `text` with their word positions (stop words leave gaps in the positions).
pub(crate) fn terms_with_positions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push((t.position, t.text.clone())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_terms_as_the_schema_analyzer() {
        let text = "The calves of Café Neurectomy, running: e-mail 東京";
        let ours: Vec<String> = terms_with_positions(text).into_iter().map(|(_, t)| t).collect();
        assert_eq!(ours, kb_schema::analyzer::terms(text));
    }

    #[test]
    fn nested_use_does_not_panic() {
        let mut inner = Vec::new();
        for_each_token("calves muscles", |t| {
            inner.push((t.text.clone(), terms_with_positions(&t.text)));
        });
        assert_eq!(inner[0].1, [(0, "calf".to_owned())]);
    }

    #[test]
    fn positions_keep_stop_word_gaps() {
        let positions: Vec<usize> = terms_with_positions("cut one of the motor nerves")
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(positions, [0, 1, 4, 5]);
    }
}
