//! The best passages of a plan without scoring every match: MaxScore (Turtle and Flood, 1995)
//! over the plan's [`Sum`].
//!
//! kb's query is a sum of best-field disjunctions (one a query word, phrase or alternative,
//! over the text, title, heading and context fields), which tantivy cannot prune: its block-max
//! WAND applies only to a flat sum of term scorers, so it scores every passage that holds any
//! query word. Here kb evaluates the same score itself, from the same postings, field norms and
//! BM25 weights ([`Bm25Weight`], boosted as tantivy boosts them; a phrase by tantivy's own
//! phrase scorer), and skips what cannot make the top:
//!
//! - each unit (one word's disjunction) has an upper bound, the disjunction of its fields'
//!   largest BM25 scores in the segment ([`TermBounds`], read once per snapshot; a phrase's is
//!   BM25's own bound);
//! - once `k` passages are held, the units whose bounds together stay below the k-th best
//!   score are "non-essential": a passage holding only their words cannot enter, so only the
//!   passages of the other units are visited, and for each the non-essential units are looked
//!   up (postings skipped forward) from the largest bound down, stopping as soon as the
//!   passage cannot reach the k-th score.
//!
//! On a question like "What are the symptoms of glaucoma?" over MedQuAD x16 (525,024
//! passages), "symptom" (169,552 matching passages) soon becomes non-essential and only
//! "glaucoma"'s (3,184) are visited. The results are tantivy's `TopDocs` over the plan's query:
//! the same passages in the same order (best score first, then lowest address), the scores
//! equal up to the order of float additions (units are summed in the query's order, as tantivy
//! sums its clauses). BENCHMARKS.md ("MaxScore", under issue 17) has the figures.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, PhraseQuery, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

use super::query::{Part, Plan, Sum};
use crate::bounds::TermBounds;
use crate::snapshot::Snapshot;

/// Relative slack on the bounds: a float sum taken in another order may differ in its last
/// bits, so a passage is skipped only when its bound is clearly below the k-th score.
const SLACK: f32 = 1e-5;

/// The `k` best passages of `plan` (best first; ties by address), as
/// `searcher.search(query, &TopDocs::with_limit(k).order_by_score())` finds them: by MaxScore
/// when the plan has a [`Sum`], else by tantivy.
pub(crate) fn top(
    snapshot: &Snapshot,
    plan: &Plan,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    match (plan.sum(), plan.query()) {
        (Some(sum), _) => Weighted::new(snapshot, sum)?.top(k),
        (None, Some(query)) => snapshot
            .searcher
            .search(query, &tantivy::collector::TopDocs::with_limit(k).order_by_score()),
        (None, None) => Ok(Vec::new()),
    }
}

/// A [`Sum`] with the weights of its parts worked out for the snapshot: what its passes need.
pub(crate) struct Weighted<'a> {
    snapshot: &'a Snapshot,
    sum: &'a Sum,
    weights: Vec<Vec<PartWeight>>,
}

impl<'a> Weighted<'a> {
    /// `sum`'s parts weighted by `snapshot`'s statistics, as tantivy weighs them.
    pub(crate) fn new(snapshot: &'a Snapshot, sum: &'a Sum) -> tantivy::Result<Weighted<'a>> {
        Ok(Weighted { snapshot, sum, weights: weights(&snapshot.searcher, sum)? })
    }

    /// The `k` best passages, best first, ties by address.
    pub(crate) fn top(&self, k: usize) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut best = Best { k, heap: BinaryHeap::with_capacity(k + 1) };
        for (ord, reader) in self.snapshot.searcher.segment_readers().iter().enumerate() {
            let Some(mut segment) = self.open(ord as u32, reader)? else { continue };
            segment.collect(ord as u32, &mut best);
        }
        let mut top: Vec<Entry> = best.heap.into_vec();
        top.sort();
        Ok(top.into_iter().map(|e| (e.score, e.address)).collect())
    }

    /// The scores of the passages at `addresses` (sorted) that the sum matches, in address
    /// order.
    pub(crate) fn scores_at(
        &self,
        addresses: &[DocAddress],
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let mut scored = Vec::new();
        for (ord, reader) in self.snapshot.searcher.segment_readers().iter().enumerate() {
            let ord = ord as u32;
            let docs = addresses.iter().filter(|a| a.segment_ord == ord).map(|a| a.doc_id);
            let mut docs = docs.peekable();
            if docs.peek().is_none() {
                continue;
            }
            let Some(mut segment) = self.open(ord, reader)? else { continue };
            for doc in docs {
                if let Some(score) = segment.score_at(doc) {
                    scored.push((score, DocAddress::new(ord, doc)));
                }
            }
        }
        Ok(scored)
    }

    /// The sum opened on segment `ord`.
    fn open<'r>(
        &self,
        ord: u32,
        reader: &'r SegmentReader,
    ) -> tantivy::Result<Option<SegmentSum<'r>>> {
        SegmentSum::open((ord, reader), self.sum, &self.weights, &self.snapshot.bounds)
    }
}

