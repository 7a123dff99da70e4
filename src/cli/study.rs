//! `curvlab study` and `curvlab merge` (placeholder until issue 7).

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Arguments of `curvlab study`.
#[derive(Debug, clap::Args)]
pub struct StudyArgs {
    /// The study file (TOML).
    pub file: PathBuf,
    /// Output folder (default `results/<name>/`).
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
pub fn run(args: &StudyArgs) -> Result<()> {
    let _ = args;
    Err(Error::Unsupported(
        "`curvlab study` is not available yet".into(),
    ))
}

/// Merges shards.
pub fn merge(args: &MergeArgs) -> Result<()> {
    let _ = args;
    Err(Error::Unsupported(
        "`curvlab merge` is not available yet".into(),
    ))
}
