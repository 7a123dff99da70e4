//! `curvlab spectrum` (placeholder until issue 5).

use crate::error::{Error, Result};

/// Arguments of `curvlab spectrum`.
#[derive(Debug, clap::Args)]
pub struct SpectrumArgs {
    /// Problem name.
    #[arg(long)]
    pub problem: Option<String>,
    /// Problem dimension.
    #[arg(long)]
    pub dim: Option<usize>,
    /// CSV data file for data problems.
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// Where to take the Hessian: `x0` (the standard start) or `opt` (the known minimizer, or
    /// the point a trust-region Newton run reaches).
    #[arg(long, default_value = "x0")]
    pub at: String,
    /// Matrix Market file instead of a problem.
    #[arg(long)]
    pub matrix: Option<std::path::PathBuf>,
    /// How many extreme eigenvalues at each end.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
    /// auto | dense | lanczos.
    #[arg(long, default_value = "auto")]
    pub algo: String,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Problem parameter KEY=VALUE (repeatable).
    #[arg(long = "problem-opt")]
    pub problem_opt: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &SpectrumArgs) -> Result<()> {
    let _ = args;
    Err(Error::Unsupported(
        "`curvlab spectrum` is not available yet".into(),
    ))
}
