//! `kb eval`: ranking quality and speed on a BEIR-format folder.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use kb_eval::{evaluate, EvalOptions, EvalProgress};

use super::EXIT_OK;
use crate::args::EvalArgs;
use crate::paths::display_path;
use crate::{model, printer};

pub fn run(args: EvalArgs) -> anyhow::Result<u8> {
    let mut opts = EvalOptions {
        split: args.split.as_str().to_owned(),
        cache_root: args.cache.clone().unwrap_or_else(|| PathBuf::from(".kb-eval")),
        ..EvalOptions::default()
    };
    opts.search.feedback.weight = args.feedback;
    opts.search.semantic.weight = args.semantic;
    args.dense.apply(&mut opts.search.semantic);
    if args.semantic > 0.0 {
        opts.semantic = Some(model::load(args.model.as_deref())?);
    }
    let report = evaluate(&args.dir, &opts, &mut |p| match p {
        EvalProgress::BuildingIndex { .. } if super::quiet() => {}
        EvalProgress::BuildingIndex { corpus, index_dir } => eprintln!(
            "kb: indexing {} into {} (once for this corpus)",
            display_path(&corpus.to_string_lossy()),
            display_path(&index_dir.to_string_lossy())
        ),
        EvalProgress::Searching { .. } => {}
    })
    .with_context(|| format!("cannot evaluate {}", args.dir.display()))?;
    // Styles go through anstream, which drops them when stdout is no terminal or NO_COLOR is set.
    let mut out = super::stdout();
    if args.json {
        printer::json::write_eval(&mut out, &report)?;
    } else {
        printer::standard::write_eval(&mut out, &report)?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
