//! `--explain`: how a hit's score was made, as a short tree ([`Explanation`]).
//!
//! tantivy explains a score as a tree in Lucene's style: every product and sum spelled out, with
//! field numbers instead of names and nothing telling a query word from its typo or synonym
//! alternatives. kb condenses that tree: the query builder wraps what it builds in [`Labelled`]
//! queries when an explanation is asked for (a word, a field, a typo or synonym alternative),
//! and [`condense`] turns tantivy's tree into one line per label, boost and BM25 term, dropping
//! the filters that score nothing. The wrappers leave scoring untouched: their scorers are the
//! wrapped queries' own.

use serde::Serialize;
use tantivy::query::{EnableScoring, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader};

use crate::collect::Candidate;
use crate::qa::{self, Lifted};

/// How a hit's score was made: a score, what it is, and the parts it is made of.
///
/// The parts of a node add up to its score, except where `what` says otherwise (a word searched
/// in several fields takes the best field plus a share of the others; `× B` multiplies).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// This part's contribution to the score.
    pub score: f32,
    /// What it is: `sum of`, `word "botox"`, `text: BM25 freq 2, …`, `typo "funtion" ~
    /// function (1 edit)`, `Q&A lift: …`.
    pub what: String,
    /// The parts it is made of (empty for a leaf).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Explanation>,
}

impl Explanation {
    /// A leaf.
    pub(crate) fn leaf(score: f32, what: impl Into<String>) -> Explanation {
        Explanation { score, what: what.into(), parts: Vec::new() }
    }

    /// The explanation as indented lines, `score  what`, two spaces deeper per level.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.push_lines(0, &mut out);
        out
    }

    fn push_lines(&self, depth: usize, out: &mut Vec<String>) {
        out.push(format!("{:indent$}{:.3}  {}", "", self.score, self.what, indent = depth * 2));
        for part in &self.parts {
            part.push_lines(depth + 1, out);
        }
    }
}

/// Marks a label among tantivy's explanation descriptions.
const LABEL: &str = "kb-label:";

/// A query that explains itself under a label; it matches and scores as the wrapped query.
///
/// It also makes explaining safe: tantivy's boolean and phrase weights explain a passage by
/// seeking a fresh scorer to it, which asserts (in debug builds) when the scorer's first match
/// already lies past that passage, i.e. when the passage does not match. A labelled query
/// checks that first and answers "does not match" itself. Without a label (`None`) the wrapper
/// is only that guard and leaves no trace in the explanation.
#[derive(Debug)]
pub(crate) struct Labelled {
    label: Option<String>,
    query: Box<dyn Query>,
}

impl Labelled {
    /// Wraps `query` under `label` (`None`: a guard only).
    pub(crate) fn new(query: Box<dyn Query>, label: Option<String>) -> Labelled {
        Labelled { label, query }
    }
}

impl Clone for Labelled {
    fn clone(&self) -> Self {
        Labelled { label: self.label.clone(), query: self.query.box_clone() }
    }
}

impl Query for Labelled {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let inner = self.query.weight(enable_scoring)?;
        Ok(Box::new(LabelledWeight { label: self.label.clone(), inner }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        self.query.query_terms(visitor);
    }
}

struct LabelledWeight {
    label: Option<String>,
    inner: Box<dyn Weight>,
}

impl Weight for LabelledWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(tantivy::SeekDangerResult, Box<dyn Scorer>)> {
        self.inner.scorer_danger(reader, target, boost)
    }

    fn explain(
        &self,
        reader: &SegmentReader,
        doc: DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let mut scorer = self.inner.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "Document #({doc}) does not match"
            )));
        }
        let inner = self.inner.explain(reader, doc)?;
        let Some(label) = &self.label else { return Ok(inner) };
        let label = format!("{LABEL}{label}");
        let mut labelled = tantivy::query::Explanation::new_with_string(label, inner.value());
        labelled.add_detail(inner);
        Ok(labelled)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score),
    ) -> tantivy::Result<()> {
        self.inner.for_each(reader, callback)
    }

    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        self.inner.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.inner.for_each_pruning(threshold, reader, callback)
    }
}

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

/// The explanation of a hit ranked by `query`: tantivy's, condensed, and the Q&A lift the hit
/// got from its question (`lifted`), if any.
pub(crate) fn of_hit(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    hit: &Candidate,
    lifted: Option<&Lifted>,
) -> tantivy::Result<Explanation> {
    let own = condense(&query.explain(searcher, hit.address)?);
    let Some(lifted) = lifted else { return Ok(own) };
    let what = format!(
        "Q&A lift: {} × {:.3}, the score of its question {}",
        qa::LIFT,
        lifted.question_score,
        lifted.question
    );
    let lift = Explanation::leaf(lifted.amount, what);
    Ok(Explanation { score: hit.score, what: "sum of".into(), parts: vec![own, lift] })
}

/// The explanation of a hit of a query made only of stop words, found verbatim.
pub(crate) fn of_verbatim(score: f32) -> Explanation {
    Explanation::leaf(score, "occurrences of the words as typed (a query of stop words only)")
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
    fn lines_indent_parts() {
        let e = Explanation {
            score: 3.5,
            what: "sum of".into(),
            parts: vec![Explanation::leaf(3.0, "word \"botox\""), Explanation::leaf(0.5, "lift")],
        };
        assert_eq!(e.lines(), ["3.500  sum of", "  3.000  word \"botox\"", "  0.500  lift"]);
    }

    #[test]
    fn term_context_gives_the_term() {
        assert_eq!(term_name("Term=Term(field=6, type=Str, \"botox\")"), Some("\"botox\""));
        assert_eq!(term_name("nonsense"), None);
    }
}