/// How one field of a unit is scored, for the whole index.
enum PartWeight {
    /// A term: its BM25 weight, then boosted, and the boost.
    Term(Bm25Weight, Bm25Weight, Score),
    /// A phrase: tantivy's phrase weight, its boost and the largest score it can give.
    Phrase(Box<dyn Weight>, Score, Score),
}

/// Each unit's fields' weights.
fn weights(searcher: &tantivy::Searcher, sum: &Sum) -> tantivy::Result<Vec<Vec<PartWeight>>> {
    let weight = |part: &Part, boost: Score| -> tantivy::Result<PartWeight> {
        Ok(match part {
            // A term no passage holds has postings in no segment: its weight is never used.
            Part::Term(term) => {
                let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?;
                let boosted = bm25.boost_by(boost);
                PartWeight::Term(bm25, boosted, boost)
            }
            Part::Phrase(terms) => {
                let query = PhraseQuery::new_with_offset(terms.clone());
                let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
                let terms: Vec<Term> = terms.iter().map(|(_, t)| t.clone()).collect();
                let bound = Bm25Weight::for_terms(searcher, &terms)?.boost_by(boost).max_score();
                PartWeight::Phrase(weight, boost, bound)
            }
        })
    };
    sum.units
        .iter()
        .map(|unit| unit.iter().map(|(part, boost)| weight(part, *boost)).collect())
        .collect()
}

/// A passage held among the best: ordered best first (higher score, then lower address).
#[derive(Debug, Clone, Copy)]
struct Entry {
    score: Score,
    address: DocAddress,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.total_cmp(&self.score).then(self.address.cmp(&other.address))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// The `k` best passages so far; the heap's top is the worst of them.
struct Best {
    k: usize,
    heap: BinaryHeap<Entry>,
}

impl Best {
    /// The score a passage must beat to enter (addresses only grow, so a tie does not enter);
    /// `None` while there is room.
    fn threshold(&self) -> Option<Score> {
        (self.heap.len() >= self.k).then(|| self.heap.peek().map_or(Score::MIN, |e| e.score))
    }

    /// Offers a passage; returns whether the threshold may have moved.
    fn offer(&mut self, entry: Entry) -> bool {
        if self.heap.len() < self.k {
            self.heap.push(entry);
            return self.heap.len() == self.k;
        }
        match self.heap.peek() {
            Some(worst) if entry < *worst => {
                self.heap.pop();
                self.heap.push(entry);
                true
            }
            _ => false,
        }
    }
}

/// One term's (or phrase's) matches in one field of a segment, and how to score them.
// The term variant is the common and hot one: boxing it would add an indirection to each score.
#[allow(clippy::large_enum_variant)]
enum FieldPostings {
    /// A term's postings, scored as tantivy's `TermScorer` scores them.
    Term { postings: SegmentPostings, norms: FieldNormReader, bm25: Bm25Weight },
    /// A phrase: tantivy's scorer.
    Phrase(Box<dyn Scorer>),
}

impl FieldPostings {
    fn doc(&self) -> DocId {
        match self {
            FieldPostings::Term { postings, .. } => postings.doc(),
            FieldPostings::Phrase(scorer) => scorer.doc(),
        }
    }

