//! The harness: a temp work dir with fixture files, and `kb` run inside it.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde::Deserialize;

/// A temp work dir in which `kb` runs; the index goes to `.kb` inside it.
pub struct Kb {
    dir: tempfile::TempDir,
    /// The embedding model `kb` is given (`KB_MODEL_DIR`), if any.
    model: Option<PathBuf>,
}

/// What one `kb` run did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The run of a command made with [`Kb::command`].
    pub fn from_output(out: Output) -> Run {
        Run::from(out)
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json<T: for<'de> Deserialize<'de>>(&self) -> T {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not the expected JSON ({e}):\n{}", self.stdout))
    }
}

impl Kb {
    /// An empty work dir.
    pub fn new() -> Kb {
        Kb { dir: tempfile::tempdir().expect("temp dir"), model: None }
    }

    /// The same work dir, `kb` being given as embedding model a word model written into it
    /// (`kb_embed::testing::write_word_model`: words of one group embed alike).
    pub fn with_word_model(mut self, groups: &[&[&str]]) -> Kb {
        let dir = self.path().join("model");
        kb_embed::testing::write_word_model(&dir, groups).expect("write the word model");
        self.model = Some(dir);
        self
    }

    /// A work dir with a semantic index (`kb index --semantic docs`) of three passages under a
    /// word model; the garage's, about mending a vehicle, shares no word with the query
    /// "automobile repair", which only meaning finds it for.
    pub fn semantic_garage() -> Kb {
        let work = Kb::new().with_word_model(&[
            &["car", "automobile", "vehicle"],
            &["repair", "fix", "mend"],
            &["soup", "pot", "broth", "onion"],
        ]);
        work.write("docs/garage.txt", "Garage\n\nMend the vehicle here, with care.\n");
        work.write("docs/kitchen.txt", "Kitchen\n\nA pot of broth and an onion.\n");
        work.write(
            "docs/shelf.txt",
            "Shelf\n\nA repair manual for the kitchen pot, the broth and the onion.\n",
        );
        work.run(&["index", "--semantic", "docs"]).expect_code(0);
        work
    }

    /// A work dir holding a copy of the repository's bundled `corpus/`.
    pub fn with_seed_corpus() -> Kb {
        let kb = Kb::new();
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        for entry in std::fs::read_dir(corpus).expect("corpus/") {
            let entry = entry.expect("corpus entry");
            let target = kb.path().join("corpus").join(entry.file_name());
            std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            std::fs::copy(entry.path(), target).expect("copy");
        }
        kb
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders) relative to the work dir.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, contents).expect("write fixture");
        path
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).expect("remove fixture");
    }

    /// A `kb` command in the work dir, with no `KB_*` or color variables from the outside, a
    /// model cache inside the work dir, and the default model's download pointed at a closed
    /// port on 127.0.0.1: nothing is ever downloaded, into the user's cache or any other.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kb"));
        cmd.current_dir(self.path());
        for var in [
            "KB_INDEX",
            "KB_CORPUS",
            "KB_MODEL_DIR",
            "HF_ENDPOINT",
            "NO_COLOR",
            "CLICOLOR_FORCE",
            "CLICOLOR",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("XDG_CACHE_HOME", self.path().join("cache"));
        cmd.env("KB_MODEL_URL", "http://127.0.0.1:9/no-model-in-tests");
        if let Some(model) = &self.model {
            cmd.env("KB_MODEL_DIR", model);
        }
        cmd
    }

    /// Runs `kb ARGS...` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("kb runs"))
    }

    /// Runs `kb ARGS...`, killing it (and failing the test) if it has not finished within
    /// `secs` seconds: for runs that used to hang.
    pub fn run_within(&self, secs: u64, args: &[&str]) -> Run {
        let mut child = self
            .command()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kb runs");
        // Drained as the child writes, so a full pipe never stalls it.
        fn drain(
            mut from: impl std::io::Read + Send + 'static,
        ) -> std::thread::JoinHandle<Vec<u8>> {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = from.read_to_end(&mut bytes);
                bytes
            })
        }
        let stdout = drain(child.stdout.take().expect("stdout"));
        let stderr = drain(child.stderr.take().expect("stderr"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for kb") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kb {args:?} did not finish within {secs} s");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        Run::from(Output {
            status,
            stdout: stdout.join().expect("stdout read"),
            stderr: stderr.join().expect("stderr read"),
        })
    }

    /// `kb search --json QUERY EXTRA...`, parsed into the strict output types.
    pub fn search(&self, query: &str, extra: &[&str]) -> SearchOutput {
        let mut args = vec!["search", "--json", query];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        assert!(run.code == 0 || run.code == 1, "kb search failed ({}):\n{}", run.code, run.stderr);
        run.json()
    }

    /// `kb stats --json`.
    pub fn stats(&self) -> StatsOutput {
        self.run(&["stats", "--json"]).expect_code(0).json()
    }
}

/// Strict copy of `kb search --json` (see the printer's rustdoc): unknown fields fail the test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchOutput {
    pub query: String,
    pub total: usize,
    /// "eq" (total is exact) or "gte" (a lower bound).
    pub total_relation: String,
    pub took_ms: f64,
    pub hits: Vec<HitOutput>,
    /// Always present: a corrected query, or null.
    pub did_you_mean: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitOutput {
    pub rank: usize,
    pub score: f32,
    pub doc_id: String,
    pub doc_title: String,
    pub kind: String,
    pub passage_id: String,
    pub heading: Option<String>,
    pub text: String,
    pub snippet: String,
    pub highlights: Vec<[usize; 2]>,
    pub source: SourceOutput,
    /// Always present: the question of an answer, else null.
    pub question: Option<QuestionOutput>,
    /// Only with `--explain`.
    #[serde(default)]
    pub explain: Option<ExplainOutput>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QuestionOutput {
    pub passage_id: String,
    pub title: String,
}

/// One node of a score explanation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainOutput {
    pub score: f32,
    pub what: String,
    #[serde(default)]
    pub parts: Vec<ExplainOutput>,
}

impl ExplainOutput {
    /// Every node's `what`, depth first.
    pub fn all_whats(&self) -> Vec<&str> {
        let mut out = vec![self.what.as_str()];
        for part in &self.parts {
            out.extend(part.all_whats());
        }
        out
    }
}

impl HitOutput {
    /// The highlighted words, read from `text` through `highlights`.
    pub fn lit(&self) -> Vec<&str> {
        self.highlights.iter().map(|[s, e]| &self.text[*s..*e]).collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceOutput {
    pub path: String,
    pub line: u32,
}

/// Strict copy of `kb stats --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsOutput {
    pub documents: u64,
    pub passages: u64,
    pub by_kind: KindCounts,
    pub dropped: DroppedCounts,
    pub files: u64,
    pub index_bytes: u64,
}

/// Passages left out as boilerplate or duplicates.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DroppedCounts {
    pub boilerplate: u64,
    pub duplicates: u64,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KindCounts {
    pub article: u64,
    pub question: u64,
    pub answer: u64,
    pub code: u64,
}

/// Strict copy of `kb index --json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexOutput {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
    pub skipped: Vec<SkipOutput>,
    pub documents: u64,
    pub passages: u64,
    pub took_ms: f64,
    pub bytes_read: u64,
    pub committed: bool,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SkipOutput {
    pub path: String,
    #[serde(default)]
    pub line: Option<u32>,
    pub reason: String,
    /// "failure" or "by_design".
    pub kind: String,
}
