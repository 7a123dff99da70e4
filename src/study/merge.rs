//! Merging shard outputs (`curvlab merge SHARD_DIRS... --out DIR`): every shard folder must hold
//! the same study file (`study.toml`, copied there by `curvlab study`); the merged folder gets
//! the union of the shards' run records and traces (keyed by run id, so a run present in two
//! shards is kept once) and then exactly the files of an unsharded run, regenerated: `runs.csv`
//! in the study's order, `spectra.json`, `summary.md`, `plots/`.
//!
//! `--out` must be absent, empty, or the output of the same study (same `study.toml`: merging
//! again after a rerun shard); another study's outputs or a folder of other files is refused.

use super::expand::Plan;
use super::outputs::{create_dir, read_records, runs_dir, traces_dir, write_atomic};
use super::spec::StudySpec;
use crate::error::{Error, Result};
use std::path::Path;

/// Merges shard folders into `out`; returns `(runs present, runs in the study)`. Missing runs
/// (a shard that failed) are reported by the counts, not an error: rerun that shard with
/// `--resume` and merge again.
pub fn merge_shards(shards: &[&Path], out: &Path) -> Result<(usize, usize)> {
    let first = shards
        .first()
        .ok_or_else(|| Error::invalid("SHARD_DIRS", "(none)", "give at least one shard folder"))?;
    let read = |d: &Path| {
        let p = d.join("study.toml");
        std::fs::read_to_string(&p).map_err(|source| Error::Io { path: p, source })
    };
    let source = read(first)?;
    for s in &shards[1..] {
        if read(s)? != source {
            return Err(Error::invalid(
                "SHARD_DIRS",
                s.display(),
                "holds a different study.toml than the first shard",
            ));
        }
    }
    let spec = StudySpec::parse(&first.join("study.toml"), &source)?;
    refuse_other_study_except(out, &source, shards)?;
    let plan = Plan::new(&spec);
    create_dir(&runs_dir(out))?;
    create_dir(&traces_dir(out))?;
    write_atomic(&out.join("study.toml"), source.as_bytes())?;
    let wanted: std::collections::BTreeSet<&str> =
        plan.runs.iter().map(|r| r.id.as_str()).collect();
    for s in shards {
        for id in read_records(s)?.into_keys() {
            if !wanted.contains(id.as_str()) {
                continue;
            }
            let trace = traces_dir(s).join(format!("{id}.csv"));
            if let Ok(bytes) = std::fs::read(&trace) {
                write_atomic(&traces_dir(out).join(format!("{id}.csv")), &bytes)?;
            }
            // Copy the record byte for byte (it was written atomically by the shard).
            let rec = runs_dir(s).join(format!("{id}.json"));
            let bytes = std::fs::read(&rec).map_err(|source| Error::Io { path: rec, source })?;
            write_atomic(&runs_dir(out).join(format!("{id}.json")), &bytes)?;
        }
    }
    let present = read_records(out)?
        .keys()
        .filter(|k| wanted.contains(k.as_str()))
        .count();
    super::summary::finalize(&spec, &plan, out, None, true, None)?;
    Ok((present, plan.runs.len()))
}

/// An error when `out` holds another study's outputs (a different or missing `study.toml` next
/// to `runs/`) or other files ([`super::resume::refuse_foreign`]).
///
/// ```
/// use curvlab::study::merge::refuse_other_study;
/// let d = tempfile::tempdir().unwrap();
/// std::fs::create_dir(d.path().join("runs")).unwrap();
/// std::fs::write(d.path().join("study.toml"), "name='a'").unwrap();
/// assert!(refuse_other_study(d.path(), "name='a'").is_ok());
/// assert!(refuse_other_study(d.path(), "name='b'").unwrap_err().is_bad_input());
/// ```
pub fn refuse_other_study(out: &Path, source: &str) -> Result<()> {
    refuse_other_study_except(out, source, &[])
}

/// [`refuse_other_study`] for a merge of `shards`: the shard folders themselves and scheduler log
/// files (`*.out`, `*.err`, `*.log`, e.g. Slurm's `slurm-%A_%a.out`) may sit in `out`, as in
/// `curvlab merge results/s/shard-* --out results/s`.
///
/// ```
/// use curvlab::study::merge::refuse_other_study_except;
/// let d = tempfile::tempdir().unwrap();
/// let shard = d.path().join("shard-0");
/// std::fs::create_dir(&shard).unwrap();
/// std::fs::write(d.path().join("merge-3.out"), "log").unwrap();
/// assert!(refuse_other_study_except(d.path(), "name='a'", &[shard.as_path()]).is_ok());
/// std::fs::write(d.path().join("notes.md"), "mine").unwrap();
/// assert!(refuse_other_study_except(d.path(), "name='a'", &[shard.as_path()]).is_err());
/// ```
pub fn refuse_other_study_except(out: &Path, source: &str, shards: &[&Path]) -> Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let shard_paths: Vec<_> = shards.iter().filter_map(|s| canon(s)).collect();
    let ignore = |p: &Path| {
        let log = p
            .extension()
            .is_some_and(|e| e == "out" || e == "err" || e == "log");
        (log && p.is_file()) || canon(p).is_some_and(|c| shard_paths.contains(&c))
    };
    super::resume::refuse_foreign_except(out, ignore)?;
    if !super::resume::holds_results(out) {
        return Ok(());
    }
    let p = out.join("study.toml");
    match std::fs::read_to_string(&p) {
        Ok(s) if s == source => Ok(()),
        _ => Err(Error::invalid(
            "--out",
            out.display(),
            "the folder holds the outputs of another study (its study.toml differs from the \
             shards'); merge into a new folder",
        )),
    }
}
