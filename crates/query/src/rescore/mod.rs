//! Stage 4, rescore: signals beyond the words, added to the retrieved candidates' scores.
//!
//! - [`qa`]: a question that matches the query lifts its thread's answers. It runs before
//!   grouping, on every candidate retrieval fetches, because it can add answers retrieval did
//!   not fetch and reorder them.
//! - [`code`]: passages of kind `code` weigh less for a question in words and more for a query
//!   that looks like code. It runs with the Q&A lift, on every candidate retrieval fetches.
//! - [`semantic`]: on a semantic index searched with its model, the grouped pool of candidates
//!   is re-ranked by meaning as well, then cut to the limit.
//!
//! Each signal keeps what it added per candidate and explains it (`Lift::explain`,
//! `Fused::explain`) as its own node of the hit's [`crate::Explanation`].

pub(crate) mod code;
pub(crate) mod qa;
pub mod semantic;
