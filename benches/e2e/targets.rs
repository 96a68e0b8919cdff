//! The targets of the benchmark issue, and whether the figures measured in this run meet them.

use serde_json::json;

use crate::support::report::{json_line, num, Table};

/// The headline figures; `None` for what this run did not measure.
#[derive(Debug, Default)]
pub struct Figures {
    /// Indexing MedQuAD: kb's median wall time over the baseline's.
    pub medquad_index_ratio: Option<f64>,
    /// Indexing MedQuAD: kb's median peak RSS, MiB.
    pub medquad_index_rss_mib: Option<f64>,
    /// Warm search on MedQuAD, top 10 with snippets: kb's p50, milliseconds.
    pub medquad_p50_snippets_ms: Option<f64>,
    /// The same, p99.
    pub medquad_p99_snippets_ms: Option<f64>,
    /// kb / plain tantivy p50, both with snippets.
    pub medquad_p50_ratio_snippets: Option<f64>,
    /// kb / plain tantivy p50, neither with snippets.
    pub medquad_p50_ratio: Option<f64>,
    /// Warm search on SciFact's test claims (long queries), top 10 with snippets: kb's p50, ms.
    pub scifact_p50_snippets_ms: Option<f64>,
    /// The same, p99.
    pub scifact_p99_snippets_ms: Option<f64>,
    /// SciFact: kb / plain tantivy p50, both with snippets (the baseline's flat BM25 query
    /// with document fetch and its snippet generator).
    pub scifact_p50_ratio_snippets: Option<f64>,
    /// `kb search` whole process on the bundled corpus, median wall milliseconds.
    pub process_corpus_ms: Option<f64>,
    /// The same on MedQuAD.
    pub process_medquad_ms: Option<f64>,
    /// The same on MedQuAD, for queries of stop words only.
    pub process_medquad_stop_words_ms: Option<f64>,
    /// Index time per record at the largest scaling size over the smallest.
    pub scaling_growth: Option<f64>,
    /// kb's p50 with snippets at the largest scaling size, and that size in percent.
    pub scaling_p50_largest: Option<(f64, usize)>,
}

impl Figures {
    /// Prints the targets table (measured, target, met) and its JSON line.
    pub fn report(&self) {
        let mut t = Table::new("targets (2-core machine)", &["target", "measured", "limit", "met"]);
        let mut rows = Vec::new();
        let mut row = |name: String, measured: Option<f64>, limit: f64, strict: bool| {
            let Some(v) = measured else { return };
            let met = if strict { v < limit } else { v <= limit };
            t.row(vec![
                name.clone(),
                num(v, 3),
                format!("{}{limit}", if strict { "< " } else { "<= " }),
                (if met { "yes" } else { "NO" }).into(),
            ]);
            rows.push(json!({"target": name, "measured": v, "limit": limit, "met": met}));
        };
        row("index MedQuAD: kb / plain wall time".into(), self.medquad_index_ratio, 1.3, false);
        row(
            "index MedQuAD: kb peak RSS, MiB (default budget)".into(),
            self.medquad_index_rss_mib,
            400.0,
            true,
        );
        row(
            "search MedQuAD, top 10 + snippets: kb p50 ms".into(),
            self.medquad_p50_snippets_ms,
            1.0,
            false,
        );
        row(
            "search MedQuAD, top 10 + snippets: kb p99 ms".into(),
            self.medquad_p99_snippets_ms,
            10.0,
            false,
        );
        row(
            "search MedQuAD: kb / plain p50, both with snippets".into(),
            self.medquad_p50_ratio_snippets,
            1.5,
            false,
        );
        row(
            "search MedQuAD: kb / plain p50, no snippets".into(),
            self.medquad_p50_ratio,
            1.3,
            false,
        );
        row(
            "search SciFact claims, top 10 + snippets: kb p50 ms".into(),
            self.scifact_p50_snippets_ms,
            1.0,
            false,
        );
        row(
            "search SciFact claims, top 10 + snippets: kb p99 ms".into(),
            self.scifact_p99_snippets_ms,
            5.0,
            false,
        );
        row(
            "search SciFact claims: kb / plain p50, both with snippets".into(),
            self.scifact_p50_ratio_snippets,
            1.5,
            false,
        );
        row(
            "kb search process, bundled corpus: median ms".into(),
            self.process_corpus_ms,
            15.0,
            false,
        );
        row("kb search process, MedQuAD: median ms".into(), self.process_medquad_ms, 30.0, false);
        let stop_words_ratio = self.process_medquad_stop_words_ms.zip(self.process_medquad_ms);
        row(
            "kb search process, MedQuAD: stop words only / ordinary queries".into(),
            stop_words_ratio.map(|(stop, ordinary)| stop / ordinary),
            3.0,
            false,
        );
        row(
            "scaling: index time per record, largest / smallest size".into(),
            self.scaling_growth,
            1.0,
            false,
        );
        if let Some((p50, percent)) = self.scaling_p50_largest {
            row(format!("scaling: kb p50 + snippets at {percent}%, ms"), Some(p50), 3.0, false);
        }
        if rows.is_empty() {
            return;
        }
        t.print();
        json_line(&json!({"bench": "e2e_targets", "targets": rows}));
    }
}
