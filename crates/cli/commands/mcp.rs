/*!
`kb mcp`: the knowledge base as an MCP server over stdio, for AI agents.

The Model Context Protocol is JSON-RPC 2.0, one message a line on stdin and stdout. The
official Rust SDK, `rmcp`, speaks it (the `initialize` handshake and version negotiation,
`ping`, `tools/list`, `tools/call`, cancellation); this module only declares kb's three tools
and answers them from one warm [`Kb`] handle. Like `kb serve`, it follows other processes'
commits ([`super::live`]) and runs library calls on tokio's blocking pool. It is compiled only
with the `mcp` cargo feature (on by default).

Tools (read-only):

- `search` {query, limit?, kind?, doc?}: the hits as `kb search` prints them without color
  (rank, title › heading, snippet, source path:line and passage id), and as structured content
  the `kb search --json` object;
- `show` {id}: a whole passage (`calf-reduction#3`) or document (`calf-reduction`) with its
  source, and the `kb show --json` object;
- `stats` {}: what the index holds (and, on a semantic index, whether searches by meaning
  scan every embedding or walk the HNSW graph of `--approximate-from`), and the
  `kb stats --json` object.

A tool that cannot answer (an unknown id, a bad argument, an index error) returns an MCP tool
error (`isError: true`) with a message the agent can act on; the server keeps running. Only an
unknown tool name is a protocol error. Stdout carries nothing but protocol messages; logs go to
stderr. The server exits 0 when stdin closes.
*/

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kb::{Kb, SearchOptions};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{live, EXIT_OK};
use crate::printer;

/// `kb mcp`.
#[derive(Debug, clap::Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub approximate: live::ApproximateArgs,
}

pub fn run(index_dir: &Path, args: McpArgs) -> anyhow::Result<u8> {
    let kb = live::open(index_dir, &args.approximate)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let result = runtime.block_on(async {
        live::warm_up(&kb).await;
        tokio::spawn(live::follow_commits(Arc::clone(&kb)));
        let service = Tools { kb }
            .serve(rmcp::transport::stdio())
            .await
            .context("the MCP client did not complete the initialization")?;
        service.waiting().await.context("the MCP server failed")?;
        anyhow::Ok(())
    });
    // A read of stdin still pending cannot be cancelled: do not wait for it.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result.map(|()| EXIT_OK)
}

/// Most hits one `search` call returns.
const MAX_LIMIT: usize = 100;

/// The tools, on one knowledge base.
struct Tools {
    kb: Arc<Kb>,
}

/// `search`'s arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    query: String,
    limit: Option<usize>,
    kind: Option<String>,
    doc: Option<String>,
}

/// `show`'s arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShowArgs {
    id: String,
}

/// `stats`'s arguments: none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsArgs {}

/// The tool list `tools/list` answers.
fn tools() -> Vec<Tool> {
    let read_only = ToolAnnotations::new().read_only(true).open_world(false);
    let schema = |value: Value| match value {
        Value::Object(map) => Arc::new(map),
        _ => unreachable!("tool schemas are JSON objects"),
    };
    vec![
        Tool::new(
            "search",
            "Search the knowledge base. Returns the best passages, ranked: title › heading, \
             a snippet, the source file and line, and the passage id (give it to `show` for the \
             whole passage). Query language: words (all optional, more matches rank higher), \
             \"quoted phrases\", +required, -excluded, title:word, kind:answer, doc:ID.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What to search for."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                              "description": "How many hits (default 10)."},
                    "kind": {"type": "string", "enum": ["article", "question", "answer", "code"],
                             "description": "Only passages of this kind."},
                    "doc": {"type": "string", "description": "Only passages of this document id."}
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only.clone()),
        Tool::new(
            "show",
            "Show a whole passage (an id like `calf-reduction#3`, from search hits) or a whole \
             document (an id like `calf-reduction`: all its passages in order), with its source.",
            schema(json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "A passage id or a document id."}
                },
                "required": ["id"],
                "additionalProperties": false
            })),
        )
        .with_annotations(read_only.clone()),
        Tool::new(
            "stats",
            "Count the documents and passages (by kind: article, question, answer, code) in the \
             knowledge base, its source files and its size.",
            schema(json!({"type": "object", "properties": {}, "additionalProperties": false})),
        )
        .with_annotations(read_only),
    ]
}

impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("kb", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "kb is a full-text knowledge base of articles and Q&A threads. Use `search` to \
                 find passages, then `show` with a passage id (or its document id) to read it \
                 whole.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = Value::Object(request.arguments.unwrap_or_default());
        let kb = Arc::clone(&self.kb);
        let answer = match request.name.as_ref() {
            "search" => blocking(move || search(&kb, parse(args)?)).await,
            "show" => blocking(move || show(&kb, parse(args)?)).await,
            "stats" => blocking(move || stats(&kb, parse::<StatsArgs>(args)?)).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!("there is no tool {other:?}: the tools are search, show and stats"),
                    None,
                ))
            }
        };
        Ok(answer
            .unwrap_or_else(|message| CallToolResult::error(vec![ContentBlock::text(message)]))
            .into())
    }
}

/// A tool's answer, or the message of a tool error.
type Answer = Result<CallToolResult, String>;

/// Runs a tool on the blocking pool; a panic there is a tool error, never a dead server.
async fn blocking(work: impl FnOnce() -> Answer + Send + 'static) -> Answer {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err("the tool failed inside kb".to_owned()))
}

fn parse<T: for<'de> Deserialize<'de>>(args: Value) -> Result<T, String> {
    serde_json::from_value(args).map_err(|e| format!("bad arguments: {e}"))
}

/// An answer: `text` for the agent to read, and `structured` (a JSON object) for programs.
fn answer(text: Vec<u8>, structured: &impl serde::Serialize) -> Answer {
    let text = String::from_utf8_lossy(&text).into_owned();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    // Through the text, so that numbers are exactly as `--json` prints them (an f32 score as
    // an f32, not widened to an f64's digits).
    let json = serde_json::to_string(structured).map_err(|e| e.to_string())?;
    result.structured_content = Some(serde_json::from_str(&json).map_err(|e| e.to_string())?);
    Ok(result)
}

/// A stream that drops the printer's styles (the text is for an agent, not a terminal).
fn plain() -> anstream::StripStream<Vec<u8>> {
    anstream::StripStream::new(Vec::new())
}

fn search(kb: &Kb, args: SearchArgs) -> Answer {
    if args.query.trim().is_empty() {
        return Err("the query is empty: give words to search for".to_owned());
    }
    let mut opts = SearchOptions { doc: args.doc, ..SearchOptions::default() };
    if let Some(limit) = args.limit {
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("limit must be between 1 and {MAX_LIMIT}, not {limit}"));
        }
        opts.limit = limit;
    }
    if let Some(kind) = args.kind {
        opts.kind = Some(kb::Kind::parse(&kind).ok_or_else(|| {
            format!("kind must be article, question, answer or code, not {kind:?}")
        })?);
    }
    let results = kb.search(&args.query, &opts).map_err(|e| e.to_string())?;
    let mut out = plain();
    printer::standard::write_search(&mut out, &results).map_err(|e| e.to_string())?;
    answer(out.into_inner(), &results)
}

fn show(kb: &Kb, args: ShowArgs) -> Answer {
    let shown = kb.show(&args.id).map_err(|e| e.to_string())?.ok_or_else(|| {
        format!("no passage or document with id {:?}: search for it first", args.id)
    })?;
    let mut out = plain();
    printer::standard::write_passages(&mut out, &shown.passages).map_err(|e| e.to_string())?;
    answer(out.into_inner(), &shown)
}

fn stats(kb: &Kb, _args: StatsArgs) -> Answer {
    let stats = kb.stats().map_err(|e| e.to_string())?;
    let mut out = plain();
    printer::standard::write_stats(&mut out, &stats).map_err(|e| e.to_string())?;
    let mut text = out.into_inner();
    text.extend_from_slice(match live::DenseMode::of(kb) {
        live::DenseMode::Approximate => b"search by meaning: approximate (an HNSW graph)\n",
        live::DenseMode::Exact => b"search by meaning: exact (every embedding scanned)\n",
        live::DenseMode::None => b"",
    });
    answer(text, &stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_naming_its_required_arguments() {
        let tools = tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(names, ["search", "show", "stats"]);
        for tool in &tools {
            assert_eq!(tool.input_schema["type"], "object");
            assert_eq!(tool.input_schema["additionalProperties"], false);
        }
        assert_eq!(tools[0].input_schema["required"], json!(["query"]));
        assert_eq!(tools[1].input_schema["required"], json!(["id"]));
    }

    #[test]
    fn arguments_are_checked() {
        assert!(parse::<SearchArgs>(json!({})).unwrap_err().contains("missing field `query`"));
        assert!(parse::<SearchArgs>(json!({"query": "x", "limit": "ten"})).is_err());
        assert!(parse::<ShowArgs>(json!({"id": "a", "x": 1}))
            .unwrap_err()
            .contains("unknown field"));
        assert!(parse::<StatsArgs>(json!({})).is_ok());
    }
}
