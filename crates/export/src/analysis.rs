//! What every target's settings are made from: kb's analysis and ranking as data.

use kb_query::FieldWeights;
use kb_schema::analyzer::{self, IRREGULAR_FORMS, STOP_WORDS};

/// The index-specific inputs of the settings.
pub(crate) struct Settings {
    /// Synonym groups, each its members as written.
    pub synonyms: Vec<Vec<String>>,
    /// The embeddings' dimension on a semantic index.
    pub dimension: Option<usize>,
    /// The embedding model's name on a semantic index.
    pub model: Option<String>,
}

/// kb's stop words, in its list's order.
pub(crate) fn stop_words() -> Vec<&'static str> {
    STOP_WORDS.split_whitespace().collect()
}

/// kb's irregular forms, each with the term kb indexes for it (the base form, stemmed:
/// `calves` -> `calf`, `analyses` -> `analysi`): an engine that marks the form as done (a
/// `stemmer_override`) must give it the final term, which its stemmer also makes of the base.
pub(crate) fn irregular_terms() -> Vec<(&'static str, String)> {
    IRREGULAR_FORMS
        .iter()
        .filter_map(|(form, _)| Some((*form, analyzer::terms(form).into_iter().next()?)))
        .collect()
}

/// The full-text fields of an exported passage with kb's weights, heaviest first (kb's field
/// order), and the tie-breaker of kb's best-field disjunction.
pub(crate) fn text_fields() -> (Vec<(&'static str, f64)>, f64) {
    let w = FieldWeights::default();
    let mut fields = vec![
        ("text", clean(w.text)),
        ("doc_title", clean(w.title)),
        ("heading", clean(w.heading)),
        ("context", clean(w.context)),
    ];
    fields.sort_by(|a, b| b.1.total_cmp(&a.1));
    (fields, clean(w.tie_breaker))
}

/// An `f32` weight as the decimal it was written as (`0.7`, not `0.699999988079071`).
fn clean(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// Each synonym group as the line of a Solr-format synonyms list (`a, b, c`: all equivalent), as
/// Lucene's `synonym_graph` reads it; `\`, `,` and `=` in a member are escaped.
pub(crate) fn solr_lines(groups: &[Vec<String>]) -> Vec<String> {
    let escape = |m: &String| {
        let mut s = String::with_capacity(m.len());
        for c in m.chars() {
            if matches!(c, '\\' | ',' | '=') {
                s.push('\\');
            }
            s.push(c);
        }
        s
    };
    groups.iter().map(|g| g.iter().map(escape).collect::<Vec<_>>().join(", ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irregular_forms_carry_kb_s_final_terms() {
        let terms = irregular_terms();
        assert!(terms.contains(&("calves", "calf".to_owned())), "{terms:?}");
        assert!(terms.contains(&("mice", "mous".to_owned())), "{terms:?}");
        assert!(terms.contains(&("analyses", "analysi".to_owned())), "{terms:?}");
        assert_eq!(terms.len(), IRREGULAR_FORMS.len());
        // What the stemmer makes of the base form is what the form maps to.
        for (form, term) in &terms {
            let base = IRREGULAR_FORMS.iter().find(|(f, _)| f == form).unwrap().1;
            assert_eq!(&analyzer::terms(base)[0], term, "{form}");
        }
    }

    #[test]
    fn fields_come_heaviest_first_with_clean_weights() {
        let (fields, tie) = text_fields();
        assert_eq!(fields, [("text", 1.0), ("doc_title", 0.7), ("heading", 0.4), ("context", 0.3)]);
        assert_eq!(tie, 0.6);
    }

    #[test]
    fn synonym_lines_escape_the_solr_syntax() {
        let groups = vec![vec!["botox".to_owned(), "botulinum toxin".to_owned()]];
        assert_eq!(solr_lines(&groups), ["botox, botulinum toxin"]);
        let odd = vec![vec!["a=>b".to_owned(), r"c\d".to_owned()]];
        assert_eq!(solr_lines(&odd), [r"a\=>b, c\\d"]);
    }
}
