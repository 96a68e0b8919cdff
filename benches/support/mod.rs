//! Helpers shared by the benchmark binaries: where the inputs come from, how records are read,
//! and how results are printed.
//!
//! Every bench binary compiles this module on its own and uses only a part of it, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

pub mod criterion_json;
pub mod disk;
pub mod fixtures;
pub mod process;
pub mod records;
pub mod report;
