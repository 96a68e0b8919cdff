//! A JSON value written as block-style YAML (Quickwit's config format).
//!
//! Strings are written plain when they cannot be read as anything else (`text`, `array<f64>`)
//! and double-quoted otherwise, with JSON's escapes, which YAML's double-quoted style shares.
//! Arrays of scalars are written in flow style (`[a, b]`).

use serde_json::Value;

/// `value` (an object) as a YAML document.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) => write_map(map, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

/// Keys written before the others (which follow in the map's order), for a config that reads
/// top-down: the format version and index id first, an item's name and type first.
const FIRST_KEYS: &[&str] = &["version", "index_id", "name", "type"];

fn write_map(map: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    let first = FIRST_KEYS.iter().filter_map(|k| map.get_key_value(*k));
    let rest = map.iter().filter(|(k, _)| !FIRST_KEYS.contains(&k.as_str()));
    for (i, (key, value)) in first.chain(rest).enumerate() {
        // The first key of a map that is an array item follows the item's dash.
        if !(i == 0 && out.ends_with("- ")) {
            push_indent(indent, out);
        }
        out.push_str(&string(key));
        out.push(':');
        write_value(value, indent, out);
    }
}

/// A value after `key:`.
fn write_value(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(map, indent + 2, out);
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            out.push('\n');
            for item in items {
                push_indent(indent + 2, out);
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => write_map(map, indent + 4, out),
                    other => {
                        out.push_str(&scalar(other));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn push_indent(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A value on one line: a scalar, or a flow-style array or object.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => string(s),
        Value::Array(items) => {
            format!("[{}]", items.iter().map(scalar).collect::<Vec<_>>().join(", "))
        }
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", string(k), scalar(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A string, plain when it is safe, else double-quoted.
fn string(s: &str) -> String {
    if is_plain(s) {
        s.to_owned()
    } else {
        Value::String(s.to_owned()).to_string()
    }
}

/// Whether `s` reads back as the same string unquoted: a letter, then letters, digits and
/// `_ - . < >`, and not a word YAML reads as a boolean or null.
fn is_plain(s: &str) -> bool {
    const WORDS: &[&str] = &["true", "false", "null", "yes", "no", "on", "off", "y", "n"];
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '<' | '>'))
        && !WORDS.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn maps_lists_and_scalars_in_block_style() {
        let v = json!({
            "version": "0.8",
            "index_id": "kb",
            "doc_mapping": {
                "field_mappings": [
                    {"name": "text", "type": "text", "fast": false},
                    {"name": "source", "type": "object", "field_mappings": [{"name": "line", "type": "u64"}]}
                ],
                "tokenizers": [{"name": "kb_en", "filters": ["remove_long", "lower_caser"]}],
                "empty": {}
            },
            "search_settings": {"default_search_fields": ["text", "doc_title"]},
            "note": "a: b # c",
            "yes": "no"
        });
        let expected = r#"version: "0.8"
index_id: kb
doc_mapping:
  empty: {}
  field_mappings:
    - name: text
      type: text
      fast: false
    - name: source
      type: object
      field_mappings:
        - name: line
          type: u64
  tokenizers:
    - name: kb_en
      filters: [remove_long, lower_caser]
note: "a: b # c"
search_settings:
  default_search_fields: [text, doc_title]
"yes": "no"
"#;
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn strings_that_would_read_as_something_else_are_quoted() {
        for s in ["0.8", "true", "No", "null", "", "a b", "-x", "a: b", "é", "x\ny", "#c"] {
            assert!(string(s).starts_with('"'), "{s}");
        }
        for s in ["text", "array<f64>", "en_stem", "kb-export", "f64"] {
            assert_eq!(string(s), s);
        }
    }
}
