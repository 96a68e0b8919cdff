//! [`Explanation`]: how a hit's score was made, as a short tree (`--explain`).
//!
//! A shared noun: each stage that makes or changes a score adds its own part. Retrieval gives
//! the BM25 tree of the query's words and fields (`retrieve::explain`), the Q&A lift adds its
//! share of the question's score above it (`rescore::qa`), and meaning puts the lexical score
//! and the embedding similarity side by side (`rescore::semantic`). A new ranking signal adds
//! its node where its stage runs.

use serde::Serialize;

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
}
