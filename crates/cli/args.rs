//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use std::ffi::OsString;

use clap::{Parser, Subcommand, ValueEnum};

/// kb: a full-text searchable knowledge base. Ranked passages with highlighted snippets.
///
/// Exit status: `search` exits 0 with hits, 1 with none, 2 on error; `index` exits 0 when every
/// document was indexed (files kb does not read by design, such as images, empty files, pipes
/// and links leading outside the folder, are not failures) and 2 when something failed (the
/// summary says what); the others exit 0, or 2 on error.
#[derive(Debug, Parser)]
#[command(name = "kb", version, propagate_version = true)]
pub struct Args {
    /// Index directory [default: $KB_INDEX, else ./.kb]
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,

    /// Print no progress and no notes (results, errors and failed files are still printed).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// When to color the output (respects NO_COLOR).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the index up to date with files and folders (default ./corpus).
    ///
    /// Incremental: only new, changed and removed files are re-read. Reads .txt, .md, .json,
    /// .jsonl, .html and .htm.
    Index(IndexArgs),
    /// Search the index; builds it from ./corpus first if there is none.
    Search(SearchArgs),
    /// Print a whole passage (ID like `calf-reduction#3`) or document (ID like `calf-reduction`).
    Show(ShowArgs),
    /// Count documents and passages by kind and source, and the index size.
    Stats(StatsArgs),
    /// Measure ranking quality and speed on a folder of judged queries in BEIR's format.
    ///
    /// DIR holds corpus.jsonl ({"_id", "title", "text"} a line), queries.jsonl ({"_id", "text"}
    /// a line) and qrels/<split>.tsv (`query-id corpus-id score` lines). The corpus is indexed
    /// once into the cache (not into --index) and reused while its content is unchanged; then
    /// every judged query is run and nDCG@10, Recall@100, MRR@10 (trec_eval's definitions) and
    /// the latency percentiles are printed.
    Eval(EvalArgs),
    /// Run a batch of queries and write a TREC run file (`qid Q0 docid rank score kb`).
    ///
    /// Each document is ranked by its best passage. Builds the index from ./corpus first if
    /// there is none.
    Run(RunArgs),
    /// Export the index for a distributed search engine: settings reproducing kb's analysis as
    /// far as the engine allows, and every passage as JSON Lines.
    ///
    /// opensearch: OUT_DIR/index.json (create-index body) and OUT_DIR/bulk.ndjson (_bulk);
    /// quickwit: OUT_DIR/index-config.yaml and OUT_DIR/docs.ndjson; meilisearch:
    /// OUT_DIR/settings.json and OUT_DIR/documents.ndjson (primary key `id`). A file of those
    /// names already in OUT_DIR is replaced only if an earlier export wrote it unchanged.
    Export(ExportArgs),
    /// Answer searches over HTTP with JSON, the index (and model) kept warm in one process.
    ///
    /// Binds 127.0.0.1:8787 by default: loopback, so only this machine can connect (--addr
    /// changes it). Endpoints: GET /health, GET|POST /search, GET /passages/ID,
    /// GET /documents/ID, GET /stats; with a token also POST /documents (upsert) and
    /// DELETE /documents/ID. Commits by other processes are seen within a second. Stops
    /// gracefully on Ctrl-C or SIGTERM.
    #[cfg(feature = "serve")]
    Serve(crate::commands::serve::ServeArgs),
    /// Answer an AI agent over MCP (the Model Context Protocol: JSON-RPC on stdin and stdout).
    ///
    /// Tools: search {query, limit?, kind?, doc?}, show {id}, stats {}. Register it with an
    /// MCP client as the command `kb` with the arguments `--index /path/to/.kb mcp`.
    #[cfg(feature = "mcp")]
    Mcp(crate::commands::mcp::McpArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    ///
    /// E.g. `kb completions bash > ~/.local/share/bash-completion/completions/kb`, or
    /// `kb completions zsh > "${fpath[1]}/_kb"`, or `kb completions fish >
    /// ~/.config/fish/completions/kb.fish`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `kb man | man -l -`, or `kb man > kb.1`.
    Man(ManArgs),
}

/// `kb completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `kb man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The page of one command (`kb man index` is kb-index(1)) instead of kb(1).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// `kb index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Files and folders to index [default: $KB_CORPUS, else ./corpus]. `-` alone reads
    /// standard input: paths one a line, or JSON Lines records (an input starting with `{`),
    /// which become pushed documents (kept until removed, like `kb::Kb::upsert`'s).
    pub paths: Vec<PathBuf>,
    /// Read only files matching this glob, or with `!` leave them out (ripgrep's --glob;
    /// repeatable, the last matching glob wins): `--glob '*.md'`, `--glob '!print.html'`.
    /// Matched against the path under the indexed folder. Remembered per folder: a later
    /// `kb index` without --glob uses the same ones (--no-glob forgets them).
    #[arg(long, short = 'g', value_name = "GLOB", value_parser = glob)]
    pub glob: Vec<String>,
    /// Forget the globs recorded for the folders indexed (every file is read again, as the
    /// ignore files allow).
    #[arg(long, conflicts_with = "glob")]
    pub no_glob: bool,
    /// Do not obey the ignore files (.gitignore, .ignore, .kbignore) of the indexed folders;
    /// remembered per folder, like --glob, until --ignore.
    #[arg(long, overrides_with = "ignore")]
    pub no_ignore: bool,
    /// Obey the ignore files again after --no-ignore (the default).
    #[arg(long, overrides_with = "no_ignore")]
    pub ignore: bool,
    /// Start from an empty index instead of updating; also repairs a damaged index.
    #[arg(long)]
    pub rebuild: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// After indexing, keep watching the paths and re-index on changes until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Writer memory budget in MiB, shared by the indexing threads.
    #[arg(long, value_name = "MIB", default_value_t = 128)]
    pub memory_mb: usize,
    /// Also embed every passage (all-MiniLM-L6-v2, downloaded on first use) so that searches
    /// re-rank by meaning as well as words. Slower to index (minutes for thousands of
    /// passages); an index stays semantic until rebuilt with --lexical.
    #[arg(long, conflicts_with = "lexical")]
    pub semantic: bool,
    /// Make a semantic index lexical again (drops the embeddings; rebuilds the index).
    #[arg(long)]
    pub lexical: bool,
    /// Files larger than this are not read (listed as skipped, a failure).
    #[arg(long, value_name = "MB", default_value_t = 512, value_parser = at_least_one_u64)]
    pub max_file_mb: u64,
    /// Follow symbolic links that lead outside the indexed folders (by default they are listed
    /// as skipped, "outside the indexed folder"; links within are always followed).
    #[arg(long)]
    pub follow_links: bool,
    /// The embedding model of --semantic: a sentence-transformers folder of a BERT model
    /// (config.json, vocab.txt, model.safetensors, 1_Pooling/config.json...); on a semantic
    /// index, another model than its own re-embeds every passage [default: $KB_MODEL_DIR,
    /// else the index's own model, else all-MiniLM-L6-v2, downloaded on first use]
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

/// `kb search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The query: words (all optional, more matches rank higher), "quoted phrases", +required,
    /// -excluded, title:word, heading:word, kind:answer, doc:ID. A word missing from the index
    /// also matches close spellings (from 5 letters on), and the corpus's synonyms.txt expands
    /// words and phrases. A query that starts with an excluded word goes after `--`
    /// (`kb search -- -botox calf`) or in quotes with other words (`kb search "-botox calf"`).
    /// `-` alone reads the query from standard input.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// How many hits to show (at least 1).
    #[arg(long, short = 'n', default_value_t = kb::SearchOptions::default().limit, value_parser = at_least_one)]
    pub limit: usize,
    /// Only passages of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Only passages of this document.
    #[arg(long, value_name = "ID")]
    pub doc: Option<String>,
    /// At most this many hits from one document (0: no limit).
    #[arg(long, default_value_t = kb::SearchOptions::default().per_doc, value_name = "N")]
    pub per_doc: usize,
    /// Print one JSON object (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// Print one line a hit, `path:line: snippet`, like grep (matches colored only when color
    /// is on; nothing else on stdout).
    #[arg(long, conflicts_with_all = ["json", "explain"])]
    pub oneline: bool,
    /// Show under each hit how its score was made: fields, terms, boosts, typo and synonym
    /// matches, the lift an answer gets from its question.
    #[arg(long)]
    pub explain: bool,
    /// Share of the pseudo-relevance feedback expansion in the final query (0 turns it off:
    /// faster, and only passages with the query's own words, or their typo and synonym
    /// alternatives, are found).
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight, value_parser = feedback_weight)]
    pub feedback: f32,
    /// Share of meaning (embedding similarity) in the ranking of a semantic index (see
    /// `kb index --semantic`), between 0 (words only) and 1.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight, value_parser = semantic_weight)]
    pub semantic: f32,
    #[command(flatten)]
    pub dense: DenseArgs,
    /// The embedding model: a sentence-transformers folder of a BERT model (config.json,
    /// vocab.txt, model.safetensors, 1_Pooling/config.json...) [default: $KB_MODEL_DIR, else
    /// the index's own model, else all-MiniLM-L6-v2, downloaded on first use]
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Count every matching passage: the total is then exact however many match (by default
    /// it is exact below 10,000 matches and a lower bound above, "total_relation": "gte").
    #[arg(long)]
    pub exact_total: bool,
    /// Corpus to build the index from when there is none yet, and whose synonyms.txt expands
    /// queries [default: $KB_CORPUS, else ./corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
}

