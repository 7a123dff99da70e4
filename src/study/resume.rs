//! Resuming: a study's output folder is the set of its finished runs (`runs/<run_id>.json`),
//! each written atomically when its run ends. `--resume` reruns only the runs of the current
//! study file whose record is missing, so a study killed at any moment loses no finished run and
//! never duplicates one (runs are keyed by their stable id, not by position). Records of runs
//! that the current study file no longer contains are kept on disk but left out of `runs.csv`.
//!
//! Without `--resume`, an output folder that already holds study results is an error (exit
//! status 2): curvlab never deletes results it did not write in this invocation. Remove the
//! folder, pick another `--out`, or pass `--resume`. A non-empty folder that is not a study
//! output (no `runs/`, no `study.toml`, but a user's `summary.md`, `runs.csv`, `plots/` or any
//! other file) is refused too, with or without `--resume`.
//!
//! A run record that cannot be read back (truncated, edited, not JSON, holding another run's id)
//! is not finished either: `--resume` names it on stderr and runs it again, overwriting it.
//!
//! Only one study writes to an output folder at a time ([`crate::study::lock`]).
//!
//! A finished run whose trace is missing or no longer matches the hash stored in its record
//! ([`crate::study::outputs::trace_problem`]) is not finished: `--resume` runs it again and
//! says so on stderr.

use super::outputs::{create_dir, read_records, runs_dir, trace_problem, traces_dir, write_atomic};
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
    refuse_foreign(out)?;
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
        Ok(finished_runs(out)?)
    } else {
        Ok(BTreeSet::new())
    }
}

/// An error when `out` is a non-empty folder that is not a curvlab study output (neither
/// `runs/` nor `study.toml` in it): its files belong to someone else.
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// assert!(curvlab::study::resume::refuse_foreign(d.path()).is_ok()); // empty
/// std::fs::write(d.path().join("summary.md"), "my notes").unwrap();
/// let e = curvlab::study::resume::refuse_foreign(d.path()).unwrap_err();
/// assert!(e.is_bad_input() && e.to_string().contains("summary.md"));
/// ```
pub fn refuse_foreign(out: &Path) -> Result<()> {
    refuse_foreign_except(out, |_| false)
}

/// [`refuse_foreign`], ignoring the entries for which `ignore(path)` is true (a merge's own
/// shard folders and the scheduler's log files).
///
/// ```
/// let d = tempfile::tempdir().unwrap();
/// std::fs::write(d.path().join("slurm-7_0.out"), "log").unwrap();
/// let logs = |p: &std::path::Path| p.extension().is_some_and(|e| e == "out");
/// assert!(curvlab::study::resume::refuse_foreign_except(d.path(), logs).is_ok());
/// assert!(curvlab::study::resume::refuse_foreign(d.path()).is_err());
/// ```
pub fn refuse_foreign_except(out: &Path, ignore: impl Fn(&Path) -> bool) -> Result<()> {
    if holds_results(out) {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(()); // absent (created later) or not a folder (the write fails then)
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| !ignore(&e.path()) && e.file_name() != super::lock::LOCK_FILE)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    names.truncate(5);
    Err(Error::invalid(
        "--out",
        out.display(),
        &format!(
            "the folder is not empty and is not a curvlab study output (no runs/): it holds {}; \
             curvlab would overwrite them. Pick another --out",
            names.join(", ")
        ),
    ))
}

/// The runs finished in `out`: records whose trace is present and unmodified (each rejected
/// record is named on stderr; its run runs again).
fn finished_runs(out: &Path) -> Result<BTreeSet<String>> {
    let mut done = BTreeSet::new();
    let records = read_records(out)?;
    for (id, why) in unreadable_records(out, &records) {
        super::outputs::say(format_args!(
            "warning: run {id}: its record runs/{id}.json is corrupted ({why}); running it again"
        ));
    }
    for (id, rec) in records {
        match trace_problem(out, &rec) {
            None => {
                done.insert(id);
            }
            Some(why) => super::outputs::say(format_args!(
                "warning: run {id}: its trace traces/{id}.csv is {why}; running it again"
            )),
        }
    }
    Ok(done)
}

/// The `runs/<id>.json` files that [`read_records`] did not accept (truncated by a crash of the
/// file system, edited by hand, renamed), each with the reason: their runs are not finished.
///
/// ```
/// use curvlab::study::resume::unreadable_records;
/// let d = tempfile::tempdir().unwrap();
/// std::fs::create_dir(d.path().join("runs")).unwrap();
/// std::fs::write(d.path().join("runs/abc.json"), "{\"run_id\": ").unwrap();
/// let bad = unreadable_records(d.path(), &Default::default());
/// assert_eq!(bad.len(), 1);
/// assert_eq!(bad[0].0, "abc");
/// assert!(bad[0].1.starts_with("not a run record: EOF while parsing"), "{}", bad[0].1);
/// ```
pub fn unreadable_records(
    out: &Path,
    accepted: &std::collections::BTreeMap<String, super::outputs::RunRecord>,
) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(runs_dir(out)) else {
        return Vec::new();
    };
    let mut bad = Vec::new();
    for p in entries.flatten().map(|e| e.path()) {
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if stem.starts_with('.')
            || p.extension().and_then(|s| s.to_str()) != Some("json")
            || accepted.contains_key(stem)
        {
            continue;
        }
        let why = match std::fs::read_to_string(&p) {
            Err(e) => format!("unreadable: {e}"),
            Ok(text) => match serde_json::from_str::<super::outputs::RunRecord>(&text) {
                Err(e) => format!("not a run record: {e}"),
                Ok(r) => format!("it holds run {}", r.run_id),
            },
        };
        bad.push((stem.to_string(), why));
    }
    bad.sort();
    bad
}
