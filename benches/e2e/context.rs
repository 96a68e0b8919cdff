//! What every benchmark of the driver needs: the options, the work folder, how to start `kb`
//! and the baseline, and where the headline figures are gathered for the targets table.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::options::Options;
use crate::targets::Figures;

/// The driver's state.
pub struct Ctx {
    /// The command line.
    pub opts: Options,
    /// The work folder: fresh index folders, generated corpora and query files.
    pub work: PathBuf,
    /// The copy of the `kb` binary that every benchmark runs.
    kb: PathBuf,
    /// The copy of this binary that runs the baseline.
    baseline: PathBuf,
    /// Deletes the work folder when dropped (unless `--keep`).
    _cleanup: Option<tempfile::TempDir>,
    /// Headline figures, compared with the targets at the end.
    pub figures: Figures,
}

impl Ctx {
    /// Creates the work folder.
    pub fn new(opts: Options) -> Result<Ctx, String> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("kb-e2e-");
        let tmp = match &opts.work {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                builder.tempdir_in(dir)
            }
            None => builder.tempdir(),
        }
        .map_err(|e| format!("cannot create a work folder: {e}"))?;
        let (work, cleanup) =
            if opts.keep { (tmp.keep(), None) } else { (tmp.path().to_owned(), Some(tmp)) };
        // Private copies of the binaries: the target folder is shared, and a `cargo build` during
        // the run must not swap a binary under measurement half-way.
        let kb = work.join("kb-under-test");
        std::fs::copy(&opts.kb, &kb)
            .map_err(|e| format!("cannot copy {}: {e}", opts.kb.display()))?;
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the e2e binary: {e}"))?;
        let baseline = work.join("baseline-under-test");
        std::fs::copy(&exe, &baseline)
            .map_err(|e| format!("cannot copy {}: {e}", exe.display()))?;
        Ok(Ctx { opts, work, kb, baseline, _cleanup: cleanup, figures: Figures::default() })
    }

    /// `kb --index DIR`, run in the work folder with no `KB_*` variables from outside and no
    /// colors.
    pub fn kb(&self, index: &Path) -> Command {
        let mut cmd = Command::new(&self.kb);
        cmd.arg("--index").arg(index).current_dir(&self.work);
        cmd.env_remove("KB_INDEX").env_remove("KB_CORPUS").env("NO_COLOR", "1");
        cmd
    }

    /// The plain-tantivy baseline: this same binary, `e2e plain-tantivy ...` (the code of
    /// `cargo bench --bench plain_tantivy`).
    pub fn plain(&self) -> Command {
        let mut cmd = Command::new(&self.baseline);
        cmd.arg("plain-tantivy").current_dir(&self.work);
        cmd
    }

    /// A path in the work folder, removed first if it exists (every run gets a fresh index).
    pub fn fresh(&self, rel: &str) -> Result<PathBuf, String> {
        let path = self.work.join(rel);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        } else if path.exists() {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        Ok(path)
    }
}