    /// The BM25 score at the current passage.
    fn score(&mut self) -> Score {
        match self {
            FieldPostings::Term { postings, norms, bm25 } => {
                bm25.score(norms.fieldnorm_id(postings.doc()), postings.term_freq())
            }
            FieldPostings::Phrase(scorer) => scorer.score(),
        }
    }

    fn advance(&mut self) {
        match self {
            FieldPostings::Term { postings, .. } => postings.advance(),
            FieldPostings::Phrase(scorer) => scorer.advance(),
        };
    }

    fn seek(&mut self, target: DocId) {
        match self {
            FieldPostings::Term { postings, .. } => postings.seek(target),
            FieldPostings::Phrase(scorer) => scorer.seek(target),
        };
    }
}

/// One unit in a segment: a word's postings in each field that has them.
struct UnitCursor {
    fields: Vec<FieldPostings>,
    /// The largest score the unit can give a passage.
    bound: Score,
    /// The first passage at or after the cursor that holds the word in a field.
    doc: DocId,
}

impl UnitCursor {
    fn refresh(&mut self) {
        self.doc = self.fields.iter().map(FieldPostings::doc).min().unwrap_or(TERMINATED);
    }

    /// The best-field disjunction of the fields at the current passage (as tantivy's
    /// `DisjunctionMaxCombiner`: the best, plus the tie-breaker's share of the others).
    fn score(&mut self, tie_breaker: Score) -> Score {
        let (mut max, mut sum) = (0.0f32, 0.0f32);
        let doc = self.doc;
        for field in self.fields.iter_mut().filter(|f| f.doc() == doc) {
            let score = field.score();
            max = max.max(score);
            sum += score;
        }
        max + (sum - max) * tie_breaker
    }

    /// Moves past the current passage.
    fn advance(&mut self) {
        let doc = self.doc;
        for field in self.fields.iter_mut().filter(|f| f.doc() == doc) {
            field.advance();
        }
        self.refresh();
    }

    /// Moves to the first passage at or after `target`.
    fn seek(&mut self, target: DocId) {
        if self.doc >= target {
            return;
        }
        for field in self.fields.iter_mut().filter(|f| f.doc() < target) {
            field.seek(target);
        }
        self.refresh();
    }
}

/// A [`Sum`] opened on one segment.
struct SegmentSum<'r> {
    reader: &'r SegmentReader,
    units: Vec<UnitCursor>,
    filters: Vec<SegmentPostings>,
    tie_breaker: Score,
}

impl<'r> SegmentSum<'r> {
    /// `sum` on `reader`, with its fields' `weights`; `None` when a filter term is missing
    /// from the segment or no unit's word is in it (nothing can match).
    fn open(
        (segment, reader): (u32, &'r SegmentReader),
        sum: &Sum,
        weights: &[Vec<PartWeight>],
        term_bounds: &TermBounds,
    ) -> tantivy::Result<Option<SegmentSum<'r>>> {
        let mut filters = Vec::with_capacity(sum.filters.len());
        for term in &sum.filters {
            match postings(reader, term, IndexRecordOption::Basic)? {
                Some(p) => filters.push(p),
                None => return Ok(None),
            }
        }
        let mut units = Vec::with_capacity(sum.units.len());
        for (unit, weights) in sum.units.iter().zip(weights) {
            let (mut fields, mut field_bounds) = (Vec::new(), Vec::new());
            for ((part, _), weight) in unit.iter().zip(weights) {
                match (part, weight) {
                    (Part::Term(term), PartWeight::Term(unboosted, bm25, boost)) => {
                        let option = IndexRecordOption::WithFreqs;
                        let Some(postings) = postings(reader, term, option)? else { continue };
                        let norms = match reader.fieldnorms_readers().get_field(term.field())? {
                            Some(norms) => norms,
                            None => FieldNormReader::constant(reader.max_doc(), 1),
                        };
                        let largest = term_bounds.get(segment, reader, term, unboosted)?;
                        field_bounds.push(largest * boost);
                        fields.push(FieldPostings::Term { postings, norms, bm25: bm25.clone() });
                    }
                    (_, PartWeight::Phrase(weight, boost, bound)) => {
                        let scorer = weight.scorer(reader, *boost)?;
                        if scorer.doc() != TERMINATED {
                            field_bounds.push(*bound);
                            fields.push(FieldPostings::Phrase(scorer));
                        }
                    }
                    (Part::Phrase(_), PartWeight::Term(..)) => {}
                }
            }
            let bound = disjunction(&field_bounds, sum.tie_breaker);
            let mut cursor = UnitCursor { fields, bound, doc: TERMINATED };
            cursor.refresh();
            units.push(cursor);
        }
        if units.iter().all(|u| u.doc == TERMINATED) {
            return Ok(None);
        }
        Ok(Some(SegmentSum { reader, units, filters, tie_breaker: sum.tie_breaker }))
    }

