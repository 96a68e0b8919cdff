//! OpenSearch (and Elasticsearch): `index.json`, the body of `PUT /<index>`, and `bulk.ndjson`
//! for `POST /<index>/_bulk`.
//!
//! The analyzer `kb_en` rebuilds kb's from Lucene's parts, in kb's order:
//!
//! | kb | OpenSearch |
//! |---|---|
//! | Unicode words (UAX #29), a possessive `'s` dropped | `standard` tokenizer (UAX #29), `stemmer` `possessive_english` |
//! | tokens over 40 bytes dropped | `length` filter, max 40 (counts characters, not bytes) |
//! | lowercasing, ASCII folding | `lowercase`, `asciifolding` (Lucene's table, which tantivy's copies) |
//! | kb's stop words, positions kept | `stop` with the same list (Lucene keeps the gaps too) |
//! | irregular forms (`calves` -> `calf`) | `stemmer_override`, each form mapped to kb's final term |
//! | Porter2 | `stemmer` `porter2` (Snowball English, the same algorithm) |
//! | synonyms at query time | `synonym_graph` in the search analyzer `kb_en_search` only |
//!
//! What does not carry over into the settings: the standard tokenizer also splits tokens of
//! over 255 characters where kb drops them; kb scores a synonym 0.8 of the word typed, Lucene
//! alike; kb's typo tolerance, Q&A lift, feedback and semantic fusion are query-time features
//! (see SCALING.md for their counterparts). kb's field weights and tie-breaker are recorded in
//! the mapping's `_meta.kb` for the query to use: a `multi_match` of type `best_fields` over
//! `text`, `doc_title^0.7`, `heading^0.4`, `context^0.3` with `tie_breaker` 0.6 is kb's
//! best-field disjunction.
//!
//! On a semantic index, `vector` is a `knn_vector` of the embeddings' dimension (HNSW, cosine)
//! and `index.knn` is on. Elasticsearch takes the same body but for that field, which it calls
//! `dense_vector` (`"dims"`, `"similarity": "cosine"`), and the `index.knn` setting, which it
//! lacks.

use serde_json::{json, Map, Value};

use crate::analysis::{self, Settings};

/// The index-time analyzer's name.
pub const ANALYZER: &str = "kb_en";
/// The search-time analyzer's name (the index-time one plus synonyms).
pub const SEARCH_ANALYZER: &str = "kb_en_search";

/// The create-index body: `{"settings", "mappings"}`.
pub(crate) fn index_body(s: &Settings) -> Value {
    let irregular: Vec<String> = analysis::irregular_terms()
        .into_iter()
        .map(|(form, term)| format!("{form} => {term}"))
        .collect();
    let chain = [
        "kb_possessive",
        "kb_long",
        "lowercase",
        "asciifolding",
        "kb_stop",
        "kb_irregular",
        "kb_stemmer",
    ];
    let mut search_chain: Vec<&str> = chain.to_vec();
    let mut filters = json!({
        "kb_possessive": {"type": "stemmer", "language": "possessive_english"},
        "kb_long": {"type": "length", "min": 0, "max": 40},
        "kb_stop": {"type": "stop", "stopwords": analysis::stop_words(), "ignore_case": false},
        "kb_irregular": {"type": "stemmer_override", "rules": irregular},
        "kb_stemmer": {"type": "stemmer", "language": "porter2"},
    });
    if !s.synonyms.is_empty() {
        filters["kb_synonyms"] = json!({
            "type": "synonym_graph",
            "synonyms": analysis::solr_lines(&s.synonyms),
            "expand": true,
            "lenient": true,
        });
        search_chain.push("kb_synonyms");
    }
    let mut index_settings = Map::new();
    if s.dimension.is_some() {
        index_settings.insert("knn".into(), json!(true));
    }
    let mut settings = json!({
        "analysis": {
            "filter": filters,
            "analyzer": {
                ANALYZER: {"type": "custom", "tokenizer": "standard", "filter": chain},
                SEARCH_ANALYZER: {"type": "custom", "tokenizer": "standard", "filter": search_chain},
            },
        },
    });
    if !index_settings.is_empty() {
        settings["index"] = Value::Object(index_settings);
    }

    let (fields, tie_breaker) = analysis::text_fields();
    let text = json!({"type": "text", "analyzer": ANALYZER, "search_analyzer": SEARCH_ANALYZER});
    let mut properties = json!({
        "passage_id": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "source": {"properties": {"path": {"type": "keyword"}, "line": {"type": "integer"}}},
    });
    for (name, _) in &fields {
        properties[*name] = text.clone();
    }
    let mut meta = json!({
        "field_weights": fields.iter().map(|(n, w)| ((*n).to_owned(), json!(w))).collect::<Map<_, _>>(),
        "tie_breaker": tie_breaker,
        "query": "multi_match, type best_fields, over the weighted fields, with the tie_breaker",
        "schema_version": kb_schema::SCHEMA_VERSION,
    });
    if let Some(dim) = s.dimension {
        properties["vector"] = json!({
            "type": "knn_vector",
            "dimension": dim,
            "method": {"name": "hnsw", "space_type": "cosinesimil", "engine": "lucene"},
        });
        meta["embedding_model"] = json!(s.model);
    }
    json!({
        "settings": settings,
        "mappings": {"dynamic": "strict", "_meta": {"kb": meta}, "properties": properties},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(synonyms: &[&[&str]], dimension: Option<usize>) -> Settings {
        Settings {
            synonyms: synonyms
                .iter()
                .map(|g| g.iter().map(|m| (*m).to_owned()).collect())
                .collect(),
            dimension,
            model: dimension.map(|_| "all-MiniLM-L6-v2".to_owned()),
        }
    }

    #[test]
    fn the_analyzer_holds_kb_s_chain_irregular_forms_and_synonyms() {
        let body = index_body(&settings(&[&["botox", "botulinum toxin"]], None));
        let analysis = &body["settings"]["analysis"];
        let rules = analysis["filter"]["kb_irregular"]["rules"].as_array().unwrap();
        assert!(rules.contains(&json!("calves => calf")), "{rules:?}");
        assert_eq!(
            analysis["filter"]["kb_synonyms"]["synonyms"],
            json!(["botox, botulinum toxin"])
        );
        let search = analysis["analyzer"][SEARCH_ANALYZER]["filter"].as_array().unwrap();
        assert_eq!(search.last().unwrap(), "kb_synonyms");
        // Synonyms are for searching only: the index-time chain has none.
        assert!(!analysis["analyzer"][ANALYZER]["filter"]
            .as_array()
            .unwrap()
            .contains(&json!("kb_synonyms")));
        assert_eq!(body["mappings"]["properties"]["doc_title"]["search_analyzer"], SEARCH_ANALYZER);
        assert!(body["mappings"]["properties"].get("vector").is_none());
        assert!(body["settings"].get("index").is_none());
    }

    #[test]
    fn a_semantic_index_gets_a_knn_vector_and_no_synonyms_means_no_synonym_filter() {
        let body = index_body(&settings(&[], Some(384)));
        assert_eq!(body["mappings"]["properties"]["vector"]["type"], "knn_vector");
        assert_eq!(body["mappings"]["properties"]["vector"]["dimension"], 384);
        assert_eq!(body["settings"]["index"]["knn"], true);
        assert!(body["settings"]["analysis"]["filter"].get("kb_synonyms").is_none());
        assert_eq!(body["mappings"]["_meta"]["kb"]["embedding_model"], "all-MiniLM-L6-v2");
    }
}
