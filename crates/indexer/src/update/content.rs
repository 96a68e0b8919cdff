//! Decisions made across the documents of one indexed folder: boilerplate, duplicates and a
//! common title suffix.
//!
//! - **Boilerplate**: a passage whose text appears in [`BOILERPLATE_DOCS`] or more documents of
//!   the folder (a help box, a "Previous chapter / Next chapter" line, a copyright notice) is
//!   not content: it is indexed nowhere.
//! - **Duplicates**: a passage whose text appears in 2 to [`BOILERPLATE_DOCS`]` - 1` documents
//!   is indexed once, in the most specific of them: the document with the fewest passages
//!   (then the first in path order), so a chapter keeps its text and an aggregate page that
//!   repeats every chapter (a book's print version) loses its copies.
//! - **Title suffix**: when most documents of the folder (at least half, and at least
//!   [`SUFFIX_DOCS`]) end their title with the same suffix after a separator
//!   (`Reading a File - The Rust Programming Language`), it is dropped from their titles.
//!
//! A document left with no passage is not indexed (skipped by design).
//!
//! Only HTML pages (the pages of a site) and only their article passages take part: a folder of
//! notes in text or Markdown may repeat a sentence on purpose, and the records of JSON and
//! JSON Lines files, questions and answers are documents and passages of their own, indexed as
//! given.
//!
//! # Why decided at index time, from the manifest
//!
//! Dropping at index time keeps searches as fast as before (nothing is filtered or collapsed per
//! query, and boilerplate never crowds out real passages among the candidates) and keeps word
//! statistics free of repeated text. The price is that one file's change can change what is
//! indexed of another. So the decisions are a pure function of what the manifest records of
//! every file ([`kb_schema::ContentRecord`]: its raw title and a 48-bit hash of each passage):
//! each run computes them for the manifest of the last commit and for the new one, writes the
//! new and changed files with the new decisions, and reads again exactly the unchanged files
//! whose decisions differ. As the last commit was written with its own decisions, the index
//! after any sequence of runs is what a clean build of the same files gives, without reading
//! unchanged files otherwise. Searches never read these records.

use std::collections::{BTreeMap, HashMap};

use kb_schema::{ContentRecord, Kind, Manifest};

use crate::formats::ParsedDocument;

/// A passage text found in this many documents of a folder is boilerplate.
pub(crate) const BOILERPLATE_DOCS: usize = 5;

/// A title suffix is dropped when at least this many documents (and half of the folder's) end
/// with it.
pub(crate) const SUFFIX_DOCS: usize = 3;

/// What separates a site's name from a page's own title.
const SEPARATORS: [&str; 5] = [" - ", " | ", " — ", " – ", " · "];

/// Characters per hash in [`ContentRecord::hashes`].
const HASH_CHARS: usize = 8;

/// The 64 characters of the hash encoding, value order.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a passage is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// Its text repeats across many documents of the folder.
    Boilerplate,
    /// A more specific document holds the same text.
    Duplicate,
}

/// What the decisions say about one file's document: which passages (by position) are left
/// out, and its title when a suffix was dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Left-out passages: position and why.
    pub drop: BTreeMap<u32, Why>,
    /// The title without the folder's common suffix.
    pub title: Option<String>,
}

/// The record of a document for [`kb_schema::FileEntry::content`].
pub(crate) fn record(doc: &ParsedDocument) -> ContentRecord {
    let mut hashes = String::with_capacity(doc.passages.len() * HASH_CHARS);
    for p in &doc.passages {
        let hash = if p.kind == Kind::Article { text_hash(&p.text) } else { 0 };
        for i in (0..HASH_CHARS).rev() {
            hashes.push(char::from(ALPHABET[((hash >> (6 * i)) & 63) as usize]));
        }
    }
    ContentRecord { title: doc.title.clone(), hashes }
}