/// `kb show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// A passage id (`doc#N`) or a document id.
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `kb stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// List every source file, indexed or skipped, with its counts or reason.
    #[arg(long)]
    pub files: bool,
}

/// `kb eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The BEIR-format folder.
    pub dir: PathBuf,
    /// Whose judgments to use: qrels/<split>.tsv.
    #[arg(long, value_enum, default_value_t = SplitArg::Test)]
    pub split: SplitArg,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Where the indexes of evaluated corpora are kept [default: ./.kb-eval]
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Share of the pseudo-relevance feedback expansion in the final query (0 turns it off).
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight, value_parser = feedback_weight)]
    pub feedback: f32,
    /// Share of meaning in the ranking: the corpus is indexed with passage embeddings
    /// (all-MiniLM-L6-v2, downloaded on first use) and the best lexical candidates re-ranked
    /// by their similarity to the query. 0 evaluates lexical ranking alone, on a lexical index.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight, value_parser = semantic_weight)]
    pub semantic: f32,
    #[command(flatten)]
    pub dense: DenseArgs,
    /// The embedding model: a sentence-transformers folder of a BERT model (config.json,
    /// vocab.txt, model.safetensors, 1_Pooling/config.json...) [default:
    /// $KB_MODEL_DIR, else all-MiniLM-L6-v2, downloaded on first use]
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
}

