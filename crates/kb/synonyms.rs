//! Where synonyms live: in the index.
//!
//! `kb index` (and [`crate::Kb::index`]) records the `synonyms.txt` at the top of every folder
//! it indexes in the commit's manifest ([`kb_schema::Manifest::synonyms`]), so that every way
//! of searching that index (the CLI, the library, the server) expands queries with the same
//! groups, without being told where the corpus is. Editing `synonyms.txt` takes effect at the
//! next `kb index`.

use kb_query::Synonyms;
use kb_schema::Manifest;

/// The synonym groups `manifest` records, all folders' together; `None` when there are none.
pub(crate) fn of(manifest: &Manifest) -> Option<Synonyms> {
    let synonyms = Synonyms::recorded(manifest);
    (!synonyms.is_empty()).then_some(synonyms)
}