/// A 48-bit hash of a passage's text, never 0 (0 stands for "no decision applies").
fn text_hash(text: &str) -> u64 {
    let digest = blake3::hash(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes[..6].copy_from_slice(&digest.as_bytes()[..6]);
    u64::from_le_bytes(bytes).max(1)
}

/// The hashes of a record, in passage order (a malformed record gives none).
fn hashes(record: &ContentRecord) -> Vec<u64> {
    record
        .hashes
        .as_bytes()
        .chunks(HASH_CHARS)
        .map(|chunk| {
            chunk.iter().fold(0u64, |acc, c| {
                let value = ALPHABET.iter().position(|a| a == c).unwrap_or(0) as u64;
                (acc << 6) | value
            })
        })
        .collect()
}

/// The decisions for every file of `manifest` that has a [`ContentRecord`], keyed by manifest
/// key; files with nothing dropped and their title as it is are left out.
pub(crate) fn decide(manifest: &Manifest) -> HashMap<String, Decision> {
    let mut folders: BTreeMap<&str, Vec<(&str, &ContentRecord)>> = BTreeMap::new();
    for (key, entry) in &manifest.files {
        if let Some(record) = &entry.content {
            folders.entry(entry.root.as_str()).or_default().push((key.as_str(), record));
        }
    }
    let mut decisions: HashMap<String, Decision> = HashMap::new();
    for files in folders.values() {
        decide_folder(files, &mut decisions);
    }
    decisions
}

/// [`decide`] for the files of one folder (in path order).
fn decide_folder(files: &[(&str, &ContentRecord)], out: &mut HashMap<String, Decision>) {
    let hashed: Vec<Vec<u64>> = files.iter().map(|(_, r)| hashes(r)).collect();
    // Which files hold each text (each file once, in path order).
    let mut holders: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, list) in hashed.iter().enumerate() {
        for &h in list.iter().filter(|&&h| h != 0) {
            let files = holders.entry(h).or_default();
            if files.last() != Some(&i) {
                files.push(i);
            }
        }
    }
    // Each text held by several files: how many, and which keeps it (the most specific holder:
    // fewest passages, then path order), worked out once a text.
    let shared: HashMap<u64, (usize, usize)> = holders
        .into_iter()
        .filter(|(_, files)| files.len() > 1)
        .filter_map(|(h, files)| {
            let winner = files.iter().copied().min_by_key(|&f| (hashed[f].len(), f))?;
            Some((h, (files.len(), winner)))
        })
        .collect();
    for (i, list) in hashed.iter().enumerate() {
        let mut drop = BTreeMap::new();
        for (position, h) in list.iter().enumerate() {
            let Some(&(count, winner)) = shared.get(h) else { continue };
            let why = if count >= BOILERPLATE_DOCS {
                Why::Boilerplate
            } else if winner == i {
                continue;
            } else {
                Why::Duplicate
            };
            drop.insert(u32::try_from(position).unwrap_or(u32::MAX), why);
        }
        if !drop.is_empty() {
            out.entry(files[i].0.to_owned()).or_default().drop = drop;
        }
    }
    if let Some(suffix) = common_suffix(files.iter().map(|(_, r)| r.title.as_str())) {
        for (key, record) in files {
            if let Some(title) = record.title.strip_suffix(suffix.as_str()) {
                if title.chars().any(char::is_alphanumeric) {
                    out.entry((*key).to_owned()).or_default().title = Some(title.to_owned());
                }
            }
        }
    }
}

/// The longest title suffix (from a separator on) that at least [`SUFFIX_DOCS`] titles and
/// half of them end with.
fn common_suffix<'t>(titles: impl Iterator<Item = &'t str>) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut total = 0;
    for title in titles {
        total += 1;
        let mut seen: Vec<&str> = Vec::new();
        for sep in SEPARATORS {
            for (at, _) in title.match_indices(sep) {
                let suffix = &title[at..];
                if at > 0 && suffix[sep.len()..].chars().any(char::is_alphanumeric) {
                    seen.push(suffix);
                }
            }
        }
        seen.sort_unstable();
        seen.dedup();
        for suffix in seen {
            *counts.entry(suffix).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|&(_, n)| n >= SUFFIX_DOCS && 2 * n >= total)
        .max_by_key(|&(s, n)| (s.len(), n, std::cmp::Reverse(s)))
        .map(|(s, _)| s.to_owned())
}

/// What was left out of a document by [`apply`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dropped {
    /// Passages left out as boilerplate.
    pub boilerplate: u64,
    /// Passages left out as duplicates.
    pub duplicates: u64,
}

