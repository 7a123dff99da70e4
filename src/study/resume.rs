//! Resuming: a study's output folder is the set of its finished runs (`runs/<run_id>.json`),
//! each written atomically when its run ends. `--resume` reruns only the runs of the current
//! study file whose record is missing, so a study killed at any moment loses no finished run and
//! never duplicates one (runs are keyed by their stable id, not by position). Records of runs
//! that the current study file no longer contains are kept on disk but left out of `runs.csv`.
//!
//! Without `--resume`, an output folder that already holds study results is an error (exit
//! status 2): curvlab never deletes results it did not write in this invocation. Remove the
//! folder, pick another `--out`, or pass `--resume`.

use super::outputs::{create_dir, read_records, runs_dir, traces_dir, write_atomic};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::path::Path;

/// True when `out` holds study results (a `study.toml` copy or a `runs/` folder).
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// assert!(!curvlab::study::resume::holds_results(d.path()));
/// std::fs::create_dir(d.path().join("runs")).unwrap();
/// assert!(curvlab::study::resume::holds_results(d.path()));
/// ```
pub fn holds_results(out: &Path) -> bool {
    out.join("study.toml").exists() || runs_dir(out).exists()
}

/// Prepares the output folder: applies the overwrite policy, creates `runs/`, `traces/` and
/// `plots/`, removes stale temporary files, writes the study file's copy `study.toml`, and
/// returns the ids of the runs already finished there (empty unless `resume`).
///
/// ```
/// use curvlab::study::resume::prepare_output;
/// let d = tempfile::tempdir().unwrap();
/// let out = d.path().join("o");
/// assert!(prepare_output(&out, "name='s'", false).unwrap().is_empty());
/// assert!(prepare_output(&out, "name='s'", false).is_err()); // would overwrite
/// assert!(prepare_output(&out, "name='s'", true).is_ok());
/// ```
pub fn prepare_output(out: &Path, source: &str, resume: bool) -> Result<BTreeSet<String>> {
    if holds_results(out) && !resume {
        return Err(Error::invalid(
            "--out",
            out.display(),
            "the folder already holds study results; pass --resume to continue them, or remove it",
        ));
    }
    create_dir(&runs_dir(out))?;
    create_dir(&traces_dir(out))?;
    create_dir(&out.join("plots"))?;
    for dir in [runs_dir(out), traces_dir(out), out.to_path_buf()] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp.") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    write_atomic(&out.join("study.toml"), source.as_bytes())?;
    if resume {
        Ok(read_records(out)?.into_keys().collect())
    } else {
        Ok(BTreeSet::new())
    }
}
