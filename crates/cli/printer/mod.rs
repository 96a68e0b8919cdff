//! Printers: [`standard`] for people (grep-like, colored), [`json`] for tools.
//!
//! The libraries return data (hits with byte ranges); only these modules render it.

pub mod json;
pub mod standard;
