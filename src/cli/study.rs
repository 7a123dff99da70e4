//! `curvlab study` and `curvlab merge`: run a study file (docs/DESIGN.md, "Study files") and merge
//! the outputs of its shards. See [`crate::study`] for the outputs, the resume rule and the
//! sharding rule.

use crate::error::{Error, Result};
use crate::study::{Progress, RunOptions, Shard, StudySpec, merge_shards, run_study};
use std::path::PathBuf;

/// Arguments of `curvlab study`.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The study file (TOML).
    pub file: PathBuf,
    /// Output folder (default `results/<name>/`). Without --resume it must not hold results yet.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Parallel runs (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
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
/// let args = StudyArgs { file: "/no/such/study.toml".into(), out: None, jobs: None,
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
/// let args = StudyArgs { file: "/no/such/study.toml".into(), out: None, jobs: None,
///                        resume: false, shard: None, quiet: true };
/// assert!(run_to(&args, &mut std::io::sink()).unwrap_err().is_bad_input());
/// ```
pub fn run_to(args: &StudyArgs, err: &mut dyn std::io::Write) -> Result<()> {
    let spec = StudySpec::read(&args.file)?;
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if args.jobs == Some(0) {
        return Err(Error::invalid("--jobs", 0, "must be >= 1"));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&spec.name));
    let mut opts = RunOptions::new(&out);
    opts.jobs = args.jobs;
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
