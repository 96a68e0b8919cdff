//! Retrieval's part of `--explain`: the BM25 tree of the query a hit matched, condensed.
//!
//! tantivy explains a score as a tree in Lucene's style: every product and sum spelled out, with
//! field numbers instead of names and nothing telling a query word from its typo or synonym
//! alternatives. The query builder labels its parts ([`Labelled`]) when an explanation is asked
//! for, and [`condense`] turns tantivy's tree into one line per label, boost and BM25 term,
//! dropping the filters that score nothing. Later stages add their own parts above it (see
//! [`Explanation`]).

use tantivy::query::Query;
use tantivy::DocAddress;

#[cfg(doc)]
use super::labelled::Labelled;
use super::labelled::LABEL;
use crate::explanation::Explanation;

/// tantivy's explanation tree, as its serialized form (its fields are private).
#[derive(serde::Deserialize)]
struct Node {
    value: f32,
    description: String,
    #[serde(default)]
    details: Vec<Node>,
    #[serde(default)]
    context: Vec<String>,
}

/// The explanation of the score `query` gives the passage at `address`: tantivy's, condensed.
pub(crate) fn of_match(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    address: DocAddress,
) -> tantivy::Result<Explanation> {
    Ok(condense(&query.explain(searcher, address)?))
}

/// Condenses tantivy's explanation of a score (see the [module docs](self)).
pub(crate) fn condense(explanation: &tantivy::query::Explanation) -> Explanation {
    let node: Option<Node> =
        serde_json::to_value(explanation).ok().and_then(|v| serde_json::from_value(v).ok());
    let Some(node) = node else {
        return Explanation::leaf(explanation.value(), "score");
    };
    let mut parts = condense_node(&node);
    match parts.len() {
        1 => parts.pop().expect("one part"),
        _ => Explanation { score: node.value, what: "sum of".into(), parts },
    }
}

/// The condensed form of a node: usually one explanation, none for a filter that scores
/// nothing, several when the node is a sum that its parent lists directly.
fn condense_node(node: &Node) -> Vec<Explanation> {
    let d = node.description.as_str();
    if let Some(label) = d.strip_prefix(LABEL) {
        let mut parts: Vec<Explanation> = Vec::new();
        for child in &node.details {
            parts.extend(sum_parts(child));
        }
        // A label over a single leaf says it on one line: `text: BM25 freq 1, …`.
        if let [leaf] = parts.as_slice() {
            if leaf.parts.is_empty() {
                return vec![Explanation::leaf(node.value, format!("{label}: {}", leaf.what))];
            }
        }
        return vec![Explanation { score: node.value, what: label.to_owned(), parts }];
    }
    if let Some(rest) = d.strip_prefix("Boost x") {
        let factor = rest.trim_end_matches(" of ...");
        let factor = match factor.parse::<f32>() {
            Ok(f) => format!("{f:.3}").trim_end_matches('0').trim_end_matches('.').to_owned(),
            Err(_) => factor.to_owned(),
        };
        let inner: Vec<Explanation> = node.details.iter().flat_map(condense_node).collect();
        return match <[Explanation; 1]>::try_from(inner) {
            Ok([mut one]) => {
                one.what = format!("{factor} × {}", one.what);
                one.score = node.value;
                vec![one]
            }
            Err(parts) => {
                vec![Explanation { score: node.value, what: format!("{factor} ×"), parts }]
            }
        };
    }
    if d.starts_with("TermQuery") {
        return vec![Explanation::leaf(node.value, bm25(node))];
    }
    if d.starts_with("Phrase") {
        let what = match node.details.first() {
            Some(similarity) => format!("phrase {}", bm25(similarity)),
            None => "phrase".to_owned(),
        };
        return vec![Explanation::leaf(node.value, what)];
    }
    if d == "Const" && node.value == 0.0 {
        // A filter (`kind:`, `doc:`): it matches but does not score.
        return Vec::new();
    }
    if d.starts_with("BooleanClause") {
        let parts = sum_parts(node);
        return if parts.len() == 1 {
            parts
        } else {
            vec![Explanation { score: node.value, what: "sum of".into(), parts }]
        };
    }
    let what = match d {
        "AllQuery" => "every passage".to_owned(),
        "Const" => "constant".to_owned(),
        other => other.to_owned(),
    };
    let parts = node.details.iter().flat_map(condense_node).collect();
    vec![Explanation { score: node.value, what, parts }]
}

/// The parts of a sum node listed directly (a sum inside a label is the label's parts).
fn sum_parts(node: &Node) -> Vec<Explanation> {
    if node.description.starts_with("BooleanClause") {
        let mut parts: Vec<Explanation> = node.details.iter().flat_map(condense_node).collect();
        if parts.len() == 1 {
            // A sum of one part is that part, whatever the combiner did to it.
            parts[0].score = node.value;
        }
        parts
    } else {
        condense_node(node)
    }
}

/// A BM25 node on one line: `"botox" BM25 freq 1, length 40 (avg 35.2), idf 1.95`.
fn bm25(node: &Node) -> String {
    let find = |nodes: &[Node], prefix: &str| -> Option<f32> {
        nodes.iter().find(|n| n.description.starts_with(prefix)).map(|n| n.value)
    };
    let idf = find(&node.details, "idf");
    let tf = node.details.iter().find(|n| n.description.starts_with("freq /"));
    let (freq, length, average) = match tf {
        Some(tf) => {
            (find(&tf.details, "freq"), find(&tf.details, "dl"), find(&tf.details, "avgdl"))
        }
        None => (None, None, None),
    };
    let mut out = String::new();
    if let Some(term) = node.context.iter().find_map(|c| term_name(c)) {
        out.push_str(term);
        out.push(' ');
    }
    out.push_str("BM25");
    let mut facts: Vec<String> = Vec::new();
    if let Some(freq) = freq {
        facts.push(format!("freq {freq}"));
    }
    if let (Some(length), Some(average)) = (length, average) {
        facts.push(format!("length {length} (avg {average:.1})"));
    }
    if let Some(idf) = idf {
        facts.push(format!("idf {idf:.2}"));
    }
    if !facts.is_empty() {
        out.push(' ');
        out.push_str(&facts.join(", "));
    }
    out
}

/// The quoted term of tantivy's `Term=Term(field=6, type=Str, "botox")` context line (the
/// field is named by the label above it).
fn term_name(context: &str) -> Option<&str> {
    let rest = context.strip_prefix("Term=Term(")?;
    Some(&rest[rest.find('"')?..rest.rfind('"')? + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_context_gives_the_term() {
        assert_eq!(term_name("Term=Term(field=6, type=Str, \"botox\")"), Some("\"botox\""));
        assert_eq!(term_name("nonsense"), None);
    }
}