/// Retrieval by meaning on a semantic index: the options `search`, `run` and `eval` share.
#[derive(Debug, clap::Args)]
pub struct DenseArgs {
    /// On a semantic index, how many passages closest in meaning to the query (among all
    /// passages, not only those with its words) join the ranking (0: meaning re-ranks the
    /// passages found by words only).
    #[arg(long, value_name = "N", default_value_t = kb::Semantic::default().dense)]
    pub dense: usize,
    /// On a semantic index, how many of the best passages lend the query their meaning for a
    /// second ranking (pseudo-relevance feedback by meaning; 0 turns it off).
    #[arg(long, value_name = "N", default_value_t = kb::Semantic::default().feedback)]
    pub dense_feedback: usize,
}

impl DenseArgs {
    /// Sets `semantic`'s passages found by meaning and its feedback by meaning.
    pub fn apply(&self, semantic: &mut kb::Semantic) {
        semantic.dense = self.dense;
        semantic.feedback = self.dense_feedback;
    }
}

/// `kb run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The queries: a .jsonl file is read as BEIR queries ({"_id", "text"} a line), any other
    /// file as one query per line, its id being the line number.
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Documents per query (at least 1).
    #[arg(long, short = 'n', default_value_t = 100, value_parser = at_least_one)]
    pub limit: usize,
    /// Write the run to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also highlight every hit and cut its snippet, as `kb search` does, so the timings cover
    /// the whole search path (the run itself is the same).
    #[arg(long)]
    pub snippets: bool,
    /// Share of the pseudo-relevance feedback expansion in the final query (0 turns it off).
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight, value_parser = feedback_weight)]
    pub feedback: f32,
    /// Share of meaning (embedding similarity) in the ranking of a semantic index (see
    /// `kb index --semantic`), between 0 (words only) and 1.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight, value_parser = semantic_weight)]
    pub semantic: f32,
    #[command(flatten)]
    pub dense: DenseArgs,
    /// The embedding model: a sentence-transformers folder of a BERT model (config.json,
    /// vocab.txt, model.safetensors, 1_Pooling/config.json...) [default: $KB_MODEL_DIR, else
    /// the index's own model, else all-MiniLM-L6-v2, downloaded on first use]
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Write each query's wall time to this file: `query-id<TAB>milliseconds` a line, in query
    /// order (for latency distributions and finding slow queries).
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Corpus to build the index from when there is none yet [default: $KB_CORPUS, else ./corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
}

