//! Merging shard outputs (`curvlab merge SHARD_DIRS... --out DIR`): every shard folder must hold
//! the same study file (`study.toml`, copied there by `curvlab study`); the merged folder gets
//! the union of the shards' run records and traces (keyed by run id, so a run present in two
//! shards is kept once) and then exactly the files of an unsharded run, regenerated: `runs.csv`
//! in the study's order, `spectra.json`, `summary.md`, `plots/`.

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
