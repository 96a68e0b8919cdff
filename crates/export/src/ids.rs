//! Passage ids in the characters Meilisearch allows for a primary key.

/// The longest document id Meilisearch accepts, in bytes.
const MAX_ID_BYTES: usize = 511;

/// A passage id re-encoded for Meilisearch, whose document ids may hold only `A-Z a-z 0-9 - _`
/// and at most 511 bytes.
///
/// Letters, digits and `-` stay as they are; every other byte of the id's UTF-8, `_` included,
/// becomes `_` and two uppercase hex digits (`calf-reduction#3` -> `calf-reduction_233`). The
/// encoding is injective: `_` appears only at the start of an escape, and escapes decode
/// unambiguously, so two ids never share an encoding. An encoding longer than 511 bytes is cut
/// (between two characters' encodings) to its first 400 bytes and followed by `_h` and the BLAKE3 hash of the
/// whole id in hex: `_h` never occurs in an escape (`h` is not an uppercase hex digit), so a cut
/// id cannot equal an uncut one, and two cut ids are equal only if their ids' hashes are.
///
/// ```
/// use kb_export::meilisearch_id;
/// assert_eq!(meilisearch_id("calf-reduction#3"), "calf-reduction_233");
/// assert_eq!(meilisearch_id("a_b#0"), "a_5Fb_230");
/// assert_eq!(meilisearch_id("café#1"), "caf_C3_A9_231");
/// ```
pub fn meilisearch_id(passage_id: &str) -> String {
    let mut out = String::with_capacity(passage_id.len() + 8);
    // The length of `out` at the last character boundary within `CUT_AT`, for cutting.
    let mut last_cut = 0;
    let mut utf8 = [0u8; 4];
    for c in passage_id.chars() {
        if out.len() <= CUT_AT {
            last_cut = out.len();
        }
        for &b in c.encode_utf8(&mut utf8).as_bytes() {
            if b.is_ascii_alphanumeric() || b == b'-' {
                out.push(char::from(b));
            } else {
                out.push('_');
                out.push(hex_digit(b >> 4));
                out.push(hex_digit(b & 0xF));
            }
        }
    }
    if out.len() <= MAX_ID_BYTES {
        return out;
    }
    if out.len() <= CUT_AT {
        last_cut = out.len();
    }
    out.truncate(last_cut);
    out.push_str("_h");
    out.push_str(blake3::hash(passage_id.as_bytes()).to_hex().as_str());
    out
}

/// Where an over-long encoding is cut: room is left for `_h` and a 64-digit hash.
const CUT_AT: usize = 400;

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789ABCDEF"[usize::from(nibble)])
}

/// Whether `id` is a legal Meilisearch document id.
#[cfg(test)]
pub(crate) fn is_legal(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The inverse of the escape encoding (not of a cut id).
    fn decode(id: &str) -> Option<String> {
        let bytes = id.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'_' {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                if hex.bytes().any(|b| b.is_ascii_lowercase()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }

    #[test]
    fn ids_are_legal_and_decode_back() {
        for id in ["calf-reduction#3", "a_b#0", "x/y z.md#12", "日本#0", "_5F#1", "--#0", "#"] {
            let encoded = meilisearch_id(id);
            assert!(is_legal(&encoded), "{encoded}");
            assert_eq!(decode(&encoded).as_deref(), Some(id), "{encoded}");
        }
    }

    #[test]
    fn ids_that_look_alike_stay_apart() {
        // Each pair would collide under a lossy mapping ('#' and '_' both to '_', say).
        let ids = ["a#1", "a_1", "a_231", "a-1", "A#1", "a#1 ", "a##1"];
        let encoded: HashSet<String> = ids.iter().map(|id| meilisearch_id(id)).collect();
        assert_eq!(encoded.len(), ids.len(), "{encoded:?}");
    }

    #[test]
    fn overlong_ids_are_cut_and_hashed_within_the_limit() {
        let long_a = format!("{}#0", "é".repeat(300));
        let long_b = format!("{}#1", "é".repeat(300));
        let (a, b) = (meilisearch_id(&long_a), meilisearch_id(&long_b));
        assert!(is_legal(&a) && is_legal(&b), "{} {}", a.len(), b.len());
        assert_ne!(a, b);
        assert!(a.contains("_h") && a.starts_with("_C3_A9"), "{a}");
        // The cut falls between escapes: the part before `_h` decodes.
        assert!(decode(&a[..a.find("_h").unwrap()]).is_some());
        // Exactly at the limit nothing is cut.
        let at_limit = format!("{}#", "a".repeat(MAX_ID_BYTES - 3));
        assert_eq!(meilisearch_id(&at_limit).len(), MAX_ID_BYTES);
        assert!(!meilisearch_id(&at_limit).contains("_h"));
    }
}
