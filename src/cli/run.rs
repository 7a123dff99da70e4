//! `curvlab run`: one method on one problem (placeholder until issue 3).

use crate::error::{Error, Result};

/// Arguments of `curvlab run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Problem name (see `curvlab list`).
    #[arg(long)]
    pub problem: String,
    /// Problem dimension (the problem's `dim` parameter).
    #[arg(long)]
    pub dim: Option<usize>,
    /// CSV data file for data problems (header row, last column the label).
    #[arg(long)]
    pub data: Option<std::path::PathBuf>,
    /// Matrix Market file for the `matrix` problem.
    #[arg(long)]
    pub matrix: Option<std::path::PathBuf>,
    /// Method name (see `curvlab list`).
    #[arg(long)]
    pub method: String,
    /// Iteration budget.
    #[arg(long, default_value_t = 1000)]
    pub max_iters: usize,
    /// Gradient-norm tolerance.
    #[arg(long, default_value_t = 1e-6)]
    pub grad_tol: f64,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Problem parameter KEY=VALUE (repeatable).
    #[arg(long = "problem-opt")]
    pub problem_opt: Vec<String>,
    /// Method parameter KEY=VALUE (repeatable).
    #[arg(long = "method-opt")]
    pub method_opt: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: &RunArgs) -> Result<()> {
    let _ = args;
    Err(Error::Unsupported(
        "`curvlab run` is not available yet".into(),
    ))
}