    /// Whether `doc` is alive and holds every filter term.
    fn admits(&mut self, doc: DocId) -> bool {
        if self.reader.alive_bitset().is_some_and(|alive| !alive.is_alive(doc)) {
            return false;
        }
        self.filters.iter_mut().all(|f| f.doc() == doc || (f.doc() < doc && f.seek(doc) == doc))
    }

    /// The score of `doc` (at or after every cursor), if it matches.
    fn score_at(&mut self, doc: DocId) -> Option<Score> {
        if !self.admits(doc) {
            return None;
        }
        let mut matched = false;
        let mut score = 0.0f32;
        for unit in &mut self.units {
            unit.seek(doc);
            if unit.doc == doc {
                matched = true;
                score += unit.score(self.tie_breaker);
            }
        }
        matched.then_some(score)
    }

    /// Offers the segment's passages to `best`, skipping those that cannot enter.
    fn collect(&mut self, segment: u32, best: &mut Best) {
        let n = self.units.len();
        // Units by bound, smallest first; `prefix[i]`: the bounds of the first i + 1 summed.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.units[a].bound.total_cmp(&self.units[b].bound));
        let mut prefix = Vec::with_capacity(n);
        let mut total = 0.0f32;
        for &u in &order {
            total += self.units[u].bound;
            prefix.push(total * (1.0 + SLACK));
        }
        // The units order[..essential] are non-essential: their bounds together stay below the
        // threshold.
        let non_essential = |threshold: Option<Score>| match threshold {
            Some(t) => prefix.iter().take_while(|&&p| p < t).count(),
            None => 0,
        };
        let mut first_essential = non_essential(best.threshold());
        // Each unit's score at the passage, in the query's order, and which are set.
        let mut scores = vec![0.0f32; n];
        let mut touched: Vec<usize> = Vec::with_capacity(n);
        while first_essential < n {
            let doc = order[first_essential..].iter().map(|&u| self.units[u].doc).min();
            let Some(doc) = doc.filter(|&d| d != TERMINATED) else { break };
            if self.admits(doc) {
                let threshold = best.threshold();
                let mut partial = 0.0f32;
                for &u in &order[first_essential..] {
                    if self.units[u].doc == doc {
                        let score = self.units[u].score(self.tie_breaker);
                        scores[u] = score;
                        touched.push(u);
                        partial += score;
                    }
                }
                // The non-essential units, largest bound first, while the passage can still
                // beat the threshold.
                let mut possible = true;
                for j in (0..first_essential).rev() {
                    if threshold.is_some_and(|t| partial + prefix[j] < t) {
                        possible = false;
                        break;
                    }
                    let unit = &mut self.units[order[j]];
                    unit.seek(doc);
                    if unit.doc == doc {
                        let score = unit.score(self.tie_breaker);
                        scores[order[j]] = score;
                        touched.push(order[j]);
                        partial += score;
                    }
                }
                if possible {
                    // The score as the query sums it: units in the query's order.
                    let score = scores.iter().sum::<f32>();
                    let entry = Entry { score, address: DocAddress::new(segment, doc) };
                    if best.offer(entry) {
                        first_essential = non_essential(best.threshold());
                    }
                }
                touched.drain(..).for_each(|u| scores[u] = 0.0);
            }
            // Only the essential units move on; the others are sought when needed.
            for &u in &order[first_essential..] {
                if self.units[u].doc == doc {
                    self.units[u].advance();
                }
            }
        }
    }
}

