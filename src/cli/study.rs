//! `curvlab study` and `curvlab merge`: run a study file (docs/DESIGN.md, "Study files") and merge
//! the outputs of its shards. See [`crate::study`] for the outputs, the resume rule and the
//! sharding rule.
//!
//! Before any work the study's run count is computed from its axis lengths
//! ([`crate::study::expand::count_runs`], nothing materialised) and refused above `--max-runs`
//! (default [`crate::study::expand::DEFAULT_MAX_RUNS`]), and the worker pool is capped at
//! `min(--jobs, cores, runs left)` ([`cap_jobs`]): the runs are CPU-bound and single-threaded
//! inside (faer sequential), so threads beyond the cores only time-slice them, and threads beyond
//! the runs idle. A reduced `--jobs` is said once on stderr. The output folder is locked for the
//! study's duration ([`crate::study::lock`]).

use crate::error::{Error, Result};
use crate::study::expand::{DEFAULT_MAX_RUNS, check_run_count};
use crate::study::{Plan, Progress, RunOptions, Shard, StudySpec, merge_shards, run_study};
use std::path::PathBuf;

/// Arguments of `curvlab study`.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The study file (TOML).
    pub file: PathBuf,
    /// Output folder (default `results/<name>/`). Without --resume it must not hold results yet.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Parallel runs (default: all cores; capped at the cores and at the runs left).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Refuse a study that expands to more runs than this (default 100000).
    #[arg(long)]
    pub max_runs: Option<u64>,
    /// Skip runs already finished in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Run only slice `i/N` of the runs (0-based `i`).
    #[arg(long)]
    pub shard: Option<String>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

/// Arguments of `curvlab merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Shard output folders.
    pub shards: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs a study.
///
/// ```
/// use curvlab::cli::study::{StudyArgs, run};
/// let args = StudyArgs { file: "/no/such/study.toml".into(), out: None, jobs: None, max_runs: None,
///                        resume: false, shard: None, quiet: true };
/// assert!(run(&args).unwrap_err().is_bad_input());
/// ```
pub fn run(args: &StudyArgs) -> Result<()> {
    run_to(args, &mut std::io::stderr())
}

/// Runs a study, with its messages on `err` (write errors ignored: a closed pipe does not stop
/// the study).
///
/// ```
/// use curvlab::cli::study::{StudyArgs, run_to};
/// let args = StudyArgs { file: "/no/such/study.toml".into(), out: None, jobs: None, max_runs: None,
///                        resume: false, shard: None, quiet: true };
/// assert!(run_to(&args, &mut std::io::sink()).unwrap_err().is_bad_input());
/// ```
pub fn run_to(args: &StudyArgs, err: &mut dyn std::io::Write) -> Result<()> {
    let spec = StudySpec::read(&args.file)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if args.jobs == Some(0) {
        return Err(Error::invalid("--jobs", 0, "must be >= 1"));
    }
    if args.max_runs == Some(0) {
        return Err(Error::invalid("--max-runs", 0, "must be >= 1"));
    }
    check_run_count(&spec, args.max_runs.unwrap_or(DEFAULT_MAX_RUNS))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let left = runs_left(&spec, shard, &out, args.resume);
    let (jobs, note) = cap_jobs(args.jobs, cores, left);
    if let Some(note) = note {
        let _ = writeln!(err, "note: {note}");
    }
    let mut opts = RunOptions::new(&out);
    opts.jobs = Some(jobs);
    opts.resume = args.resume;
    opts.shard = shard;
    opts.progress = if args.quiet {
        Progress::Quiet
    } else {
        Progress::Auto
    };
    let o = run_study(&spec, &opts)?;
    if !args.quiet {
        let _ = writeln!(
            err,
            "study `{}`: {} runs ({} run now, {} already finished) -> {}",
            spec.name,
            o.selected,
            o.performed,
            o.skipped,
            out.display()
        );
    }
    Ok(())
}

/// The worker pool for `requested` jobs (`None`: all cores) on `cores` cores with `runs_left`
/// runs to do: `min(requested, cores, runs_left)`, at least 1, and the note to print when a
/// requested value was reduced.
///
/// ```
/// use curvlab::cli::study::cap_jobs;
/// assert_eq!(cap_jobs(Some(100_000), 2, 8),
///            (2, Some("--jobs 100000 capped at 2 (2 cores, 8 runs)".to_string())));
/// assert_eq!(cap_jobs(Some(16), 32, 3).0, 3);
/// assert_eq!(cap_jobs(Some(2), 4, 8), (2, None));
/// assert_eq!(cap_jobs(None, 4, 1), (1, None)); // the default is capped silently
/// assert_eq!(cap_jobs(Some(3), 4, 0).0, 1);
/// ```
pub fn cap_jobs(
    requested: Option<usize>,
    cores: usize,
    runs_left: usize,
) -> (usize, Option<String>) {
    let cap = cores.min(runs_left).max(1);
    match requested {
        Some(r) if r > cap => (
            cap,
            Some(format!(
                "--jobs {r} capped at {cap} ({cores} core{}, {runs_left} run{})",
                if cores == 1 { "" } else { "s" },
                if runs_left == 1 { "" } else { "s" }
            )),
        ),
        Some(r) => (r.max(1), None),
        None => (cap, None),
    }
}

/// The runs this invocation may run: the study's (or the shard's) runs, less those with a record
/// in `out` when resuming (a record the resume rejects later only makes the pool smaller).
fn runs_left(spec: &StudySpec, shard: Option<Shard>, out: &std::path::Path, resume: bool) -> usize {
    let plan = Plan::new(spec);
    let selected: Vec<&str> = match shard {
        Some(s) => {
            let ids = s.select(&plan);
            plan.runs
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| ids.contains(*id))
                .collect()
        }
        None => plan.runs.iter().map(|r| r.id.as_str()).collect(),
    };
    let runs = crate::study::outputs::runs_dir(out);
    selected
        .iter()
        .filter(|id| !(resume && runs.join(format!("{id}.json")).exists()))
        .count()
}

/// Merges shards.
///
/// ```
/// use curvlab::cli::study::{MergeArgs, merge};
/// let d = tempfile::tempdir().unwrap();
/// let args = MergeArgs { shards: vec![d.path().join("missing")], out: d.path().join("m") };
/// assert!(merge(&args).unwrap_err().is_bad_input());
/// ```
pub fn merge(args: &MergeArgs) -> Result<()> {
    merge_to(args, &mut std::io::stderr())
}

/// Merges shards, with its messages on `err` (write errors ignored).
///
/// ```
/// use curvlab::cli::study::{MergeArgs, merge_to};
/// let d = tempfile::tempdir().unwrap();
/// let args = MergeArgs { shards: vec![], out: d.path().join("m") };
/// assert!(merge_to(&args, &mut std::io::sink()).unwrap_err().is_bad_input());
/// ```
pub fn merge_to(args: &MergeArgs, err: &mut dyn std::io::Write) -> Result<()> {
    let shards: Vec<&std::path::Path> = args.shards.iter().map(|p| p.as_path()).collect();
    let (present, total) = merge_shards(&shards, &args.out)?;
    if present < total {
        let _ = writeln!(
            err,
            "warning: {} of {total} runs are missing from the shards; rerun the failed shards with --resume and merge again",
            total - present
        );
    }
    let _ = writeln!(err, "merged {present} runs -> {}", args.out.display());
    Ok(())
}
