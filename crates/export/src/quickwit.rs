//! Quickwit: `index-config.yaml`, for `quickwit index create --index-config`, and `docs.ndjson`
//! for `quickwit index ingest --index kb --input-path docs.ndjson`.
//!
//! Quickwit is built on tantivy, as kb is, but an index config names its tokenizers from a fixed
//! set; it cannot load kb's analyzer. The closest it offers is a custom tokenizer `kb_en`:
//! tantivy's `SimpleTokenizer` with `remove_long`, `lower_caser` and `ascii_folding`. What
//! differs from kb's analysis:
//!
//! - words are cut at every character that is not a letter or digit (`don't` -> `don`, `t`; a
//!   run of CJK ideographs is one token), where kb follows UAX #29;
//! - tokens are dropped from 255 bytes, kb's from 41;
//! - no stop words, no stemming, no irregular forms (`calf` does not find `calves`): Quickwit's
//!   custom tokenizers have no such filters;
//! - no synonyms (Quickwit has none): a query must spell them out (`botox OR "botulinum toxin"`);
//! - no field weights in the config: `default_search_fields` lists kb's fields heaviest first,
//!   and BM25 scores each field alike;
//! - the vector is stored (`array<f64>`, not indexed): Quickwit has no vector search.
//!
//! Fields keep their BM25 statistics (`fieldnorms`) and positions (`record: position`, for
//! phrases); `kind` and `doc_id` are raw and fast, for filters and grouping.

use serde_json::{json, Value};

use crate::analysis::{self, Settings};
use crate::yaml;

/// The custom tokenizer's name.
pub const TOKENIZER: &str = "kb_en";

/// The index config as YAML.
pub(crate) fn index_config(s: &Settings) -> String {
    let header = "# Quickwit index config written by `kb export --to quickwit`.\n\
                  # quickwit index create --index-config index-config.yaml\n\
                  # quickwit index ingest --index kb --input-path docs.ndjson\n";
    format!("{header}{}", yaml::to_yaml(&config(s)))
}

fn config(s: &Settings) -> Value {
    let (fields, _) = analysis::text_fields();
    let raw = |name: &str, fast: bool| json!({"name": name, "type": "text", "tokenizer": "raw", "stored": true, "fast": fast});
    let text = |name: &str| {
        json!({
            "name": name,
            "type": "text",
            "tokenizer": TOKENIZER,
            "record": "position",
            "fieldnorms": true,
            "stored": true,
        })
    };
    let mut mappings = vec![raw("passage_id", false), raw("doc_id", true), raw("kind", true)];
    mappings.extend(fields.iter().map(|(name, _)| text(name)));
    mappings.push(json!({
        "name": "source",
        "type": "object",
        "field_mappings": [
            {"name": "path", "type": "text", "tokenizer": "raw", "stored": true},
            {"name": "line", "type": "u64", "stored": true, "indexed": false},
        ],
    }));
    if s.dimension.is_some() {
        mappings.push(json!({
            "name": "vector",
            "type": "array<f64>",
            "stored": true,
            "indexed": false,
            "fast": false,
            "description": format!(
                "the passage's embedding ({} dimensions, {}); stored only: Quickwit has no vector search",
                s.dimension.unwrap_or_default(),
                s.model.as_deref().unwrap_or("kb's model")
            ),
        }));
    }
    json!({
        "version": "0.8",
        "index_id": "kb",
        "doc_mapping": {
            "mode": "strict",
            "tokenizers": [{
                "name": TOKENIZER,
                "type": "simple",
                "filters": ["remove_long", "lower_caser", "ascii_folding"],
            }],
            "field_mappings": mappings,
        },
        "search_settings": {
            "default_search_fields": fields.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_passage_field_is_mapped() {
        let c = config(&Settings { synonyms: Vec::new(), dimension: Some(8), model: None });
        let names: Vec<&str> = c["doc_mapping"]["field_mappings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "passage_id",
                "doc_id",
                "kind",
                "text",
                "doc_title",
                "heading",
                "context",
                "source",
                "vector"
            ]
        );
        let yaml = index_config(&Settings { synonyms: Vec::new(), dimension: None, model: None });
        assert!(yaml.contains("\n      tokenizer: kb_en\n"), "{yaml}");
        assert!(!yaml.contains("vector"), "{yaml}");
    }
}