/// The best-field disjunction of `scores` (see [`UnitCursor::score`]).
fn disjunction(scores: &[Score], tie_breaker: Score) -> Score {
    let max = scores.iter().copied().fold(0.0f32, f32::max);
    let sum: Score = scores.iter().sum();
    max + (sum - max) * tie_breaker
}

/// The postings of `term` in `reader`, if the segment has it.
fn postings(
    reader: &SegmentReader,
    term: &Term,
    option: IndexRecordOption,
) -> tantivy::Result<Option<SegmentPostings>> {
    reader.inverted_index(term.field())?.read_postings(term, option).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use kb_schema::{Kind, Passage, SourceRef};
    use tantivy::collector::TopDocs;

    use super::*;
    use crate::options::FieldWeights;
    use crate::parse::parse;
    use crate::retrieve::query::QueryBuilder;
    use crate::rewrite::alternatives::{Alternative, Alternatives};

    const WORDS: [&str; 16] = [
        "botox",
        "calf",
        "muscle",
        "nerve",
        "injection",
        "result",
        "week",
        "month",
        "risk",
        "doctor",
        "pain",
        "swelling",
        "treatment",
        "reduction",
        "leg",
        "surgery",
    ];

    /// A small deterministic random number generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        /// `n` words, the first of `WORDS` far more often than the last (as in real text).
        fn words(&mut self, n: usize) -> String {
            let words: Vec<&str> = (0..n)
                .map(|_| WORDS[self.below(WORDS.len()).min(self.below(WORDS.len()))])
                .collect();
            words.join(" ")
        }
    }

    /// An index of `segments` segments of random passages, some deleted.
    fn index(seed: u64, segments: usize) -> Snapshot {
        let (index, schema) = kb_schema::create_index_in_ram();
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 20_000_000).expect("writer");
        let mut rng = Rng(seed);
        let kinds = [Kind::Article, Kind::Question, Kind::Answer];
        for s in 0..segments {
            for i in 0..300 {
                let doc_id = format!("d{s}-{}", i / 3);
                let (len, title_len) = (1 + rng.below(30), 1 + rng.below(4));
                let passage = Passage {
                    id: Passage::make_id(&doc_id, i % 3),
                    doc_id: doc_id.clone(),
                    doc_title: rng.words(title_len),
                    kind: kinds[rng.below(3)],
                    heading: (rng.below(2) == 0).then(|| rng.words(2)),
                    position: i % 3,
                    text: rng.words(len),
                    context: (rng.below(3) == 0).then(|| rng.words(10)),
                    source: SourceRef { path: format!("{doc_id}.md"), line: 1 },
                };
                writer.add_document(schema.to_document(&passage)).expect("add");
            }
            writer.commit().expect("commit");
            // Delete a few passages of this segment.
            for i in (0..300).step_by(7) {
                let id = Passage::make_id(&format!("d{s}-{}", i / 3), i % 3);
                writer.delete_term(Term::from_field_text(schema.passage_id, &id));
            }
            writer.commit().expect("commit");
        }
        let searcher = index.reader().expect("reader").searcher();
        let doc_ids = crate::candidate::DocIds::open(&searcher, schema.doc_id).expect("doc ids");
        let kinds = crate::snapshot::KindColumns::open(&searcher, schema.kind).expect("kinds");
        let bounds = TermBounds::default();
        Snapshot { dir: "test".into(), schema, searcher, doc_ids, kinds, bounds }
    }

    /// Asserts that MaxScore's top `k` of `plan` is tantivy's: the same scores, position by
    /// position, and the same passages wherever a score is not tied with a neighbour's.
    fn assert_same_top(snapshot: &Snapshot, plan: &Plan, k: usize, what: &str) {
        let sum = plan.sum().unwrap_or_else(|| panic!("{what}: the plan has no sum"));
        let weighted = Weighted::new(snapshot, sum).expect("weights");
        let ours = weighted.top(k).expect("maxscore");
        let searcher = &snapshot.searcher;
        let query = plan.query().expect("a query");
        let theirs =
            searcher.search(query, &TopDocs::with_limit(k).order_by_score()).expect("search");
        assert_eq!(ours.len(), theirs.len(), "{what}, k = {k}");
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * a.abs().max(1.0);
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            assert!(close(o.0, t.0), "{what}, k = {k}, #{i}: {o:?} vs {t:?}");
            let tied = |j: usize| theirs.get(j).is_some_and(|n| close(n.0, t.0));
            if !(tied(i + 1) || i > 0 && tied(i - 1)) {
                assert_eq!(o.1, t.1, "{what}, k = {k}, #{i}");
            }
        }
        // The scores of chosen passages are the query's, matched or not.
        let mut addresses: Vec<DocAddress> = theirs.iter().map(|t| t.1).collect();
        addresses.push(DocAddress::new(0, 0));
        addresses.sort();
        let scored = weighted.scores_at(&addresses).expect("scores");
        for (score, address) in scored {
            let t = theirs.iter().find(|t| t.1 == address);
            if let Some(t) = t {
                assert!(close(score, t.0), "{what}: {address:?} scored {score} vs {}", t.0);
            }
        }
    }

    #[test]
    fn maxscore_finds_what_tantivy_finds() {
        let schema = kb_schema::KbSchema::new();
        let weights = FieldWeights::default();
        for (seed, segments) in [(7, 1), (11, 3)] {
            let snapshot = index(seed, segments);
            let mut rng = Rng(seed * 31);
            for q in 0..40 {
                let n = 1 + rng.below(8);
                let query = rng.words(n);
                let phrase = rng.words(2);
                let query = match q % 6 {
                    0 => format!("{query} kind:question"),
                    1 => format!("{query} doc:d0-{}", rng.below(100)),
                    2 => format!("\"{phrase}\" {query}"),
                    3 => format!("{} {query}", phrase.replace(' ', "-")),
                    _ => query,
                };
                let parsed = parse(&query);
                // Alternatives of the first clause and feedback terms: other boosts.
                let alternatives = Alternatives {
                    per_clause: vec![vec![Alternative {
                        terms: vec![(0, "swell".into())],
                        boost: 0.4,
                        label: String::new(),
                        typo: true,
                    }]],
                    demoted: if q % 3 == 0 { vec![0] } else { Vec::new() },
                    ..Alternatives::default()
                };
                let expansion = [("leg".to_string(), 0.15), ("pain".to_string(), 0.05)];
                let plans = [
                    QueryBuilder::new(&schema, &weights).build(&parsed),
                    QueryBuilder::new(&schema, &weights)
                        .with_alternatives(&alternatives)
                        .with_expansion(&expansion)
                        .build(&parsed),
                ];
                for plan in &plans {
                    for k in [1, 3, 10, 40, 500] {
                        assert_same_top(&snapshot, plan, k, &query);
                    }
                }
            }
        }
    }

    #[test]
    fn plans_it_cannot_sum_have_no_sum() {
        let schema = kb_schema::KbSchema::new();
        let weights = FieldWeights::default();
        let build = |q: &str| QueryBuilder::new(&schema, &weights).build(&parse(q));
        for q in ["botox calf", "botox kind:answer", "\"calf muscle\" botox", "calf-muscle"] {
            assert!(build(q).sum().is_some(), "{q}");
        }
        for q in ["+botox calf", "botox -calf", "title:botox calf", "the"] {
            assert!(build(q).sum().is_none(), "{q}");
        }
        let labelled = QueryBuilder::new(&schema, &weights).with_labels(true);
        assert!(labelled.build(&parse("botox calf")).sum().is_none(), "explained");
    }
}