/// `kb export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The engine to export for.
    #[arg(long = "to", value_enum, value_name = "ENGINE")]
    pub to: ExportTarget,
    /// The folder to write into (created if needed).
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,
    /// Corpus whose synonyms.txt goes into the analyzer settings, unless the index records its
    /// own [default: $KB_CORPUS, else ./corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
}

/// `kb export --to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// OpenSearch (and Elasticsearch, but for the vector field).
    Opensearch,
    /// Quickwit.
    Quickwit,
    /// Meilisearch.
    Meilisearch,
}

/// `--split`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// qrels/test.tsv: report these.
    Test,
    /// qrels/train.tsv: tune on these.
    Train,
    /// qrels/dev.tsv: tune on these.
    Dev,
}

impl SplitArg {
    /// The split's name, as in `qrels/<name>.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            SplitArg::Test => "test",
            SplitArg::Train => "train",
            SplitArg::Dev => "dev",
        }
    }
}

/// Passage kinds on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// Article paragraphs and list items.
    Article,
    /// Questions of Q&A threads.
    Question,
    /// Answers of Q&A threads.
    Answer,
    /// Blocks of code (their lines kept).
    Code,
}

impl From<KindArg> for kb_schema::Kind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Article => kb_schema::Kind::Article,
            KindArg::Question => kb_schema::Kind::Question,
            KindArg::Answer => kb_schema::Kind::Answer,
            KindArg::Code => kb_schema::Kind::Code,
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Color when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// `--limit`: a count of at least 1.
fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("must be a whole number of at least 1 (got {s:?})")),
    }
}

/// `--glob`: a glob ripgrep would take.
fn glob(s: &str) -> Result<String, String> {
    kb_indexer::walk::check_globs(&[s.to_owned()]).map_err(|e| e.reason)?;
    Ok(s.to_owned())
}

/// `--max-file-mb`: at least 1.
fn at_least_one_u64(s: &str) -> Result<u64, String> {
    at_least_one(s).map(|n| n as u64)
}

/// A weight in `low..=high` (or `low..high` when `high_included` is false), finite.
fn weight_in(s: &str, high_included: bool, range: &str) -> Result<f32, String> {
    let valid =
        |w: f32| w.is_finite() && w >= 0.0 && if high_included { w <= 1.0 } else { w < 1.0 };
    match s.trim().parse::<f32>() {
        Ok(w) if valid(w) => Ok(w),
        _ => Err(format!("must be a number {range} (got {s:?})")),
    }
}

/// `--feedback`: from 0 (off) up to, not including, 1.
fn feedback_weight(s: &str) -> Result<f32, String> {
    weight_in(s, false, "from 0 (off) to less than 1")
}

/// `--semantic`: from 0 (words only) to 1.
fn semantic_weight(s: &str) -> Result<f32, String> {
    weight_in(s, true, "from 0 (words only) to 1")
}

/// The command line as clap is to read it: a `kb search` argument that starts with `-` and holds
/// a space (`kb search "-botox calf"`) cannot be a flag, so it is the query, which starts with an
/// excluded word; a leading space keeps clap from reading it as flags (the query language
/// ignores it).
pub fn command_line(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    /// `kb search`'s options (and the global ones) that take a value.
    const TAKE_VALUE: [&str; 12] = [
        "--index",
        "--limit",
        "-n",
        "--kind",
        "--doc",
        "--per-doc",
        "--feedback",
        "--semantic",
        "--dense",
        "--dense-feedback",
        "--color",
        "--corpus",
    ];
    let mut args: Vec<OsString> = args.into_iter().collect();
    let mut in_search = false;
    let mut value_next = false;
    for arg in args.iter_mut().skip(1) {
        let Some(text) = arg.to_str() else {
            value_next = false;
            continue;
        };
        if text == "--" {
            break;
        }
        if value_next {
            value_next = false;
            continue;
        }
        if TAKE_VALUE.contains(&text) {
            value_next = true;
            continue;
        }
        if !in_search {
            in_search = text == "search";
            if !text.starts_with('-') && !in_search {
                // Another command.
                break;
            }
            continue;
        }
        if text.starts_with('-') && !text.starts_with("--") && text.contains(char::is_whitespace) {
            *arg = OsString::from(format!(" {text}"));
        }
    }
    args
}
