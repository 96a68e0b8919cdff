//! Meilisearch: `settings.json`, the body of `PATCH /indexes/<index>/settings`, and
//! `documents.ndjson` for `POST /indexes/<index>/documents?primaryKey=id` (content type
//! `application/x-ndjson`).
//!
//! - `searchableAttributes`: `text`, `doc_title`, `heading`, `context`, kb's fields heaviest
//!   first (Meilisearch's `attribute` rule favours earlier attributes; it has no weights);
//! - `synonyms`: every member of a group maps to the group's other members (kb's groups are
//!   equivalences);
//! - `typoTolerance`: one typo from 5 letters, two from 9 (kb's rule, Meilisearch's default
//!   written out), none in words with digits (`disableOnNumbers`, Meilisearch 1.15 on);
//! - `stopWords`: kb's list;
//! - `filterableAttributes`: `kind` and `doc_id` (`--kind`, `--doc`);
//! - on a semantic index, `embedders.default`: a `userProvided` embedder of the embeddings'
//!   dimension, each document's vector in `_vectors.default`; hybrid search then takes the
//!   query's embedding (made with the same model) in `vector`.
//!
//! What Meilisearch cannot hold: stemming (it matches words as written, plus prefixes and
//! typos), and so kb's irregular forms; field weights (the order stands in for them).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::analysis::{self, Settings};

/// The name of the embedder the vectors are given under.
pub const EMBEDDER: &str = "default";

/// The settings object.
pub(crate) fn settings(s: &Settings) -> Value {
    let (fields, _) = analysis::text_fields();
    let searchable: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    let mut synonyms: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for group in &s.synonyms {
        for member in group {
            let others = synonyms.entry(member.as_str()).or_default();
            for other in group.iter().filter(|o| *o != member) {
                if !others.contains(&other.as_str()) {
                    others.push(other);
                }
            }
        }
    }
    let mut settings = json!({
        "searchableAttributes": searchable,
        "displayedAttributes": ["*"],
        "filterableAttributes": ["kind", "doc_id"],
        "stopWords": analysis::stop_words(),
        "synonyms": synonyms,
        "typoTolerance": {
            "enabled": true,
            "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
            "disableOnNumbers": true,
        },
    });
    if let Some(dim) = s.dimension {
        settings["embedders"] = json!({EMBEDDER: {"source": "userProvided", "dimensions": dim}});
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_hold_kb_s_order_synonyms_typos_filters_and_embedder() {
        let s = Settings {
            synonyms: vec![
                vec!["botox".into(), "botulinum toxin".into()],
                vec!["botox".into(), "btx".into()],
            ],
            dimension: Some(384),
            model: None,
        };
        let v = settings(&s);
        assert_eq!(v["searchableAttributes"], json!(["text", "doc_title", "heading", "context"]));
        assert_eq!(v["synonyms"]["botox"], json!(["botulinum toxin", "btx"]));
        assert_eq!(v["synonyms"]["botulinum toxin"], json!(["botox"]));
        assert_eq!(v["typoTolerance"]["minWordSizeForTypos"], json!({"oneTypo": 5, "twoTypos": 9}));
        assert_eq!(v["filterableAttributes"], json!(["kind", "doc_id"]));
        assert_eq!(v["embedders"]["default"], json!({"source": "userProvided", "dimensions": 384}));
        let lexical = settings(&Settings { dimension: None, ..s });
        assert!(lexical.get("embedders").is_none());
    }
}