/// Applies a decision to a document: drops the passages it names (the others keep their
/// positions and ids) and sets the title.
pub(crate) fn apply(doc: &mut ParsedDocument, decision: Option<&Decision>) -> Dropped {
    let mut dropped = Dropped::default();
    let Some(decision) = decision else { return dropped };
    doc.passages.retain(|p| match decision.drop.get(&p.position) {
        Some(Why::Boilerplate) => {
            dropped.boilerplate += 1;
            false
        }
        Some(Why::Duplicate) => {
            dropped.duplicates += 1;
            false
        }
        None => true,
    });
    if let Some(title) = &decision.title {
        doc.title.clone_from(title);
        for p in &mut doc.passages {
            p.doc_title.clone_from(title);
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use kb_schema::{FileEntry, Passage, SourceRef};

    use super::*;

    fn doc(id: &str, title: &str, texts: &[&str]) -> ParsedDocument {
        let passages = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Passage {
                id: Passage::make_id(id, i as u32),
                doc_id: id.to_owned(),
                doc_title: title.to_owned(),
                kind: Kind::Article,
                heading: None,
                position: i as u32,
                text: (*t).to_owned(),
                context: None,
                source: SourceRef { path: format!("{id}.html"), line: 1 },
            })
            .collect();
        ParsedDocument { doc_id: id.to_owned(), title: title.to_owned(), passages }
    }

    fn manifest(docs: &[ParsedDocument]) -> Manifest {
        let mut m = Manifest::new();
        for d in docs {
            let entry = FileEntry {
                root: "/site".into(),
                content: Some(record(d)),
                ..FileEntry::default()
            };
            m.files.insert(format!("/site/{}.html", d.doc_id), entry);
        }
        m
    }

    #[test]
    fn hashes_round_trip_and_zero_is_reserved() {
        let d = doc("a", "A", &["one", "two"]);
        let r = record(&d);
        assert_eq!(r.hashes.len(), 16);
        let h = hashes(&r);
        assert_eq!(h, [text_hash("one"), text_hash("two")]);
        assert!(h.iter().all(|&h| h != 0 && h < 1 << 48));
    }

    #[test]
    fn repeated_text_is_boilerplate_and_copies_go_to_the_most_specific_document() {
        let help = "Press left or right to navigate";
        let mut docs: Vec<ParsedDocument> = (0..5)
            .map(|i| doc(&format!("p{i}"), "Page", &[help, &format!("own text {i}")]))
            .collect();
        docs.push(doc("print", "All", &[help, "own text 0", "own text 1", "print only"]));
        let decisions = decide(&manifest(&docs));
        let p0 = &decisions["/site/p0.html"];
        assert_eq!(
            p0.drop.iter().map(|(p, w)| (*p, *w)).collect::<Vec<_>>(),
            [(0, Why::Boilerplate)]
        );
        let print = &decisions["/site/print.html"];
        let got: Vec<(u32, Why)> = print.drop.iter().map(|(p, w)| (*p, *w)).collect();
        assert_eq!(got, [(0, Why::Boilerplate), (1, Why::Duplicate), (2, Why::Duplicate)]);
        let mut print_doc = docs[5].clone();
        let dropped = apply(&mut print_doc, Some(print));
        assert_eq!(dropped, Dropped { boilerplate: 1, duplicates: 2 });
        assert_eq!(print_doc.passages.len(), 1);
        assert_eq!(print_doc.passages[0].id, "print#3");
    }

    #[test]
    fn a_common_title_suffix_is_dropped() {
        let docs = [
            doc("a", "Reading a File - The Book", &["a"]),
            doc("b", "Closures - Part 2 - The Book", &["b"]),
            doc("c", "The Book", &["c"]),
            doc("d", "Hash Maps - The Book", &["d"]),
            doc("e", "Redirecting", &["e"]),
        ];
        let decisions = decide(&manifest(&docs));
        assert_eq!(decisions["/site/a.html"].title.as_deref(), Some("Reading a File"));
        assert_eq!(decisions["/site/b.html"].title.as_deref(), Some("Closures - Part 2"));
        assert!(!decisions.contains_key("/site/c.html"));
        // Two titles of five are not most of the folder.
        let few = [doc("a", "A - S", &["a"]), doc("b", "B - S", &["b"]), doc("c", "C", &["c"])];
        assert!(decide(&manifest(&few)).is_empty());
    }
}
