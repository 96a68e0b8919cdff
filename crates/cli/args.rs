//! Command-line arguments. The doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// kb: a full-text searchable knowledge base. Ranked passages with highlighted snippets.
///
/// Exit status: `search` exits 0 with hits, 1 with none, 2 on error; `index` exits 0 when every
/// file was indexed and 2 when something was skipped or failed (the summary says what); the
/// others exit 0, or 2 on error.
#[derive(Debug, Parser)]
#[command(name = "kb", version, propagate_version = true)]
pub struct Args {
    /// Index directory [default: $KB_INDEX, else ./.kb]
    #[arg(long, global = true, value_name = "DIR")]
    pub index: Option<PathBuf>,

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
    Mcp,
}

/// `kb index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Files and folders to index [default: $KB_CORPUS, else ./corpus]
    pub paths: Vec<PathBuf>,
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
}

/// `kb search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// The query: words (all optional, more matches rank higher), "quoted phrases", +required,
    /// -excluded, title:word, heading:word, kind:answer, doc:ID. A word missing from the index
    /// also matches close spellings (from 5 letters on), and the corpus's synonyms.txt expands
    /// words and phrases.
    #[arg(required = true, num_args = 1.., value_name = "QUERY")]
    pub query: Vec<String>,
    /// How many hits to show.
    #[arg(long, short = 'n', default_value_t = kb::SearchOptions::default().limit)]
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
    /// Show under each hit how its score was made: fields, terms, boosts, typo and synonym
    /// matches, the lift an answer gets from its question.
    #[arg(long)]
    pub explain: bool,
    /// Share of the pseudo-relevance feedback expansion in the final query (0 turns it off:
    /// faster, and only passages with the query's own words, or their typo and synonym
    /// alternatives, are found).
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight)]
    pub feedback: f32,
    /// Share of meaning (embedding similarity) in the ranking of a semantic index (see
    /// `kb index --semantic`), between 0 (words only) and 1.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight)]
    pub semantic: f32,
    /// When to color highlights (respects NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
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
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight)]
    pub feedback: f32,
    /// Share of meaning in the ranking: the corpus is indexed with passage embeddings
    /// (all-MiniLM-L6-v2, downloaded on first use) and the best lexical candidates re-ranked
    /// by their similarity to the query. 0 evaluates lexical ranking alone, on a lexical index.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight)]
    pub semantic: f32,
}

/// `kb run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The queries: a .jsonl file is read as BEIR queries ({"_id", "text"} a line), any other
    /// file as one query per line, its id being the line number.
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Documents per query.
    #[arg(long, short = 'n', default_value_t = 100)]
    pub limit: usize,
    /// Write the run to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also highlight every hit and cut its snippet, as `kb search` does, so the timings cover
    /// the whole search path (the run itself is the same).
    #[arg(long)]
    pub snippets: bool,
    /// Share of the pseudo-relevance feedback expansion in the final query (0 turns it off).
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Feedback::default().weight)]
    pub feedback: f32,
    /// Share of meaning (embedding similarity) in the ranking of a semantic index (see
    /// `kb index --semantic`), between 0 (words only) and 1.
    #[arg(long, value_name = "WEIGHT", default_value_t = kb::Semantic::default().weight)]
    pub semantic: f32,
    /// Write each query's wall time to this file: `query-id<TAB>milliseconds` a line, in query
    /// order (for latency distributions and finding slow queries).
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,
    /// Corpus to build the index from when there is none yet [default: $KB_CORPUS, else ./corpus]
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
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
}

impl From<KindArg> for kb_schema::Kind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Article => kb_schema::Kind::Article,
            KindArg::Question => kb_schema::Kind::Question,
            KindArg::Answer => kb_schema::Kind::Answer,
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
